// spec/format.md §6 (key files: 99-byte PEM, 32-byte raw) and §2 (passwords and keys: KeySource, auth shapes).
/**
 * Key files are read as the reference reads them (exactly 32 bytes is raw; otherwise PEM with
 * trimmed lines, text before BEGIN ignored, body lines joined) and written as the 99-byte PEM
 * form, mode 0600. KeySource variants and the four auth shapes all open the same vault.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeKeyFile, encodeKeyFile } from '../../src/format/key-file.js';
import { type AuthOptions, KeySource, SecretsManager, SecureStoreError } from '../../src/index.js';
import { UMASK_SETTABLE } from '../helpers/files.js';
import { manifests, tempDir, VECTORS } from '../helpers/vaults.js';
import { codeOf } from '../helpers/errors.js';

const tmp = tempDir('ssclient-keyfiles-');
afterAll(() => tmp.cleanup());
let counter = 0;
const tempPath = (name: string): string => join(tmp.dir, `${counter++}-${name}`);

const KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 5);
const B64 = Buffer.from(KEY).toString('base64');
const PEM = `-----BEGIN PRIVATE KEY-----\n${B64}\n-----END PRIVATE KEY-----\n`;

describe('key file codec', () => {
  it('writes the 99-byte PEM form', () => {
    expect(encodeKeyFile(KEY)).toBe(PEM);
    expect(Buffer.byteLength(encodeKeyFile(KEY))).toBe(99);
  });

  it('reads exactly 32 bytes as a raw key, even when they look like text', () => {
    expect(decodeKeyFile(KEY, 'k')).toEqual(KEY);
    const text = Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA'); // 32 bytes
    expect(text.length).toBe(32);
    expect(decodeKeyFile(text, 'k')).toEqual(new Uint8Array(text));
  });

  it.each([
    ['CRLF line ends', PEM.replace(/\n/g, '\r\n')],
    ['no final newline', PEM.slice(0, -1)],
    ['text before BEGIN', `a comment line\nanother\n${PEM}`],
    ['text after END', `${PEM}trailing notes\n`],
    [
      'spaces around each line',
      PEM.split('\n')
        .map((l) => (l ? `  ${l}\t ` : l))
        .join('\n'),
    ],
    ['the body over two lines', PEM.replace(B64, `${B64.slice(0, 20)}\n${B64.slice(20)}`)],
    [
      'the body over three lines with CRLF',
      PEM.replace(B64, `${B64.slice(0, 10)}\r\n${B64.slice(10, 30)}\r\n${B64.slice(30)}`),
    ],
    ['blank lines inside', PEM.replace(`${B64}\n`, `\n${B64}\n\n`)],
  ])('reads PEM with %s', (_label, text) => {
    expect(decodeKeyFile(Buffer.from(text, 'utf8'), 'k')).toEqual(KEY);
  });

  it('reads the vectors’ PEM and raw key files as the same key', () => {
    const pem = decodeKeyFile(readFileSync(join(VECTORS, '12-legacy-binary-key.pem.key')), 'pem');
    const raw = decodeKeyFile(readFileSync(join(VECTORS, '12-legacy-binary-key.bin.key')), 'raw');
    expect(pem).toEqual(raw);
    expect(encodeKeyFile(raw)).toBe(
      readFileSync(join(VECTORS, '12-legacy-binary-key.pem.key'), 'utf8'),
    );
  });

  it.each([
    ['31 bytes', new Uint8Array(31)],
    ['33 bytes', new Uint8Array(33)],
    ['4097 bytes', Buffer.from(`${' '.repeat(4097 - 99)}${PEM}`)],
  ])('refuses %s with ERR_KEY_FILE naming the file', async (_label, bytes) => {
    expect(await codeOf(() => decodeKeyFile(bytes, 'my.key'))).toBe('ERR_KEY_FILE');
    expect(() => decodeKeyFile(bytes, 'my.key')).toThrow(/my\.key/);
  });

  it('accepts 4096 bytes of PEM (the limit is inclusive)', () => {
    const text = `${' '.repeat(4096 - 99)}${PEM}`;
    expect(Buffer.byteLength(text)).toBe(4096);
    expect(decodeKeyFile(Buffer.from(text), 'k')).toEqual(KEY);
  });

  it('encodeKeyFile refuses keys that are not 32 bytes', async () => {
    expect(await codeOf(() => encodeKeyFile(new Uint8Array(16)))).toBe('ERR_ARGUMENT');
  });
});

describe('KeySource', () => {
  const vaultPath = join(VECTORS, '02-password-exported-key.json');
  const keyPath = join(VECTORS, '02-password-exported-key.key');
  const manifest = manifests().find((m) => m.vault === '02-password-exported-key.json')!;
  const password = manifest.password!;
  let derived: Uint8Array;

  it('fromPassword derives the key the vector’s key file holds (PBKDF2 over the vault iv)', async () => {
    const vault = await SecretsManager.fromFile(vaultPath, KeySource.fromPassword(password));
    derived = vault.exportKeyBytes();
    expect(derived).toEqual(decodeKeyFile(readFileSync(keyPath), 'k'));
    vault.close();
  });

  it('every KeySource variant and every auth shape opens the same vault', async () => {
    const pemText = readFileSync(keyPath, 'utf8');
    const auths: [string, AuthOptions][] = [
      ['KeySource.fromFile', KeySource.fromFile(keyPath)],
      ['KeySource.fromKey(Uint8Array)', KeySource.fromKey(derived)],
      ['KeySource.fromKey(Buffer)', KeySource.fromKey(Buffer.from(derived))],
      ['KeySource.fromKey(number[])', KeySource.fromKey([...derived])],
      ['KeySource.fromKey(PEM text)', KeySource.fromKey(pemText)],
      ['{ keyFile }', { keyFile: keyPath }],
      ['{ key: Uint8Array }', { key: derived }],
      ['{ key: number[] }', { key: [...derived] }],
      ['{ key: PEM text }', { key: pemText }],
      ['{ keySource }', { keySource: KeySource.fromKey(derived) }],
    ];
    for (const [label, auth] of auths) {
      const vault = await SecretsManager.fromFile(vaultPath, auth);
      expect(vault.exportKeyBytes(), label).toEqual(derived);
      expect(vault.keys(), label).toEqual(manifest.names_in_file_order);
      for (const [name, value] of Object.entries(manifest.secrets)) {
        expect(vault.get(name), label).toBe(value);
      }
      vault.close();
    }
    const viaPassword = await SecretsManager.fromFile(vaultPath, { password });
    expect(viaPassword.exportKeyBytes()).toEqual(derived);
    viaPassword.close();
  });

  it('fromKey copies the bytes it is given', async () => {
    const bytes = Uint8Array.from(derived);
    const source = KeySource.fromKey(bytes);
    bytes.fill(0);
    const vault = await SecretsManager.fromFile(vaultPath, source);
    expect(vault.exportKeyBytes()).toEqual(derived);
    vault.close();
  });

  it.each([
    ['31 bytes', new Uint8Array(31)],
    ['33 bytes', new Uint8Array(33)],
    ['an empty array', []],
    ['a number over 255', [...new Uint8Array(31), 256]],
    ['a negative number', [...new Uint8Array(31), -1]],
    ['a fraction', [...new Uint8Array(31), 1.5]],
    ['NaN', [...new Uint8Array(31), Number.NaN]],
    ['an object', {}],
    ['null', null],
    ['a number', 42],
  ])('fromKey refuses %s with ERR_ARGUMENT', async (_label, key) => {
    expect(await codeOf(() => KeySource.fromKey(key as unknown as Uint8Array))).toBe(
      'ERR_ARGUMENT',
    );
  });

  it('fromKey refuses PEM text that does not hold 32 bytes with ERR_KEY_FILE', async () => {
    expect(await codeOf(() => KeySource.fromKey('not a key'))).toBe('ERR_KEY_FILE');
  });

  it('fromPassword and fromFile refuse non-strings', async () => {
    expect(await codeOf(() => KeySource.fromPassword(3 as unknown as string))).toBe('ERR_ARGUMENT');
    expect(await codeOf(() => KeySource.fromFile(''))).toBe('ERR_ARGUMENT');
  });

  it('generate() gives a fresh random key each time', async () => {
    const a = await SecretsManager.create(KeySource.generate());
    const b = await SecretsManager.create(KeySource.generate());
    expect(a.exportKeyBytes()).toHaveLength(32);
    expect(a.exportKeyBytes()).not.toEqual(b.exportKeyBytes());
    a.close();
    b.close();
  });

  it('a disposed key source is zeroed and refuses to give its key', async () => {
    const source = KeySource.fromKey(derived);
    source[Symbol.dispose]();
    expect(await codeOf(() => SecretsManager.fromFile(vaultPath, source))).toBe('ERR_ARGUMENT');
  });

  it.each([
    ['nothing', {}],
    ['two shapes', { password: 'x', key: new Uint8Array(32) }],
    ['null', null],
    ['a string', 'password'],
    ['keySource that is not a KeySource', { keySource: { keyFor: () => new Uint8Array(32) } }],
  ])('refuses an auth of %s with ERR_ARGUMENT', async (_label, auth) => {
    expect(
      await codeOf(() => SecretsManager.fromFile(vaultPath, auth as unknown as AuthOptions)),
    ).toBe('ERR_ARGUMENT');
  });

  it('a missing key file is ERR_NOT_FOUND and a directory is ERR_IO, both naming the path', async () => {
    const missing = tempPath('missing.key');
    await expect(SecretsManager.fromFile(vaultPath, { keyFile: missing })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
      message: expect.stringContaining(missing),
    });
    const dir = tempPath('dir.key');
    mkdirSync(dir);
    await expect(SecretsManager.fromFile(vaultPath, { keyFile: dir })).rejects.toMatchObject({
      code: 'ERR_IO',
      message: expect.stringContaining(dir),
    });
  });
});

describe('exportKey', () => {
  it('writes the 99-byte PEM the reference wrote for the same vault, mode 0600', async () => {
    const vault = await SecretsManager.fromFile(join(VECTORS, '12-legacy-binary-key.json'), {
      keyFile: join(VECTORS, '12-legacy-binary-key.bin.key'),
    });
    const out = tempPath('exported.key');
    // With no umask the mode must still be 0600 (where the umask can be set: not under Stryker).
    const old = UMASK_SETTABLE ? process.umask(0) : undefined;
    try {
      await vault.exportKey(out);
    } finally {
      if (old !== undefined) process.umask(old);
    }
    vault.close();
    expect(readFileSync(out)).toEqual(readFileSync(join(VECTORS, '12-legacy-binary-key.pem.key')));
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('makes an existing world-readable file 0600 when it replaces it', async () => {
    const out = tempPath('existing.key');
    writeFileSync(out, 'old');
    chmodSync(out, 0o644);
    const vault = await SecretsManager.create(KeySource.fromKey(KEY));
    await vault.exportKey(out, { overwrite: true });
    vault.close();
    expect(readFileSync(out, 'utf8')).toBe(PEM);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('refuses to replace a non-empty file unless told to (issue 14 item 9)', async () => {
    const dir = tempPath('lockout');
    mkdirSync(dir);
    const aKey = join(dir, 'a.key');
    const a = await SecretsManager.create(KeySource.generate());
    a.set('db', 'hunter2');
    await a.saveAs(join(dir, 'a.json'));
    await a.exportKey(aKey);
    a.close();
    const before = readFileSync(aKey);

    // A new vault's key exported onto a.key would lock vault a out for good.
    const b = await SecretsManager.create(KeySource.generate());
    const err = await b.exportKey(aKey).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecureStoreError);
    expect([(err as SecureStoreError).code, (err as SecureStoreError).message]).toEqual([
      'ERR_ARGUMENT',
      `${aKey} already exists and is not empty; exportKey does not replace it unless given { overwrite: true }`,
    ]);
    expect(readFileSync(aKey)).toEqual(before);
    const reopened = await SecretsManager.fromFile(join(dir, 'a.json'), { keyFile: aKey });
    expect(reopened.get('db')).toBe('hunter2');
    reopened.close();

    // An empty file (say, from mktemp) is replaced; so is any file with { overwrite: true }.
    const empty = join(dir, 'empty.key');
    writeFileSync(empty, '');
    await b.exportKey(empty);
    expect(readFileSync(empty)).toHaveLength(99);
    await b.exportKey(aKey, { overwrite: true });
    expect(readFileSync(aKey)).toEqual(readFileSync(empty));
    b.close();
  });
});

// What the mutation run (npm run mutate, test/README.md) found no test of the run reaching.
describe('decodeKeyFile: a PEM key that is not 32 bytes', () => {
  it('is refused with its length', () => {
    for (const n of [16, 31, 33, 48]) {
      const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.alloc(n, 1).toString('base64')}\n-----END PRIVATE KEY-----\n`;
      expect(() => decodeKeyFile(Buffer.from(pem), 'k.key')).toThrow(
        expect.objectContaining({
          code: 'ERR_KEY_FILE',
          message: `k.key holds a ${n}-byte key; SecureStore keys are 32 bytes`,
        }),
      );
    }
  });
});

describe('key files: each refusal by its message (spec/format.md §6.2)', () => {
  const B = '-----BEGIN PRIVATE KEY-----';
  const E = '-----END PRIVATE KEY-----';
  const key = Buffer.alloc(32, 3).toString('base64');
  const problem = (bytes: Uint8Array): string => {
    try {
      return `key ${Buffer.from(decodeKeyFile(bytes, 'k.key')).toString('hex')}`;
    } catch (e) {
      if (e instanceof SecureStoreError) return `${e.code} ${e.message}`;
      throw e;
    }
  };
  const pem = (text: string): Uint8Array => Buffer.from(text, 'latin1');
  const threes = `key ${'03'.repeat(32)}`;

  it('reads raw 32 bytes as a copy, and PEM from 33 to 4 096 bytes', () => {
    const raw = new Uint8Array(32).fill(9);
    const got = decodeKeyFile(raw, 'k.key');
    raw.fill(0);
    expect([...got]).toEqual(Array<number>(32).fill(9));
    expect(problem(pem(`${' '.repeat(4096 - 99)}${B}\n${key}\n${E}\n`))).toBe(threes);
    expect(problem(pem(`junk\r\n${B}\r\n${key.slice(0, 20)}\r\n${key.slice(20)}\r\n${E}`))).toBe(
      threes,
    );
    const size = (n: number): string =>
      `ERR_KEY_FILE k.key is not a key file (${n} bytes; a key file is a 99-byte PEM file or 32 raw bytes)`;
    expect(problem(new Uint8Array(31))).toBe(size(31));
    expect(problem(new Uint8Array(0))).toBe(size(0));
    expect(problem(new Uint8Array(4097))).toBe(size(4097));
  });

  it('names the missing line or the bad base64', () => {
    const noBegin = `ERR_KEY_FILE k.key is not a key file: no "${B}" line`;
    const noEnd = `ERR_KEY_FILE k.key is not a key file: no "${E}" line`;
    expect(problem(new Uint8Array(33))).toBe(noBegin);
    expect(problem(pem(`x\n${key}\n${E}\n`.padEnd(99, ' ')))).toBe(noBegin);
    expect(problem(pem(`${B}\n${key}\n`.padEnd(99, ' ')))).toBe(noEnd);
    expect(problem(pem(`${E}\n${B}\n${key}\n`))).toBe(noEnd);
    expect(problem(pem(`${B}\n${key.slice(0, -1)}!\n${E}\n`))).toBe(
      'ERR_KEY_FILE k.key is not a key file: the key is not valid base64',
    );
  });

  it('encodeKeyFile refuses a key that is not 32 bytes', () => {
    expect(() => encodeKeyFile(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT', message: 'key: expected 32 bytes, got 31' }),
    );
  });
});
