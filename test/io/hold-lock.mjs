// Child process for lock.test.ts: holds the lock on PATH for MS milliseconds (a long update
// callback), printing "held" once it has it and "released" after.
import { withLock } from '../../dist/io/lock.js';

const [path, ms] = process.argv.slice(2);
await withLock(path, async () => {
  process.stdout.write('held\n');
  await new Promise((resolve) => setTimeout(resolve, Number(ms)));
});
process.stdout.write('released\n');
