/**
 * String helpers shared by the codecs: well-formedness (no UTF-8 form for a lone surrogate) and
 * the code point order vault names are written in (spec/format.md §5.2).
 */

/** True when `text` holds a UTF-16 surrogate that is not part of a pair (no UTF-8 form). */
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}

/**
 * Compares two strings by Unicode code point, which is the UTF-8 byte order the reference
 * writes names in (spec/format.md §5.2). JavaScript's `<` compares UTF-16 code units, which
 * puts U+1F600 (a surrogate pair) before U+FF5E; this fixes that up.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Move surrogates (D800–DFFF) above E000–FFFF, keeping each group's own order.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * Whether the names are already in code point order, and the greatest of them: one pass, so
 * that opening a large vault does not walk its names twice.
 */
export function scanOrder(names: Iterable<string>): { sorted: boolean; max: string | undefined } {
  let sorted = true;
  let max: string | undefined;
  for (const name of names) {
    if (max === undefined || compareCodePoints(max, name) < 0) max = name;
    else sorted = false;
  }
  return { sorted, max };
}
