/** Wildcards (`get 'db:*'`, `--only`, `list`) and values from files (`set --file`, `get --output`). */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { globToRegExp, selectNames } from '../../src/workflow/glob.js';
import { runProcess } from '../helpers/cli.js';
import { copyVectors, tempDir } from '../helpers/vaults.js';
import { makeVault } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

describe('glob rule (fnmatch, as credstash)', () => {
  const cases: [string, string, boolean][] = [
    ['db:*', 'db:password', true],
    ['db:*', 'db:', true],
    ['db:*', 'xdb:a', false],
    ['*', 'a:b/c\nd', true],
    ['db:?', 'db:ab', false],
    ['db:?', 'db:😀', true],
    ['[ab]*', 'beta', true],
    ['[!ab]*', 'beta', false],
    ['[!ab]*', 'gamma', true],
    ['[a-c]x', 'bx', true],
    ['[c-a]x', 'bx', false],
    ['[]]', ']', true],
    ['[!]]', 'a', true],
    ['[*]', '*', true],
    ['[*]', 'a', false],
    ['a[', 'a[', true],
    ['a.b', 'axb', false],
    ['a+b', 'a+b', true],
    ['(x)|y', '(x)|y', true],
    ['DB:*', 'db:a', false],
    ['\\*', '\\abc', true],
    ['[\\]', '\\', true],
    ['[-a]', '-', true],
    ['[a-]', '-', true],
  ];
  it.each(cases)('%j against %j is %s', (pattern, name, expected) => {
    expect(globToRegExp(pattern).test(name)).toBe(expected);
  });

  it("agrees with Python's fnmatch.fnmatchcase (what credstash uses) on generated cases", () => {
    const piece = fc.constantFrom('a', 'b', 'é', ':', '-', '*', '?', '[', ']', '!', '^', '\\', '.');
    const pairs = fc.sample(
      fc.tuple(
        fc.array(piece, { maxLength: 7 }).map((p) => p.join('')),
        fc
          .array(fc.constantFrom('a', 'b', 'é', ':', '-', '[', ']', '!', '\\', '.', '*'), {
            maxLength: 6,
          })
          .map((p) => p.join('')),
      ),
      { numRuns: 3000, seed: 5 },
    );
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import fnmatch, json, sys\nfor p, n in json.load(sys.stdin): print(int(fnmatch.fnmatchcase(n, p)))',
      ],
      { input: JSON.stringify(pairs), encoding: 'utf8', timeout: 20_000 },
    );
    expect(py.status).toBe(0);
    const expected = py.stdout
      .trim()
      .split('\n')
      .map((l) => l === '1');
    const ours = pairs.map(([p, n]) => globToRegExp(p).test(n));
    const differ = pairs.filter((_, i) => ours[i] !== expected[i]);
    expect(differ).toEqual([]);
  });

  it('an exact name wins over the glob it looks like', () => {
    const names = ['a*', 'ab', 'ac', 'b'];
    expect(selectNames(names, ['a*'])).toEqual(['a*']);
    expect(selectNames(names, ['a?'])).toEqual(['a*', 'ab', 'ac']);
    expect(selectNames(names, ['b', 'a[bc]'])).toEqual(['ab', 'ac', 'b']);
  });
});

describe('wildcards as a real process', () => {
  it("get 'db:*', get --all --only, list --only, and an exact name that looks like a glob", async () => {
    const t = tempDir('ssclient-glob-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [
      ['db:password', 'pw'],
      ['db:user', 'admin'],
      ['aws:key', 'AK'],
      ['aws:secret', 'SK'],
      ['odd*', 'exact'],
      ['oddity', 'no'],
    ]);
    const run = (...argv: string[]) => runProcess(['-k', 'k.key', ...argv], { cwd: t.dir });
    expect(run('get', 'db:*').stdout).toBe(
      '[\n  {\n    "key": "db:password",\n    "value": "pw"\n  },\n  {\n    "key": "db:user",\n    "value": "admin"\n  }\n]\n',
    );
    expect(run('get', 'db:*', '--format', 'text').stdout).toBe('db:password: pw\ndb:user: admin\n');
    expect(run('get', '--all', '--only', 'aws:*', '--format', 'text').stdout).toBe(
      'aws:key: AK\naws:secret: SK\n',
    );
    expect(
      run('get', '--all', '--only', 'aws:k*', '--only', 'db:u*', '--format', 'shell').stdout,
    ).toBe("export AWS_KEY='AK'\nexport DB_USER='admin'\n");
    // "odd*" is a secret: it wins, and prints as one value.
    expect(run('get', 'odd*').stdout).toBe('exact\n');
    expect(run('get', 'odd?ty').stdout).toBe(
      '[\n  {\n    "key": "oddity",\n    "value": "no"\n  }\n]\n',
    );
    expect(run('list', '--only', 'aws:*').stdout).toBe('aws:key\naws:secret\n');
    const none = run('get', 'gcp:*');
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('error: no secret in secrets.json matches "gcp:*"\n');
    const onlyNone = run('get', '--all', '--only', 'gcp:*');
    expect(onlyNone.code).toBe(1);
    expect(onlyNone.stderr).toBe('error: --only "gcp:*" matches no secret in secrets.json\n');
    const noAll = run('get', 'db:user', '--only', 'db:*');
    expect(noAll.code).toBe(2);
    expect(noAll.stderr).toBe('error: --only selects among --all: add --all\n');
  });
});

