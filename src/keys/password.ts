/** A key derived from a password: PBKDF2-HMAC-SHA1 over the vault iv (spec/format.md §1). */
import { pbkdf2Sha1, zeroize } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import { KEY_BYTES, PBKDF2_ITERATIONS } from '../format/sizes.js';
import { type KeySource, ResolvingKeySource } from './key-source.js';

/**
 * PBKDF2-HMAC-SHA1(password, vault iv, 256 000, 32) on libuv's thread pool. The password is
 * taken as its UTF-8 bytes, without normalisation. When {@link startPasswordKey} already started
 * this derivation (same password, same iv), its result is taken instead of deriving the key a
 * second time.
 */
export function derivePasswordKey(password: string, vaultIv: Uint8Array): Promise<Uint8Array> {
  const started = early;
  if (started !== null && started.password === password && bytesEqual(started.iv, vaultIv)) {
    early = null;
    return started.key;
  }
  return deriveZeroing(password, vaultIv);
}

/** PBKDF2 over the password's UTF-8 bytes, which are key material too: zeroed once used. */
async function deriveZeroing(password: string, vaultIv: Uint8Array): Promise<Uint8Array> {
  const secret = Buffer.from(password, 'utf8');
  try {
    return await pbkdf2Sha1(secret, vaultIv, PBKDF2_ITERATIONS, KEY_BYTES);
  } finally {
    secret.fill(0);
  }
}

/** A derivation started ahead of its use by {@link startPasswordKey}; taken at most once. */
let early: { password: string; iv: Uint8Array; key: Promise<Uint8Array> } | null = null;

/**
 * Starts deriving the key of `password` for a vault whose iv is `vaultIv` on the thread pool now,
 * so that a later {@link derivePasswordKey} with the same arguments finds it under way (the CLI
 * starts it before loading the rest of its modules). A guess that is never used costs a thread
 * pool job; {@link discardPasswordKey} zeroes its result. Returns the derivation under way.
 */
export function startPasswordKey(password: string, vaultIv: Uint8Array): Promise<Uint8Array> {
  discardPasswordKey();
  const iv = Uint8Array.from(vaultIv);
  const key = deriveZeroing(password, iv);
  key.catch(() => {}); // a failure is reported to whoever takes it, if anyone does
  early = { password, iv, key };
  return key;
}

/** Zeroes the result of a {@link startPasswordKey} that nothing took. */
export function discardPasswordKey(): void {
  const started = early;
  early = null;
  started?.key.then(zeroize, () => {});
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A key derived from `password` (its UTF-8 bytes, no normalisation; empty is allowed). */
export function passwordKeySource(password: string): KeySource {
  if (typeof password !== 'string') fail('ERR_ARGUMENT', 'password: expected a string');
  return new ResolvingKeySource('password', 'password', (iv) => derivePasswordKey(password, iv));
}
