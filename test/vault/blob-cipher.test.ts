/**
 * forEachDecrypted (one CBC pass over many blobs) must agree with decryptBlob on every blob, and a
 * blob whose bytes were changed must come back null while its neighbours still decrypt.
 * spec/format.md §3.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decryptBlob,
  encryptBlob,
  forEachDecrypted,
  splitKey,
  type VaultKeys,
} from '../../src/vault/blob-cipher.js';
import { type Blob } from '../../src/format/blob.js';
import { randomBytes } from '../../src/crypto/primitives.js';

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
