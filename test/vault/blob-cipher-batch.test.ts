/**
 * forEachDecrypted (one CBC pass over many blobs) and blobDecryptor (one AES context kept across
 * many calls) must agree with decryptBlob on every blob, and a blob whose bytes were changed must
 * come back null while its neighbours (in the batch, or the calls after it) still decrypt.
 * spec/format.md §3.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blobDecryptor,
  decryptBlob,
  encryptBlob,
  forEachDecrypted,
  splitKey,
  type VaultKeys,
} from '../../src/vault/blob-cipher.js';
import { type Blob } from '../../src/format/blob.js';
import { hmacSha1, randomBytes } from '../../src/crypto/primitives.js';

const keys = splitKey(randomBytes(32));

/** Every plaintext forEachDecrypted shows, copied out before it zeroes its buffer. */
function decryptBlobs(k: VaultKeys, blobs: readonly Blob[]): (Buffer | null)[] {
  const out: (Buffer | null)[] = [];
  forEachDecrypted(k, blobs, (i, plain) => {
    out[i] = plain === null ? null : Buffer.from(plain);
  });
  return out;
}

function flipBit(b64: string, bit: number): string {
  const bytes = Buffer.from(b64, 'base64');
  const i = bit % (bytes.length * 8);
  bytes[i >> 3]! ^= 1 << (i & 7);
  return bytes.toString('base64');
}

describe('forEachDecrypted', () => {
  it('equals decryptBlob for every blob, including empty and multi-block values', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), (values) => {
        const blobs = values.map((v) => encryptBlob(keys, v));
        const batch = decryptBlobs(keys, blobs);
        expect(batch).toHaveLength(values.length);
        blobs.forEach((blob, i) => {
          expect(batch[i]).toEqual(decryptBlob(keys, blob));
          expect(Buffer.from(batch[i]!).equals(Buffer.from(values[i]!))).toBe(true);
        });
      }),
    );
  });

  it('returns null for exactly the tampered blob, whatever bit of iv, hmac or payload flips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.constantFrom('iv', 'hmac', 'payload'),
        fc.nat(),
        (values, which, field, bit) => {
          const blobs: Blob[] = values.map((v) => encryptBlob(keys, v));
          const victim = which % blobs.length;
          const original = blobs[victim]!;
          blobs[victim] = { ...original, [field]: flipBit(original[field as keyof Blob], bit) };
          const batch = decryptBlobs(keys, blobs);
          batch.forEach((plain, i) => {
            if (i === victim) expect(plain).toBeNull();
            else expect(Buffer.from(plain!).equals(Buffer.from(values[i]!))).toBe(true);
          });
        },
      ),
    );
  });

  it('rejects every blob under a different key', () => {
    const blobs = [encryptBlob(keys, Buffer.from('a')), encryptBlob(keys, Buffer.from('b'))];
    expect(decryptBlobs(splitKey(randomBytes(32)), blobs)).toEqual([null, null]);
    expect(decryptBlobs(keys, [])).toEqual([]);
  });
});

/** A blob whose MAC verifies but whose plaintext ends in a zero byte: its padding is bad. */
function badlyPadded(k: VaultKeys): Blob {
  const good = encryptBlob(k, new Uint8Array(16)); // 16 zero bytes, then a whole padding block
  const iv = Buffer.from(good.iv, 'base64');
  const first = Buffer.from(good.payload, 'base64').subarray(0, 16);
  return {
    iv: good.iv,
    payload: first.toString('base64'),
    hmac: hmacSha1(k.hmac, iv, first).toString('base64'),
  };
}

/** `blob` with three bytes more ciphertext than whole blocks, and a MAC that verifies over it. */
function partialBlock(k: VaultKeys, blob: Blob): Blob {
  const iv = Buffer.from(blob.iv, 'base64');
  const payload = Buffer.concat([Buffer.from(blob.payload, 'base64'), Buffer.from([1, 2, 3])]);
  return {
    iv: blob.iv,
    payload: payload.toString('base64'),
    hmac: hmacSha1(k.hmac, iv, payload).toString('base64'),
  };
}

describe('blobDecryptor', () => {
  const plain = (p: Uint8Array | null) => (p === null ? null : Buffer.from(p));

  it('equals decryptBlob for every blob, call after call, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), (values) => {
        const blobs = values.map((v) => encryptBlob(keys, v));
        const decrypt = blobDecryptor(keys);
        for (const order of [blobs, [...blobs].reverse(), [...blobs, ...blobs]]) {
          for (const blob of order) expect(plain(decrypt(blob))).toEqual(decryptBlob(keys, blob));
        }
        blobs.forEach((blob, i) =>
          expect(Buffer.from(decrypt(blob)!).equals(Buffer.from(values[i]!))).toBe(true),
        );
      }),
    );
  });

  it('returns null for a tampered, short or badly padded blob, and the next call still decrypts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('iv', 'hmac', 'payload'),
        fc.nat(),
        (values, field, bit) => {
          const decrypt = blobDecryptor(keys);
          const good = values.map((v) => encryptBlob(keys, v));
          const original = good[0]!;
          const bad: Blob[] = [
            { ...original, [field]: flipBit(original[field as keyof Blob], bit) },
            { ...original, payload: '' },
            partialBlock(keys, original), // a MAC that verifies over a partial last block
            { ...original, iv: 'AAAA' },
            badlyPadded(keys),
          ];
          for (const blob of bad) {
            expect(decryptBlob(keys, blob)).toBeNull();
            expect(decrypt(blob)).toBeNull();
            good.forEach((g, i) =>
              expect(Buffer.from(decrypt(g)!).equals(Buffer.from(values[i]!))).toBe(true),
            );
          }
        },
      ),
    );
  });

  it('rejects every blob under a different key', () => {
    const decrypt = blobDecryptor(splitKey(randomBytes(32)));
    expect(decrypt(encryptBlob(keys, Buffer.from('a')))).toBeNull();
    expect(decrypt(badlyPadded(keys))).toBeNull();
  });
});
