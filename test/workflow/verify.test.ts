/** `ssclient verify` as a real process: clean, tampered, malformed and hostile vaults; --strict. */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/cli.js';
import { NEGATIVE, negativeCases, tempDir } from '../helpers/vaults.js';
import { makeVault } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

async function vaultDir(
  secrets: [string, string][] = [
    ['a', '1'],
    ['b', '2'],
    ['c', '3'],
  ],
): Promise<string> {
  const t = tempDir('ssclient-verify-');
  cleanup = t.cleanup;
  await makeVault(t.dir, secrets);
  return t.dir;
}

function flip(dir: string, edit: (doc: Record<string, unknown>) => void): void {
  const path = join(dir, 'secrets.json');
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(doc);
  writeFileSync(path, JSON.stringify(doc, null, 2));
}

function flipBase64(text: string): string {
  const bytes = Buffer.from(text, 'base64');
  bytes[0]! ^= 0x80;
  return bytes.toString('base64');
}

describe('ssclient verify', () => {
  it('a clean vault: with a key, and structure only without one', async () => {
    const dir = await vaultDir();
    expect(runProcess(['-k', 'k.key', 'verify'], { cwd: dir })).toMatchObject({
      code: 0,
      stdout: 'secrets.json: ok (3 secrets; the key opens it and every value decrypts)\n',
      stderr: '',
    });
    expect(runProcess(['verify'], { cwd: dir })).toMatchObject({
      code: 0,
      stdout: 'secrets.json: ok (3 secrets; structure only: no key given)\n',
      stderr: '',
    });
  });

  it('a tampered vault: one line per problem, exit 1; structure alone cannot see it', async () => {
    const dir = await vaultDir();
    flip(dir, (doc) => {
      const secrets = doc.secrets as Record<string, Record<string, string>>;
      secrets.a!.hmac = flipBase64(secrets.a!.hmac!);
      secrets.c!.payload = flipBase64(secrets.c!.payload!);
    });
    expect(runProcess(['-k', 'k.key', 'verify'], { cwd: dir })).toMatchObject({
      code: 1,
      stdout:
        'secrets.json: secret "a" fails its integrity check (MAC): the vault was modified or damaged\n' +
        'secrets.json: secret "c" fails its integrity check (MAC): the vault was modified or damaged\n',
      stderr: '',
    });
    expect(runProcess(['verify'], { cwd: dir }).code).toBe(0);
  });

  it('a tampered sentinel, and a wrong key, are told apart', async () => {
    const dir = await vaultDir();
    const wrong = runProcess(['-p', 'not it', 'verify'], { cwd: dir });
    expect(wrong).toMatchObject({
      code: 1,
      stdout: 'secrets.json: password does not open it (wrong password, or a damaged sentinel)\n',
    });
    flip(dir, (doc) => {
      const sentinel = doc.sentinel as Record<string, string>;
      sentinel.hmac = flipBase64(sentinel.hmac!);
    });
    expect(runProcess(['-k', 'k.key', 'verify'], { cwd: dir })).toMatchObject({
      code: 1,
      stdout:
        'secrets.json: the sentinel fails its integrity check: the vault was modified or damaged\n',
    });
  });

  it('a key wrong only in its AES half passes every MAC and is still a wrong key, not damage', async () => {
    const dir = await vaultDir();
    const pem = readFileSync(join(dir, 'k.key'), 'utf8').split('\n');
    const key = Buffer.from(pem[1]!, 'base64');
    key.fill(0x5a, 0, 16); // bytes 0-15 are the AES key; 16-31, the HMAC key, stay right
    writeFileSync(join(dir, 'half.key'), key);
    const r = runProcess(['-k', 'half.key', 'verify'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^secrets\.json: key file \S*half\.key does not open it \(wrong key, or a damaged sentinel\)\n$/,
    );
  });

  const malformed: [string, string, string][] = [
    ['empty', '', 'secrets.json is empty, not a vault\n'],
    ['truncated', '{"version": 3, "iv": ', ''],
    ['not an object', '[1, 2]', ''],
    ['version 2', '{"version": 2}', ''],
  ];
  it.each(malformed)(
    'a malformed vault (%s) is one line, exit 1, with or without a key',
    async (_label, text, exact) => {
      const dir = await vaultDir();
      writeFileSync(join(dir, 'secrets.json'), text);
      for (const argv of [['verify'], ['-k', 'k.key', 'verify']]) {
        const r = runProcess(argv, { cwd: dir });
        expect(r.code).toBe(1);
        expect(r.stderr).toBe('');
        expect(r.stdout).toMatch(/^secrets\.json[^\n]*\n$/);
        if (exact !== '') expect(r.stdout).toBe(exact);
      }
    },
  );

  it('a structurally bad secret (short hmac) is caught without a key', async () => {
    const dir = await vaultDir();
    flip(dir, (doc) => {
      (doc.secrets as Record<string, Record<string, string>>).b!.hmac = 'AAAA';
    });
    const r = runProcess(['verify'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^secrets\.json[^\n]*"b"[^\n]*\n$/);
  });

  it('a missing store is exit 2, as for every command', async () => {
    const dir = await vaultDir();
    const r = runProcess(['-s', 'nope.json', 'verify'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: nope\.json does not exist/);
  });

  it('the negative vectors: every damaged one fails, the sound ones pass', () => {
    const t = tempDir('ssclient-verify-');
    cleanup = t.cleanup;
    const expected: Record<string, [number, string]> = {
      'wrong-password.json': [
        1,
        'wrong-password.json: password does not open it (wrong password, or a damaged sentinel)\n',
      ],
      'tampered-secret-hmac.json': [
        1,
        'tampered-secret-hmac.json: secret "db_password" fails its integrity check (MAC): the vault was modified or damaged\n',
      ],
      'tampered-secret-payload.json': [
        1,
        'tampered-secret-payload.json: secret "db_password" fails its integrity check (MAC): the vault was modified or damaged\n',
      ],
      'tampered-secret-iv.json': [
        1,
        'tampered-secret-iv.json: secret "db_password" fails its integrity check (MAC): the vault was modified or damaged\n',
      ],
      'tampered-other-secret-ok.json': [
        1,
        'tampered-other-secret-ok.json: secret "api_key" fails its integrity check (MAC): the vault was modified or damaged\n',
      ],
      'tampered-sentinel.json': [
        1,
        'tampered-sentinel.json: the sentinel fails its integrity check: the vault was modified or damaged\n',
      ],
      'version-2.json': [
        1,
        'version-2.json has version 2; only SecureStore version 3 (the number 3) is supported\n',
      ],
      'missing-sentinel-correct-password.json': [
        0,
        'missing-sentinel-correct-password.json: ok (3 secrets; the key opens it and every value decrypts)\n',
      ],
      'corrupted-empty.json': [1, 'corrupted-empty.json is empty, not a vault\n'],
      'missing-secret.json': [
        0,
        'missing-secret.json: ok (3 secrets; the key opens it and every value decrypts)\n',
      ],
    };
    const cases = negativeCases();
    expect(cases.map((c) => c.vault).sort()).toEqual(Object.keys(expected).sort());
    for (const c of cases) {
      copyFileSync(join(NEGATIVE, c.vault), join(t.dir, c.vault));
      const r = runProcess(['-s', c.vault, '-p', c.password, 'verify'], { cwd: t.dir });
      expect([r.code, r.stdout], c.vault).toEqual(expected[c.vault]);
    }
  });
});

function git(dir: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd: dir, stdio: 'ignore', timeout: 10_000 });
  expect(r.status).toBe(0);
}

describe('ssclient verify --strict', () => {
  it('key files: private and ignored passes; readable, unignored or tracked is a problem each', async () => {
    const dir = await vaultDir();
    git(dir, 'init', '-q');
    writeFileSync(join(dir, '.gitignore'), '/k.key\n');
    expect(runProcess(['-k', 'k.key', 'verify', '--strict'], { cwd: dir })).toMatchObject({
      code: 0,
      stdout: 'secrets.json: ok (3 secrets; the key opens it and every value decrypts)\n',
    });

    // A second key file that is neither private nor ignored, and found without -k.
    copyFileSync(join(dir, 'k.key'), join(dir, 'other.key'));
    chmodSync(join(dir, 'other.key'), 0o644);
    chmodSync(join(dir, 'k.key'), 0o640);
    expect(runProcess(['verify', '--strict'], { cwd: dir })).toMatchObject({
      code: 1,
      stdout:
        'k.key: key file readable by its group (mode 0640): run chmod 600 k.key\n' +
        'other.key: key file readable by others (mode 0644): run chmod 600 other.key\n' +
        'other.key: key file is not ignored by git: add /other.key to .gitignore\n',
    });

    chmodSync(join(dir, 'k.key'), 0o600);
    chmodSync(join(dir, 'other.key'), 0o600);
    git(dir, 'add', '-f', 'other.key');
    expect(runProcess(['verify', '--strict'], { cwd: dir })).toMatchObject({
      code: 1,
      stdout:
        'other.key: key file is tracked by git: run git rm --cached other.key and ignore it\n',
    });
  });

  it('outside a git work tree only the modes are checked; wrapped (KMS) key files are skipped', async () => {
    const dir = await vaultDir();
    writeFileSync(join(dir, 'wrapped.key'), '{"provider": "aws-kms"}\n', { mode: 0o644 });
    writeFileSync(join(dir, 'notes.txt'), 'x'.repeat(32), { mode: 0o644 });
    expect(runProcess(['-k', 'k.key', 'verify', '--strict'], { cwd: dir })).toMatchObject({
      code: 0,
    });
    chmodSync(join(dir, 'k.key'), 0o604);
    expect(runProcess(['-k', 'k.key', 'verify', '--strict'], { cwd: dir })).toMatchObject({
      code: 1,
      stdout: 'k.key: key file readable by others (mode 0604): run chmod 600 k.key\n',
    });
  });
});
