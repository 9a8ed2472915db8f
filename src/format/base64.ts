/**
 * Strict, canonical base64 (standard alphabet, `=` padding, no whitespace): spec/format.md §5.3.
 * Node's decoder is lenient (it skips junk and accepts missing padding), so every field is
 * checked against the canonical grammar first.
 */

// Whole quads, then an optional padded tail whose unused bits are zero (canonical encoding).
const CANONICAL =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)?$/;

/** True when `text` is the one canonical base64 encoding of some byte string. */
export function isCanonicalBase64(text: string): boolean {
  return text.length % 4 === 0 && CANONICAL.test(text);
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
