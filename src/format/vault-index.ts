/**
 * One secret of a vault, read from the file's bytes without decoding or parsing the rest into
 * strings and blobs: for `ssclient get NAME` (cli/entry.ts), where a 100 000-secret vault's text
 * and blobs were most of the process's peak memory (docs/benchmarks.md "Memory").
 *
 * The whole file is still checked, byte by byte, but only in the exact layout that
 * {@link serializeVault} (and the reference) writes, spec/format.md §5: unsealed, with a
 * sentinel, no other top-level member, secret names without escapes in ascending byte order
 * (so none is given twice). Every such file is one the general reader ({@link parseVault})
 * accepts, and for it this gives the document that reader gives, less every secret but the one
 * asked for. Anything else (another layout, an error of any kind, a seal, no sentinel, a name out
 * of order) gives null, and the caller reads the file with the general reader, which then gives
 * exactly its usual document or error.
 *
 * Why these limits: a vault without a sentinel is judged by all of its secrets
 * (spec/format.md §4.2), and a seal's MAC covers every line (spec/seal.md §4), so neither can be
 * opened from one secret.
 */
import { base64EndAt, canonicalBase64LengthAt } from './base64.js';
import type { Blob } from './blob.js';
import { BLOCK_BYTES, HMAC_BYTES, IV_BYTES } from './sizes.js';
import { hasLoneSurrogate } from './text.js';
import { MAX_VAULT_BYTES, type VaultDocument } from './vault-codec.js';

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// The layout of spec/format.md §5, as serializeVault writes it, between the fields it fills in.
const HEAD = encoder.encode('{\n  "version": 3,\n  "iv": "');
const SENTINEL_IV = encoder.encode('",\n  "sentinel": {\n    "iv": "');
const SENTINEL_HMAC = encoder.encode('",\n    "hmac": "');
const SENTINEL_PAYLOAD = encoder.encode('",\n    "payload": "');
const SECRETS = encoder.encode('"\n  },\n  "secrets": {');
const NAME = encoder.encode('\n    "');
const SECRET_IV = encoder.encode('": {\n      "iv": "');
const SECRET_HMAC = encoder.encode('",\n      "hmac": "');
const SECRET_PAYLOAD = encoder.encode('",\n      "payload": "');
const SECRET_END = encoder.encode('"\n    }');
const SECRETS_END = encoder.encode('\n  }');
const END = encoder.encode('\n}');

/** The position after `literal` when `bytes` holds it at `pos`, else -1. */
function after(bytes: Uint8Array, pos: number, literal: Uint8Array): number {
  if (pos < 0 || pos + literal.length > bytes.length) return -1;
  for (let i = 0; i < literal.length; i++) if (bytes[pos + i] !== literal[i]) return -1;
  return pos + literal.length;
}

/**
 * The end of a canonical base64 field at `pos` that decodes to `size` bytes, or, for `size`
 * null, to a whole, non-zero number of blocks (a payload, spec/format.md §7); else -1.
 */
function fieldEnd(bytes: Uint8Array, pos: number, size: number | null): number {
  if (pos < 0) return -1;
  const end = base64EndAt(bytes, pos);
  const n = canonicalBase64LengthAt(bytes, pos, end);
  const fits = size === null ? n > 0 && n % BLOCK_BYTES === 0 : n === size;
  return fits ? end : -1;
}

/** The end of a secret's name at `pos` (its closing quote): no escape, no control character. */
function nameEnd(bytes: Uint8Array, pos: number): number {
  if (pos < 0) return -1;
  const n = bytes.length;
  let ascii = true;
  let i = pos;
  for (; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0x22) break;
    if (c === 0x5c || c < 0x20) return -1;
    if (c > 0x7f) ascii = false;
  }
  if (i === n) return -1;
  if (!ascii) {
    // Elsewhere the layout is ASCII: the file is valid UTF-8 when every name is.
    try {
      utf8.decode(bytes.subarray(pos, i));
    } catch {
      return -1;
    }
  }
  return i;
}

