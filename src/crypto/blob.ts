/**
 * One encrypted value ("blob"): a fresh 16-byte IV, AES-128-CBC ciphertext, and
 * HMAC-SHA1(hmac key, iv ‖ ciphertext). spec/format.md §3. The MAC is checked in constant time
 * before anything is decrypted.
 */
import { decodeBase64, encodeBase64 } from '../format/base64.js';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  constantTimeEqual,
  hmacSha1,
  IV_BYTES,
  randomBytes,
} from './primitives.js';

/** A blob as stored in the vault: three canonical base64 strings. */
export interface Blob {
  readonly iv: string;
  readonly hmac: string;
  readonly payload: string;
}

/** The two halves of the 32-byte vault key (spec/format.md §1). */
export interface VaultKeys {
  readonly aes: Uint8Array;
  readonly hmac: Uint8Array;
}

/** Splits 32 key bytes into views of their AES and HMAC halves (no copy). */
export function splitKey(key: Uint8Array): VaultKeys {
  return { aes: key.subarray(0, 16), hmac: key.subarray(16, 32) };
}

/** Encrypts `plaintext` under a fresh random IV. */
export function encryptBlob(keys: VaultKeys, plaintext: Uint8Array): Blob {
  const iv = randomBytes(IV_BYTES);
  const ciphertext = aesCbcEncrypt(keys.aes, iv, plaintext);
  const mac = hmacSha1(keys.hmac, iv, ciphertext);
  return { iv: encodeBase64(iv), hmac: encodeBase64(mac), payload: encodeBase64(ciphertext) };
}

/** True when the blob's MAC verifies under `keys`. Does not decrypt. */
export function verifyBlob(keys: VaultKeys, blob: Blob): boolean {
  const iv = decodeBase64(blob.iv);
  const ciphertext = decodeBase64(blob.payload);
  return constantTimeEqual(hmacSha1(keys.hmac, iv, ciphertext), decodeBase64(blob.hmac));
}

/**
 * Verifies and decrypts a blob. Returns `null` when the MAC does not verify or the padding is
 * bad (the caller decides whether that means a wrong key or tampering); never a wrong plaintext.
 */
export function decryptBlob(keys: VaultKeys, blob: Blob): Buffer | null {
  const iv = decodeBase64(blob.iv);
  const ciphertext = decodeBase64(blob.payload);
  if (!constantTimeEqual(hmacSha1(keys.hmac, iv, ciphertext), decodeBase64(blob.hmac))) {
    return null;
  }
  try {
    return aesCbcDecrypt(keys.aes, iv, ciphertext);
  } catch {
    return null;
  }
}
