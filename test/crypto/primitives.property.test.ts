/**
 * src/crypto/primitives.ts, properties: constantTimeEqualText (the MAC comparison of one `get`)
 * agrees with `===` on every pair of strings, whatever lengths came before it (its scratch buffer
 * and views are reused and grown), code units above 0xFF and lone surrogates included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqualText } from '../../src/crypto/primitives.js';

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
