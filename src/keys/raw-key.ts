/** Fixed keys: 32 bytes given by the caller (or PEM text), or freshly generated. */
import { randomBytes } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import { decodeKeyText } from '../format/key-file.js';
import { KEY_BYTES } from '../format/sizes.js';
import { type KeySource, ResolvingKeySource } from './key-source.js';

/**
 * A fixed key: 32 bytes (`Uint8Array` or array of numbers), or PEM text as in a key file.
 * The bytes are copied.
 */
export function rawKeySource(key: Uint8Array | string | readonly number[]): KeySource {
  let bytes: Uint8Array;
  if (typeof key === 'string') {
    bytes = decodeKeyText(key, 'the key');
  } else if (key instanceof Uint8Array) {
    bytes = Uint8Array.from(key);
  } else if (Array.isArray(key) && key.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    bytes = Uint8Array.from(key);
  } else {
    return fail('ERR_ARGUMENT', 'key: expected a Uint8Array, an array of bytes or PEM text');
  }
  if (bytes.length !== KEY_BYTES) {
    fail('ERR_ARGUMENT', `key: expected ${KEY_BYTES} bytes, got ${bytes.length}`);
  }
  return ResolvingKeySource.holding(bytes, 'key');
}

/** A new random key from the operating system's CSPRNG. */
export function generatedKeySource(): KeySource {
  return ResolvingKeySource.holding(randomBytes(KEY_BYTES), 'generated key');
}
