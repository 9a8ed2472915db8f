/**
 * The library through the real @aws-sdk/client-kms over HTTP: the local KMS test server, or the
 * endpoint in SECURESTORE_TEST_KMS_ENDPOINT (no control API needed here).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { randomBytes } from '../../src/crypto/primitives.js';
import { isSecureStoreError } from '../../src/errors.js';
import {
  addWrapping,
  formatWrappedKeyFile,
  KeySource,
  removeWrapping,
  SecretsManager,
  type KmsWrapping,
  wrapKey as wrapAny,
  type WrappedKeyFile as AnyWrappedKeyFile,
} from '../../src/index.js';
import type { KmsOptions } from '../../src/kms/options.js';
import { tempDir } from '../helpers/vaults.js';
import {
  kmsFailure,
  kmsOnly,
  kmsTarget,
  parseKmsOnly as parseWrappedKeyFile,
} from '../helpers/kms.js';

type WrappedKeyFile = AnyWrappedKeyFile<KmsWrapping>;
/** wrapKey, its result typed as KMS wrappings only (it is checked to be). */
const wrapKey = async (...args: Parameters<typeof wrapAny>) => kmsOnly(await wrapAny(...args));

const target = kmsTarget();
const kms: KmsOptions = { endpoint: target.endpoint, region: target.region };

beforeAll(() => {
  // The SDK in this worker reads credentials from the environment, as in production.
  Object.assign(process.env, target.env);
});

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('kms-lib-'));
});
afterEach(() => cleanup());

/** A new vault with one secret, its key wrapped under `keyIds`; returns the paths and key. */
async function kmsVault(keyIds: string[]): Promise<{
  vault: string;
  keyFile: string;
  key: Uint8Array;
  file: WrappedKeyFile;
}> {
  const key = randomBytes(32);
  const file = await wrapKey(key, { keyIds, ...kms });
  const keyFile = join(dir, 'secrets.kms.json');
  writeFileSync(keyFile, formatWrappedKeyFile(file));
  const vault = join(dir, 'secrets.json');
  const manager = await SecretsManager.create(KeySource.fromKey(key));
  manager.set('db', 'hunter2');
  await manager.saveAs(vault);
  manager.close();
  return { vault, keyFile, key, file };
}

function rewrite(path: string, edit: (file: WrappedKeyFile) => WrappedKeyFile): void {
  const file = parseWrappedKeyFile(readFileSync(path), path);
  writeFileSync(path, formatWrappedKeyFile(edit(file)));
}

describe('create → set → get through KMS', () => {
  it('wraps under two keys, then opens the vault through the wrapped key file', async () => {
    const { vault, keyFile, key, file } = await kmsVault([target.key1, target.key2]);
    expect(file.wrappings).toHaveLength(2);
    for (const w of file.wrappings) {
      expect(w.keyArn).toMatch(new RegExp(`^arn:aws:kms:${target.region}:\\d{12}:key/`));
      expect(w.region).toBe(target.region);
      expect(w.context).toEqual({ purpose: 'securestore-vault-key' });
    }
    expect(file.wrappings[0]!.keyArn).not.toBe(file.wrappings[1]!.keyArn);

    // auto-detection: { keyFile } on a wrapped key file unwraps through KMS
    await SecretsManager.update(vault, { keyFile, kms }, (v) => v.set('api', 'k3y'));
    const source = KeySource.fromKmsFile(keyFile, kms);
    const opened = await SecretsManager.fromFile(vault, source);
    expect(opened.get('db')).toBe('hunter2');
    expect(opened.get('api')).toBe('k3y');
    expect(opened.exportKeyBytes()).toEqual(key);
    opened.close();
    source.dispose();

    // still a standard v3 vault: the plain key opens it
    const plain = await SecretsManager.fromFile(vault, { key });
    expect(plain.get('api')).toBe('k3y');
    plain.close();
  });

  it('wraps with extra context pairs, which are sent on every decrypt', async () => {
    const key = randomBytes(32);
    const file = await wrapKey(key, {
      keyIds: [target.key1],
      context: { vault: 'payments' },
      ...kms,
    });
    expect(file.wrappings[0]!.context).toEqual({
      purpose: 'securestore-vault-key',
      vault: 'payments',
    });
    const path = join(dir, 'k.kms.json');
    writeFileSync(path, formatWrappedKeyFile(file));
    const source = KeySource.fromFile(path, { kms });
    expect(await source.keyFor(new Uint8Array(16))).toEqual(key);
    source.dispose();
  });

  it('addWrapping and removeWrapping: the remaining wrapping still opens the vault', async () => {
    const { vault, keyFile, key, file } = await kmsVault([target.key1]);
    const two = await addWrapping(file, key, { keyId: target.key2, ...kms });
    expect(two.wrappings).toHaveLength(2);
    const onlySecond = removeWrapping(two, 1);
    writeFileSync(keyFile, formatWrappedKeyFile(onlySecond));
    const opened = await SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms));
    expect(opened.get('db')).toBe('hunter2');
    opened.close();
  });
});

