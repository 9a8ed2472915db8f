// spec/seal.md §2, §4: HKDF-SHA256 and HMAC-SHA256 against their RFCs' published test vectors.
import { describe, expect, it } from 'vitest';
import {
  hkdfSha256,
  hmacSha256,
  SHA256_BYTES,
  startHmacSha256,
} from '../../src/crypto/hmac-sha256.js';
import { importKey } from '../../src/crypto/primitives.js';

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('hkdfSha256', () => {
  it('gives RFC 5869 test case 1', () => {
    const okm = hkdfSha256(
      hex('0b'.repeat(22)),
      hex('000102030405060708090a0b0c'),
      hex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(toHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('gives RFC 5869 test case 3 (empty salt and info)', () => {
    const okm = hkdfSha256(hex('0b'.repeat(22)), new Uint8Array(0), new Uint8Array(0), 42);
    expect(toHex(okm)).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('returns a Uint8Array of the length asked for', () => {
    const okm = hkdfSha256(new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), 32);
    expect(okm).toBeInstanceOf(Uint8Array);
    expect(okm.length).toBe(SHA256_BYTES);
  });
});

describe('hmacSha256', () => {
  it('gives RFC 4231 test case 1, with raw and imported keys alike', () => {
    const key = hex('0b'.repeat(20));
    const data = new TextEncoder().encode('Hi There');
    const expected = 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7';
    expect(toHex(hmacSha256(key, data))).toBe(expected);
    expect(toHex(hmacSha256(importKey(key), data))).toBe(expected);
  });

  it('gives RFC 4231 test case 2', () => {
    const mac = hmacSha256(
      new TextEncoder().encode('Jefe'),
      new TextEncoder().encode('what do ya want for nothing?'),
    );
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('startHmacSha256', () => {
  it('gives the MAC of its pieces joined, as hmacSha256 does, and another for other pieces', () => {
    const key = new Uint8Array(32).fill(0x0b);
    const mac = startHmacSha256(key);
    mac.update(Buffer.from('Hi '));
    mac.update(Buffer.from('There'));
    const joined = hmacSha256(key, Buffer.from('Hi There'));
    expect(Buffer.from(mac.digest())).toEqual(Buffer.from(joined));
    const empty = startHmacSha256(importKey(key)).digest();
    expect(Buffer.from(empty)).not.toEqual(Buffer.from(joined));
    expect(Buffer.from(empty)).toEqual(Buffer.from(hmacSha256(key, new Uint8Array(0))));
  });
});
