// docs/cli.md (secrets on the command line; set on a terminal).
/**
 * On a terminal: a secret given as an argument (`set NAME VALUE`, `-p VALUE`) is pointed out
 * once on stderr with the safe alternatives, and off a terminal scripts stay silent; `set`
 * without a value checks the password or key before it asks for the value, so nobody types a
 * secret for nothing.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/terminal.js';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../helpers/vaults.js';
import { VECTORS } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const PW = 'correct horse battery staple';

function dir(): string {
  const t = tempDir('ssclient-notices-');
  cleanups.push(t.cleanup);
  copyFileSync(join(VECTORS, '01-password-only.json'), join(t.dir, 'pw.json'));
  copyFileSync(join(VECTORS, '03-key-only.json'), join(t.dir, 'secrets.json'));
  copyFileSync(join(VECTORS, '03-key-only.key'), join(t.dir, 'k.key'));
  copyFileSync(join(VECTORS, '05-unicode-values.key'), join(t.dir, 'other.key'));
  return t.dir;
}

/** Runs `main` with stdin and stderr each a terminal or not; prompts answered from `secrets`. */
async function run(
  argv: string[],
  cwd: string,
  tty: { stdin: boolean; stderr: boolean },
  secrets: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string; prompts: string[] }> {
  let stdout = '';
  let stderr = '';
  const prompts: string[] = [];
  const io: CliIo = {
    stdout: { write: (c) => (stdout += c.toString()) },
    stderr: { write: (c) => (stderr += c.toString()), isTTY: tty.stderr },
    stdinIsTTY: tty.stdin,
    readStdin: async () => new Uint8Array(),
    // Plain `error:` on the terminal, so the messages compare as text.
    env: { NO_COLOR: '1' },
    cwd,
    prompter: {
      secret: async (message) => {
        prompts.push(message);
        const answer = secrets.shift();
        if (answer === undefined) throw new Error(`unexpected prompt ${message}`);
        return answer;
      },
      confirm: () => Promise.reject(new Error('no confirmation expected')),
    },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, prompts };
}

const WARN_VALUE =
  'warning: a secret value on the command line can be read by other users in the process list (ps) while ssclient runs; instead use for the value a prompt (leave it out), stdin or --file PATH\n';
const WARN_PASSWORD =
  'warning: a password on the command line can be read by other users in the process list (ps) while ssclient runs; instead use for the password --password-file PATH or SSCLIENT_PASSWORD\n';
const WARN_BOTH =
  'warning: a password and a secret value on the command line can be read by other users in the process list (ps) while ssclient runs; instead use for the password --password-file PATH or SSCLIENT_PASSWORD; for the value a prompt (leave it out), stdin or --file PATH\n';

describe('a secret on the command line', () => {
  it('set NAME VALUE on a terminal: one warning, and the value is stored', async () => {
    const cwd = dir();
    const r = await run(['-k', 'k.key', 'set', 'n', 'v'], cwd, { stdin: true, stderr: true });
    expect(r).toEqual({ code: 0, stdout: '', stderr: WARN_VALUE, prompts: [] });
  });

  it('-p PASSWORD (stdin not a terminal, stderr one): a warning for get', async () => {
    const cwd = dir();
    const r = await run(['-s', 'pw.json', '-p', PW, 'get', 'db_password'], cwd, {
      stdin: false,
      stderr: true,
    });
    expect(r).toEqual({ code: 0, stdout: 'pgsql123\n', stderr: WARN_PASSWORD, prompts: [] });
  });

  it('-p PASSWORD set NAME VALUE: one warning naming both', async () => {
    const cwd = dir();
    const r = await run(['-s', 'pw.json', '-p', PW, 'set', 'n', 'v'], cwd, {
      stdin: false,
      stderr: true,
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: WARN_BOTH, prompts: [] });
  });

  it('off a terminal: silent, as scripts expect', async () => {
    const cwd = dir();
    const off = { stdin: false, stderr: false };
    expect(await run(['-s', 'pw.json', '-p', PW, 'set', 'n', 'v'], cwd, off)).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
      prompts: [],
    });
    expect(await run(['-k', 'k.key', 'set', 'n', 'v'], cwd, off)).toMatchObject({ stderr: '' });
  });

  it('no warning when nothing secret is on the command line', async () => {
    const cwd = dir();
    const r = await run(['-k', 'k.key', 'get', 'n2'], cwd, { stdin: true, stderr: true });
    expect(r.stderr).toBe('');
  });
});

describe('set on a terminal checks the key before asking for the value', () => {
  it('a wrong password: refused after the password prompt, the value never asked', async () => {
    const cwd = dir();
    const before = readFileSync(join(cwd, 'pw.json'));
    const r = await run(['-s', 'pw.json', '-p', 'set', 'n'], cwd, { stdin: true, stderr: true }, [
      'not the password',
    ]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: wrong password for ${join(cwd, 'pw.json')} (password does not open it); the password came from the prompt ("ssclient config" shows where each setting comes from)\n`,
      prompts: ['Password:'],
    });
    expect(readFileSync(join(cwd, 'pw.json'))).toEqual(before);
  });

  it('a key file that does not open the vault: refused before any prompt', async () => {
    const cwd = dir();
    const r = await run(['-k', 'other.key', 'set', 'n'], cwd, { stdin: true, stderr: true });
    expect(r.prompts).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: wrong key for \S*secrets\.json \(/);
  });

  it('the right password: asked once, then the value, and it is stored', async () => {
    const cwd = dir();
    const r = await run(['-s', 'pw.json', '-p', 'set', 'n'], cwd, { stdin: true, stderr: true }, [
      PW,
      'typed value',
    ]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '', prompts: ['Password:', 'Value:'] });
    const get = await run(['-s', 'pw.json', '-p', 'get', 'n'], cwd, { stdin: true, stderr: true }, [
      PW,
    ]);
    expect(get.stdout).toBe('typed value\n');
  });
});