describe("addWrapping proves the key is the file's (issue 14 item 7)", () => {
  it("a key that is not the file's is refused before anything is wrapped: ERR_WRONG_KEY", async () => {
    const { key, file } = await kmsVault([target.key1]);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (other) => {
        fc.pre(!Buffer.from(other).equals(Buffer.from(key)));
        const err = await addWrapping(file, other, { keyId: target.key2, ...kms }).catch(
          (e: unknown) => e,
        );
        expect(isSecureStoreError(err, 'ERR_WRONG_KEY')).toBe(true);
        expect((err as Error).message).toBe(
          'key: not the key this wrapped key file wraps (its wrappings unwrap to another key); nothing was added',
        );
      }),
      { numRuns: 8 },
    );
  });

  it("the file's key with one bit flipped is refused; the file's key itself is added", async () => {
    const { key, file } = await kmsVault([target.key1]);
    for (const bit of [0, 7, 128, 255]) {
      const near = Uint8Array.from(key);
      near[bit >> 3]! ^= 1 << (bit & 7);
      const err = await addWrapping(file, near, { keyId: target.key2, ...kms }).catch(
        (e: unknown) => e,
      );
      expect(isSecureStoreError(err, 'ERR_WRONG_KEY')).toBe(true);
    }
    const two = await addWrapping(file, key, { keyId: target.key2, ...kms });
    expect(two.wrappings).toHaveLength(2);
    const second = removeWrapping(two, 1);
    const { unwrapWrappedKey } = await import('../../src/index.js');
    expect(await unwrapWrappedKey(second, 'k.kms.json', kms)).toEqual(key);
  });
});

