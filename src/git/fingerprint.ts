/**
 * Fingerprints for `git diff`: short, stable, and revealing nothing about a value. A secret's
 * fingerprint is the first 6 bytes (12 hex digits) of its stored HMAC, which is already public in
 * the vault file: it depends on the key and the ciphertext (fresh IV per write), so it changes
 * whenever the secret is written, and says nothing about the plaintext.
 */
import type { Blob } from '../format/blob.js';
import { decodeBase64 } from '../format/base64.js';
import { escapeForTerminal, hasTerminalControl } from '../workflow/terminal-text.js';

/** Bytes of the HMAC shown: 48 bits, enough that two writes never show the same fingerprint. */
export const FINGERPRINT_BYTES = 6;

/** The fingerprint of a blob: 12 lowercase hex digits. */
export function fingerprint(blob: Blob): string {
  return decodeBase64(blob.hmac).subarray(0, FINGERPRINT_BYTES).toString('hex');
}

const PLAIN = /^[^\x00-\x1f\x7f"\\]+$/;

/**
 * A secret name as one line of text: as it is when that is unambiguous, else as a JSON string
 * (control characters, quotes, backslashes, " = ", or leading/trailing spaces), with the
 * characters a terminal would act on that JSON leaves as they are (C1, bidi marks) escaped too.
 */
export function displayName(name: string): string {
  if (
    PLAIN.test(name) &&
    !hasTerminalControl(name) &&
    name.trim() === name &&
    !name.includes(' = ') &&
    !name.startsWith('#')
  )
    return name;
  return escapeForTerminal(JSON.stringify(name));
}
