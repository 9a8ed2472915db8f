/**
 * The key-length rule of the one opener (spec/format.md §1): a key source that gives anything but
 * 32 bytes is refused with a message naming what it gave, and what it gave is zeroed.
 */
import { describe, expect, it } from 'vitest';
import { SecureStoreError } from '../../src/errors.js';
import type { KeySource } from '../../src/keys/key-source.js';
import { decryptBlob, encryptBlob, splitKey } from '../../src/vault/blob-cipher.js';
import {
  checkKeyLength,
  keyForDocument,
  keyOpens,
  secretsProveKeyForWriting,
  unprovenWriteMessage,
  wrongKeyMessage,
  vaultAndSealKeysFor,
  vaultKeysFor,
} from '../../src/vault/opener.js';
import { computeTag, deriveSealKeys } from '../../src/vault/seal.js';

const IV = Buffer.alloc(16, 9).toString('base64');

/** A key source that gives `key` itself (not a copy), so a test sees what the caller did to it. */
function sourceGiving(key: Uint8Array): KeySource & { ivs: Uint8Array[] } {
  const ivs: Uint8Array[] = [];
  return {
    type: 'key',
    description: 'a test key',
    ivs,
    keyFor: (vaultIv) => {
      ivs.push(Uint8Array.from(vaultIv));
      return Promise.resolve(key);
    },
    dispose: () => undefined,
    [Symbol.dispose]: () => undefined,
  };
}

function errorOf(fn: () => unknown): SecureStoreError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SecureStoreError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('opener: a key source must give 32 bytes (spec/format.md §1)', () => {
  it('checkKeyLength names the length it was given, or undefined for a non-key', () => {
    expect(() => checkKeyLength(new Uint8Array(32))).not.toThrow();
    for (const n of [0, 16, 31, 33, 64]) {
      const e = errorOf(() => checkKeyLength(new Uint8Array(n)));
      expect([e.code, e.message]).toEqual([
        'ERR_ARGUMENT',
        `key source returned ${n} bytes; a vault key is 32 bytes`,
      ]);
    }
    const e = errorOf(() => checkKeyLength(undefined as unknown as Uint8Array));
    expect([e.code, e.message]).toEqual([
      'ERR_ARGUMENT',
      'key source returned undefined bytes; a vault key is 32 bytes',
    ]);
  });

  it('keyForDocument asks for the vault iv, and zeroes a key of the wrong length', async () => {
    const short = new Uint8Array(31).fill(5);
    const source = sourceGiving(short);
    await expect(keyForDocument({ iv: IV }, source)).rejects.toMatchObject({
      code: 'ERR_ARGUMENT',
      message: 'key source returned 31 bytes; a vault key is 32 bytes',
    });
    expect([...short]).toEqual(Array<number>(31).fill(0));
    expect(source.ivs).toEqual([new Uint8Array(16).fill(9)]);
  });

  it('vaultKeysFor gives the halves of the key, and zeroes the key bytes', async () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    const blob = encryptBlob(splitKey(Uint8Array.from(key)), new TextEncoder().encode('value'));
    const keys = await vaultKeysFor({ iv: IV }, sourceGiving(key));
    expect([...key]).toEqual(Array<number>(32).fill(0));
    expect(Buffer.from(decryptBlob(keys, blob)!).toString()).toBe('value');
  });

  it('vaultAndSealKeysFor gives the halves and the seal keys, and zeroes the key bytes', async () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
    const expected = deriveSealKeys(Uint8Array.from(key));
    const blob = encryptBlob(splitKey(Uint8Array.from(key)), new TextEncoder().encode('v'));
    const { keys, seal } = await vaultAndSealKeysFor({ iv: IV }, sourceGiving(key));
    expect([...key]).toEqual(Array<number>(32).fill(0));
    expect(Buffer.from(decryptBlob(keys, blob)!).toString()).toBe('v');
    // The seal keys are OpenSSL keys: compared by what they compute.
    expect(computeTag(seal, IV, 'n', blob)).toBe(computeTag(expected, IV, 'n', blob));
    expect(computeTag(seal, IV, 'n', blob)).not.toBe(
      computeTag(deriveSealKeys(new Uint8Array(32)), IV, 'n', blob),
    );
  });
});

describe('opener: verdicts and messages the mutation run found untested', () => {
  const KEY = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);

  it('a vault with a sentinel is opened by its sentinel alone (spec/format.md §4.1)', () => {
    const keys = splitKey(KEY);
    const sentinel = encryptBlob(keys, new Uint8Array(32));
    expect(keyOpens({ sentinel, secrets: new Map() }, keys)).toBe(true);
    expect(keyOpens({ sentinel, secrets: new Map() }, splitKey(new Uint8Array(32)))).toBe(false);
    expect(keyOpens({ sentinel: null, secrets: new Map() }, keys)).toBeUndefined();
  });

  it('no proving secret proves a key for writing, not even a password (spec/format.md §4.2)', () => {
    expect(secretsProveKeyForWriting({ type: 'password' }, 0)).toBe(false);
    expect(secretsProveKeyForWriting({ type: 'password' }, 1)).toBe(true);
    expect(secretsProveKeyForWriting({ type: 'key' }, 0)).toBe(false);
    expect(secretsProveKeyForWriting({ type: 'key' }, 15)).toBe(false);
    expect(secretsProveKeyForWriting({ type: 'key' }, 16)).toBe(true);
  });

  it('the messages of an unproven write and of a wrong key', () => {
    const tail =
      ', and the sentinel a write adds would lock the right key out (spec/format.md §4.2); nothing was changed. Check that the values read right, then add a sentinel (SecretsManager#addSentinel)';
    expect(unprovenWriteMessage('v.json', 1)).toBe(
      `v.json has no sentinel and only 1 secret to prove the key, too few for a write: a key file damaged in its first half would pass it${tail}`,
    );
    expect(unprovenWriteMessage('v.json', 2)).toBe(
      `v.json has no sentinel and only 2 secrets to prove the key, too few for a write: a key file damaged in its first half would pass them${tail}`,
    );
    expect(wrongKeyMessage({ type: 'password', description: 'the password' }, 'v.json')).toBe(
      'wrong password for v.json (the password does not open it)',
    );
    expect(wrongKeyMessage({ type: 'key', description: 'key file k.key' }, 'v.json')).toBe(
      'wrong key for v.json (key file k.key does not open it)',
    );
  });
});
