/** A key derived from a password: PBKDF2-HMAC-SHA1 over the vault iv (spec/format.md §1). */
import { pbkdf2Sha1 } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import { KEY_BYTES, PBKDF2_ITERATIONS } from '../format/sizes.js';
import { type KeySource, ResolvingKeySource } from './key-source.js';

/**
 * PBKDF2-HMAC-SHA1(password, vault iv, 256 000, 32) on libuv's thread pool. The password is
 * taken as its UTF-8 bytes, without normalisation.
 */
export async function derivePasswordKey(
  password: string,
  vaultIv: Uint8Array,
): Promise<Uint8Array> {
  const secret = Buffer.from(password, 'utf8');
  try {
    return await pbkdf2Sha1(secret, vaultIv, PBKDF2_ITERATIONS, KEY_BYTES);
  } finally {
    // The password's bytes are key material too: zeroed once OpenSSL has used them.
    secret.fill(0);
  }
}

/** A key derived from `password` (its UTF-8 bytes, no normalisation; empty is allowed). */
export function passwordKeySource(password: string): KeySource {
  if (typeof password !== 'string') fail('ERR_ARGUMENT', 'password: expected a string');
  return new ResolvingKeySource('password', 'password', (iv) => derivePasswordKey(password, iv));
}
