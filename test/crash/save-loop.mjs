// Child process for crash.test.ts: saves the vault in a loop until it is killed.
// argv: VAULT KEY_HEX. Every save writes generation N into every secret, so a torn or mixed
// vault shows up as secrets from different generations. Prints "ready" once the vault is open,
// then "saved N" after each save returns.
import { KeySource, SecretsManager } from '../../dist/index.js';

const [path, keyHex] = process.argv.slice(2);
const key = KeySource.fromKey(Buffer.from(keyHex, 'hex'));
const vault = await SecretsManager.fromFile(path, key);
let gen = Number(vault.get('gen'));
process.stdout.write('ready\n');
for (;;) {
  gen++;
  vault.set('gen', String(gen));
  for (const name of ['alpha', 'beta', 'gamma']) vault.set(name, `${name}-${gen}`);
  // A value that changes size with the generation, so that old and new files differ in length.
  vault.set('padding', 'p'.repeat(gen % 97));
  await vault.save();
  process.stdout.write(`saved ${gen}\n`);
}
