/**
 * HKDF-SHA256 and HMAC-SHA256 over bytes, for the vault seal (spec/seal.md §2, §4). Bytes in,
 * bytes out: this module knows nothing of vaults or their format.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { CryptoKey } from './primitives.js';

/** SHA-256's output, and so the length of every key and MAC made here. */
export const SHA256_BYTES = 32;

/**
 * HKDF-SHA256 (RFC 5869): `length` bytes from input key material `ikm`, with `salt` and the
 * context label `info`.
 * @throws RangeError when `length` is not 1..8160 (OpenSSL's limit for SHA-256).
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

/** HMAC-SHA256 under `key` (bytes, or a key imported once with `importKey`) over `data`. */
export function hmacSha256(key: Uint8Array | CryptoKey, data: Uint8Array): Uint8Array {
  const digest = createHmac('sha256', key).update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** An HMAC-SHA256 computed over data given in pieces (see {@link startHmacSha256}). */
export interface HmacSha256 {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/**
 * HMAC-SHA256 under `key` over the concatenation of the pieces given to `update`: the same MAC
 * as {@link hmacSha256} over them joined, for inputs built piece by piece (the seal's vault MAC),
 * so that no piece outlives its turn (docs/benchmarks.md).
 */
export function startHmacSha256(key: Uint8Array | CryptoKey): HmacSha256 {
  const mac = createHmac('sha256', key);
  return {
    update: (data) => {
      mac.update(data);
    },
    digest: () => {
      const digest = mac.digest();
      return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
    },
  };
}
