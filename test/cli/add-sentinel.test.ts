/**
 * `ssclient add-sentinel` as a real process (spec/format.md §4.2, issue 14 item 10): a key-file
 * user of an old vault without a sentinel and with fewer than 16 secrets cannot write until they
 * vouch for the key; this command is how. A wrong key, and a key right only in its HMAC half, are
 * refused with the file untouched; the right key adds the sentinel and changes nothing else in
 * the reference's bytes.
 */
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeKeyFile, encodeKeyFile } from '../../src/format/key-file.js';
import { parseVault } from '../../src/format/vault-codec.js';
import { SecretsManager } from '../../src/index.js';
import { runProcess } from '../helpers/cli.js';
import { tempDir, VECTORS } from '../helpers/vaults.js';

const tmp = tempDir('ss-add-sentinel-');
afterAll(() => tmp.cleanup());
let counter = 0;

/** The reference's vault without a sentinel (fixtures/vectors/negative, password below). */
const SENTINEL_LESS = join(VECTORS, 'negative', 'missing-sentinel-correct-password.json');
const PASSWORD = 'correct horse battery staple';
const VALUES = [
  { key: 'api_key', value: 'sk-test-0123456789abcdef' },
  { key: 'db_password', value: 'pgsql123' },
  { key: 'spaces in name', value: 'value with spaces' },
];
const CONFIG_HINT = '("ssclient config" shows where each setting comes from)';

/** A directory with the sentinel-less vector as secrets.json and its key as k.key. */
async function scene(): Promise<{ dir: string; vault: string; original: Buffer }> {
  const dir = join(tmp.dir, `s${counter++}`);
  mkdirSync(dir);
  const vault = join(dir, 'secrets.json');
  copyFileSync(SENTINEL_LESS, vault);
  // Setup, in-process: the password's key as a key file (a key-file user of this vault).
  const opened = await SecretsManager.fromFile(vault, { password: PASSWORD });
  await opened.exportKey(join(dir, 'k.key'));
  opened.close();
  utimesSync(vault, 1_000_000_000, 1_000_000_000);
  return { dir, vault, original: readFileSync(vault) };
}

function expectUntouched(vault: string, original: Buffer): void {
  expect(readFileSync(vault).equals(original)).toBe(true);
  expect(statSync(vault).mtimeMs).toBe(1_000_000_000_000);
}

describe('ssclient add-sentinel', () => {
  it('the fixture is what the test needs: no sentinel, 3 secrets, a key file that reads them', async () => {
    const { dir, original } = await scene();
    const doc = parseVault(original, 'fixture');
    expect(doc.sentinel).toBeNull();
    expect(doc.secrets.size).toBe(3);
    const all = runProcess(['-k', 'k.key', 'get', '--all'], { cwd: dir });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual(VALUES);
  });

  it('before it: set with the key file is refused, naming the command, and the file is untouched', async () => {
    const { dir, vault, original } = await scene();
    const result = runProcess(['-k', 'k.key', 'set', 'NEW', 'x'], { cwd: dir });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stdoutBytes: expect.anything() as unknown,
      stderr: `error: ${vault} has no sentinel and only 3 secrets to prove the key, too few for a write: a key file damaged in its first half would pass them, and the sentinel a write adds would lock the right key out (spec/format.md §4.2); nothing was changed. Check that the values read right, then add a sentinel with \`ssclient add-sentinel\`; the key came from -k ${CONFIG_HINT}\n`,
    });
    expectUntouched(vault, original);
  });

  it('a wrong key is refused with one line, exit 1, and nothing is written', async () => {
    const { dir, vault, original } = await scene();
    writeFileSync(join(dir, 'wrong.key'), encodeKeyFile(new Uint8Array(32).fill(9)));
    const before = readdirSync(dir).sort();
    const result = runProcess(['-k', 'wrong.key', 'add-sentinel'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: wrong password or key for ${vault}: its secrets do not decrypt with it, so nothing was changed; the key came from -k ${CONFIG_HINT}\n`,
    );
    expectUntouched(vault, original);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('a key right only in its HMAC half (a key file damaged in its first half) is refused too', async () => {
    const { dir, vault, original } = await scene();
    const key = decodeKeyFile(readFileSync(join(dir, 'k.key')), 'k.key');
    const damaged = Uint8Array.from(key);
    for (let i = 0; i < 16; i++) damaged[i] = damaged[i]! ^ 0x5a;
    writeFileSync(join(dir, 'damaged.key'), encodeKeyFile(damaged));
    const result = runProcess(['-k', 'damaged.key', 'add-sentinel'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: wrong password or key for .*: its secrets do not decrypt/,
    );
    expectUntouched(vault, original);
  });

  it('the right key adds the sentinel and nothing else; then writes go ahead and a wrong key is refused at open', async () => {
    const { dir, vault, original } = await scene();
    const result = runProcess(['-k', 'k.key', 'add-sentinel'], { cwd: dir });
    expect(result).toMatchObject({
      code: 0,
      stdout:
        'secrets.json: sentinel added; from now on a wrong key is refused before anything is read or written\n',
      stderr: '',
    });
    const text = readFileSync(vault, 'utf8');
    const { sentinel } = parseVault(Buffer.from(text), 'after');
    expect(sentinel).not.toBeNull();
    // The reference's bytes with the sentinel block after "iv" (spec/format.md §5.1), no seal.
    const expected = original
      .toString('utf8')
      .replace(
        /("iv": "[^"]*",\n)/,
        `$1  "sentinel": {\n    "iv": "${sentinel!.iv}",\n    "hmac": "${sentinel!.hmac}",\n    "payload": "${sentinel!.payload}"\n  },\n`,
      );
    expect(text).toBe(expected);
    expect(text).not.toContain('"seal"');
    // The values read as before, now behind the sentinel.
    const all = runProcess(['-k', 'k.key', 'get', '--all'], { cwd: dir });
    expect(JSON.parse(all.stdout)).toEqual(VALUES);
    const password = runProcess(['-p', PASSWORD, 'get', 'db_password'], { cwd: dir });
    expect(password).toMatchObject({ code: 0, stdout: 'pgsql123\n' });
    const set = runProcess(['-k', 'k.key', 'set', 'NEW', 'x'], { cwd: dir });
    expect(set).toMatchObject({ code: 0, stdout: '', stderr: '' });
    writeFileSync(join(dir, 'wrong.key'), encodeKeyFile(new Uint8Array(32).fill(9)));
    const wrong = runProcess(['-k', 'wrong.key', 'get', 'NEW'], { cwd: dir });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: wrong key for .*does not open it/);
  });

  it('a vault that already has a sentinel: nothing to do, the file untouched', async () => {
    const { dir, vault } = await scene();
    const first = runProcess(['-k', 'k.key', 'add-sentinel'], { cwd: dir });
    expect(first.code).toBe(0);
    utimesSync(vault, 1_000_000_000, 1_000_000_000);
    const after = readFileSync(vault);
    const again = runProcess(['-k', 'k.key', 'add-sentinel'], { cwd: dir });
    expect(again).toMatchObject({
      code: 0,
      stdout: 'secrets.json already has a sentinel; nothing to do\n',
      stderr: '',
    });
    expectUntouched(vault, after);
  });

  it('no vault: the usual usage error, exit 2', async () => {
    const result = runProcess(['-k', 'k.key', '-s', 'absent.json', 'add-sentinel'], {
      cwd: tmp.dir,
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: absent\.json does not exist/);
  });
});
