// docs/cli.md (messages never hold a word that may be a secret; names escaped for a terminal).
/**
 * Hostile command lines and names, as real processes: a value or password that looks like an
 * option never appears in a message (commander quoted it: `unknown option '-SUPERSECRET6'`), and
 * `--` is suggested; names with ESC sequences, NUL, newlines, C1 controls or bidi overrides are
 * escaped where a person sees them (`list`, error messages, `get --all --format text` on a
 * terminal: test/pty/names.test.ts) while `--format json` and text into a pipe (the reference's
 * bytes) stay exact. Each case has its exit code, and no file changes.
 */
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { mapLimit, type ProcessResult, spawnProcess as runSsclient } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/vaults.js';
import { HOSTILE_NAMES, HOSTILE_NAMES_SORTED, shownOf } from '../helpers/hostile-names.js';

const HOSTILE = join(FIXTURES, 'hostile');
const tmp = tempDir('ssclient-hostile-args-');
afterAll(() => tmp.cleanup());

const PASSWORD = 'password1';
const HIDDEN_OPTION =
  'error: unknown option (not shown: it may be a secret); to give a value that starts with "-", put -- before it (for example ssclient set NAME -- VALUE)\n';
const HIDDEN_COMMAND =
  'error: unknown command (not shown: it may be a secret); see ssclient --help\n';

/** Each name is stored with the value `v<i>`. */
const NAMES = HOSTILE_NAMES;

interface Case {
  label: string;
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  /** Words that must not appear in stdout or stderr. */
  secret?: string[];
}

const sorted = HOSTILE_NAMES_SORTED;

const CASES: Case[] = [
  {
    label: 'a value that looks like an option (set x -SUPERSECRET6)',
    argv: ['-s', 'pw.json', '-p', PASSWORD, 'set', 'x', '-SUPERSECRET6'],
    code: 2,
    stdout: '',
    stderr: HIDDEN_OPTION,
    secret: ['SUPERSECRET6', PASSWORD],
  },
  {
    label: 'the same with --debug',
    argv: ['--debug', '-s', 'pw.json', '-p', PASSWORD, 'set', 'x', '-SUPERSECRET6'],
    code: 2,
    stdout: '',
    stderr: HIDDEN_OPTION,
    secret: ['SUPERSECRET6', PASSWORD],
  },
  {
    label: 'a long option with a value (--SUPERSECRET6=x)',
    argv: ['-s', 'pw.json', '-p', PASSWORD, 'set', 'x', '--SUPERSECRET6=x'],
    code: 2,
    stdout: '',
    stderr: HIDDEN_OPTION,
    secret: ['SUPERSECRET6'],
  },
  {
    label: 'a password where the command goes',
    argv: ['-s', 'pw.json', '--password-file', 'pw.txt', 'hunter2-SECRET', 'x'],
    code: 2,
    stdout: '',
    stderr: HIDDEN_COMMAND,
    secret: ['hunter2-SECRET'],
  },
  {
    label: 'list escapes names',
    argv: ['-s', 'names.json', '-k', 'hostile.key', 'list'],
    code: 0,
    stdout: sorted.map((n) => `${shownOf(n)}\n`).join(''),
    stderr: '',
  },
  {
    label: 'list --format json is exact',
    argv: ['-s', 'names.json', '-k', 'hostile.key', 'list', '--format', 'json'],
    code: 0,
    stdout: `${JSON.stringify(sorted, null, 2)}\n`,
    stderr: '',
  },
  {
    label: 'get --all --format text into a pipe keeps the reference bytes',
    argv: ['-s', 'names.json', '-k', 'hostile.key', 'get', '--all', '--format', 'text'],
    code: 0,
    stdout: sorted.map((n) => `${n}: v${NAMES.indexOf(n)}\n`).join(''),
    stderr: '',
  },
  {
    label: 'import --dry-run escapes the names it lists',
    argv: ['-s', 'names.json', '-k', 'hostile.key', 'import', '--dry-run', 'hostile.json'],
    code: 0,
    stdout: NAMES.map((n) => `unchanged ${shownOf(n)}\n`).join(''),
    stderr: `0 added, 0 changed, ${NAMES.length} unchanged, 0 skipped (dry run: nothing was written to names.json)\n`,
  },
  {
    label: 'a missing name with a C1 control in an error message',
    argv: ['-s', 'names.json', '-k', 'hostile.key', 'get', 'missing\u009b2J'],
    code: 1,
    stdout: '',
    stderr: `error: no secret named "missing\\u009b2J" in names.json\n`,
  },
];

