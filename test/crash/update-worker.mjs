// Child process for crash.test.ts: COUNT locked read-modify-write updates of the vault, each
// adding one name of its own. argv: VAULT KEY_HEX WORKER_ID COUNT.
import { KeySource, SecretsManager } from '../../dist/index.js';

const [path, keyHex, id, count] = process.argv.slice(2);
const key = KeySource.fromKey(Buffer.from(keyHex, 'hex'));
for (let i = 0; i < Number(count); i++) {
  await SecretsManager.update(path, key, (vault) => {
    vault.set(`worker-${id}-${String(i).padStart(2, '0')}`, `value ${id}/${i}`);
  });
}
process.stdout.write('done\n');
