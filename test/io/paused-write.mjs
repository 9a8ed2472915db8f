// Child process for files.test.ts: writeFileAtomic(PATH, VALUE) that stops after writing the
// data and before its fsync, prints "written", and waits to be signalled. A signal it handles
// itself is given as a third argument ("handle"): then it exits 0 from its own handler.
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../../dist/io/files.js';

const [path, value, handle] = process.argv.slice(2);
const probe = await fs.open(process.execPath, 'r');
const FileHandle = Object.getPrototypeOf(probe);
await probe.close();
FileHandle.sync = function () {
  process.stdout.write('written\n');
  return new Promise(() => {});
};
if (handle === 'handle') {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(0));
}
setInterval(() => {}, 60_000);
await writeFileAtomic(path, value, { mode: 0o600, forceMode: true });
