/** Vaults for the workflow tests, made with the library (fast: a key file, no PBKDF2). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeKeyFile } from '../../src/format/key-file.js';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';

export const KEY_BYTES = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);

/** Writes `k.key` (0600) and `secrets.json` holding `secrets` into `dir`. */
export async function makeVault(
  dir: string,
  secrets: Iterable<[string, string | Uint8Array]>,
  store = 'secrets.json',
): Promise<void> {
  writeFileSync(join(dir, 'k.key'), encodeKeyFile(KEY_BYTES), { mode: 0o600 });
  const vault = await SecretsManager.create(KeySource.fromKey(KEY_BYTES));
  for (const [name, value] of secrets) vault.set(name, value);
  await vault.saveAs(join(dir, store));
  vault.close();
}

/** Characters that break naive quoting, and some that break naive Unicode handling. */
export const HOSTILE_PIECES = [
  "'",
  '"',
  '$',
  '`',
  '\\',
  '\n',
  '\r',
  '\r\n',
  '\t',
  ' ',
  '#',
  '=',
  ',',
  '$(id)',
  '${HOME}',
  "'\\''",
  '\\n',
  '\\"',
  '!',
  '*',
  '~',
  '-',
  '+',
  '@',
  'é',
  '😀',
  '\u2028',
  '\u0085',
  '\u00a0',
  '\ufeff',
  '\u0001',
  '\u007f',
  'yes',
  'null',
  '0x1F',
  '1e3',
  ': ',
  '- ',
  '{}',
  '[]',
  '&a',
  '*a',
  '|',
  '>',
  '%',
];

const codePoint = fc
  .integer({ min: 1, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));

/** Any text without NUL: hostile pieces, ASCII and any Unicode scalar value. */
export const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ maxLength: 3 }), codePoint), {
    maxLength: 12,
  })
  .map((parts) => parts.join('').replaceAll('\0', ''));