describe('list (keys)', () => {
  it('prints names in order, text or json, and checks the key', async () => {
    const t = tempDir('ssclient-list-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [
      ['b', '2'],
      ['a', '1'],
      ['é', '3'],
      ['Z', '4'],
    ]);
    expect(runProcess(['-k', 'k.key', 'list'], { cwd: t.dir }).stdout).toBe('Z\na\nb\né\n');
    expect(runProcess(['-k', 'k.key', 'keys', '--format', 'json'], { cwd: t.dir }).stdout).toBe(
      '[\n  "Z",\n  "a",\n  "b",\n  "é"\n]\n',
    );
    const wrong = runProcess(['-p', 'not the password', 'list'], { cwd: t.dir });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toBe(
      'error: wrong password for secrets.json (password does not open it); the password came from -p ("ssclient config" shows where each setting comes from)\n',
    );
  });

  it('a vault without a sentinel: the key is checked against a secret MAC', () => {
    const t = tempDir('ssclient-list-');
    cleanup = t.cleanup;
    copyVectors(t.dir, { 'secrets.json': 'negative/missing-sentinel-correct-password.json' });
    const ok = runProcess(['-p', 'correct horse battery staple', 'list'], { cwd: t.dir });
    expect(ok).toMatchObject({
      code: 0,
      stdout: 'api_key\ndb_password\nspaces in name\n',
      stderr: '',
    });
    const wrong = runProcess(['-p', 'not the password', 'list'], { cwd: t.dir });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      'error: wrong password for secrets.json (password does not open it); the password came from -p ("ssclient config" shows where each setting comes from)\n',
    );
  });

  it('decrypts no secret: a damaged secret does not stop it (get --all fails on it)', async () => {
    const t = tempDir('ssclient-list-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [
      ['good', 'ok'],
      ['hurt', 'secret'],
    ]);
    const path = join(t.dir, 'secrets.json');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as {
      secrets: Record<string, { payload: string }>;
    };
    const payload = Buffer.from(doc.secrets.hurt!.payload, 'base64');
    payload[0]! ^= 1;
    doc.secrets.hurt!.payload = payload.toString('base64');
    writeFileSync(path, JSON.stringify(doc, null, 2));
    expect(runProcess(['-k', 'k.key', 'list'], { cwd: t.dir })).toMatchObject({
      code: 0,
      stdout: 'good\nhurt\n',
      stderr: '',
    });
    expect(runProcess(['-k', 'k.key', 'get', '--all'], { cwd: t.dir }).code).toBe(1);
  });
});

