/**
 * src/crypto/primitives.ts, properties: constantTimeEqualText (the MAC comparison of one `get`)
 * agrees with `===` on every pair of strings, whatever lengths came before it (its scratch buffer
 * and views are reused and grown), code units above 0xFF and lone surrogates included; and the
 * two AES-128-CBC decryptions (one copy-free when `final()` adds nothing) against each other.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aesCbcDecrypt,
  aesCbcDecryptRaw,
  aesCbcEncrypt,
  constantTimeEqualText,
  importKey,
} from '../../src/crypto/primitives.js';

/** Strings of any UTF-16 code units, lone surrogates included, up to past the first scratch. */
const anyText = fc.string({ unit: 'binary', maxLength: 80 });

describe('constantTimeEqualText', () => {
  it('is === for any two strings, and for a string and a copy of it with one unit changed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyText, anyText, fc.nat())), (pairs) => {
        for (const [a, b, at] of pairs) {
          expect(constantTimeEqualText(a, b)).toBe(a === b);
          expect(constantTimeEqualText(a, a.slice())).toBe(true);
          if (a.length > 0) {
            const i = at % a.length;
            // a unit that differs from a[i] in its high byte only, or in its low byte only
            for (const flip of [0x100, 0x01]) {
              const changed =
                a.slice(0, i) + String.fromCharCode(a.charCodeAt(i) ^ flip) + a.slice(i + 1);
              expect(constantTimeEqualText(a, changed)).toBe(false);
              expect(constantTimeEqualText(changed, a)).toBe(false);
            }
          }
        }
      }),
    );
  });

  it('is false for different lengths, and true for two empty strings', () => {
    expect(constantTimeEqualText('', '')).toBe(true);
    expect(constantTimeEqualText('abc', 'abcd')).toBe(false);
    expect(constantTimeEqualText('abcd', 'abc')).toBe(false);
    expect(constantTimeEqualText('', 'a')).toBe(false);
    // a long string grows the scratch; a short one after it still compares exactly
    const long = 'x'.repeat(1000);
    expect(constantTimeEqualText(long, long)).toBe(true);
    expect(constantTimeEqualText(long, `${long.slice(1)}y`)).toBe(false);
    expect(constantTimeEqualText('\u0100', '\u0000')).toBe(false);
    expect(constantTimeEqualText('ab', 'ab')).toBe(true);
  });
});

describe('aesCbcDecrypt and aesCbcDecryptRaw', () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

  it('give back the plaintext, Raw with its PKCS#7 padding, Decrypt without', () => {
    fc.assert(
      fc.property(bytes(16), bytes(16), fc.uint8Array({ maxLength: 70 }), (k, iv, plain) => {
        const key = importKey(k);
        const sealed = aesCbcEncrypt(key, iv, plain);
        const pad = 16 - (plain.length % 16);
        const padded = Buffer.concat([Buffer.from(plain), Buffer.alloc(pad, pad)]);
        expect(Buffer.from(aesCbcDecryptRaw(key, iv, sealed)).equals(padded)).toBe(true);
        expect(Buffer.from(aesCbcDecrypt(key, iv, sealed)).equals(Buffer.from(plain))).toBe(true);
      }),
    );
  });

  it('throw on a partial block (Raw) and on bad padding (Decrypt)', () => {
    const key = importKey(new Uint8Array(16).fill(3));
    const iv = new Uint8Array(16);
    expect(() => aesCbcDecryptRaw(key, iv, new Uint8Array(17))).toThrow();
    // A block whose plaintext ends in 0x00 is not PKCS#7: one raw-encrypted zero block.
    const zeroBlock = aesCbcEncrypt(key, iv, new Uint8Array(16)).subarray(0, 16);
    expect(() => aesCbcDecrypt(key, iv, zeroBlock)).toThrow();
  });
});
