/**
 * Strict, canonical base64 (standard alphabet, `=` padding, no whitespace): spec/format.md §5.3.
 * Node's decoder is lenient (it skips junk and accepts missing padding), so every field is
 * checked against the canonical grammar first.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Character code → 6-bit value + 1 (0 marks a character outside the alphabet). */
const VALUE = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i + 1;

/**
 * True when `text` is the one canonical base64 encoding of some byte string: whole quads of
 * alphabet characters, then at most two `=`, with the unused bits before the padding zero.
 * (A table walk: a regular expression here cost a third of the time to open a large vault.)
 */
export function isCanonicalBase64(text: string): boolean {
  const n = text.length;
  let end = n;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d)
    end = text.charCodeAt(n - 2) === 0x3d ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || VALUE[c] === 0) return false;
  }
  return hasCanonicalPadding(text);
}

/**
 * For text already known to be alphabet characters followed by at most two `=` (as the vault
 * reader's pattern matches them): true when it is canonical, a whole number of quads with the
 * bits unused before the padding zero. The same verdict as {@link isCanonicalBase64} on such text.
 */
export function hasCanonicalPadding(text: string): boolean {
  const n = text.length;
  if (n % 4 !== 0) return false;
  if (n === 0 || text.charCodeAt(n - 1) !== 0x3d) return true;
  const twoPads = text.charCodeAt(n - 2) === 0x3d;
  const last = VALUE[text.charCodeAt(twoPads ? n - 3 : n - 2)]! - 1;
  return (last & (twoPads ? 0x0f : 0x03)) === 0;
}

/** Number of bytes a canonical base64 string decodes to. */
export function decodedLength(text: string): number {
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - pad;
}

/** Decodes base64 that has already been checked with {@link isCanonicalBase64}. */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Where the base64 text starting at `bytes[start]` ends: the index of the first byte that is
 * neither an alphabet character nor one of at most two `=` after them. For readers that scan
 * bytes without making strings of them (format/vault-index.ts).
 */
export function base64EndAt(bytes: Uint8Array, start: number): number {
  const n = bytes.length;
  let i = start;
  while (i < n) {
    const c = bytes[i]!;
    if (c > 127 || VALUE[c] === 0) break;
    i++;
  }
  if (bytes[i] === 0x3d) i += bytes[i + 1] === 0x3d ? 2 : 1;
  return i;
}

/**
 * {@link isCanonicalBase64} of `bytes[start..end)` read as ASCII, for text that
 * {@link base64EndAt} measured (alphabet characters, then at most two `=`), without making a
 * string of it. Returns the number of bytes it decodes to, or -1 when it is not canonical.
 */
export function canonicalBase64LengthAt(bytes: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n % 4 !== 0) return -1;
  if (n === 0 || bytes[end - 1] !== 0x3d) return (n / 4) * 3;
  const twoPads = bytes[end - 2] === 0x3d;
  const last = VALUE[bytes[twoPads ? end - 3 : end - 2]!]! - 1;
  if ((last & (twoPads ? 0x0f : 0x03)) !== 0) return -1;
  return (n / 4) * 3 - (twoPads ? 2 : 1);
}