describe('a changed wrapped key file is refused by KMS, with its own error', () => {
  it('wrong encryption context: ERR_KMS_CIPHERTEXT naming the key and the file, exit 4', async () => {
    const { vault, keyFile, file } = await kmsVault([target.key1]);
    rewrite(keyFile, (f) => ({
      ...f,
      wrappings: [
        { ...f.wrappings[0]!, context: { purpose: 'securestore-vault-key', vault: 'x' } },
      ],
    }));
    const err = await kmsFailure(
      SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms)),
    );
    expect(err.code).toBe('ERR_KMS_CIPHERTEXT');
    expect(err.message).toBe(
      `KMS key ${file.wrappings[0]!.keyArn} cannot decrypt the wrapped key in ${keyFile}: its encryption context or ciphertext was changed; restore the file from version control`,
    );
    expect(exitCodeFor(err)).toBe(EXIT.KMS);
  });

  it('a missing context pair and a flipped ciphertext bit fail the same way', async () => {
    const { keyFile } = await kmsVault([target.key1]);
    const original = readFileSync(keyFile);
    rewrite(keyFile, (f) => ({ ...f, wrappings: [{ ...f.wrappings[0]!, context: {} }] }));
    expect(
      (await kmsFailure(KeySource.fromKmsFile(keyFile, kms).keyFor(new Uint8Array(16)))).code,
    ).toBe('ERR_KMS_CIPHERTEXT');
    writeFileSync(keyFile, original);
    rewrite(keyFile, (f) => {
      const blob = Buffer.from(f.wrappings[0]!.ciphertext, 'base64');
      blob[blob.length - 1]! ^= 1;
      return { ...f, wrappings: [{ ...f.wrappings[0]!, ciphertext: blob.toString('base64') }] };
    });
    expect(
      (await kmsFailure(KeySource.fromKmsFile(keyFile, kms).keyFor(new Uint8Array(16)))).code,
    ).toBe('ERR_KMS_CIPHERTEXT');
  });

  it('ciphertexts swapped between two keys: ERR_KMS_WRONG_KEY for each, listed together', async () => {
    const { vault, keyFile, file } = await kmsVault([target.key1, target.key2]);
    const [a, b] = file.wrappings as [
      WrappedKeyFile['wrappings'][0],
      WrappedKeyFile['wrappings'][0],
    ];
    rewrite(keyFile, (f) => ({
      ...f,
      wrappings: [
        { ...a, ciphertext: b.ciphertext },
        { ...b, ciphertext: a.ciphertext },
      ],
    }));
    const err = await kmsFailure(
      SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms)),
    );
    expect(err.code).toBe('ERR_KMS_WRONG_KEY');
    expect(err.failures.map((f) => [f.code, f.kmsKey])).toEqual([
      ['ERR_KMS_WRONG_KEY', a.keyArn],
      ['ERR_KMS_WRONG_KEY', b.keyArn],
    ]);
    expect(err.message).toBe(
      `cannot unwrap the key in ${keyFile}: none of its 2 wrappings worked: (1) KMS key ${a.keyArn}: the wrapped key recorded for it in ${keyFile} was made under another KMS key; restore the file from version control; (2) KMS key ${b.keyArn}: the wrapped key recorded for it in ${keyFile} was made under another KMS key; restore the file from version control`,
    );
  });

  it('only the first ciphertext swapped: failover to the second wrapping opens the vault', async () => {
    const { vault, keyFile, file } = await kmsVault([target.key1, target.key2]);
    rewrite(keyFile, (f) => ({
      ...f,
      wrappings: [
        { ...f.wrappings[0]!, ciphertext: file.wrappings[1]!.ciphertext },
        f.wrappings[1]!,
      ],
    }));
    const opened = await SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms));
    expect(opened.get('db')).toBe('hunter2');
    opened.close();
  });

  it('a KMS key that does not exist: ERR_KMS_NOT_FOUND naming it', async () => {
    const missing = `alias/securestore-missing-${Date.now()}`;
    const err = await kmsFailure(wrapKey(randomBytes(32), { keyIds: [missing], ...kms }));
    expect(err.code).toBe('ERR_KMS_NOT_FOUND');
    expect(err.message).toBe(
      `KMS key ${missing} was not found in ${target.region}; check the key id or alias, the region (KmsOptions.region) and the AWS account`,
    );
  });

  it('a malformed wrapped key file is ERR_KMS_KEY_FILE before any KMS call (exit 1)', async () => {
    const path = join(dir, 'bad.kms.json');
    writeFileSync(path, '{"type":"securestore-kms-wrapped-key","version":1,"wrappings":[]}');
    let code = '';
    try {
      await KeySource.fromFile(path, { kms }).keyFor(new Uint8Array(16));
    } catch (err) {
      if (isSecureStoreError(err)) code = `${err.code}: ${err.message}`;
    }
    expect(code).toBe(
      `ERR_KMS_KEY_FILE: ${path} is not a valid wrapped key file: "wrappings" is empty: the file opens nothing`,
    );
  });
});

describe('property: a changed wrapped key file never yields another key', () => {
  it('any one byte changed: refused with a typed error, or the same key', async () => {
    const { keyFile, key } = await kmsVault([target.key1, target.key2]);
    const original = readFileSync(keyFile);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: original.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const changed = Buffer.from(original);
          changed[at]! ^= xor;
          const path = join(dir, `changed-${at}-${xor}.kms.json`);
          writeFileSync(path, changed);
          try {
            const got = await KeySource.fromFile(path, { kms }).keyFor(new Uint8Array(16));
            expect(got).toEqual(key);
          } catch (err) {
            expect(isSecureStoreError(err)).toBe(true);
            expect((err as { code: string }).code).toMatch(/^ERR_(KMS|KEY_FILE)/);
          }
        },
      ),
      { numRuns: target.local ? 60 : 15 },
    );
  });
});
