// spec/format.md §5.2: names are written in code point (UTF-8 byte) order.
import { describe, expect, it } from 'vitest';
import { compareCodePoints, scanOrder } from '../../src/format/text.js';

// What the mutation run (npm run mutate, test/README.md) showed untested: the edges of the
// surrogate fix-up, and scanOrder.
describe('compareCodePoints at the edges of the surrogate range', () => {
  it('orders U+C000 < U+D7FF < U+E000 < U+FFFF < U+10000 (a pair) as UTF-8 does', () => {
    const ordered = ['\uc000', '\ud7ff', '\ue000', '\uffff', '\ud800\udc00', '\udbff\udfff'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const got = Math.sign(compareCodePoints(ordered[i]!, ordered[j]!));
        expect([ordered[i], ordered[j], got]).toEqual([ordered[i], ordered[j], Math.sign(i - j)]);
      }
    }
  });
});

describe('scanOrder', () => {
  it('says whether names are in order, and gives the greatest', () => {
    expect(scanOrder([])).toEqual({ sorted: true, max: undefined });
    expect(scanOrder(['a', 'b', '\ue000', '😀'])).toEqual({ sorted: true, max: '😀' });
    expect(scanOrder(['b', 'a'])).toEqual({ sorted: false, max: 'b' });
    expect(scanOrder(['😀', '\ue000'])).toEqual({ sorted: false, max: '😀' });
    expect(scanOrder(['a', 'a'])).toEqual({ sorted: false, max: 'a' });
  });
});
