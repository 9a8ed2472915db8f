// spec/cli.md §2 (get), §5 (exit codes); spec/format.md §4, §7; spec/seal.md §5.
/**
 * `ssclient get NAME` reads an unsealed vault in our layout through the one-secret reader
 * (src/format/vault-index.ts) and any other vault whole: on an unsealed and a sealed vault, as a
 * real process (the fast path) and in-process through `main` (the full reader), the same output,
 * errors and exit codes, byte for byte, for a value, a missing secret, a wrong key, a damaged
 * secret (the one asked for, or another), a name given twice and a required seal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySource, SecretsManager } from '../../src/index.js';
import { runCli, runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 0xff);

describe('get NAME: the one-secret reader and the full reader agree', () => {
  let dir = '';
  let cleanup = (): void => {};

  /** `text` with the first `from` after `after` replaced by `to`. */
  const change = (text: string, after: string, from: string, to: string): string => {
    const at = text.indexOf(from, text.indexOf(after));
    return text.slice(0, at) + to + text.slice(at + from.length);
  };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('ssclient-get-one-'));
    for (const kind of ['plain', 'sealed']) {
      const vault = await SecretsManager.create(KeySource.fromKey(KEY), {
        seal: kind === 'sealed',
      });
      for (const name of ['alpha', 'beta', 'gamma']) vault.set(name, `${name} value`);
      vault.set('ünï 😀', 'ünïcödé ✓');
      const path = join(dir, `${kind}.json`);
      await vault.saveAs(path);
      if (kind === 'plain') await vault.exportKey(join(dir, 'vault.key'));
      vault.close();
      const text = readFileSync(path, 'utf8');
      // The MAC of "beta" broken (its base64 still canonical).
      const hmacAt = text.indexOf('"hmac": "', text.indexOf('"beta"')) + 9;
      const flipped = text[hmacAt] === 'A' ? 'B' : 'A';
      writeFileSync(
        join(dir, `${kind}-damaged.json`),
        text.slice(0, hmacAt) + flipped + text.slice(hmacAt + 1),
      );
      // "gamma"'s payload no longer base64: the whole file is refused, whichever secret is asked.
      writeFileSync(
        join(dir, `${kind}-bad-gamma.json`),
        change(text, '"gamma"', '"payload": "', '"payload": "*'),
      );
      // "alpha" given twice.
      const alpha = text.slice(text.indexOf('    "alpha"'), text.indexOf('    "beta"'));
      writeFileSync(join(dir, `${kind}-twice.json`), text.replace(alpha, alpha + alpha));
      writeFileSync(join(dir, `${kind}-newline.json`), `${text}\n`);
    }
    writeFileSync(join(dir, 'wrong.key'), Buffer.alloc(32, 9));
  });
  afterAll(() => cleanup());

  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const real = runProcess(argv, { cwd: dir, env });
    const inProcess = await runCli(argv, { cwd: dir, env });
    expect(real.stderr).toBe(inProcess.stderr);
    expect(real.stdoutBytes.equals(inProcess.stdoutBytes)).toBe(true);
    expect(real.code).toBe(inProcess.code);
    return real;
  };

  for (const kind of ['plain', 'sealed']) {
    describe(`a${kind === 'plain' ? 'n unsealed' : ' sealed'} vault`, () => {
      const get = (vault: string, name: string, key = 'vault.key') => [
        '-s',
        `${kind}${vault}.json`,
        '-k',
        key,
        'get',
        name,
      ];

      it('a value, and a unicode name and value', async () => {
        expect(await run(get('', 'beta'))).toMatchObject({
          code: 0,
          stdout: 'beta value\n',
          stderr: '',
        });
        expect(await run(get('', 'ünï 😀'))).toMatchObject({
          code: 0,
          stdout: 'ünïcödé ✓\n',
          stderr: '',
        });
        expect((await run(get('-newline', 'gamma'))).stdout).toBe('gamma value\n');
      });

      const file = (vault: string): string => join(dir, `${kind}${vault}.json`);
      const fails = (stderr: string) => ({ code: 1, stdout: '', stderr: `error: ${stderr}\n` });

      it('a missing secret', async () => {
        expect(await run(get('', 'delta'))).toMatchObject(
          fails(`no secret named "delta" in ${kind}.json`),
        );
      });

      it('a wrong key', async () => {
        expect(await run(get('', 'beta', 'wrong.key'))).toMatchObject(
          fails(
            `wrong key for ${file('')} (key file ${join(dir, 'wrong.key')} does not open it); the key came from -k ("ssclient config" shows where each setting comes from)`,
          ),
        );
      });

      it('the secret asked for is damaged; another one is', async () => {
        const sealBroken = fails(
          `${file('-damaged')} was changed without its key (names, values or their order no longer match its seal); see what changed with \`git log -p ${file('-damaged')}\`, and run \`ssclient seal --after-merge\` only if you trust the change`,
        );
        expect(await run(get('-damaged', 'beta'))).toMatchObject(
          kind === 'sealed'
            ? sealBroken
            : fails(
                `secret "beta" in ${file('-damaged')} fails its integrity check: the vault was modified or damaged`,
              ),
        );
        // Unsealed, only the secret asked for is decrypted; a seal covers every blob
        // (spec/seal.md §4).
        expect(await run(get('-damaged', 'alpha'))).toMatchObject(
          kind === 'sealed' ? sealBroken : { code: 0, stdout: 'alpha value\n', stderr: '' },
        );
      });

      it('a malformed secret elsewhere, or a name given twice: the file is refused', async () => {
        expect(await run(get('-bad-gamma', 'alpha'))).toMatchObject(
          fails(`${file('-bad-gamma')}: secret "gamma" payload is not canonical padded base64`),
        );
        expect(await run(get('-twice', 'beta'))).toMatchObject(
          fails(`${file('-twice')} is not valid JSON: duplicate name "alpha" at line 15, column 5`),
        );
      });

      it('SSCLIENT_REQUIRE_SEAL=1', async () => {
        expect(await run(get('', 'beta'), { SSCLIENT_REQUIRE_SEAL: '1' })).toMatchObject(
          kind === 'sealed'
            ? { code: 0, stdout: 'beta value\n', stderr: '' }
            : fails(
                `${file('')} has no seal, and the seal is required: it was written by a tool that does not seal, or the seal was removed; check it with \`git log -p ${file('')}\`, then run \`ssclient seal\` if you trust it`,
              ),
        );
      });
    });
  }
});
