/**
 * What a mutation run (npm run mutate, issue 14 item 18) showed no test noticing in the blob
 * cipher: the batch's plaintext buffer is zeroed after the visits, and every byte of the PKCS#7
 * padding is checked (a pad byte of 0 or over 16 refused), by the batch (our own check) and by
 * decryptBlob (OpenSSL's) alike. spec/format.md §3.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Blob } from '../../src/format/blob.js';
import {
  decryptBlob,
  encryptBlob,
  forEachDecrypted,
  splitKey,
  verifyBlob,
} from '../../src/vault/blob-cipher.js';
import { randomBytes } from '../../src/crypto/primitives.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const keys = splitKey(KEY);

/**
 * A blob whose decrypted bytes are exactly `plain` (whole blocks, no padding added): its MAC is
 * valid under KEY, so only the padding check can refuse it.
 */
function rawBlob(plain: Uint8Array, iv: Uint8Array = randomBytes(16)): Blob {
  const cipher = createCipheriv('aes-128-cbc', KEY.subarray(0, 16), iv);
  cipher.setAutoPadding(false);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const mac = createHmac('sha1', KEY.subarray(16, 32)).update(iv).update(ciphertext).digest();
  return {
    iv: Buffer.from(iv).toString('base64'),
    hmac: mac.toString('base64'),
    payload: ciphertext.toString('base64'),
  };
}

/** What the batch shows for each blob: its plaintext (copied), or null, and whether its MAC held. */
function batch(blobs: readonly Blob[]): { plain: number[] | null; mac: boolean }[] {
  const out: { plain: number[] | null; mac: boolean }[] = [];
  forEachDecrypted(keys, blobs, (i, plain, mac) => {
    out[i] = { plain: plain === null ? null : [...plain], mac };
  });
  return out;
}

/** A block of `data` bytes followed by `padding` (given byte by byte). */
function block(data: number[], padding: number[]): Uint8Array {
  return Uint8Array.from([...data, ...padding]);
}

describe('PKCS#7 padding: every padding byte is checked (spec/format.md §3.2)', () => {
  const cases: [string, Uint8Array, number[] | null][] = [
    ['one byte of padding', block(Array(15).fill(0x41), [1]), Array(15).fill(0x41)],
    ['five bytes of padding', block(Array(11).fill(0x42), [5, 5, 5, 5, 5]), Array(11).fill(0x42)],
    ['a full block of padding', block([], Array(16).fill(16)), []],
    ['a pad byte of 0', block(Array(15).fill(0x41), [0]), null],
    ['a pad byte over 16', block(Array(15).fill(0x41), [17]), null],
    ['a pad byte of 0xff', block(Array(15).fill(0x41), [0xff]), null],
    ['the first of five padding bytes wrong', block(Array(11).fill(1), [4, 5, 5, 5, 5]), null],
    ['a middle padding byte wrong', block(Array(11).fill(1), [5, 5, 6, 5, 5]), null],
    ['the byte before the last wrong', block(Array(11).fill(1), [5, 5, 5, 0, 5]), null],
    ['sixteen, the first one wrong', block([], [15, ...Array(15).fill(16)]), null],
    // Two blocks ending in 17 bytes of 17: "padding" longer than a block is never PKCS#7.
    [
      'seventeen bytes of 17 over two blocks',
      block(Array(15).fill(0x41), Array(17).fill(17)),
      null,
    ],
    ['thirty-two bytes of 32', block([], Array(32).fill(32)), null],
  ];
  it.each(cases)('%s', (_name, plain, expected) => {
    const blob = rawBlob(plain);
    expect(batch([blob])).toEqual([{ plain: expected, mac: true }]);
    const alone = decryptBlob(keys, blob);
    expect(alone === null ? null : [...alone]).toEqual(expected);
  });

  it('a blob with an empty payload (which the vault reader refuses) decrypts to nothing', () => {
    const blob = rawBlob(new Uint8Array(0));
    expect(blob.payload).toBe('');
    expect(batch([blob])).toEqual([{ plain: null, mac: true }]);
    expect(decryptBlob(keys, blob)).toBeNull();
  });

  it('a bad padding is found in any blob of a batch, the others still decrypt', () => {
    const good = encryptBlob(keys, Uint8Array.from([1, 2, 3]));
    const bad = rawBlob(block(Array(14).fill(9), [1, 2]));
    expect(batch([good, bad, good])).toEqual([
      { plain: [1, 2, 3], mac: true },
      { plain: null, mac: true },
      { plain: [1, 2, 3], mac: true },
    ]);
  });

  it('any single padding byte changed is refused (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (pad, at, value) => {
          const where = at % (pad - 1); // not the last byte: it names the length
          fc.pre(value !== pad);
          const padding = Array<number>(pad).fill(pad);
          padding[where] = value;
          const plain = block(Array(16 - pad).fill(0x61), padding);
          expect(batch([rawBlob(plain)])).toEqual([{ plain: null, mac: true }]);
          expect(decryptBlob(keys, rawBlob(plain))).toBeNull();
        },
      ),
    );
  });
});

describe('forEachDecrypted zeroes the plaintext it showed', () => {
  it('every view handed to visit reads as zeros once the batch returns', () => {
    const values = ['hunter2', 'a longer secret value of several blocks, 48 bytes', ''].map((v) =>
      new TextEncoder().encode(v),
    );
    const views: Uint8Array[] = [];
    forEachDecrypted(
      keys,
      values.map((v) => encryptBlob(keys, v)),
      (i, plain) => {
        expect(Buffer.from(plain!).equals(Buffer.from(values[i]!))).toBe(true);
        views.push(plain!);
      },
    );
    expect(views).toHaveLength(3);
    for (const view of views) {
      // The whole buffer under the views, padding included, not only the bytes shown.
      const under = new Uint8Array(view.buffer, view.byteOffset, view.length);
      expect(under.every((b) => b === 0)).toBe(true);
    }
    expect(views[1]!.length).toBe(values[1]!.length);
  });

  it('also when a visit throws', () => {
    let seen: Uint8Array | undefined;
    expect(() =>
      forEachDecrypted(keys, [encryptBlob(keys, Uint8Array.from([7, 7, 7]))], (_i, plain) => {
        seen = plain!;
        throw new Error('stop');
      }),
    ).toThrow('stop');
    expect([...seen!]).toEqual([0, 0, 0]);
  });
});

describe('verifyBlob checks the MAC only', () => {
  it('true for a blob made with the key, false when any field changes or the HMAC half differs', () => {
    const blob = encryptBlob(keys, Uint8Array.from([1, 2, 3]));
    expect(verifyBlob(keys, blob)).toBe(true);
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0]! ^= 1;
      return bytes.toString('base64');
    };
    expect(verifyBlob(keys, { ...blob, iv: flip(blob.iv) })).toBe(false);
    expect(verifyBlob(keys, { ...blob, payload: flip(blob.payload) })).toBe(false);
    expect(verifyBlob(keys, { ...blob, hmac: flip(blob.hmac) })).toBe(false);
    const otherHmac = Uint8Array.from(KEY);
    otherHmac[31]! ^= 1;
    expect(verifyBlob(splitKey(otherHmac), blob)).toBe(false);
    // Another AES half does not matter to the MAC (spec/format.md §1.3), even where padding fails.
    const otherAes = Uint8Array.from(KEY);
    otherAes[0]! ^= 1;
    expect(verifyBlob(splitKey(otherAes), blob)).toBe(true);
    expect(verifyBlob(keys, rawBlob(block(Array(15).fill(1), [0])))).toBe(true);
  });
});
