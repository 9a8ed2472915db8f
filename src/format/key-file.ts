/**
 * Key files: the 99-byte PEM form the reference writes, and the legacy 32-byte raw form.
 * spec/format.md §6. Pure: bytes in, bytes out.
 */
import { KEY_BYTES } from './sizes.js';
import { fail } from '../errors.js';
import { decodeBase64, encodeBase64, isCanonicalBase64 } from './base64.js';

const BEGIN = '-----BEGIN PRIVATE KEY-----';
const END = '-----END PRIVATE KEY-----';
/** spec/format.md §6.2: larger files are not key files. */
export const MAX_KEY_FILE_BYTES = 4096;

/** The PEM text of a 32-byte key, exactly as the reference writes it (99 bytes). */
export function encodeKeyFile(key: Uint8Array): string {
  if (key.length !== KEY_BYTES) fail('ERR_ARGUMENT', `key: expected 32 bytes, got ${key.length}`);
  return `${BEGIN}\n${encodeBase64(key)}\n${END}\n`;
}

/**
 * Reads the 32 key bytes from a key file's contents (spec/format.md §6.2): exactly 32 bytes is a
 * raw key; otherwise PEM, with text before the BEGIN line ignored and lines trimmed.
 * @throws SecureStoreError ERR_KEY_FILE
 */
export function decodeKeyFile(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length === KEY_BYTES) return Uint8Array.from(bytes);
  if (bytes.length < KEY_BYTES || bytes.length > MAX_KEY_FILE_BYTES) {
    fail(
      'ERR_KEY_FILE',
      `${source} is not a key file (${bytes.length} bytes; a key file is a 99-byte PEM file or 32 raw bytes)`,
    );
  }
  const text = Buffer.from(bytes).toString('latin1');
  return decodeKeyText(text, source);
}

/** Decodes PEM key text (see {@link decodeKeyFile}). */
export function decodeKeyText(text: string, source: string): Uint8Array {
  const lines = text.split('\n').map((line) => line.trim());
  const begin = lines.indexOf(BEGIN);
  if (begin < 0) fail('ERR_KEY_FILE', `${source} is not a key file: no "${BEGIN}" line`);
  const end = lines.indexOf(END, begin + 1);
  if (end < 0) fail('ERR_KEY_FILE', `${source} is not a key file: no "${END}" line`);
  const body = lines.slice(begin + 1, end).join('');
  if (!isCanonicalBase64(body)) {
    fail('ERR_KEY_FILE', `${source} is not a key file: the key is not valid base64`);
  }
  const key = decodeBase64(body);
  if (key.length !== KEY_BYTES) {
    key.fill(0);
    fail('ERR_KEY_FILE', `${source} holds a ${key.length}-byte key; SecureStore keys are 32 bytes`);
  }
  const copy = Uint8Array.from(key);
  key.fill(0);
  return copy;
}
