/**
 * The sizes of a vault's fields, in bytes, and the key-derivation work factor: spec/format.md
 * §1–§3. Crypto primitives take lengths as arguments; the format and the vault name them here.
 */

/** spec/format.md §1: PBKDF2-HMAC-SHA1 with the vault iv as salt. */
export const PBKDF2_ITERATIONS = 256_000;
/** The vault key: an AES-128 half and an HMAC-SHA1 half (spec/format.md §1). */
export const KEY_BYTES = 32;
export const IV_BYTES = 16;
export const HMAC_BYTES = 20;
/** The AES block size: PKCS#7 padding fills up to a multiple of it. */
export const BLOCK_BYTES = 16;
