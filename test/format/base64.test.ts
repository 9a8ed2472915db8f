// spec/format.md §5.3 (base64: standard alphabet, "=" padding, one canonical encoding).
/**
 * The strict base64 checker accepts exactly the strings Node's encoder produces, and nothing that
 * Node's lenient decoder would also take (junk, missing padding, non-zero trailing bits).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64EndAt,
  canonicalBase64LengthAt,
  decodeBase64,
  decodedLength,
  encodeBase64,
  hasCanonicalPadding,
  isCanonicalBase64,
} from '../../src/format/base64.js';

describe('isCanonicalBase64', () => {
  it.each([
    ['', 0],
    ['AA==', 1],
    ['AAA=', 2],
    ['AAAA', 3],
    ['/+/+', 3],
    ['AAAAAAAAAAAAAAAAAAAAAA==', 16],
    ['AAAAAAAAAAAAAAAAAAAAAAAAAAA=', 20],
    ['QQ==', 1],
    ['QUI=', 2],
  ])('accepts %j (%i bytes)', (text, bytes) => {
    expect(isCanonicalBase64(text)).toBe(true);
    expect(decodedLength(text)).toBe(bytes);
    expect(decodeBase64(text).length).toBe(bytes);
  });

  it.each([
    ['AA', 'missing padding'],
    ['AAA', 'missing padding'],
    ['A===', 'three padding characters'],
    ['====', 'padding only'],
    ['AA=A', 'padding in the middle'],
    ['AB==', 'non-zero bits after the last byte (1 byte)'],
    ['AAB=', 'non-zero bits after the last byte (2 bytes)'],
    ['QR==', 'non-zero trailing bits'],
    ['AA==AA==', 'two padded quads'],
    ['AA A', 'a space'],
    ['AAA\n', 'a newline'],
    ['-_-_', 'the URL-safe alphabet'],
    ['AA*A', 'a character outside the alphabet'],
    ['AAÀA', 'a non-ASCII character'],
    ['AAA\u0000', 'a NUL'],
    ['AAAAA', 'length not a multiple of four'],
    ['\uD83D\uDE00AA', 'an astral character'],
  ])('rejects %j (%s)', (text) => {
    expect(isCanonicalBase64(text)).toBe(false);
  });

  it('agrees with Node: canonical exactly when decoding and re-encoding gives the text back', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=- \n*';
    const text = fc
      .array(fc.constantFrom(...alphabet.split('')), { maxLength: 16 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(text, (t) => {
        const roundTrips = Buffer.from(t, 'base64').toString('base64') === t;
        expect(isCanonicalBase64(t)).toBe(roundTrips);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts every encoding of random bytes and decodes it back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(isCanonicalBase64(text)).toBe(true);
        expect(decodedLength(text)).toBe(bytes.length);
        expect(new Uint8Array(decodeBase64(text))).toEqual(bytes);
      }),
    );
  });

  it('encodes a view of a larger buffer, not the whole buffer', () => {
    const whole = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(encodeBase64(whole.subarray(2, 4))).toBe(Buffer.from([3, 4]).toString('base64'));
  });
});

describe('hasCanonicalPadding (the vault reader’s check after its pattern)', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  // What the reader's pattern lets through: alphabet characters, then at most two "=".
  const shaped = fc
    .tuple(
      fc.array(fc.constantFrom(...ALPHABET), { maxLength: 40 }),
      fc.constantFrom('', '=', '=='),
    )
    .map(([chars, pad]) => chars.join('') + pad);

  it('agrees with isCanonicalBase64 on every such string', () => {
    fc.assert(
      fc.property(shaped, (text) => {
        expect(hasCanonicalPadding(text)).toBe(isCanonicalBase64(text));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['', true],
    ['AA==', true],
    ['AB==', false],
    ['AAE=', true],
    ['AAF=', false],
    ['AAAA', true],
    ['AAA', false],
    ['A===', false],
    ['=', false],
  ])('%j → %s', (text, expected) => {
    expect(hasCanonicalPadding(text)).toBe(expected);
  });
});

// What the mutation run (npm run mutate, test/README.md) showed: the alphabet check must reach the
// character just before a single "=", since the padding check after it reads a character above
// U+007F as the value 0.
describe('isCanonicalBase64: the character before one "="', () => {
  it('is checked against the alphabet', () => {
    for (const text of ['AAé=', 'AA\u0100=', 'AA\u007f=', 'AA*=', 'AAé\u0000']) {
      expect([text, isCanonicalBase64(text)]).toEqual([text, false]);
    }
    expect(isCanonicalBase64('AAE=')).toBe(true);
  });
});

describe('base64EndAt and canonicalBase64LengthAt (the byte scan of format/vault-index.ts)', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  /** Text around the field: a quote or any other byte after it, anything before it. */
  const field = fc.tuple(
    fc.string({
      unit: fc.constantFrom(...ALPHABET, '=', '"', '-', '_', ' ', '\u00e9'),
      maxLength: 40,
    }),
    fc.uint8Array({ maxLength: 3 }),
  );

  it('measure and judge a field at any offset as isCanonicalBase64 and decodedLength do', () => {
    fc.assert(
      fc.property(field, fc.uint8Array({ maxLength: 4 }), ([text, after], before) => {
        const bytes = Buffer.concat([Buffer.from(before), Buffer.from(text, 'utf8'), after]);
        const start = before.length;
        const end = base64EndAt(bytes, start);
        // The end: past alphabet characters and at most two "=", no further.
        const measured = /^[A-Za-z0-9+/]*={0,2}/.exec(bytes.subarray(start).toString('latin1'))![0];
        expect(end - start).toBe(measured.length);
        expect(canonicalBase64LengthAt(bytes, start, end)).toBe(
          isCanonicalBase64(measured) ? decodedLength(measured) : -1,
        );
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['AAAAAAAAAAAAAAAAAAAAAA=="', 24, 16],
    ['AAAAAAAAAAAAAAAAAAAAAAAAAAA=', 28, 20],
    ['AB=="', 4, -1],
    ['AE=="', 4, -1],
    ['AQ=="', 4, 1],
    ['AAF="', 4, -1],
    ['A==="', 3, -1],
    ['AAAA', 4, 3],
    ['"', 0, 0],
    ['', 0, 0],
    ['AA\u00e9=', 2, -1],
  ])('%j: ends at %i, decodes to %i bytes (-1: not canonical)', (text, end, length) => {
    const bytes = Buffer.from(text, 'utf8');
    expect(base64EndAt(bytes, 0)).toBe(end);
    expect(canonicalBase64LengthAt(bytes, 0, end)).toBe(length);
  });
});

// A survivor of the mutation run over base64EndAt/canonicalBase64LengthAt (issue 14 item 18).
describe('canonicalBase64LengthAt of an empty field', () => {
  it('is 0 bytes whatever comes before the field, an "=" included', () => {
    for (const text of ['A="', 'AA=="', '="', '"']) {
      const bytes = Buffer.from(text, 'latin1');
      const start = text.length - 1;
      expect(base64EndAt(bytes, start)).toBe(start);
      expect(canonicalBase64LengthAt(bytes, start, start)).toBe(0);
    }
  });
});
