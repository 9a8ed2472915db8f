/**
 * The `get NAME` / `set NAME VALUE` fast path of src/cli/entry.ts: which arguments take it, that
 * it does exactly what `main` does (real process with the fast path vs `main` in-process
 * without it), that it never loads commander, and that commands never load what they do not use.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { fastPathArgs, usesWrappedKey } from '../../src/cli/entry.js';
import { KeySource, SecretsManager } from '../../src/index.js';
import { BIN, runCli, runProcess } from '../helpers/cli.js';
import { PtySession } from '../helpers/pty.js';
import { copyVectors, KEY_ONLY, tempDir } from '../helpers/vaults.js';

const TRACE = fileURLToPath(new URL('../helpers/trace-loads.mjs', import.meta.url));

describe('fastPathArgs: which arguments take the fast path', () => {
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
    expect(fastPathArgs(argv, false)).toEqual({ command: 'get', opts, name });
  });

  it('get --all takes it with json (the default) or text', () => {
    const all = (format: 'json' | 'text', opts: Record<string, string> = {}) => ({
      command: 'get-all',
      opts,
      format,
    });
    expect(fastPathArgs(['get', '--all'], false)).toEqual(all('json'));
    expect(fastPathArgs(['-a', 'get', '-k', 'k.key'], false)).toEqual(
      all('json', { key: 'k.key' }),
    );
    expect(fastPathArgs(['get', '-a', '--format', 'text'], false)).toEqual(all('text'));
    expect(fastPathArgs(['--format=json', 'get', '--all'], false)).toEqual(all('json'));
  });

  it('set NAME VALUE takes it, with the options anywhere', () => {
    expect(fastPathArgs(['-k', 'k.key', 'set', 'a', 'b c'], false)).toEqual({
      command: 'set',
      opts: { key: 'k.key' },
      name: 'a',
      value: 'b c',
    });
    expect(fastPathArgs(['set', '', '', '--store=v.json'], false)).toEqual({
      command: 'set',
      opts: { store: 'v.json' },
      name: '',
      value: '',
    });
  });

  const no: string[][] = [
    [],
    ['get'],
    ['a', 'get'],
    ['get', 'a', 'b'],
    ['get', 'a', '--format', 'text'],
    ['get', 'a', '--all'],
    ['--all'],
    ['set', 'a', 'b', '--all'],
    ['get', '--all', '--all'],
    ['get', '-a', '--format', 'yaml'],
    ['get', '-a', '--format=csv'],
    ['get', '-a', '--format'],
    ['get', '-a', '--format', 'json', '--format', 'text'],
    ['get', '-a', '--only', 'db:*'],
    ['get', '-ak', 'k.key'],
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
    ['set', 'a'],
    ['set', 'a', 'b', 'c'],
    ['set', 'a', '-'],
    ['set', 'a', '--file', 'x'],
    ['set', 'a', 'b', '--', 'c'],
    ['delete', 'a'],
    ['remove', 'a'],
    ['create', 'v.json'],
    ['export-key', 'k.key'],
  ];
  it.each(no.map((argv) => [argv]))('%j does not', (argv) => {
    expect(fastPathArgs(argv, false)).toBeNull();
  });

  it('on a terminal only a key file qualifies (anything else may prompt)', () => {
    expect(fastPathArgs(['-k', 'k.key', 'get', 'a'], true)).toEqual({
      command: 'get',
      opts: { key: 'k.key' },
      name: 'a',
    });
    expect(fastPathArgs(['-k', 'k.key', 'set', 'a', 'b'], true)).toEqual({
      command: 'set',
      opts: { key: 'k.key' },
      name: 'a',
      value: 'b',
    });
    expect(fastPathArgs(['get', 'a'], true)).toBeNull();
    expect(fastPathArgs(['set', 'a', 'b'], true)).toBeNull();
    expect(fastPathArgs(['-p', 'get', 'a'], true)).toBeNull();
    expect(fastPathArgs(['-k', 'k.key', '-p', 'pw', 'get', 'a'], true)).toBeNull();
    expect(fastPathArgs(['--password-file', 'pw.txt', 'get', 'a'], true)).toBeNull();
  });
});

describe('the fast path does exactly what main does', () => {
  let dir = '';
  let cleanup = () => {};
  const KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  beforeAll(async () => {
    const t = tempDir();
    dir = t.dir;
    cleanup = t.cleanup;
    const vault = await SecretsManager.create(KeySource.fromKey(KEY), { seal: false });
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
    const empty = await SecretsManager.create(KeySource.fromKey(KEY));
    await empty.saveAs(join(dir, 'empty.json'));
    empty.close();
    // One secret's MAC broken: get --all must print nothing and fail.
    const text = readFileSync(join(dir, 'secrets.json'), 'utf8');
    const at = text.indexOf('"hmac": "', text.indexOf('"plain"')) + 9;
    const flipped = text[at] === 'A' ? 'B' : 'A';
    writeFileSync(join(dir, 'damaged.json'), text.slice(0, at) + flipped + text.slice(at + 1));
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
    ['a glob-like name that is not there', ['-k', 'vault.key', 'get', 'db:*']],
    ['get --all (json)', ['-k', 'vault.key', 'get', '--all']],
    ['get -a --format text', ['get', '-a', '--format', 'text', '-k', 'vault.key']],
    ['get --all --format=json', ['-k', 'vault.key', 'get', '--all', '--format=json']],
    ['get --all of an empty vault', ['-s', 'empty.json', '-k', 'vault.key', 'get', '--all']],
    [
      'get --all --format text, empty',
      ['-s', 'empty.json', '-k', 'vault.key', 'get', '-a', '--format', 'text'],
    ],
    ['get --all with a damaged secret', ['-s', 'damaged.json', '-k', 'vault.key', 'get', '--all']],
    ['get --all, wrong key', ['-k', 'wrong.key', 'get', '--all']],
    [
      'get --all --format yaml (not on the fast path)',
      ['-k', 'vault.key', 'get', '--all', '--format', 'yaml'],
    ],
    ['a store that is not a vault', ['-s', 'pw.txt', '-k', 'vault.key', 'get', 'plain']],
  ];
  it.each(cases)('%s', async (_what, argv, env = {}) => {
    const real = runProcess(argv, { cwd: dir, env });
    const inProcess = await runCli(argv, { cwd: dir, env });
    expect(real.stderr).toBe(inProcess.stderr);
    expect(real.stdoutBytes.equals(inProcess.stdoutBytes)).toBe(true);
    expect(real.code).toBe(inProcess.code);
  });

  const setCases: [string, string[], Record<string, string>?][] = [
    ['a new secret', ['-k', 'vault.key', 'set', 'new', 'value']],
    ['an existing secret', ['set', 'plain', 'changed', '-k', 'vault.key']],
    ['an empty name and value', ['-k', 'vault.key', 'set', '', '']],
    ['a unicode name and a multi-line value', ['-k', 'vault.key', 'set', 'ключ 🔑', 'a\nb\r\n']],
    [
      'a password vault',
      ['-p', 'correct horse', 'set', 'plain', 'x'],
      { SSCLIENT_STORE: 'pw.json' },
    ],
    ['a wrong key (nothing written)', ['-k', 'wrong.key', 'set', 'plain', 'x']],
    ['a missing store', ['-s', 'missing.json', '-k', 'vault.key', 'set', 'a', 'b']],
  ];
  it.each(setCases)('set: %s', async (_what, argv, env = {}) => {
    // The same starting vault for both; the fast path (real process) and main (in-process).
    for (const f of ['secrets.json', 'pw.json']) copyFileSync(join(dir, f), join(dir, `${f}.orig`));
    const real = runProcess(argv, { cwd: dir, env });
    const afterReal = {
      vault: readFileSync(join(dir, 'secrets.json')),
      pw: readFileSync(join(dir, 'pw.json')),
    };
    for (const f of ['secrets.json', 'pw.json']) copyFileSync(join(dir, `${f}.orig`), join(dir, f));
    const inProcess = await runCli(argv, { cwd: dir, env });
    expect(real.stderr).toBe(inProcess.stderr);
    expect(real.stdout).toBe(inProcess.stdout);
    expect(real.code).toBe(inProcess.code);
    // Same secrets afterwards (the new blob has a fresh iv, so compare plaintexts and names).
    const key = { key: KEY };
    const a = await SecretsManager.fromJSON(afterReal.vault, key);
    const b = await SecretsManager.fromFile(join(dir, 'secrets.json'), key);
    expect([...a.getAllBytes()]).toEqual([...b.getAllBytes()]);
    const pwA = await SecretsManager.fromJSON(afterReal.pw, { password: 'correct horse' });
    const pwB = await SecretsManager.fromFile(join(dir, 'pw.json'), { password: 'correct horse' });
    expect([...pwA.getAllBytes()]).toEqual([...pwB.getAllBytes()]);
    for (const f of ['secrets.json', 'pw.json']) copyFileSync(join(dir, `${f}.orig`), join(dir, f));
    for (const m of [a, b, pwA, pwB]) m.close();
  });

  it('set on a locked vault: the fast path does not wait, main waits for the lock', async () => {
    copyFileSync(join(dir, 'secrets.json'), join(dir, 'locked.json'));
    const lock = join(dir, 'locked.json.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() }));
    const child = spawn(
      process.execPath,
      [BIN, '-s', 'locked.json', '-k', 'vault.key', 'set', 'w', 'v'],
      {
        cwd: dir,
        env: { PATH: process.env.PATH },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.stdin.end();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('set did not finish within 20 s'));
      }, 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
      setTimeout(() => rmSync(lock), 1_000);
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const vault = await SecretsManager.fromFile(join(dir, 'locked.json'), { key: KEY });
    expect(vault.get('w')).toBe('v');
    vault.close();
  });

  it('prints the values themselves', () => {
    const get = (name: string) => runProcess(['-k', 'vault.key', 'get', name], { cwd: dir });
    expect(get('plain').stdout).toBe('hello world\n');
    expect(get('multi').stdout).toBe('line one\nline two\r\n\n');
    expect(get('binary').stdout).toBe('base64:/wD+\n');
    expect(get('nope')).toMatchObject({ code: 1, stdout: '' });
    const all = runProcess(['-k', 'vault.key', 'get', '--all', '--format', 'text'], { cwd: dir });
    expect(all.stdout).toBe(
      'binary: base64:/wD+\nempty: \nget: named like the command\nmulti: line one\nline two\r\n\n' +
        'plain: hello world\nünï 😀: ünïcödé ✓\n',
    );
    const damaged = runProcess(['-s', 'damaged.json', '-k', 'vault.key', 'get', '--all'], {
      cwd: dir,
    });
    expect(damaged).toMatchObject({ code: 1, stdout: '' });
    expect(damaged.stderr).toMatch(/^error: .*"plain".*integrity/);
  });

  // Packages made unloadable, by `import` or `require` (test/helpers/trace-loads.mjs): a command
  // that still works never loaded them.
  const runBlocked = (packages: string[], argv: string[], env: Record<string, string> = {}) =>
    runProcess(argv, {
      cwd: dir,
      env: { ...env, BLOCK_PACKAGES: packages.join(',') },
      nodeArgs: ['--import', pathToFileURL(TRACE).href],
    });

  it('the fast path (get, get --all, set) never loads commander, nor when it fails; a busy vault goes through main, which does', () => {
    const ok = runBlocked(['commander'], ['-k', 'vault.key', 'get', 'plain']);
    expect(ok).toMatchObject({ code: 0, stdout: 'hello world\n', stderr: '' });
    const set = runBlocked(['commander'], ['-s', 'other.json', '-k', 'vault.key', 'set', 'f', 'v']);
    expect(set).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(
      runBlocked(['commander'], ['-s', 'other.json', '-k', 'vault.key', 'get', 'f']),
    ).toMatchObject({
      code: 0,
      stdout: 'v\n',
    });
    const all = runBlocked(['commander'], ['-k', 'vault.key', 'get', '--all', '--format', 'text']);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(all.stdout).toContain('plain: hello world\n');
    // A missing secret or a wrong key is reported by the fast path itself: the key is derived once.
    const missing = runBlocked(['commander'], ['-k', 'vault.key', 'get', 'nope']);
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: no secret named "nope" in secrets.json\n',
    });
    const wrong = runBlocked(['commander'], ['-p', 'not the password', 'get', 'plain']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: [^\n]*secrets\.json[^\n]*\n$/);
    // A glob-like name that is not a secret is the workflow's wildcard: main handles it.
    const glob = runBlocked(['commander'], ['-k', 'vault.key', 'get', 'pl*']);
    expect(glob.code).not.toBe(0);
    expect(glob.stderr).toContain('blocked commander');
    // A held lock: the fast path tries once, then main waits for it.
    writeFileSync(
      join(dir, 'secrets.json.lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() }),
    );
    try {
      const busy = runBlocked(['commander'], ['-k', 'vault.key', 'set', 'plain', 'x']);
      expect(busy.code).not.toBe(0);
      expect(busy.stderr).toContain('blocked commander');
    } finally {
      rmSync(join(dir, 'secrets.json.lock'), { force: true });
    }
  });

  it('a KMS-wrapped key file (-k or SSCLIENT_KEY) skips the fast path, so a failed KMS call is never made twice', () => {
    writeFileSync(join(dir, 'wrapped.key'), '\n  {"format": "securestore-kms-wrapped-key"}\n');
    for (const [argv, env] of [
      [['-k', 'wrapped.key', 'get', 'plain'], {}],
      [['get', 'plain'], { SSCLIENT_KEY: 'wrapped.key' }],
      [['-k', 'wrapped.key', 'set', 'plain', 'x'], {}],
    ] as const) {
      const res = runBlocked(['commander'], [...argv], env);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('blocked commander');
    }
    const ctx = (env: Record<string, string> = {}) =>
      new Context({
        stdout: { write: () => true },
        stderr: { write: () => true },
        stdinIsTTY: false,
        readStdin: async () => new Uint8Array(),
        env,
        cwd: dir,
        prompter: {
          secret: async () => '',
          confirm: async () => false,
        },
      });
    expect(usesWrappedKey(ctx(), { key: 'wrapped.key' })).toBe(true);
    expect(usesWrappedKey(ctx(), { key: join(dir, 'wrapped.key') })).toBe(true);
    expect(usesWrappedKey(ctx({ SSCLIENT_KEY: 'wrapped.key' }), {})).toBe(true);
    // As Context.keySource: -k, then -p/--password-file, then SSCLIENT_KEY, SSCLIENT_PASSWORD.
    expect(usesWrappedKey(ctx({ SSCLIENT_KEY: 'wrapped.key' }), { password: 'x' })).toBe(false);
    expect(usesWrappedKey(ctx({ SSCLIENT_KEY: 'vault.key' }), { key: 'wrapped.key' })).toBe(true);
    expect(usesWrappedKey(ctx(), { key: 'vault.key' })).toBe(false);
    expect(usesWrappedKey(ctx(), { key: 'missing.key' })).toBe(false);
    expect(usesWrappedKey(ctx(), {})).toBe(false);
    writeFileSync(join(dir, 'brace-later.key'), `${'x'.repeat(40)}{`);
    expect(usesWrappedKey(ctx(), { key: 'brace-later.key' })).toBe(false);
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

describe('the fast path with a project file (.ssclient.json)', () => {
  let dir = '';
  let cleanup = () => {};
  const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 100);

  beforeAll(async () => {
    const t = tempDir();
    dir = t.dir;
    cleanup = t.cleanup;
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, 'config'));
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    const vault = await SecretsManager.create(KeySource.fromKey(KEY));
    vault.set('db', 'from the project vault');
    await vault.saveAs(join(dir, 'config', 'secrets.json'));
    await vault.exportKey(join(dir, 'config', 'secrets.key'));
    vault.close();
    writeFileSync(
      join(dir, '.ssclient.json'),
      JSON.stringify({ store: 'config/secrets.json', key: 'config/secrets.key' }),
    );
  });
  afterAll(() => cleanup());

  const same = async (argv: string[], cwd: string, env: Record<string, string> = {}) => {
    const real = runProcess(argv, { cwd, env });
    const inProcess = await runCli(argv, { cwd, env });
    expect(real.stderr).toBe(inProcess.stderr);
    expect(real.stdout).toBe(inProcess.stdout);
    expect(real.code).toBe(inProcess.code);
    return real;
  };

  it('a bare get NAME reads the store and key the project file names, from any subdirectory', async () => {
    const sub = join(dir, 'sub', 'deeper');
    expect(await same(['get', 'db'], sub)).toMatchObject({
      code: 0,
      stdout: 'from the project vault\n',
      stderr: '',
    });
    expect((await same(['get', 'nope'], sub)).code).toBe(1);
    expect((await same(['set', 'db', 'changed'], sub)).code).toBe(0);
    expect((await same(['get', 'db'], sub)).stdout).toBe('changed\n');
  });

  it('a note about an ignored project file is printed once, whether the fast path succeeds or falls back', async () => {
    const other = join(dir, 'sub');
    writeFileSync(join(other, '.ssclient.json'), '{}');
    chmodSync(join(other, '.ssclient.json'), 0o666);
    try {
      const ok = await same(
        ['-s', '../config/secrets.json', '-k', '../config/secrets.key', 'get', 'db'],
        other,
      );
      expect(ok.code).toBe(0);
      const failed = await same(
        ['-s', '../config/secrets.json', '-k', '../config/secrets.key', 'get', 'x'],
        other,
      );
      expect(failed.code).toBe(1);
      // Whatever main prints about the file, it appears exactly as often as main prints it.
      expect(failed.stderr.split('.ssclient.json').length).toBe(
        ok.stderr.split('.ssclient.json').length,
      );
    } finally {
      rmSync(join(other, '.ssclient.json'));
    }
  });

  it('a KMS-wrapped key named by the project file also skips the fast path', () => {
    writeFileSync(join(dir, 'config', 'wrapped.key'), '{"format": "wrapped"}');
    writeFileSync(
      join(dir, 'sub', '.ssclient.json'),
      JSON.stringify({ key: '../config/wrapped.key' }),
    );
    try {
      const ctx = new Context({
        stdout: { write: () => true },
        stderr: { write: () => true },
        stdinIsTTY: false,
        readStdin: async () => new Uint8Array(),
        env: {},
        cwd: join(dir, 'sub'),
        prompter: { secret: async () => '', confirm: async () => false },
      });
      expect(usesWrappedKey(ctx, {})).toBe(true);
      expect(usesWrappedKey(ctx, { password: 'pw' })).toBe(false);
      expect(usesWrappedKey(ctx, { key: '../config/secrets.key' })).toBe(false);
    } finally {
      rmSync(join(dir, 'sub', '.ssclient.json'));
    }
  });
});

describe('the fast path on a real terminal (tmux)', () => {
  const sessions: PtySession[] = [];
  let dir = '';
  let cleanup = () => {};
  beforeAll(() => {
    const t = tempDir('ssclient-fast-pty-');
    dir = t.dir;
    cleanup = t.cleanup;
    copyVectors(dir, KEY_ONLY);
  });
  afterAll(() => {
    for (const s of sessions) s.kill();
    cleanup();
  });
  const start = (argv: string[]): PtySession => {
    const s = PtySession.start(argv, { cwd: dir });
    sessions.push(s);
    return s;
  };

  it('-k KEY set and get: no prompt, the value on the screen, exit 0', async () => {
    const set = start(['-k', 'k.key', 'set', 'typed', 'on a terminal']);
    expect(await set.exitCode()).toBe(0);
    expect(set.screen()).not.toMatch(/Password|error/);
    const get = start(['-k', 'k.key', 'get', 'typed']);
    expect(await get.exitCode()).toBe(0);
    expect(get.screen()).toContain('on a terminal');
    expect(get.screen()).not.toMatch(/Password|error/);
  });

  it('-k KEY get of a missing secret: the full CLI reports it in red, once', async () => {
    const get = start(['-k', 'k.key', 'get', 'missing']);
    expect(await get.exitCode()).toBe(1);
    const screen = get.screen(true);
    expect(screen.split('no secret named "missing"').length).toBe(2);
    expect(screen).toContain('\x1b[31merror:\x1b[39m no secret named "missing" in secrets.json');
  });
});
