/**
 * src/crypto/primitives.ts: what a mutation run (npm run mutate) showed no test noticing:
 * zeroize overwrites in place, and constantTimeEqual refuses unequal lengths without throwing.
 */
import { createDecipheriv } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  aesCbcDecrypt,
  aesCbcDecryptChain,
  aesCbcDecryptRaw,
  aesCbcEncrypt,
  constantTimeEqual,
  constantTimeEqualText,
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

// The mutation run over the code since (issue 14 item 18): what each decryption leaves behind,
// and the errors it throws. The spies call through: they only keep what OpenSSL returned.
describe('aesCbcDecrypt and aesCbcDecryptRaw: the pieces OpenSSL returned', () => {
  const key = importKey(new Uint8Array(16).fill(7));
  const iv = new Uint8Array(16).fill(1);
  const proto = Object.getPrototypeOf(createDecipheriv('aes-128-cbc', key, iv)) as {
    update: (data: Uint8Array) => Buffer;
    final: () => Buffer;
  };
  afterEach(() => vi.restoreAllMocks());
  const spies = () => ({ update: vi.spyOn(proto, 'update'), final: vi.spyOn(proto, 'final') });
  const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);

  it("Raw of whole blocks gives update's own buffer: no copy made", () => {
    const sealed = aesCbcEncrypt(key, iv, Buffer.from('sixteen bytes!!!'));
    const { update } = spies();
    const concat = vi.spyOn(Buffer, 'concat');
    const plain = aesCbcDecryptRaw(key, iv, sealed);
    expect(plain).toBe(update.mock.results[0]!.value);
    expect(plain.toString('latin1')).toBe(`sixteen bytes!!!${'\x10'.repeat(16)}`);
    expect(concat).not.toHaveBeenCalled();
  });

  it("Decrypt joins update's and final's pieces and zeroes both", () => {
    const sealed = aesCbcEncrypt(key, iv, Buffer.from('seventeen bytes!!'));
    const { update, final } = spies();
    const plain = aesCbcDecrypt(key, iv, sealed);
    expect(plain.toString()).toBe('seventeen bytes!!');
    const head = update.mock.results[0]!.value as Buffer;
    const tail = final.mock.results[0]!.value as Buffer;
    expect([head.length, tail.length]).toEqual([16, 1]);
    expect(zero(head) && zero(tail)).toBe(true);
  });

  it("on bad padding or a partial block: OpenSSL's own error, update's piece zeroed", () => {
    // A block of text, then a block whose plaintext is 16 zero bytes: not PKCS#7 padding.
    const text = Buffer.from('a whole block!!!');
    const badPadding = aesCbcEncrypt(key, iv, Buffer.concat([text, Buffer.alloc(16)])).subarray(
      0,
      32,
    );
    const partial = Buffer.concat([aesCbcEncrypt(key, iv, text), Buffer.alloc(1)]);
    for (const [decrypt, data, code] of [
      [aesCbcDecrypt, badPadding, 'ERR_OSSL_BAD_DECRYPT'],
      [aesCbcDecryptRaw, partial, 'ERR_OSSL_WRONG_FINAL_BLOCK_LENGTH'],
    ] as const) {
      const { update } = spies();
      expect(() => decrypt(key, iv, data)).toThrow(expect.objectContaining({ code }));
      const head = update.mock.results[0]!.value as Buffer;
      expect(head.length).toBeGreaterThan(0);
      expect(zero(head)).toBe(true);
      vi.restoreAllMocks();
    }
  });
});

describe('constantTimeEqualText: its scratch', () => {
  afterEach(() => vi.restoreAllMocks());

  it('grows only for a longer pair than any before, and is left zeroed', () => {
    // Longer than any other test's strings, so that the scratch grows here.
    const units = 50_021;
    const a = 'm'.repeat(units);
    const alloc = vi.spyOn(Buffer, 'alloc');
    expect(constantTimeEqualText(a, a)).toBe(true);
    expect(alloc.mock.calls).toEqual([[4 * units]]);
    const scratch = alloc.mock.results[0]!.value as Buffer;
    expect(scratch.every((x) => x === 0)).toBe(true);
    // Shorter pairs, then one of exactly the scratch's size again: no new scratch.
    expect(constantTimeEqualText('ab', 'ab')).toBe(true);
    expect(constantTimeEqualText(a, `${a.slice(1)}n`)).toBe(false);
    expect(alloc).toHaveBeenCalledTimes(1);
    expect(scratch.every((x) => x === 0)).toBe(true);
  });
});