/** Whether `bytes[a..aEnd)` is before `bytes[b..bEnd)` in byte order (spec/format.md §5.2). */
function before(bytes: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < n; i++) {
    const x = bytes[a + i]!;
    const y = bytes[b + i]!;
    if (x !== y) return x < y;
  }
  return aEnd - a < bEnd - b;
}

function equalTo(bytes: Uint8Array, start: number, end: number, wanted: Uint8Array): boolean {
  if (end - start !== wanted.length) return false;
  for (let i = 0; i < wanted.length; i++) if (bytes[start + i] !== wanted[i]) return false;
  return true;
}

const text = (bytes: Uint8Array, start: number, end: number): string =>
  utf8.decode(bytes.subarray(start, end));

/**
 * The vault in `bytes` as {@link parseVault} would read it, but holding only the secret `name`
 * (or none, when it has no such secret); null when the bytes are not in the layout this reader
 * knows (see the top of this file), and the general reader must read them.
 */
export function readVaultForOneSecret(bytes: Uint8Array, name: string): VaultDocument | null {
  if (bytes.length > MAX_VAULT_BYTES || hasLoneSurrogate(name)) return null;
  const wanted = encoder.encode(name);

  const ivAt = after(bytes, 0, HEAD);
  const ivEnd = fieldEnd(bytes, ivAt, IV_BYTES);
  const sIvAt = after(bytes, ivEnd, SENTINEL_IV);
  const sIvEnd = fieldEnd(bytes, sIvAt, IV_BYTES);
  const sHmacAt = after(bytes, sIvEnd, SENTINEL_HMAC);
  const sHmacEnd = fieldEnd(bytes, sHmacAt, HMAC_BYTES);
  const sPayloadAt = after(bytes, sHmacEnd, SENTINEL_PAYLOAD);
  const sPayloadEnd = fieldEnd(bytes, sPayloadAt, null);
  let pos = after(bytes, sPayloadEnd, SECRETS);
  if (pos < 0) return null;

  let found: Blob | null = null;
  if (bytes[pos] === 0x7d) {
    pos++; // "secrets": {}
  } else {
    let previous = -1;
    let previousEnd = -1;
    for (;;) {
      const nameAt = after(bytes, pos, NAME);
      const end = nameEnd(bytes, nameAt);
      if (end < 0) return null;
      if (previous >= 0 && !before(bytes, previous, previousEnd, nameAt, end)) return null;
      previous = nameAt;
      previousEnd = end;
      const ivStart = after(bytes, end, SECRET_IV);
      const ivStop = fieldEnd(bytes, ivStart, IV_BYTES);
      const hmacStart = after(bytes, ivStop, SECRET_HMAC);
      const hmacStop = fieldEnd(bytes, hmacStart, HMAC_BYTES);
      const payloadStart = after(bytes, hmacStop, SECRET_PAYLOAD);
      const payloadStop = fieldEnd(bytes, payloadStart, null);
      pos = after(bytes, payloadStop, SECRET_END);
      if (pos < 0) return null;
      if (found === null && equalTo(bytes, nameAt, end, wanted)) {
        found = {
          iv: text(bytes, ivStart, ivStop),
          hmac: text(bytes, hmacStart, hmacStop),
          payload: text(bytes, payloadStart, payloadStop),
        };
      }
      if (bytes[pos] !== 0x2c) break;
      pos++;
    }
    pos = after(bytes, pos, SECRETS_END);
  }
  pos = after(bytes, pos, END);
  if (pos < 0) return null;
  // As after any JSON document, whitespace may follow (a final newline an editor added).
  for (; pos < bytes.length; pos++) {
    const c = bytes[pos];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return null;
  }
  return {
    iv: text(bytes, ivAt, ivEnd),
    sentinel: {
      iv: text(bytes, sIvAt, sIvEnd),
      hmac: text(bytes, sHmacAt, sHmacEnd),
      payload: text(bytes, sPayloadAt, sPayloadEnd),
    },
    secrets: new Map(found === null ? [] : [[name, found]]),
    extras: [],
  };
}
