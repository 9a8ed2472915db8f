/**
 * The only module that imports `node:crypto`. Everything here is a thin, checked wrapper over
 * OpenSSL through Node: no hand-written primitives. Bytes in, bytes out: the vault format's
 * sizes are the callers' (format/sizes.ts); spec/format.md §1–§3.
 */
import {
  type KeyObject,
  createCipheriv,
  createSecretKey,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes as nodeRandomBytes,
  pbkdf2,
  timingSafeEqual,
} from 'node:crypto';

/** Cryptographically secure random bytes. */
export function randomBytes(n: number): Uint8Array {
  const bytes = nodeRandomBytes(n);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * PBKDF2-HMAC-SHA1(password, salt, iterations, length), run on libuv's thread pool so that the
 * event loop is not blocked.
 */
export function pbkdf2Sha1(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, length, 'sha1', (err, key) =>
      err ? reject(err) : resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength)),
    );
  });
}

/**
 * A key held by OpenSSL, set up once per vault instead of once per secret (a third of the cost
 * of decrypting a small secret). Node frees it with OPENSSL_clear_free when it is collected.
 */
export type CryptoKey = KeyObject;

/**
 * Imports key bytes once, for every later AES and HMAC call. Keys are always passed to OpenSSL
 * as KeyObjects: a raw Buffer key is imported again on every call, which Node 24 makes 4-6×
 * slower than the call itself (10 000 HMACs: 174 ms raw vs 27 ms with a KeyObject; 10 000
 * AES contexts: 211 vs 43 ms; docs/benchmarks.md).
 */
export function importKey(bytes: Uint8Array): CryptoKey {
  return createSecretKey(bytes);
}

/** AES-128-CBC with PKCS#7 padding (always pads). */
export function aesCbcEncrypt(key: CryptoKey, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/**
 * AES-128-CBC decryption; throws (an OpenSSL error) on bad padding. The pieces OpenSSL returned
 * are zeroed once joined: only the returned plaintext is left for the caller to zero.
 */
export function aesCbcDecrypt(key: CryptoKey, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  const head = decipher.update(ciphertext);
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch (err) {
    head.fill(0);
    throw err;
  }
  return joinZeroing(head, tail);
}

/**
 * AES-128-CBC decryption of whole blocks without removing padding. Whole blocks leave `final()`
 * nothing to return, so the plaintext is `update`'s own buffer: no copy of a whole vault's
 * secrets (`getAll`) left behind unzeroed, and none made.
 */
export function aesCbcDecryptRaw(key: CryptoKey, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  decipher.setAutoPadding(false);
  const head = decipher.update(ciphertext);
  let tail: Buffer;
  try {
    tail = decipher.final(); // throws on a partial block
  } catch (err) {
    head.fill(0);
    throw err;
  }
  return joinZeroing(head, tail);
}

/** `head ‖ tail`, zeroing both pieces when they had to be copied into a new buffer. */
function joinZeroing(head: Buffer, tail: Buffer): Buffer {
  if (tail.length === 0) return head;
  const joined = Buffer.concat([head, tail]);
  head.fill(0);
  tail.fill(0);
  return joined;
}

/** AES's block, and so the size of a CBC iv. */
const AES_BLOCK_BYTES = 16;

/**
 * AES-128-CBC decryption (whole blocks, no padding removed) that keeps one OpenSSL context for
 * many messages: each call passes `iv ‖ ciphertext` and gets back as many bytes, of which the
 * first block is meaningless and the rest is the plaintext. CBC decrypts each block as
 * D(C[j]) xor C[j-1], and the context carries the last block it saw over to the next call, so the
 * message's own iv, fed first, chains into its first ciphertext block exactly as a fresh context
 * given that iv would. The caller must pass whole blocks (a partial block would shift the chain):
 * throws without touching the context otherwise. Setting up a context per message cost about five
 * times the decryption of a short secret.
 */
export function aesCbcDecryptChain(key: CryptoKey): (ivAndCiphertext: Uint8Array) => Buffer {
  const decipher = createDecipheriv('aes-128-cbc', key, new Uint8Array(AES_BLOCK_BYTES));
  decipher.setAutoPadding(false);
  return (data) => {
    if (data.length % AES_BLOCK_BYTES !== 0) {
      throw new RangeError('aesCbcDecryptChain: partial block');
    }
    return decipher.update(data);
  };
}

/** HMAC-SHA1 over the concatenation of `parts`. */
export function hmacSha1(key: CryptoKey, ...parts: Uint8Array[]): Buffer {
  const mac = createHmac('sha1', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * HMAC-SHA1 of `data` in canonical base64, the form a vault stores it in (spec/format.md §5.3).
 * A batch compares these with the stored strings instead of decoding every stored MAC, and
 * a string lives on the V8 heap, while each `digest()` Buffer has its own backing store for the
 * GC to track and free (docs/benchmarks.md, "Where the time of decrypt all goes").
 */
export function hmacSha1Base64(key: CryptoKey, data: Uint8Array): string {
  return createHmac('sha1', key).update(data).digest('base64');
}

/**
 * Where {@link constantTimeEqualText} writes the two strings (UTF-16 code units, so every string
 * is written exactly), with views of its two halves for the last length compared: one `get` of a
 * secret compares one MAC, and a fresh Buffer per side cost more than the comparison.
 */
let textScratch = Buffer.alloc(128);
let textViewUnits = -1;
let textViewA = new Uint8Array(0);
let textViewB = new Uint8Array(0);

/**
 * Constant-time equality of two strings (false when lengths differ): the time depends on the
 * length only, never on where they differ, and the scratch is zeroed before it returns. For a MAC kept as the canonical base64 a vault stores
 * (equal text is equal bytes), compared without decoding the stored one.
 */
export function constantTimeEqualText(a: string, b: string): boolean {
  const units = a.length;
  if (b.length !== units) return false;
  const bytes = 2 * units;
  if (textViewUnits !== units) {
    if (2 * bytes > textScratch.length) textScratch = Buffer.alloc(2 * bytes);
    textViewA = new Uint8Array(textScratch.buffer, textScratch.byteOffset, bytes);
    textViewB = new Uint8Array(textScratch.buffer, textScratch.byteOffset + bytes, bytes);
    textViewUnits = units;
  }
  textScratch.write(a, 0, bytes, 'utf16le');
  textScratch.write(b, bytes, bytes, 'utf16le');
  const equal = timingSafeEqual(textViewA, textViewB);
  // Nothing compared stays behind for the next caller to find (the typed array's own fill).
  textViewA.fill(0);
  textViewB.fill(0);
  return equal;
}

/** Constant-time equality of two byte strings (false when lengths differ). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** SHA-256 digest, used to notice that a file changed on disk (not for secrecy). */
export function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

/** Overwrites key material in place. */
export function zeroize(bytes: Uint8Array | undefined | null): void {
  bytes?.fill(0);
}