const PEM_CERT = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUVm9rL0g2P3b4ZQ0Sx2s3Zf8cXUYwCgYIKoZIzj0EAwIw
LzEtMCsGA1UEAwwkc2VjdXJlc3RvcmUta21zIHRlc3QgY2VydGlmaWNhdGUgKGZh
a2UpMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowLzEtMCsGA1UEAwwk
c2VjdXJlc3RvcmUta21zIHRlc3QgY2VydGlmaWNhdGUgKGZha2UpMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE
-----END CERTIFICATE-----
`;

describe('values from files', () => {
  it('set --file and get --output round-trip a PEM file, binary keystore bytes and 1 MiB', async () => {
    const t = tempDir('ssclient-file-');
    cleanup = t.cleanup;
    await makeVault(t.dir, []);
    const keystore = Buffer.concat([
      Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]), // a JKS header, then every byte value
      Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) & 0xff)),
      Buffer.from('\r\n\n\0'),
    ]);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const files: [string, Buffer][] = [
      ['tls:cert', Buffer.from(PEM_CERT)],
      ['tls:keystore', keystore],
      ['big', big],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [name, bytes] of files) {
      const src = join(t.dir, `${name.replace(':', '_')}.in`);
      writeFileSync(src, bytes);
      const set = runProcess(['-k', 'k.key', 'set', name, '--file', src], { cwd: t.dir });
      expect(set.stderr).toBe('');
      expect(set.code).toBe(0);
      const out = `${name.replace(':', '_')}.out`;
      const get = runProcess(['-k', 'k.key', 'get', name, '--output', out], { cwd: t.dir });
      expect(get.code).toBe(0);
      expect(get.stdout).toBe('');
      expect(readFileSync(join(t.dir, out)).equals(bytes)).toBe(true);
      expect(statSync(join(t.dir, out)).mode & 0o777).toBe(0o600);
      const raw = runProcess(['-k', 'k.key', 'get', name, '--output', '-'], { cwd: t.dir });
      expect(raw.stdoutBytes.equals(bytes)).toBe(true);
    }
    // The PEM text printed by plain get is the file plus get's newline.
    expect(runProcess(['-k', 'k.key', 'get', 'tls:cert'], { cwd: t.dir }).stdout).toBe(
      `${PEM_CERT}\n`,
    );
  });

  it('--file - takes stdin bytes with nothing stripped', async () => {
    const t = tempDir('ssclient-file-');
    cleanup = t.cleanup;
    await makeVault(t.dir, []);
    const bytes = Buffer.from('line one\r\nline two\n\n');
    expect(
      runProcess(['-k', 'k.key', 'set', 'v', '--file', '-'], { cwd: t.dir, input: bytes }).code,
    ).toBe(0);
    const out = runProcess(['-k', 'k.key', 'get', 'v', '--output', '-'], { cwd: t.dir });
    expect(out.stdoutBytes.equals(bytes)).toBe(true);
    const both = runProcess(['-k', 'k.key', 'set', 'v', 'value', '--file', '-'], { cwd: t.dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('error: give a value or --file, not both\n');
    const twice = runProcess(['--password-file', '-', 'set', 'v', '--file', '-'], {
      cwd: t.dir,
      input: 'x',
    });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(
      'error: --password-file - and a value on stdin cannot both use stdin\n',
    );
  });

  it('a missing --file names it; an existing --output is refused off a terminal, replaced with --force', async () => {
    const t = tempDir('ssclient-file-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [['v', 'new']]);
    const missing = runProcess(['-k', 'k.key', 'set', 'v', '--file', 'nope.pem'], { cwd: t.dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: nope.pem does not exist\n');
    mkdirSync(join(t.dir, 'certs'));
    const dir = runProcess(['-k', 'k.key', 'set', 'v', '--file', 'certs'], { cwd: t.dir });
    expect(dir.code).toBe(1);
    expect(dir.stderr).toBe('error: cannot read certs: it is a directory\n');
    writeFileSync(join(t.dir, 'out.txt'), 'old', { mode: 0o644 });
    const refused = runProcess(['-k', 'k.key', 'get', 'v', '--output', 'out.txt'], { cwd: t.dir });
    expect(refused.code).toBe(17);
    expect(readFileSync(join(t.dir, 'out.txt'), 'utf8')).toBe('old');
    const forced = runProcess(['-k', 'k.key', 'get', 'v', '--output', 'out.txt', '--force'], {
      cwd: t.dir,
    });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(t.dir, 'out.txt'), 'utf8')).toBe('new');
    expect(statSync(join(t.dir, 'out.txt')).mode & 0o777).toBe(0o600);
  });

  it('--output with --all writes the export to a 0600 file', async () => {
    const t = tempDir('ssclient-file-');
    cleanup = t.cleanup;
    await makeVault(t.dir, [['a', 'x']]);
    const r = runProcess(
      ['-k', 'k.key', 'get', '--all', '--format', 'dotenv', '--output', '.env'],
      {
        cwd: t.dir,
      },
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(t.dir, '.env'), 'utf8')).toBe("A='x'\n");
    expect(statSync(join(t.dir, '.env')).mode & 0o777).toBe(0o600);
  });
});
