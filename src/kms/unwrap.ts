/**
 * Unwrapping a wrapped key file through KMS (spec/kms-key-file.md §7): failover across its
 * wrappings, the key-id check, and one Decrypt per file per process (§7.5).
 */
import { KEY_BYTES } from '../format/sizes.js';
import { sha256, zeroize } from '../crypto/primitives.js';
import { isSecureStoreError } from '../errors.js';
import { decodeBase64 } from '../format/base64.js';
import { kmsDecrypt, type KmsSession, withKmsSession } from './aws-kms.js';
import { combineFailures, KmsError } from './kms-errors.js';
import type { KmsOptions } from './options.js';
import type { KeyFileReader } from '../keys/key-file-formats.js';
import {
  MAX_WRAPPED_KEY_FILE_BYTES,
  parseWrappedKeyFile,
  type WrappedKeyFile,
  type Wrapping,
} from './wrapped-key-file.js';

/**
 * Unwraps the key of a parsed wrapped key file: tries its wrappings in failover order (§7.1)
 * and returns the first key one yields (the caller zeroes it). Uncached: each call is a Decrypt.
 * @throws KmsError listing every wrapping's failure when none worked (§7.4)
 */
export async function unwrapWrappedKey(
  file: WrappedKeyFile,
  source: string,
  options: KmsOptions = {},
): Promise<Uint8Array> {
  return withKmsSession(options, async (session) => {
    const failures: KmsError[] = [];
    for (const wrapping of failoverOrder(file.wrappings, options.region)) {
      try {
        return await unwrapOne(wrapping, source, session);
      } catch (err) {
        if (!(err instanceof KmsError)) throw err;
        // A cancelled call stops the search: the caller asked for no more KMS calls. Any other
        // failure, ERR_KMS_THROTTLED after its retries included, moves on to the next wrapping:
        // a throttled region gives way to another region's quota (docs/kms.md "Fleets").
        if (err.code === 'ERR_KMS_ABORTED') throw err;
        failures.push(err);
      }
    }
    throw combineFailures(source, failures);
  });
}

/** spec §7.1: file order, but wrappings in an explicitly named region first. */
export function failoverOrder(
  wrappings: readonly Wrapping[],
  region: string | undefined,
): Wrapping[] {
  if (region === undefined) return [...wrappings];
  return [
    ...wrappings.filter((w) => w.region === region),
    ...wrappings.filter((w) => w.region !== region),
  ];
}

async function unwrapOne(
  wrapping: Wrapping,
  source: string,
  session: KmsSession,
): Promise<Uint8Array> {
  const ciphertext = decodeBase64(wrapping.ciphertext);
  const out = await kmsDecrypt(
    wrapping.keyArn,
    ciphertext,
    wrapping.context,
    wrapping.region,
    source,
    session,
  );
  // spec §7.3: the key KMS used must be the one recorded.
  if (out.keyId !== wrapping.keyArn) {
    zeroize(out.plaintext);
    throw new KmsError(
      'ERR_KMS_WRONG_KEY',
      `KMS key ${wrapping.keyArn}: KMS decrypted the wrapped key in ${source} with ${out.keyId ?? 'an unnamed key'} instead; restore the file from version control`,
      { kmsKey: wrapping.keyArn },
    );
  }
  if (out.plaintext.length !== KEY_BYTES) {
    const length = out.plaintext.length;
    zeroize(out.plaintext);
    throw new KmsError(
      'ERR_KMS_KEY_FILE',
      `KMS key ${wrapping.keyArn}: the wrapped key in ${source} is ${length} bytes, not a ${KEY_BYTES}-byte vault key`,
      { kmsKey: wrapping.keyArn },
    );
  }
  const key = Uint8Array.from(out.plaintext);
  zeroize(out.plaintext);
  return key;
}

// ------------------------------------------------------------ the per-process cache (§7.5)

interface CacheEntry {
  /** Settles to the key; the cache owns it and hands out copies. */
  readonly key: Promise<Uint8Array>;
}

const cache = new Map<string, CacheEntry>();

/** A key unwrapped from a file, and how to forget it (zero the cached copy). */
export interface UnwrappedKey {
  /** A copy of the key, owned (and to be zeroed) by the caller. */
  readonly key: Uint8Array;
  /** Zeroes and drops the cached key of this file; the next use calls KMS again. */
  readonly release: () => void;
}

/**
 * Unwraps the key in a wrapped key file's bytes, calling KMS only the first time a given file
 * (by content) is unwrapped in this process. `path` names the file in messages.
 * @throws SecureStoreError ERR_KMS_KEY_FILE; KmsError
 */
export async function unwrapKeyFileCached(
  bytes: Uint8Array,
  path: string,
  options: KmsOptions = {},
): Promise<UnwrappedKey> {
  const id = Buffer.from(sha256(bytes)).toString('hex');
  let entry = cache.get(id);
  const joined = entry !== undefined;
  if (entry === undefined) {
    // Parsed only on a miss: an entry is made only after these same bytes (the key is their
    // SHA-256) parsed, and its key passed the checks of §7.3 when it was unwrapped.
    const file = parseWrappedKeyFile(bytes, path);
    const created: CacheEntry = { key: unwrapWrappedKey(file, path, options) };
    entry = created;
    cache.set(id, created);
    // A failure is not cached: the next use tries KMS again.
    created.key.catch(() => {
      if (cache.get(id) === created) cache.delete(id);
    });
  }
  let key: Uint8Array;
  try {
    key = await entry.key;
  } catch (err) {
    // Joined another caller's unwrap, which that caller cancelled: not this caller's wish.
    if (joined && isSecureStoreError(err, 'ERR_KMS_ABORTED') && !options.signal?.aborted) {
      return unwrapKeyFileCached(bytes, path, options);
    }
    throw err;
  }
  const current = entry;
  // Released (and zeroed) by another holder while this one waited: unwrap again.
  if (cache.get(id) !== current) return unwrapKeyFileCached(bytes, path, options);
  return {
    key: Uint8Array.from(key),
    release: () => {
      if (cache.get(id) === current) cache.delete(id);
      zeroize(key);
    },
  };
}

/** Zeroes and forgets every key unwrapped in this process. */
export function forgetUnwrappedKeys(): void {
  const entries = [...cache.values()];
  cache.clear();
  for (const entry of entries) {
    entry.key.then(zeroize, () => {});
  }
}

/**
 * The KMS provider of a key file format (keys/key-file-formats.ts), loaded by src/auth.ts only
 * when a key file is a wrapped one: unwraps through the per-process cache (§7.5) and zeroes the
 * cached key when the source is disposed.
 */
export const wrappedKeyFileReader: KeyFileReader = {
  maxBytes: MAX_WRAPPED_KEY_FILE_BYTES,
  readError: { code: 'ERR_KMS_KEY_FILE', what: 'a wrapped key file' },
  open: (bytes, path, options) => unwrapKeyFileCached(bytes, path, options.kms ?? {}),
};
