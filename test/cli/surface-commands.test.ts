/**
 * The reference commands (spec/cli.md §2): create, set, get, delete/remove, export-key, exit
 * codes, --debug, and no secret in any message. Each case in-process and as a real process
 * (test/helpers/surface.ts).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../helpers/cli.js';
import { both, cleanUp, cleanups, expectRun, open, PW, type Run } from '../helpers/surface.js';
import { SEALED_EMPTY_EXTRA } from '../helpers/sealed-docs.js';
import { copyVectors, tempDir, VECTORS } from '../helpers/vaults.js';

afterEach(cleanUp);

describe('create', () => {
  it('create -p PASSWORD without STORE makes secrets.json (the documented default)', async () => {
    const t = tempDir('ssclient-surface-');
    cleanups.push(t.cleanup);
    for (const [i, argv] of [
      ['create', '-p', PW],
      ['-p', PW, 'create'],
    ].entries()) {
      const dir = join(t.dir, String(i));
      mkdirSync(dir);
      const r = i === 0 ? await runCli(argv, { cwd: dir }) : runProcess(argv, { cwd: dir });
      expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
      // The reference's 256-byte vault, then our seal (spec/seal.md §3: ssclient create seals).
      const file = readFileSync(join(dir, 'secrets.json'), 'utf8');
      const seal = file.indexOf(',\n  "seal": {');
      expect(Buffer.byteLength(file.slice(0, seal)) + 2).toBe(256);
      expect(statSync(join(dir, 'secrets.json')).size).toBe(256 + SEALED_EMPTY_EXTRA);
      expect(await open(dir, 'secrets.json', { password: PW })).toEqual({});
    }
  });
  it('create STORE, -s STORE and SSCLIENT_STORE name the new vault; STORE beats -s', async () => {
    for (const [argv, env, file] of [
      [['create', 'a.json', '-p', PW], {}, 'a.json'],
      [['-s', 'b.json', 'create', '-p', PW], {}, 'b.json'],
      [['create', '-p', PW], { SSCLIENT_STORE: 'c.json' }, 'c.json'],
      [['-s', 'ignored.json', 'create', 'd.json', '-p', PW], {}, 'd.json'],
    ] as const) {
      const r = await expectRun([...argv], { code: 0 }, { env: { ...env } });
      for (const dir of r.dirs) expect(await open(dir, file, { password: PW })).toEqual({});
      expect(existsSync(join(r.dirs[0], 'ignored.json'))).toBe(false);
    }
  });
  it('create --password-file, SSCLIENT_PASSWORD', async () => {
    const a = await expectRun(['create', 'a.json', '--password-file', 'pw.txt'], { code: 0 });
    expect(await open(a.dirs[1], 'a.json', { password: PW })).toEqual({});
    const b = await expectRun(
      ['create', 'b.json'],
      { code: 0 },
      { env: { SSCLIENT_PASSWORD: PW } },
    );
    expect(await open(b.dirs[1], 'b.json', { password: PW })).toEqual({});
  });
  it('create -k MISSING makes a fresh 0600 key there; -k EMPTY too', async () => {
    for (const key of ['new.key', 'empty.key']) {
      const r = await expectRun(['create', 'v.json', '-k', key], { code: 0 });
      for (const dir of r.dirs) {
        const pem = readFileSync(join(dir, key), 'utf8');
        expect(pem).toMatch(
          /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/]{43}=\n-----END PRIVATE KEY-----\n$/,
        );
        expect(statSync(join(dir, key)).mode & 0o777).toBe(0o600);
        expect(await open(dir, 'v.json', { keyFile: join(dir, key) })).toEqual({});
      }
      // two fresh keys are different (CSPRNG)
      expect(readFileSync(join(r.dirs[0], key))).not.toEqual(readFileSync(join(r.dirs[1], key)));
    }
  });
  it('create -k EXISTING uses that key and leaves it alone', async () => {
    const r = await expectRun(['create', 'v.json', '--keyfile', 'k.key'], { code: 0 });
    for (const dir of r.dirs) {
      expect(readFileSync(join(dir, 'k.key'))).toEqual(
        readFileSync(join(VECTORS, '03-key-only.key')),
      );
      expect(await open(dir, 'v.json', { keyFile: join(dir, 'k.key') })).toEqual({});
    }
  });
  it('create with SSCLIENT_KEY behaves as create -k', async () => {
    const r = await expectRun(
      ['create', 'v.json'],
      { code: 0 },
      { env: { SSCLIENT_KEY: 'fresh.key' } },
    );
    for (const dir of r.dirs) {
      expect(await open(dir, 'v.json', { keyFile: join(dir, 'fresh.key') })).toEqual({});
    }
    const used = await expectRun(
      ['create', 'w.json'],
      { code: 0 },
      {
        env: { SSCLIENT_KEY: 'k.key', SSCLIENT_PASSWORD: 'ignored' },
      },
    );
    expect(await open(used.dirs[1], 'w.json', { keyFile: join(used.dirs[1], 'k.key') })).toEqual(
      {},
    );
  });
  it('create --export-key PATH writes the equivalent key file (0600)', async () => {
    const r = await expectRun(['create', 'v.json', '-p', PW, '--export-key', 'v.key'], { code: 0 });
    for (const dir of r.dirs) {
      expect(statSync(join(dir, 'v.key')).mode & 0o777).toBe(0o600);
      expect(await open(dir, 'v.json', { keyFile: join(dir, 'v.key') })).toEqual({});
    }
  });
  it('create over an empty file simply overwrites it', async () => {
    const r = await expectRun(['create', 'empty.key', '-p', PW], { code: 0 });
    expect(await open(r.dirs[1], 'empty.key', { password: PW })).toEqual({});
  });
});

describe('set, get, delete/remove, export-key', () => {
  it('set NAME VALUE adds, and overwrites silently', async () => {
    const r = await expectRun(['-k', 'k.key', 'set', 'n2', 'replaced'], { code: 0 });
    for (const dir of r.dirs) {
      expect(await open(dir, 'secrets.json', { keyFile: join(dir, 'k.key') })).toEqual({
        n2: 'replaced',
        only_key: 'generated by create -k on a nonexistent key path',
      });
    }
    await expectRun(['-s', 'pw.json', '-p', PW, 'set', 'new name', 'v a l'], { code: 0 });
  });
  it('set and delete keep the vault iv, the sentinel and every other secret byte for byte', async () => {
    const t = tempDir('ssclient-surface-');
    cleanups.push(t.cleanup);
    copyVectors(t.dir, {
      'secrets.json': '05-unicode-values.json',
      'k.key': '05-unicode-values.key',
    });
    type Doc = { iv: string; sentinel: unknown; secrets: Record<string, { iv: string }> };
    const read = () => JSON.parse(readFileSync(join(t.dir, 'secrets.json'), 'utf8')) as Doc;
    const before = read();
    expect(
      runProcess(['-k', 'k.key', 'set', 'cjk', '秘密の鍵 비밀번호 密码'], { cwd: t.dir }).code,
    ).toBe(0);
    const afterSet = read();
    expect(afterSet.iv).toBe(before.iv);
    expect(afterSet.sentinel).toEqual(before.sentinel);
    expect(afterSet.secrets.cjk!.iv).not.toBe(before.secrets.cjk!.iv); // same value, new IV
    const { cjk: _a, ...othersBefore } = before.secrets;
    const { cjk: _b, ...othersAfter } = afterSet.secrets;
    expect(othersAfter).toEqual(othersBefore);
    expect(runProcess(['-k', 'k.key', 'remove', 'emoji'], { cwd: t.dir }).code).toBe(0);
    const afterDelete = read();
    const { emoji: _c, ...rest } = afterSet.secrets;
    expect(afterDelete.secrets).toEqual(rest);
    expect(afterDelete.sentinel).toEqual(before.sentinel);
    // the file keeps the reference layout: 2-space pretty JSON, no trailing newline
    const text = readFileSync(join(t.dir, 'secrets.json'), 'utf8');
    expect(text).toBe(JSON.stringify(afterDelete, null, 2));
  });

  it('set with the right password on a vault without a sentinel adds one', async () => {
    const t = tempDir('ssclient-surface-');
    cleanups.push(t.cleanup);
    copyVectors(t.dir, { 'secrets.json': 'negative/missing-sentinel-correct-password.json' });
    expect(runProcess(['-p', PW, 'set', 'added', 'yes'], { cwd: t.dir }).code).toBe(0);
    expect(JSON.parse(readFileSync(join(t.dir, 'secrets.json'), 'utf8')).sentinel).toBeTruthy();
    expect((await open(t.dir, 'secrets.json', { password: PW })).added).toBe('yes');
    const wrong = runProcess(['-p', 'not it', 'get', 'added'], { cwd: t.dir });
    expect([wrong.code, wrong.stdout]).toEqual([1, '']);
  });

  it('a VALUE that begins with "-" goes after --', async () => {
    const r = await expectRun(['-k', 'k.key', 'set', '--', '-n', '-v'], { code: 0 });
    expect(
      (await open(r.dirs[1], 'secrets.json', { keyFile: join(r.dirs[1], 'k.key') }))['-n'],
    ).toBe('-v');
  });
  it('get of a missing secret is exit 1', async () => {
    await expectRun(['-k', 'k.key', 'get', 'nope'], {
      code: 1,
      stderr: 'error: no secret named "nope" in secrets.json\n',
    });
  });
  it('get needs a NAME or --all, not both; --format must be a known format', async () => {
    await expectRun(['-k', 'k.key', 'get'], {
      code: 2,
      stderr: 'error: missing the secret name (or use --all)\n',
    });
    await expectRun(['-k', 'k.key', 'get', 'n2', '-a'], {
      code: 2,
      stderr: 'error: give a secret name or --all, not both\n',
    });
    await expectRun(['-k', 'k.key', 'get', '-a', '--format', 'xml'], {
      code: 2,
      stderr: 'error: unknown format "xml": use json, text, dotenv, shell, yaml, csv\n',
    });
  });
  it('get -a / --all, --format json|text', async () => {
    const json =
      '[\n  {\n    "key": "n2",\n    "value": "second"\n  },\n  {\n    "key": "only_key",\n    "value": "generated by create -k on a nonexistent key path"\n  }\n]\n';
    const text = 'n2: second\nonly_key: generated by create -k on a nonexistent key path\n';
    await expectRun(['-k', 'k.key', 'get', '-a'], { code: 0, stdout: json });
    await expectRun(['-k', 'k.key', 'get', '--all', '--format', 'json'], { code: 0, stdout: json });
    await expectRun(['-k', 'k.key', 'get', '--format=text', '--all'], { code: 0, stdout: text });
  });
  it.each([['delete'], ['remove']])('%s NAME removes; a missing name is exit 1', async (verb) => {
    const r = await expectRun(['-k', 'k.key', verb, 'n2'], { code: 0 });
    for (const dir of r.dirs) {
      expect(Object.keys(await open(dir, 'secrets.json', { keyFile: join(dir, 'k.key') }))).toEqual(
        ['only_key'],
      );
    }
    await expectRun(['-k', 'k.key', verb, 'nope'], {
      code: 1,
      stderr: 'error: no secret named "nope" in secrets.json\n',
    });
  });
  it('export-key PATH writes the key equivalent to the password (0600)', async () => {
    const r = await expectRun(['-s', 'pw.json', '-p', PW, 'export-key', 'out.key'], { code: 0 });
    for (const dir of r.dirs) {
      expect(statSync(join(dir, 'out.key')).mode & 0o777).toBe(0o600);
      expect((await open(dir, 'pw.json', { keyFile: join(dir, 'out.key') })).db_password).toBe(
        'pgsql123',
      );
    }
    const k = await expectRun(['-k', 'k.key', 'export-key', 'copy.key', '--no-vcs'], { code: 0 });
    expect(readFileSync(join(k.dirs[1], 'copy.key'))).toEqual(
      readFileSync(join(k.dirs[1], 'k.key')),
    );
  });
  it('export-key over a non-empty file off a terminal is exit 17', async () => {
    await expectRun(['-k', 'k.key', 'export-key', 'pw.txt'], {
      code: 17,
      stderr:
        'error: pw.txt already exists and is not empty; refusing to overwrite the key file (delete it first, or run on a terminal to confirm)\n',
    });
  });
});

describe('--debug, and no secret in any message', () => {
  it('--debug adds the stack trace; without it there is exactly one line', async () => {
    const plain = await both(['-k', 'empty.key', 'get', 'n2']);
    expect(plain.process.stderr.split('\n')).toHaveLength(2);
    const debug = await both(['-k', 'empty.key', 'get', 'n2', '--debug'], { firstLineOnly: true });
    expect(debug.process.code).toBe(1);
    const lines = debug.process.stderr.split('\n');
    expect(lines[0]).toMatch(/^error: \/\S+\/empty\.key is not a key file \(0 bytes;/);
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.slice(1).some((l) => /^\s+at /.test(l))).toBe(true);
  });

  it('no failing command prints the password or the value it was given', async () => {
    const SECRET_PW = 'Pw-8f3a9c1e';
    const SECRET_VAL = 'Val-77d2b0e4';
    const cases: [string[], Run][] = [
      [['-s', 'pw.json', '-p', SECRET_PW, 'set', 'x', SECRET_VAL], {}],
      [
        ['-s', 'pw.json', '-p', SECRET_PW, 'set', 'x', SECRET_VAL, '--debug'],
        { firstLineOnly: true },
      ],
      [['-s', 'pw.json', 'set', 'x', SECRET_VAL], { env: { SSCLIENT_PASSWORD: SECRET_PW } }],
      [['-s', 'pw.json', '--password-file', '-', 'get', 'x'], { stdin: `${SECRET_PW}\n` }],
      [['-s', 'nope.json', '-p', SECRET_PW, 'set', 'x', SECRET_VAL], {}],
      [['-p', SECRET_PW, '-k', 'k.key', 'set', 'x', SECRET_VAL], {}],
      [['-k', 'k.key', 'set', 'x', SECRET_VAL, 'extra'], {}],
      [['-k', 'other.key', 'set', 'x', SECRET_VAL], {}],
      [['-k', 'k.key', 'set', 'x', '--bogus'], { stdin: SECRET_VAL }],
      [['create', '-p', SECRET_PW], {}],
      [['-s', 'pw.json', '-p', SECRET_PW, 'get', '-a', '--format', 'yaml'], {}],
    ];
    for (const [argv, run] of cases) {
      const r = await both(argv, run);
      expect(r.process.code, argv.join(' ')).not.toBe(0);
      for (const out of [r.process.stderr, r.process.stdout]) {
        expect(out).not.toContain(SECRET_PW);
        expect(out).not.toContain(SECRET_VAL);
      }
    }
  });
});