interface Snapshot {
  [name: string]: { bytes: string; mtimeMs: number; mode: number };
}
function snapshot(dir: string): Snapshot {
  const out: Snapshot = {};
  for (const name of readdirSync(dir).sort()) {
    const st = statSync(join(dir, name));
    out[name] = {
      bytes: readFileSync(join(dir, name)).toString('base64'),
      mtimeMs: st.mtimeMs,
      mode: st.mode,
    };
  }
  return out;
}

const results: { before: Snapshot; after: Snapshot; r: ProcessResult }[] = [];

beforeAll(async () => {
  const make = async (dir: string): Promise<void> => {
    copyFileSync(join(HOSTILE, 'hostile.key'), join(dir, 'hostile.key'));
    const pw = await SecretsManager.create({ password: PASSWORD });
    pw.set('x', 'old');
    await pw.saveAs(join(dir, 'pw.json'));
    pw.close();
    writeFileSync(join(dir, 'pw.txt'), `${PASSWORD}\n`);
    const names = await SecretsManager.create({ keyFile: join(dir, 'hostile.key') });
    NAMES.forEach((n, i) => names.set(n, `v${i}`));
    await names.saveAs(join(dir, 'names.json'));
    names.close();
    writeFileSync(
      join(dir, 'hostile.json'),
      JSON.stringify(Object.fromEntries(NAMES.map((n, i) => [n, `v${i}`]))),
    );
  };
  const runs = await mapLimit(CASES, 4, async (c, i) => {
    const dir = join(tmp.dir, String(i));
    mkdirSync(dir);
    await make(dir);
    const before = snapshot(dir);
    const r = await runSsclient(c.argv, { cwd: dir });
    return { before, after: snapshot(dir), r };
  });
  results.push(...runs);
}, 120_000);

describe('hostile command lines and names (real processes)', () => {
  it.each(CASES.map((c, i) => [c.label, i] as const))('%s', (_label, i) => {
    const c = CASES[i]!;
    const { before, after, r } = results[i]!;
    expect({ code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: c.code,
      signal: null,
      stdout: c.stdout,
      stderr: c.stderr,
    });
    for (const word of c.secret ?? []) expect(r.stdout + r.stderr).not.toContain(word);
    expect(after).toEqual(before);
  });

  it('-- before a value that starts with "-" stores it', async () => {
    const dir = join(tmp.dir, 'dashdash');
    mkdirSync(dir);
    const vault = await SecretsManager.create({ password: PASSWORD });
    await vault.saveAs(join(dir, 'pw.json'));
    vault.close();
    const r = await runSsclient(['-s', 'pw.json', '-p', PASSWORD, 'set', 'x', '--', '-SUPER'], {
      cwd: dir,
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const check = await SecretsManager.fromFile(join(dir, 'pw.json'), { password: PASSWORD });
    expect(check.get('x')).toBe('-SUPER');
    check.close();
  });
});

describe('no option-like word is ever printed back (in-process, fast-check)', () => {
  it('set NAME WORD, WORD an unknown option: exit 2, the word nowhere in the output', async () => {
    const dir = join(tmp.dir, 'property');
    mkdirSync(dir);
    const vault = await SecretsManager.create({ password: PASSWORD });
    await vault.saveAs(join(dir, 'pw.json'));
    vault.close();
    const before = snapshot(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('-', '--'),
        // Not a letter of our short options (-s -p -k -V -a -f -h …): upper case but V.
        fc.stringMatching(/^[A-UW-Z][A-Za-z0-9_=]{5,24}$/),
        fc.constantFrom<'value' | 'global'>('value', 'global'),
        async (dashes, word, where) => {
          const secret = `${dashes}${word}`;
          // As the value of `set`, or where a global option goes (a password typed after -p's
          // place).
          const argv =
            where === 'value'
              ? ['-s', 'pw.json', '-p', PASSWORD, 'set', 'x', secret]
              : ['-s', 'pw.json', secret, 'set', 'x', 'v'];
          const r = await runCli(argv, { cwd: dir });
          expect(r.code).toBe(2);
          expect(r.stdout).toBe('');
          expect(
            r.stderr.startsWith('error: unknown option (not shown: it may be a secret);'),
          ).toBe(true);
          expect(r.stderr).not.toContain(word);
        },
      ),
      { numRuns: 200 },
    );
    expect(snapshot(dir)).toEqual(before);
  });
});
