/**
 * The password path's head start (src/cli/early-key.ts): which command lines start the key
 * derivation before the CLI loads, and that the command takes that derivation only when its
 * password and vault iv are the ones guessed, and otherwise derives its own.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endEarlyKey, startEarlyKey } from '../../src/cli/early-key.js';
import { derivePasswordKey } from '../../src/keys/password.js';
import { KeySource, SecretsManager } from '../../src/index.js';
import { runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

const PASSWORD = 'early bird password';

describe('the early password key', () => {
  let dir = '';
  let cleanup = () => {};
  let vault = '';
  let iv = new Uint8Array();

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    vault = join(dir, 'pw.json');
    const manager = await SecretsManager.create(KeySource.fromPassword(PASSWORD));
    manager.set('a', 'one');
    await manager.saveAs(vault);
    iv = Buffer.from(manager.vaultIv, 'base64');
    manager.close();
  });
  afterEach(() => endEarlyKey());
  afterAll(() => cleanup());

  it('is taken once by the derivation with the same password and iv, and is that key', async () => {
    const early = startEarlyKey(['-s', vault, '-p', PASSWORD, 'get', 'a'], {}, dir);
    expect(early).not.toBeNull();
    const taken = derivePasswordKey(PASSWORD, iv);
    expect(taken).toBe(early);
    const again = derivePasswordKey(PASSWORD, iv);
    expect(again).not.toBe(early);
    expect(await taken).toEqual(await again);
  });

  it('is not taken for another password or another iv', async () => {
    const early = startEarlyKey(['--store', vault, '--password', PASSWORD, 'get', 'a'], {}, dir);
    expect(early).not.toBeNull();
    const otherIv = Uint8Array.from(iv, (b) => b ^ 1);
    const other = derivePasswordKey(`${PASSWORD}!`, iv);
    const otherSalt = derivePasswordKey(PASSWORD, otherIv);
    expect(other).not.toBe(early);
    expect(otherSalt).not.toBe(early);
    expect(await other).not.toEqual(await early);
    expect(await otherSalt).not.toEqual(await early);
    expect(derivePasswordKey(PASSWORD, iv)).toBe(early);
  });

  it('zeroes a key that nothing took', async () => {
    const early = startEarlyKey(
      [`--store=${vault}`, `--password=${PASSWORD}`, 'get', 'a'],
      {},
      dir,
    );
    expect(early).not.toBeNull();
    const key = await early!;
    expect(key.some((b) => b !== 0)).toBe(true);
    endEarlyKey();
    await Promise.resolve();
    expect(key).toEqual(new Uint8Array(32));
    expect(derivePasswordKey(PASSWORD, iv)).not.toBe(early);
  });

  it('takes SSCLIENT_PASSWORD and the store from SSCLIENT_STORE or secrets.json', () => {
    expect(
      startEarlyKey(['get', 'a'], { SSCLIENT_PASSWORD: PASSWORD, SSCLIENT_STORE: vault }, '/'),
    ).not.toBeNull();
    endEarlyKey();
    expect(startEarlyKey(['get', 'a'], { SSCLIENT_PASSWORD: PASSWORD }, dir)).toBeNull(); // no secrets.json
    writeFileSync(join(dir, 'secrets.json'), '');
    expect(startEarlyKey(['get', 'a'], { SSCLIENT_PASSWORD: PASSWORD }, dir)).toBeNull(); // no iv in it
  });

  it('starts nothing when a key, a password file or no password is given', () => {
    const env = { SSCLIENT_PASSWORD: PASSWORD, SSCLIENT_STORE: vault };
    const none: [string[], NodeJS.ProcessEnv][] = [
      [['-k', 'x.key', 'get', 'a'], env],
      [['--password-file', 'pw.txt', 'get', 'a'], env],
      [['get', 'a'], { ...env, SSCLIENT_KEY: 'x.key' }],
      [['-s', vault, 'get', 'a'], {}],
      [['-s', vault, '-p', '-x', 'get', 'a'], {}],
      [['-s', join(dir, 'missing.json'), '-p', PASSWORD, 'get', 'a'], {}],
    ];
    for (const [argv, e] of none) expect(startEarlyKey(argv, e, dir), argv.join(' ')).toBeNull();
  });

  it('leaves the command the same when the guess is wrong', async () => {
    // The project file names the store; the guess, which reads no project file, takes the
    // secrets.json beside it, another vault of the same password with another iv.
    const project = join(dir, 'project');
    mkdirSync(project);
    copyFileSync(vault, join(project, 'named.json'));
    const decoy = await SecretsManager.create(KeySource.fromPassword(PASSWORD));
    decoy.set('a', 'decoy');
    await decoy.saveAs(join(project, 'secrets.json'));
    decoy.close();
    writeFileSync(join(project, '.ssclient.json'), '{"store": "named.json"}\n');
    expect(startEarlyKey(['-p', PASSWORD, 'get', 'a'], {}, project)).not.toBeNull();
    endEarlyKey();
    const res = runProcess(['-p', PASSWORD, 'get', 'a'], { cwd: project });
    expect(res).toMatchObject({ code: 0, stdout: 'one\n', stderr: '' });
    const wrong = runProcess(['-p', 'not it', 'get', 'a'], { cwd: project });
    expect(wrong).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `error: wrong password for ${join(project, 'named.json')} (password does not open it); the password came from -p ("ssclient config" shows where each setting comes from)\n`,
    });
  });
});
