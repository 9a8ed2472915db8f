/**
 * Export formats round-tripped through their consumers over fast-check-generated hostile values:
 * dotenv and shell sourced by a real bash, yaml read by the yaml library, csv by csv-parse.
 * First the formatters alone (many runs), then `ssclient get --all --format …` as a real process.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { toEnvValues } from '../../src/workflow/env-values.js';
import {
  dotenvQuote,
  formatCsv,
  formatDotenv,
  formatShell,
  formatYaml,
} from '../../src/workflow/export-formats.js';
import { runProcess } from '../helpers/cli.js';
import { hostileText } from '../helpers/arbitraries.js';
import { makeVault, tempDir } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Variable-safe, distinct names (a prefix keeps bash's own variables out of the way). */
const envEntries = fc.uniqueArray(
  fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/), hostileText),
  { selector: ([n]) => n, minLength: 1, maxLength: 8 },
);

/** Any names (hostile too), distinct. */
const anyEntries = fc.uniqueArray(fc.tuple(hostileText, hostileText), {
  selector: ([n]) => n,
  maxLength: 8,
});

/**
 * Sources `file` in a clean `bash` (`set -a; . file`) and returns every variable it exported that
 * bash does not set itself, read back with `env -0`.
 */
function sourceInBash(file: string): Map<string, string> {
  const r = spawnSync(
    'env',
    [
      '-i',
      'bash',
      '--noprofile',
      '--norc',
      '-c',
      'set -a; . "$1" || exit 99; env -0',
      'bash',
      file,
    ],
    { timeout: 10_000 },
  );
  if (r.error) throw r.error;
  expect(r.stderr.toString()).toBe('');
  expect(r.status).toBe(0);
  const out = new Map<string, string>();
  for (const entry of r.stdout.toString('utf8').split('\0')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq);
    if (!['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name)) out.set(name, entry.slice(eq + 1));
  }
  return out;
}

describe('formatters against their consumers', () => {
  let t = { dir: '', cleanup: () => {} };
  beforeAll(() => {
    t = tempDir('ssclient-export-');
  });
  afterAll(() => t.cleanup());

  for (const [label, format] of [
    ['shell', formatShell],
    ['dotenv', formatDotenv],
  ] as const) {
    it(`${label}: bash reads back every value exactly`, () => {
      fc.assert(
        fc.property(envEntries, (entries) => {
          // dotenv refuses what one of its readers would misread (export-formats.property.test.ts);
          // every value it writes, bash reads back exactly.
          const written = entries.filter(
            ([, v]) => label === 'shell' || typeof dotenvQuote(v) === 'string',
          );
          const values = toEnvValues(
            written.map(([name, value]) => ({ name, bytes: utf8(value) })),
            { prefix: 'T_' },
          );
          const file = join(t.dir, `${label}.env`);
          writeFileSync(file, format(values));
          const expected = new Map(written.map(([n, v]) => [`T_${n}`, v]));
          expect(sourceInBash(file)).toEqual(expected);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('dotenv: plain single quotes when possible, double quotes for a lone quote', () => {
    const values = toEnvValues(
      [
        { name: 'a', bytes: utf8('plain $x "q" \\n') },
        { name: 'b', bytes: utf8("it's") },
        { name: 'c', bytes: utf8("it's $HOME") },
        { name: 'd', bytes: utf8('') },
      ],
      {},
    );
    // C was written 'it'\''s $HOME', which npm dotenv and python-dotenv misread: now refused.
    expect(() => formatDotenv(values)).toThrow(
      /^secret "c" \(it holds ' together with ", \\, \$ or a backtick\) cannot be written in --format dotenv/,
    );
    expect(formatDotenv(values.filter((v) => v.name !== 'c'))).toBe(
      `A='plain $x "q" \\n'\nB="it's"\nD=''\n`,
    );
    expect(formatShell(values)).toBe(
      `export A='plain $x "q" \\n'\nexport B='it'\\''s'\nexport C='it'\\''s $HOME'\nexport D=''\n`,
    );
  });

  it('yaml: the yaml library reads back every name and value (binary as !!binary)', async () => {
    const value = fc.oneof(
      hostileText.map(utf8),
      fc.uint8Array({ maxLength: 40 }).filter((b) => !isUtf8(b)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(hostileText, value), { selector: ([n]) => n, maxLength: 8 }),
        async (entries) => {
          const text = await formatYaml(entries.map(([name, bytes]) => ({ name, bytes })));
          const back = parseYaml(text, { customTags: ['binary'], mapAsMap: true }) as Map<
            string,
            string | Uint8Array
          >;
          expect([...back.keys()]).toEqual(entries.map(([n]) => n));
          for (const [name, bytes] of entries) {
            const got = back.get(name);
            if (isUtf8(bytes)) expect(got).toBe(Buffer.from(bytes).toString('utf8'));
            else expect(Buffer.from(got as Uint8Array)).toEqual(Buffer.from(bytes));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('yaml: quoted so that YAML 1.1 readers see strings, not booleans or numbers', async () => {
    expect(
      await formatYaml([
        { name: 'yes', bytes: utf8('no') },
        { name: 'n', bytes: utf8('1e3') },
      ]),
    ).toBe('"yes": "no"\n"n": "1e3"\n');
    expect(await formatYaml([])).toBe('{}\n');
  });

  it('csv: csv-parse reads back every record (RFC 4180: quoted fields, CRLF)', () => {
    fc.assert(
      fc.property(anyEntries, (entries) => {
        const text = formatCsv(entries.map(([name, v]) => ({ name, bytes: utf8(v) })));
        const rows = parseCsv(text, { bom: false, relax_quotes: false }) as string[][];
        expect(rows).toEqual([['name', 'value'], ...entries]);
      }),
      { numRuns: 300 },
    );
  });

  it('csv --escape-formulas: a leading = + - @ tab or CR gets a quote, nothing else changes', () => {
    fc.assert(
      fc.property(anyEntries, (entries) => {
        const text = formatCsv(
          entries.map(([name, v]) => ({ name, bytes: utf8(v) })),
          { escapeFormulas: true },
        );
        const guard = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
        const rows = parseCsv(text) as string[][];
        expect(rows).toEqual([['name', 'value'], ...entries.map(([n, v]) => [guard(n), guard(v)])]);
      }),
      { numRuns: 200 },
    );
    expect(
      formatCsv([{ name: 'f', bytes: utf8('=HYPERLINK("http://x","y")') }], {
        escapeFormulas: true,
      }),
    ).toBe(`name,value\r\n"f","'=HYPERLINK(""http://x"",""y"")"\r\n`);
  });
});

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('ssclient get --all --format … as a real process', () => {
  it('shell and dotenv output, sourced by bash, give back the vault', async () => {
    const t = tempDir('ssclient-export-');
    cleanup = t.cleanup;
    await fc.assert(
      fc.asyncProperty(envEntries, async (entries) => {
        await makeVault(t.dir, entries);
        const refused = entries.filter(([, v]) => typeof dotenvQuote(v) !== 'string');
        for (const format of ['shell', 'dotenv']) {
          const r = runProcess(
            [
              '-k',
              'k.key',
              'get',
              '--all',
              '--format',
              format,
              '--prefix',
              'T_',
              '--env-name-style',
              'keep',
            ],
            { cwd: t.dir },
          );
          if (format === 'dotenv' && refused.length > 0) {
            // Refused by name, one line, nothing on stdout (export-formats.property.test.ts).
            expect(r.code).toBe(1);
            expect(r.stdout).toBe('');
            expect(r.stderr.split('\n')).toHaveLength(2);
            for (const [n] of refused) expect(r.stderr).toContain(JSON.stringify(n));
            continue;
          }
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          const file = join(t.dir, `out.${format}`);
          writeFileSync(file, r.stdoutBytes);
          expect(sourceInBash(file)).toEqual(new Map(entries.map(([n, v]) => [`T_${n}`, v])));
        }
      }),
      { numRuns: 6 },
    );
  });

  it('yaml and csv output, read by their parsers, give back the vault', async () => {
    const t = tempDir('ssclient-export-');
    cleanup = t.cleanup;
    await fc.assert(
      fc.asyncProperty(anyEntries, async (entries) => {
        await makeVault(t.dir, entries);
        const sorted = [...entries].sort((a, b) => Buffer.compare(utf8(a[0]), utf8(b[0])));
        const yaml = runProcess(['-k', 'k.key', 'get', '--all', '--format', 'yaml'], {
          cwd: t.dir,
        });
        expect(yaml.code).toBe(0);
        expect([...(parseYaml(yaml.stdout, { mapAsMap: true }) as Map<string, string>)]).toEqual(
          sorted,
        );
        const csv = runProcess(['-k', 'k.key', 'get', '--all', '--format', 'csv'], { cwd: t.dir });
        expect(csv.code).toBe(0);
        expect(parseCsv(csv.stdout)).toEqual([['name', 'value'], ...sorted]);
      }),
      { numRuns: 6 },
    );
  });

  it('binary values: yaml writes !!binary; dotenv, shell and csv refuse unless --binary base64', async () => {
    const t = tempDir('ssclient-export-');
    cleanup = t.cleanup;
    const bin = Uint8Array.of(0, 0xff, 0x80, 0x0a);
    await makeVault(t.dir, [
      ['bin', bin],
      ['txt', 'hi'],
    ]);
    const get = (...a: string[]) =>
      runProcess(['-k', 'k.key', 'get', '--all', ...a], { cwd: t.dir });
    expect(get('--format', 'yaml').stdout).toBe('"bin": !!binary |-\n  AP+ACg==\n"txt": "hi"\n');
    for (const format of ['shell', 'dotenv', 'csv']) {
      const r = get('--format', format);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    }
    expect(get('--format', 'shell').stderr).toBe(
      'error: secret "bin" is binary (not UTF-8 text, or holding a NUL byte), which a variable cannot hold: add --binary base64 to pass it base64-encoded, or leave it out with --only\n',
    );
    expect(get('--format', 'csv').stderr).toBe(
      'error: "bin" is binary (not UTF-8 text): add --binary base64 to write base64, or leave it out with --only\n',
    );
    expect(get('--format', 'shell', '--binary', 'base64').stdout).toBe(
      "export BIN='AP+ACg=='\nexport TXT='hi'\n",
    );
    expect(get('--format', 'csv', '--binary', 'base64').stdout).toBe(
      'name,value\r\n"bin","AP+ACg=="\r\n"txt","hi"\r\n',
    );
  });

  it('names that collide as variables are refused; --escape-formulas only with csv', async () => {
    const t = tempDir('ssclient-export-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [
      ['a.b', '1'],
      ['a-b', '2'],
    ]);
    const r = runProcess(['-k', 'k.key', 'get', '--all', '--format', 'dotenv'], { cwd: t.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: cannot turn secret names into environment variables: "a-b" and "a.b" both become A_B (leave names out with --only, add a --prefix, or rename the secrets)\n',
    );
    const e = runProcess(['-k', 'k.key', 'get', '--all', '--escape-formulas'], { cwd: t.dir });
    expect(e.code).toBe(2);
    expect(e.stderr).toBe('error: --escape-formulas goes with --format csv\n');
    const bad = runProcess(['-k', 'k.key', 'get', '--all', '--format', 'xml'], { cwd: t.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'error: unknown format "xml": use json, text, dotenv, shell, yaml, csv\n',
    );
  });

  it('json and text are unchanged', async () => {
    const t = tempDir('ssclient-export-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [['a', 'one']]);
    expect(
      runProcess(['-k', 'k.key', 'get', '-a', '--format', 'text'], { cwd: t.dir }).stdout,
    ).toBe('a: one\n');
    expect(runProcess(['-k', 'k.key', 'get', '-a'], { cwd: t.dir }).stdout).toBe(
      '[\n  {\n    "key": "a",\n    "value": "one"\n  }\n]\n',
    );
  });
});
