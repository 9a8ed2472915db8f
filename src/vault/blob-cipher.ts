/**
 * One encrypted value ("blob"): a fresh 16-byte IV, AES-128-CBC ciphertext, and
 * HMAC-SHA1(hmac key, iv ‖ ciphertext). spec/format.md §3. Joins the stored form (format/blob.ts,
 * base64) and the primitives (crypto/, bytes). The MAC is checked in constant time
 * before anything is decrypted.
 */
import {
  aesCbcDecrypt,
  aesCbcDecryptChain,
  aesCbcDecryptRaw,
  aesCbcEncrypt,
  constantTimeEqual,
  constantTimeEqualText,
  type CryptoKey,
  hmacSha1,
  hmacSha1Base64,
  importKey,
  randomBytes,
} from '../crypto/primitives.js';
import { decodedLength, decodeBase64, encodeBase64 } from '../format/base64.js';
import type { Blob } from '../format/blob.js';
import { BLOCK_BYTES, IV_BYTES } from '../format/sizes.js';

/** The two halves of the 32-byte vault key (spec/format.md §1), imported once. */
export interface VaultKeys {
  readonly aes: CryptoKey;
  readonly hmac: CryptoKey;
}

/** Imports the AES and HMAC halves of 32 key bytes. */
export function splitKey(key: Uint8Array): VaultKeys {
  return { aes: importKey(key.subarray(0, 16)), hmac: importKey(key.subarray(16, 32)) };
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

/**
 * A {@link decryptBlob} for many calls with the same keys (a vault's `get`s): it keeps one AES
 * context across calls (see `aesCbcDecryptChain`) and decodes each blob's iv and ciphertext into
 * one buffer, the message its MAC covers. Same verdicts as {@link decryptBlob}: the plaintext, or
 * `null` when the MAC does not verify or the padding is bad. The caller owns (and should zero)
 * the plaintext it gets.
 */
export function blobDecryptor(keys: VaultKeys): (blob: Blob) => Uint8Array | null {
  const decrypt = aesCbcDecryptChain(keys.aes);
  return (blob) => {
    const length = decodedLength(blob.payload);
    if (length === 0 || length % BLOCK_BYTES !== 0 || decodedLength(blob.iv) !== IV_BYTES) {
      return null; // what a fresh context would refuse (and not a whole number of blocks)
    }
    const message = Buffer.allocUnsafe(IV_BYTES + length);
    message.write(blob.iv, 0, IV_BYTES, 'base64');
    message.write(blob.payload, IV_BYTES, length, 'base64');
    // The MAC compared as the canonical base64 the vault stores (equal text is equal bytes): a
    // digest as a string and no decoding of the stored one, instead of two Buffers per call.
    if (!constantTimeEqualText(hmacSha1Base64(keys.hmac, message), blob.hmac)) return null;
    const plain = decrypt(message);
    const end = unpaddedLength(plain, IV_BYTES, plain.length);
    if (end < 0) {
      plain.fill(0);
      return null;
    }
    plain.fill(0, 0, IV_BYTES); // the iv's block: nothing, but leave nothing behind
    plain.fill(0, IV_BYTES + end); // the padding
    return new Uint8Array(plain.buffer, plain.byteOffset + IV_BYTES, end);
  };
}

/**
 * Verifies and decrypts many blobs at once (for "every secret": `get --all`, `run`, exports,
 * `verify`), several times faster than one {@link decryptBlob} per secret. `visit(i, plaintext)`
 * sees each blob's plaintext, or `null` when its MAC (or padding) fails, never a wrong plaintext
 * (`macValid` tells the two failures apart),
 * as a view into one buffer that is zeroed as soon as the last visit returns: `visit` must copy or
 * decode what it keeps.
 *
 * How: every blob's `iv ‖ ciphertext` is decoded into one buffer, so each MAC is one contiguous
 * update. Then one AES-128-CBC decryption (OpenSSL's, no padding) runs over the buffer after the
 * first iv. In CBC each plaintext block is D(C[j]) xor C[j-1]; the block before each blob's
 * first ciphertext block is that blob's own iv, so every blob decrypts exactly as it would alone,
 * and the blocks that come from decrypting an iv are skipped. PKCS#7 padding (spec/format.md §3)
 * is then checked and removed per blob, after its MAC has verified.
 */
export function forEachDecrypted(
  keys: VaultKeys,
  blobs: readonly Blob[],
  visit: (index: number, plaintext: Uint8Array | null, macValid: boolean) => void,
): void {
  const n = blobs.length;
  if (n === 0) return;
  const starts = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = total;
    total += IV_BYTES + decodedLength(blobs[i]!.payload);
  }
  starts[n] = total;
  const stream = Buffer.allocUnsafe(total);
  // Each MAC is compared as the base64 text the vault stores (canonical on both sides, so equal
  // text is equal bytes): the stored MACs need no decoding, which was a third of the base64 work.
  const stored = new Array<string>(n);
  const computed = new Array<string>(n);
  // Views are made with the Uint8Array constructor: Buffer#subarray costs twice as much.
  const { buffer, byteOffset } = stream;
  for (let i = 0; i < n; i++) {
    const blob = blobs[i]!;
    const start = starts[i]!;
    const length = starts[i + 1]! - start;
    stream.write(blob.iv, start, IV_BYTES, 'base64');
    stream.write(blob.payload, start + IV_BYTES, length - IV_BYTES, 'base64');
    stored[i] = blob.hmac;
    computed[i] = hmacSha1Base64(keys.hmac, new Uint8Array(buffer, byteOffset + start, length));
  }
  // One constant-time comparison of every MAC at once; blob by blob only when one differs.
  const storedText = Buffer.from(stored.join(''), 'latin1');
  const computedText = Buffer.from(computed.join(''), 'latin1');
  const allValid = constantTimeEqual(storedText, computedText);
  const plain = aesCbcDecryptRaw(keys.aes, stream.subarray(0, IV_BYTES), stream.subarray(IV_BYTES));
  try {
    for (let i = 0; i < n; i++) {
      const valid =
        allValid ||
        constantTimeEqual(Buffer.from(stored[i]!, 'latin1'), Buffer.from(computed[i]!, 'latin1'));
      // plain is offset by the first iv: ciphertext i starts at starts[i]
      const start = starts[i]!;
      const length = valid ? unpaddedLength(plain, start, starts[i + 1]! - IV_BYTES) : -1;
      visit(
        i,
        length < 0 ? null : new Uint8Array(plain.buffer, plain.byteOffset + start, length),
        valid,
      );
    }
  } finally {
    plain.fill(0);
  }
}

/**
 * The length of `bytes[start, end)` without its PKCS#7 padding; -1 when the padding is
 * malformed.
 */
function unpaddedLength(bytes: Uint8Array, start: number, end: number): number {
  const n = end - start;
  const pad = n === 0 ? 0 : bytes[end - 1]!;
  if (pad < 1 || pad > BLOCK_BYTES || pad > n) return -1;
  for (let j = end - pad; j < end; j++) if (bytes[j] !== pad) return -1;
  return n - pad;
}
