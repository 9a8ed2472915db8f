/**
 * The `get NAME` fast path of src/cli/run.ts: which arguments take it, that it prints exactly
 * what `main` prints (real process with the fast path vs `main` in-process without it), that it
 * never loads commander, and that commands never load what they do not use.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainGet } from '../../src/cli/run.js';
import { KeySource, SecretsManager } from '../../src/index.js';
import { runCli, runProcess, tempDir } from '../helpers/cli.js';

describe('plainGet: which arguments take the fast path', () => {
  const yes: [string[], Record<string, string | boolean>, string][] = [
    [['get', 'a'], {}, 'a'],
    [['-s', 'v.json', '-k', 'k.key', 'get', 'a'], { store: 'v.json', key: 'k.key' }, 'a'],
    [['get', 'a', '-k', 'k.key', '--store', 'v.json'], { store: 'v.json', key: 'k.key' }, 'a'],
    [['--store=v.json', '--keyfile=k.key', 'get', 'a'], { store: 'v.json', key: 'k.key' }, 'a'],
    [['--key-file', 'k.key', 'get', 'a b'], { key: 'k.key' }, 'a b'],
    [['-p', 'pw', 'get', 'get'], { password: 'pw' }, 'get'],
    [
      ['--password-file', 'pw.txt', 'get', 'x', '--debug'],
      { passwordFile: 'pw.txt', debug: true },
      'x',
    ],
  ];
  it.each(yes)('%j takes it (off a terminal)', (argv, opts, name) => {
    expect(plainGet(argv, false)).toEqual({ opts, name });
  });

  const no: string[][] = [
    [],
    ['get'],
    ['set', 'a', 'b'],
    ['a', 'get'],
    ['get', 'a', 'b'],
    ['get', '--all'],
    ['get', '-a'],
    ['get', 'a', '--format', 'text'],
    ['-V'],
    ['--version', 'get', 'a'],
    ['-h', 'get', 'a'],
    ['help', 'get'],
    ['get', '--', 'a'],
    ['-sv.json', 'get', 'a'],
    ['-s', 'a.json', '-s', 'b.json', 'get', 'a'],
    ['-k', 'a.key', '--keyfile', 'b.key', 'get', 'a'],
    ['--store=', 'get', 'a'],
    ['-s', '-k', 'get', 'a'],
    ['--password-file', '-', 'get', 'a'],
    ['--region', 'eu-west-1', '-k', 'k.key', 'get', 'a'],
    ['-k', 'k.key', 'get', '-x'],
    ['-k'],
  ];
  it.each(no.map((argv) => [argv]))('%j does not', (argv) => {
    expect(plainGet(argv, false)).toBeNull();
  });

  it('on a terminal only a key file qualifies (anything else may prompt)', () => {
    expect(plainGet(['-k', 'k.key', 'get', 'a'], true)).toEqual({
      opts: { key: 'k.key' },
      name: 'a',
    });
    expect(plainGet(['get', 'a'], true)).toBeNull();
    expect(plainGet(['-p', 'get', 'a'], true)).toBeNull();
    expect(plainGet(['-k', 'k.key', '-p', 'pw', 'get', 'a'], true)).toBeNull();
    expect(plainGet(['--password-file', 'pw.txt', 'get', 'a'], true)).toBeNull();
  });
});

describe('the fast path prints exactly what main prints', () => {
  let dir = '';
  let cleanup = () => {};
  const KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  beforeAll(async () => {
    const t = tempDir();
    dir = t.dir;
    cleanup = t.cleanup;
    const vault = await SecretsManager.create(KeySource.fromKey(KEY));
    vault.set('plain', 'hello world');
    vault.set('multi', 'line one\nline two\r\n');
    vault.set('empty', '');
    vault.set('ünï 😀', 'ünïcödé ✓');
    vault.set('binary', Uint8Array.from([0xff, 0x00, 0xfe]));
    vault.set('get', 'named like the command');
    await vault.saveAs(join(dir, 'secrets.json'));
    await vault.saveAs(join(dir, 'other.json'));
    await vault.exportKey(join(dir, 'vault.key'));
    vault.close();
    writeFileSync(join(dir, 'wrong.key'), Buffer.alloc(32, 7));
    const pw = await SecretsManager.create({ password: 'correct horse' });
    pw.set('plain', 'from a password vault');
    await pw.saveAs(join(dir, 'pw.json'));
    pw.close();
    writeFileSync(join(dir, 'pw.txt'), 'correct horse\n');
  });
  afterAll(() => cleanup());

  const cases: [string, string[], Record<string, string>?][] = [
    ['a text value', ['-k', 'vault.key', 'get', 'plain']],
    ['a multi-line value', ['-k', 'vault.key', 'get', 'multi']],
    ['an empty value', ['-k', 'vault.key', 'get', 'empty']],
    ['a unicode name and value', ['-k', 'vault.key', 'get', 'ünï 😀']],
    ['a binary value (base64:)', ['-k', 'vault.key', 'get', 'binary']],
    ['a secret named get', ['get', 'get', '--keyfile', 'vault.key']],
    ['--store= and --key-file=', ['--store=other.json', '--key-file=vault.key', 'get', 'plain']],
    ['SSCLIENT_STORE', ['-k', 'vault.key', 'get', 'plain'], { SSCLIENT_STORE: 'other.json' }],
    ['SSCLIENT_KEY', ['get', 'plain'], { SSCLIENT_KEY: 'vault.key' }],
    ['-p PASSWORD', ['-s', 'pw.json', '-p', 'correct horse', 'get', 'plain']],
    ['--password-file', ['-s', 'pw.json', '--password-file', 'pw.txt', 'get', 'plain']],
    [
      'SSCLIENT_PASSWORD',
      ['-s', 'pw.json', 'get', 'plain'],
      { SSCLIENT_PASSWORD: 'correct horse' },
    ],
    ['--debug on success', ['--debug', '-k', 'vault.key', 'get', 'plain']],
    ['a missing secret', ['-k', 'vault.key', 'get', 'nope']],
    ['a wrong key', ['-k', 'wrong.key', 'get', 'plain']],
    ['a wrong password', ['-s', 'pw.json', '-p', 'not it', 'get', 'plain']],
    ['a missing store', ['-s', 'missing.json', '-k', 'vault.key', 'get', 'plain']],
    ['a missing key file', ['-k', 'missing.key', 'get', 'plain']],
    ['no key at all', ['get', 'plain']],
    ['both -p and -k', ['-p', 'x', '-k', 'vault.key', 'get', 'plain']],
  ];
  it.each(cases)('%s', async (_what, argv, env = {}) => {
    const real = runProcess(argv, { cwd: dir, env });
    const inProcess = await runCli(argv, { cwd: dir, env });
    expect(real.stderr).toBe(inProcess.stderr);
    expect(real.stdoutBytes.equals(inProcess.stdoutBytes)).toBe(true);
    expect(real.code).toBe(inProcess.code);
  });

  it('prints the values themselves', () => {
    const get = (name: string) => runProcess(['-k', 'vault.key', 'get', name], { cwd: dir });
    expect(get('plain').stdout).toBe('hello world\n');
    expect(get('multi').stdout).toBe('line one\nline two\r\n\n');
    expect(get('binary').stdout).toBe('base64:/wD+\n');
    expect(get('nope')).toMatchObject({ code: 1, stdout: '' });
  });

  // A resolve hook that makes packages unimportable: a command that still works never loaded them.
  const blocking = (packages: string[]): string[] => {
    const hooks = `export async function resolve(s, c, next) {
      if (${JSON.stringify(packages)}.some((p) => s === p || s.startsWith(p + '/'))) throw new Error('blocked ' + s);
      return next(s, c);
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(
      `data:text/javascript,${encodeURIComponent(hooks)}`,
    )});`;
    return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
  };
  const runBlocked = (packages: string[], argv: string[]) =>
    runProcess(argv, { cwd: dir, env: { NODE_OPTIONS: blocking(packages).join(' ') } });

  it('the fast path never loads commander; failures go through main, which does', () => {
    const ok = runBlocked(['commander'], ['-k', 'vault.key', 'get', 'plain']);
    expect(ok).toMatchObject({ code: 0, stdout: 'hello world\n', stderr: '' });
    const fallback = runBlocked(['commander'], ['-k', 'vault.key', 'get', 'nope']);
    expect(fallback.code).not.toBe(0);
    expect(fallback.stderr).toContain('blocked commander');
  });

  it('get, get --all, set and delete never load the AWS SDK or the prompt library', () => {
    const blocked = ['@aws-sdk', '@smithy', '@inquirer'];
    const cp = (argv: string[]) =>
      runBlocked(blocked, ['-s', 'other.json', '-k', 'vault.key', ...argv]);
    expect(cp(['get', 'plain'])).toMatchObject({ code: 0, stdout: 'hello world\n', stderr: '' });
    expect(cp(['get', '--all', '--format', 'text'])).toMatchObject({ code: 0, stderr: '' });
    expect(cp(['set', 'added', 'value'])).toMatchObject({ code: 0, stderr: '' });
    expect(cp(['get', 'added'])).toMatchObject({ code: 0, stdout: 'value\n' });
    expect(cp(['delete', 'added'])).toMatchObject({ code: 0, stderr: '' });
    expect(cp(['get', 'nope'])).toMatchObject({ code: 1, stdout: '' });
  });
});
