/**
 * src/crypto/primitives.ts: what a mutation run (npm run mutate) showed no test noticing:
 * zeroize overwrites in place, and constantTimeEqual refuses unequal lengths without throwing.
 */
import { describe, expect, it } from 'vitest';
import {
  aesCbcDecrypt,
  aesCbcDecryptChain,
  aesCbcEncrypt,
  constantTimeEqual,
  importKey,
  zeroize,
} from '../../src/crypto/primitives.js';

describe('zeroize', () => {
  it('overwrites every byte in place, views included, and accepts nothing to zero', () => {
    const whole = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    zeroize(whole.subarray(8, 24));
    expect([...whole.subarray(0, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(whole.subarray(8, 24).every((b) => b === 0)).toBe(true);
    expect(whole[24]).toBe(25);
    zeroize(whole);
    expect(whole.every((b) => b === 0)).toBe(true);
    expect(() => zeroize(null)).not.toThrow();
    expect(() => zeroize(undefined)).not.toThrow();
  });
});

describe('constantTimeEqual', () => {
  it('is false for different lengths (never a throw) and compares every byte', () => {
    const a = Uint8Array.from([1, 2, 3, 4]);
    expect(constantTimeEqual(a, Uint8Array.from([1, 2, 3, 4]))).toBe(true);
    expect(constantTimeEqual(a, Uint8Array.from([1, 2, 3]))).toBe(false);
    expect(constantTimeEqual(a, Uint8Array.from([1, 2, 3, 4, 5]))).toBe(false);
    expect(constantTimeEqual(a, Uint8Array.from([0, 2, 3, 4]))).toBe(false);
    expect(constantTimeEqual(a, Uint8Array.from([1, 2, 3, 5]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe('AES-128-CBC helpers', () => {
  const key = importKey(new Uint8Array(16).fill(7));
  const iv = new Uint8Array(16).fill(1);
  const plain = Buffer.from('seventeen bytes!!');

  it('aesCbcDecrypt reverses aesCbcEncrypt (padding removed), to the exact bytes', () => {
    const sealed = aesCbcEncrypt(key, iv, plain);
    expect(sealed.length).toBe(32);
    expect(aesCbcDecrypt(key, iv, sealed)).toEqual(plain);
  });

  it('aesCbcDecryptChain refuses a partial block by name', () => {
    const chain = aesCbcDecryptChain(key);
    expect(() => chain(new Uint8Array(17))).toThrow(
      new RangeError('aesCbcDecryptChain: partial block'),
    );
  });
});
