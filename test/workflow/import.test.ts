/**
 * `ssclient import` as a real process (issue 15, item 6): export -> import through real CLI
 * processes gives back the same secrets for every export format; a 10 000-line dotenv file is
 * imported by one process with one PBKDF2 (counted by a preload hook, not timed); --dry-run,
 * --prefix and the rule for existing names; unchanged secrets keep their exact blobs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseVault } from '../../src/format/vault-codec.js';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { dotenvQuote } from '../../src/workflow/export-formats.js';
import { runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { hostileText } from '../helpers/arbitraries.js';
import { KEY_BYTES, makeVault } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

const COUNT_PBKDF2 = fileURLToPath(new URL('../helpers/count-pbkdf2.mjs', import.meta.url));

async function contents(file: string): Promise<Map<string, string>> {
  const vault = await SecretsManager.fromFile(file, KeySource.fromKey(KEY_BYTES));
  try {
    return new Map(
      [...vault.getAllBytes()].map(([n, b]) => [n, Buffer.from(b).toString('base64')]),
    );
  } finally {
    vault.close();
  }
}

const text = hostileText.filter((v) => !v.includes('\0'));
const varName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const binary = fc.uint8Array({ minLength: 1, maxLength: 16 }).filter((b) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return false;
  } catch {
    return true;
  }
});

describe('export -> import through real processes gives the same secrets', () => {
  const cases = [
    // dotenv and shell carry variable names (--env-name-style keep); dotenv only the values it
    // writes (export-formats.property.test.ts).
    {
      format: 'shell',
      entries: fc.uniqueArray(fc.tuple(varName, text), { selector: ([n]) => n, maxLength: 6 }),
      extra: ['--env-name-style', 'keep'],
    },
    {
      format: 'dotenv',
      entries: fc.uniqueArray(
        fc.tuple(
          varName,
          text.filter((v) => typeof dotenvQuote(v) === 'string'),
        ),
        { selector: ([n]) => n, maxLength: 6 },
      ),
      extra: ['--env-name-style', 'keep'],
    },
    {
      format: 'json',
      entries: fc.uniqueArray(fc.tuple(text, fc.oneof(text, binary)), {
        selector: ([n]) => n,
        maxLength: 6,
      }),
      extra: [],
    },
    {
      format: 'yaml',
      entries: fc.uniqueArray(fc.tuple(text, fc.oneof(text, binary)), {
        selector: ([n]) => n,
        maxLength: 6,
      }),
      extra: [],
    },
    {
      format: 'csv',
      entries: fc.uniqueArray(fc.tuple(text, text), { selector: ([n]) => n, maxLength: 6 }),
      extra: [],
    },
  ] as const;

  for (const { format, entries, extra } of cases) {
    it(format, async () => {
      const t = tempDir('ssclient-import-');
      cleanup = t.cleanup;
      await fc.assert(
        fc.asyncProperty(entries as fc.Arbitrary<[string, string | Uint8Array][]>, async (list) => {
          await makeVault(t.dir, list, 'from.json');
          await makeVault(t.dir, [], 'to.json');
          const out = runProcess(
            ['-k', 'k.key', '-s', 'from.json', 'get', '--all', '--format', format, ...extra],
            { cwd: t.dir },
          );
          expect(out.stderr).toBe('');
          expect(out.code).toBe(0);
          writeFileSync(join(t.dir, 'exported'), out.stdoutBytes);
          const r = runProcess(
            ['-k', 'k.key', '-s', 'to.json', 'import', 'exported', '--format', format],
            { cwd: t.dir },
          );
          expect(r.stderr).toBe(
            `Imported into to.json: ${list.length} added, 0 changed, 0 unchanged, 0 skipped\n`,
          );
          expect(r.code).toBe(0);
          expect(await contents(join(t.dir, 'to.json'))).toEqual(
            await contents(join(t.dir, 'from.json')),
          );
        }),
        { numRuns: 4 },
      );
    });
  }
});

describe('ssclient import', () => {
  it('10 000 dotenv lines: one process, one PBKDF2, one write', async () => {
    const t = tempDir('ssclient-import-');
    cleanup = t.cleanup;
    const vault = await SecretsManager.create(KeySource.fromPassword('correct horse'));
    vault.set('existing', 'x');
    await vault.saveAs(join(t.dir, 'secrets.json'));
    vault.close();
    const lines = Array.from({ length: 10_000 }, (_, i) => `NAME_${i}='value ${i}'\n`);
    writeFileSync(join(t.dir, 'big.env'), lines.join(''));
    const count = join(t.dir, 'pbkdf2.count');
    const r = runProcess(['import', 'big.env'], {
      cwd: t.dir,
      env: {
        SSCLIENT_PASSWORD: 'correct horse',
        COUNT_PBKDF2_FILE: count,
        NODE_OPTIONS: `--import=${COUNT_PBKDF2}`,
      },
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe(
      'Imported into secrets.json: 10000 added, 0 changed, 0 unchanged, 0 skipped\n',
    );
    expect(r.code).toBe(0);
    expect(readFileSync(count, 'utf8')).toBe('pbkdf2\n');
    const back = await SecretsManager.fromFile(
      join(t.dir, 'secrets.json'),
      KeySource.fromPassword('correct horse'),
    );
    expect(back.keys()).toHaveLength(10_001);
    expect(back.get('NAME_9999')).toBe('value 9999');
    back.close();
  });

  it('--dry-run, existing names refused by default, --overwrite, --skip-existing, --prefix', async () => {
    const t = tempDir('ssclient-import-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [
      ['A', 'same'],
      ['B', 'old'],
    ]);
    writeFileSync(join(t.dir, 'in.json'), '{"A": "same", "B": "new", "C": "added"}\n');
    const ss = (...args: string[]) => runProcess(['-k', 'k.key', ...args], { cwd: t.dir });
    const before = readFileSync(join(t.dir, 'secrets.json'));

    const dry = ss('import', 'in.json', '--dry-run', '--overwrite');
    expect(dry.stdout).toBe('unchanged A\nchanged B\nadded C\n');
    expect(dry.stderr).toBe(
      '1 added, 1 changed, 1 unchanged, 0 skipped (dry run: nothing was written to secrets.json)\n',
    );
    expect(dry.code).toBe(0);

    const refused = ss('import', 'in.json');
    expect(refused.stderr).toBe(
      'error: secrets.json already holds a secret with another value: "B"; add --overwrite to replace it or --skip-existing to keep it\n',
    );
    expect(refused.code).toBe(17);
    expect(readFileSync(join(t.dir, 'secrets.json')).equals(before)).toBe(true);

    const skip = ss('import', 'in.json', '--skip-existing');
    expect(skip.stderr).toBe(
      'Imported into secrets.json: 1 added, 0 changed, 1 unchanged, 1 skipped\n',
    );
    const after = readFileSync(join(t.dir, 'secrets.json'));
    // Unchanged and skipped secrets keep their exact blobs.
    const blobs = (b: Buffer) => parseVault(b, 'test').secrets;
    expect(blobs(after).get('A')).toEqual(blobs(before).get('A'));
    expect(blobs(after).get('B')).toEqual(blobs(before).get('B'));

    const over = ss('import', 'in.json', '--overwrite');
    expect(over.stderr).toBe(
      'Imported into secrets.json: 0 added, 1 changed, 2 unchanged, 0 skipped\n',
    );
    const prefixed = ss('import', 'in.json', '--prefix', 'app/');
    expect(prefixed.stderr).toBe(
      'Imported into secrets.json: 3 added, 0 changed, 0 unchanged, 0 skipped\n',
    );
    expect(await contents(join(t.dir, 'secrets.json'))).toEqual(
      new Map(
        [
          ['A', 'same'],
          ['B', 'new'],
          ['C', 'added'],
          ['app/A', 'same'],
          ['app/B', 'new'],
          ['app/C', 'added'],
        ].map(([n, v]) => [n!, Buffer.from(v!).toString('base64')]),
      ),
    );

    const both = ss('import', 'in.json', '--overwrite', '--skip-existing');
    expect(both.stderr).toBe('error: give --overwrite or --skip-existing, not both\n');
    expect(both.code).toBe(2);
    writeFileSync(join(t.dir, 'in.txt'), 'A=1\n');
    const unknown = ss('import', 'in.txt');
    expect(unknown.stderr).toBe(
      'error: cannot tell the format of in.txt from its name: add --format dotenv, shell, json, yaml or csv\n',
    );
    expect(unknown.code).toBe(2);
    const stdin = runProcess(
      ['-k', 'k.key', 'import', '-', '--format', 'dotenv', '--prefix', 'in_'],
      {
        cwd: t.dir,
        input: "X='from stdin'\n",
      },
    );
    expect(stdin.stderr).toBe(
      'Imported into secrets.json: 1 added, 0 changed, 0 unchanged, 0 skipped\n',
    );
    const bad = ss('import', 'in.txt', '--format', 'json');
    expect(bad.stderr).toBe(
      'error: in.txt is not JSON: unexpected character at line 1, column 1\n',
    );
    expect(bad.code).toBe(1);
  });
});
