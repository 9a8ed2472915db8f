/**
 * `ssclient rekey --kms` as a real process, with the real AWS SDK over HTTP to the local KMS test
 * server (or SECURESTORE_TEST_KMS_ENDPOINT): to KMS from a key file, KMS to KMS in place (a new
 * data key), KMS to a password, and a KMS failure that changes nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseVault } from '../../src/format/vault-codec.js';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { BIN, spawnProcess } from '../helpers/cli.js';
import { kmsControl, kmsTarget, parseKmsOnly } from '../helpers/kms.js';
import { tempDir } from '../helpers/vaults.js';

const target = kmsTarget();
let dir: string;
let cleanup: () => void;
let env: Record<string, string>;

beforeAll(() => {
  const home = tempDir('rekey-kms-home-');
  env = { ...target.env, HOME: home.dir };
  return () => home.cleanup();
});
beforeEach(() => {
  ({ dir, cleanup } = tempDir('rekey-kms-'));
});
afterEach(() => cleanup());

const ss = (argv: string[], extra: Record<string, string> = {}) =>
  spawnProcess(argv, { cwd: dir, env: { ...env, ...extra } });
const path = (name: string) => join(dir, name);
const SECRETS = new Map([
  ['api', 'a-1'],
  ['db', 'd-2'],
]);

async function makeKeyVault(): Promise<void> {
  const vault = await SecretsManager.create(KeySource.generate());
  for (const [n, v] of SECRETS) vault.set(n, v);
  await vault.saveAs(path('secrets.json'));
  await vault.exportKey(path('old.key'));
  vault.close();
}

describe('rekey --kms', () => {
  it('from a key file to a KMS-wrapped key (default secrets.kms.json), then in place to another KMS key', async () => {
    await makeKeyVault();
    const ivBefore = parseVault(readFileSync(path('secrets.json')), 'v').iv;
    const r = await ss(['-k', 'old.key', 'rekey', '--kms', target.key1, '--context', 'app=rekey']);
    expect(r).toMatchObject({
      code: 0,
      stdout: '',
      stderr:
        'Wrote the new wrapped key file to secrets.kms.json.new; the vault still opens with the old key.\n' +
        'Re-encrypted 2 secrets in secrets.json: it now opens with secrets.kms.json.new.\n' +
        'Verified: every secret in secrets.json decrypts to its old value under the new key.\n' +
        'Moved secrets.kms.json.new to secrets.kms.json: secrets.kms.json opens secrets.json.\n' +
        'The old key file old.key no longer opens secrets.json; keep it while older git revisions must be read.\n',
    });
    expect(parseVault(readFileSync(path('secrets.json')), 'v').iv).not.toBe(ivBefore);
    const file = parseKmsOnly(readFileSync(path('secrets.kms.json')), 'secrets.kms.json');
    expect(file.wrappings).toHaveLength(1);
    expect(file.wrappings[0]!.context).toMatchObject({ app: 'rekey' });
    expect(existsSync(path('secrets.kms.json.new'))).toBe(false);
    expect(statSync(path('secrets.kms.json')).mode & 0o777).toBe(0o644);
    expect((await ss(['-k', 'secrets.kms.json', 'get', '--all', '--format', 'text'])).stdout).toBe(
      'api: a-1\ndb: d-2\n',
    );
    expect((await ss(['-k', 'old.key', 'get', 'api'])).code).toBe(1);

    // KMS to KMS, in place: a new data key wrapped under the second KMS key.
    const firstFile = readFileSync(path('secrets.kms.json'));
    const again = await ss(['-k', 'secrets.kms.json', 'rekey', '--kms', target.key2]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      'Moved secrets.kms.json.new to secrets.kms.json: secrets.kms.json opens secrets.json.\n',
    );
    expect(again.stderr).not.toContain('no longer opens');
    const second = parseKmsOnly(readFileSync(path('secrets.kms.json')), 'x');
    expect(second.wrappings[0]!.keyArn).not.toBe(file.wrappings[0]!.keyArn);
    expect((await ss(['-k', 'secrets.kms.json', 'get', 'db'])).stdout).toBe('d-2\n');
    // The previous wrapped key file still unwraps, but to the previous key, which no longer opens it.
    writeFileSync(path('previous.kms.json'), firstFile);
    const stale = await ss(['-k', 'previous.kms.json', 'get', 'db']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error: wrong key for .*secrets\.json/);
  });

  it('from KMS to a password, and --kms-file names where the wrapped key goes', async () => {
    await makeKeyVault();
    const toKms = await ss([
      '-k',
      'old.key',
      'rekey',
      '--kms',
      target.key1,
      '--kms-file',
      'w.json',
    ]);
    expect(toKms.code, toKms.stderr).toBe(0);
    expect(existsSync(path('secrets.kms.json'))).toBe(false);
    const toPassword = await ss(['-k', 'w.json', 'rekey', '--new-password'], {
      SSCLIENT_NEW_PASSWORD: 'from kms to pw',
    });
    expect(toPassword.code, toPassword.stderr).toBe(0);
    expect((await ss(['-p', 'from kms to pw', 'get', 'api'])).stdout).toBe('a-1\n');
  });

  it('usage: --context or --kms-file without --kms, --kms with --new-key', async () => {
    await makeKeyVault();
    expect(
      await ss(['-k', 'old.key', 'rekey', '--new-key', 'n.key', '--context', 'a=b']),
    ).toMatchObject({
      code: 2,
      stderr: 'error: --context and --kms-file go with --kms\n',
    });
    expect(
      await ss(['-k', 'old.key', 'rekey', '--new-key', 'n.key', '--kms', target.key1]),
    ).toMatchObject({
      code: 2,
      stderr: 'error: give one of --new-password, --new-key PATH or --kms KEY_ID\n',
    });
  });

  it('after SIGKILL at 8 random moments of a KMS rekey in place, the wrapped file or its .new opens the vault; rekey again finishes', async () => {
    await makeKeyVault();
    expect((await ss(['-k', 'old.key', 'rekey', '--kms', target.key1])).code).toBe(0);
    const args = [BIN, '-k', 'secrets.kms.json', 'rekey', '--kms', target.key1];
    const spawnRekey = (killAfterMs: number | null): Promise<void> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
          cwd: dir,
          env: { PATH: process.env.PATH, ...env },
          stdio: 'ignore',
        });
        const timer =
          killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('error', reject);
        child.on('exit', () => {
          if (timer !== null) clearTimeout(timer);
          clearTimeout(guard);
          resolve();
        });
      });
    const started = Date.now();
    await spawnRekey(null);
    const window = Math.max(Date.now() - started, 50) * 1.1;
    let resumed = 0;
    for (let i = 0; i < 8; i++) {
      await spawnRekey(window * (0.3 + 0.75 * Math.random()));
      const withFile = await ss(['-k', 'secrets.kms.json', 'get', '--all', '--format', 'text']);
      if (withFile.code !== 0) {
        const pending = await ss([
          '-k',
          'secrets.kms.json.new',
          'get',
          '--all',
          '--format',
          'text',
        ]);
        expect(pending.stdout, pending.stderr).toBe('api: a-1\ndb: d-2\n');
        const resume = await ss(['-k', 'secrets.kms.json', 'rekey', '--kms', target.key1]);
        expect(resume.stderr).toContain('Finished an interrupted rekey');
        resumed++;
      } else {
        expect(withFile.stdout).toBe('api: a-1\ndb: d-2\n');
      }
    }
    expect((await ss(['-k', 'secrets.kms.json', 'get', 'db'])).stdout).toBe('d-2\n');
    console.log(`KMS rekey kills that needed a resume: ${resumed} of 8`);
  }, 120_000);

  it('an old key that is a device without end (/dev/zero) is refused at the key-file cap, not read until memory runs out', async () => {
    await makeKeyVault();
    const vault = readFileSync(path('secrets.json'));
    const r = await ss(['-k', '/dev/zero', 'rekey', '--kms', target.key1]);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: /dev/zero is too large to be a key file (more than 1048576 bytes)\n',
    });
    expect(readFileSync(path('secrets.json')).equals(vault)).toBe(true);
    expect(existsSync(path('secrets.kms.json'))).toBe(false);
  });

  it.skipIf(!target.local)('a KMS failure while wrapping writes nothing (exit 4)', async () => {
    await makeKeyVault();
    const { arn } = await kmsControl.createKey();
    await kmsControl.setKeyState(arn, 'Disabled');
    const vault = readFileSync(path('secrets.json'));
    const r = await ss(['-k', 'old.key', 'rekey', '--kms', arn]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: .*disabled/i);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(readFileSync(path('secrets.json')).equals(vault)).toBe(true);
    expect(existsSync(path('secrets.kms.json'))).toBe(false);
    expect(existsSync(path('secrets.kms.json.new'))).toBe(false);
    expect((await ss(['-k', 'old.key', 'get', 'api'])).stdout).toBe('a-1\n');
  });
});
