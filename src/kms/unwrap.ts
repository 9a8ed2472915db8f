/**
 * Unwrapping a wrapped key file (spec/kms-key-file.md §7, §10.6): its age wrappings that match
 * the caller's identities first (the age code is loaded only for a file that has some), then
 * failover across its KMS wrappings, the key-id check, and one Decrypt per file and KMS identity
 * per process (§7.5).
 */
import type { AgeOutcome } from '../age/unwrap.js';
import { KEY_BYTES } from '../format/sizes.js';
import { sha256, zeroize } from '../crypto/primitives.js';
import { isSecureStoreError, SecureStoreError } from '../errors.js';
import { decodeBase64 } from '../format/base64.js';
import { kmsDecrypt, type KmsSession, withKmsSession } from './aws-kms.js';
import { combineFailures, KmsError } from './kms-errors.js';
import type { KmsOptions, WrappedKeyOptions } from './options.js';
import type { KeyFileReader } from '../keys/key-file-formats.js';
import {
  isAgeWrapping,
  isKmsWrapping,
  type KmsWrapping,
  MAX_WRAPPED_KEY_FILE_BYTES,
  parseWrappedKeyFile,
  type WrappedKeyFile,
} from './wrapped-key-file.js';

/**
 * Unwraps the key of a parsed wrapped key file: its age wrappings that match
 * `options.identities` (§10.6), then its KMS wrappings in failover order (§7.1); returns the
 * first key one yields (the caller zeroes it). Uncached: each call is a Decrypt.
 * @throws KmsError listing every KMS wrapping's failure when none worked (§7.4);
 *   SecureStoreError ERR_AGE_* when the file has only age wrappings and none opened
 */
export async function unwrapWrappedKey(
  file: WrappedKeyFile,
  source: string,
  options: WrappedKeyOptions = {},
): Promise<Uint8Array> {
  const age = await tryAge(file, source, options);
  if (age?.key) return age.key;
  return explain(unwrapKms(file, source, options), age);
}

/**
 * §10.6: the age wrappings, when the file has any (loading the age code only then); null when
 * it has none.
 */
async function tryAge(
  file: WrappedKeyFile,
  source: string,
  options: WrappedKeyOptions,
): Promise<AgeOutcome | null> {
  if (!file.wrappings.some(isAgeWrapping)) return null;
  const { unwrapAgeWrappings } = await import('../age/unwrap.js');
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message));
  const ages = file.wrappings.flatMap((w, index) => (isAgeWrapping(w) ? [{ ...w, index }] : []));
  return unwrapAgeWrappings(ages, source, options.identities ?? [], warn);
}

/**
 * The KMS half, with what the age half tried added to its error: one line naming every door
 * tried. A file without KMS wrappings fails with the age error itself.
 */
async function explain<T>(kms: Promise<T> | null, age: AgeOutcome | null): Promise<T> {
  if (kms === null) {
    if (age !== null && age.key === null) throw age.error;
    throw new SecureStoreError('ERR_KMS_KEY_FILE', 'the wrapped key file has no wrapping');
  }
  try {
    return await kms;
  } catch (err) {
    if (age === null || age.key !== null || !(err instanceof KmsError)) throw err;
    throw new KmsError(err.code, `${err.message}; and ${age.tried}`, {
      cause: err,
      ...(err.kmsKey !== undefined ? { kmsKey: err.kmsKey } : {}),
      failures: err.failures,
    });
  }
}

/** The KMS wrappings of `file` in failover order; null when it has none. */
function unwrapKms(
  file: WrappedKeyFile,
  source: string,
  options: KmsOptions,
): Promise<Uint8Array> | null {
  if (!file.wrappings.some(isKmsWrapping)) return null;
  return withKmsSession(options, (session) => unwrapInSession(file, source, session));
}

/** The KMS half of {@link unwrapWrappedKey} within an operation's session (its clients and options). */
export async function unwrapInSession(
  file: WrappedKeyFile,
  source: string,
  session: KmsSession,
): Promise<Uint8Array> {
  const failures: KmsError[] = [];
  for (const wrapping of failoverOrder(
    file.wrappings.filter(isKmsWrapping),
    session.options.region,
  )) {
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
}

/** spec §7.1: file order, but wrappings in an explicitly named region first. */
export function failoverOrder(
  wrappings: readonly KmsWrapping[],
  region: string | undefined,
): KmsWrapping[] {
  if (region === undefined) return [...wrappings];
  return [
    ...wrappings.filter((w) => w.region === region),
    ...wrappings.filter((w) => w.region !== region),
  ];
}

async function unwrapOne(
  wrapping: KmsWrapping,
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

/** By {@link cacheId}: the file's content and everything that decides who asks KMS. */
const cache = new Map<string, CacheEntry>();

/** A number per injected client or client factory, so that the cache tells them apart. */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

function objectId(value: object | undefined): number {
  if (value === undefined) return 0;
  let id = objectIds.get(value);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(value, id);
  }
  return id;
}

/**
 * spec/kms-key-file.md §7.5: a cached key serves only an unwrap that would ask KMS as the same
 * identity in the same way. The id covers the file's bytes, the options that choose the
 * identity and where the calls go (region, profile, endpoint, the injected client or client
 * factory, by object identity), and the environment the SDK's default chains read (every `AWS_`
 * variable, and HOME, under which the shared config files live). A hash: the environment holds
 * secret keys, which the map's keys must not keep.
 */
function cacheId(bytes: Uint8Array, options: KmsOptions): string {
  const env = Object.entries(process.env)
    .filter(([name]) => name.startsWith('AWS_') || name === 'HOME' || name === 'USERPROFILE')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const identity = JSON.stringify([
    Buffer.from(sha256(bytes)).toString('hex'),
    options.region ?? null,
    options.profile ?? null,
    options.endpoint ?? null,
    objectId(options.client),
    objectId(options.clientForRegion),
    env,
  ]);
  return Buffer.from(sha256(Buffer.from(identity, 'utf8'))).toString('hex');
}

/** A key unwrapped from a file, and how to forget it (zero the cached copy). */
export interface UnwrappedKey {
  /** A copy of the key, owned (and to be zeroed) by the caller. */
  readonly key: Uint8Array;
  /** Zeroes and drops the cached key of this file; the next use calls KMS again. */
  readonly release: () => void;
}

/**
 * Unwraps the key in a wrapped key file's bytes: an age wrapping that matches
 * `options.identities` first (§10.6; local, not cached), else through KMS, called only the first
 * time a given file (by content) is unwrapped in this process by the same KMS identity and
 * options (see {@link cacheId}). `path` names the file in messages.
 * @throws SecureStoreError ERR_KMS_KEY_FILE, ERR_AGE_*; KmsError
 */
export async function unwrapKeyFileCached(
  bytes: Uint8Array,
  path: string,
  options: WrappedKeyOptions = {},
): Promise<UnwrappedKey> {
  const file = parseWrappedKeyFile(bytes, path);
  const age = await tryAge(file, path, options);
  if (age?.key) return { key: age.key, release: () => {} };
  const kms = file.wrappings.some(isKmsWrapping) ? unwrapKmsCached(bytes, path, options) : null;
  return explain(kms, age);
}

async function unwrapKmsCached(
  bytes: Uint8Array,
  path: string,
  options: KmsOptions,
): Promise<UnwrappedKey> {
  const id = cacheId(bytes, options);
  let entry = cache.get(id);
  const joined = entry !== undefined;
  if (entry === undefined) {
    // Parsed only on a miss: an entry is made only after these same bytes (the id covers their
    // SHA-256) parsed, and its key passed the checks of §7.3 when it was unwrapped.
    const file = parseWrappedKeyFile(bytes, path);
    const created: CacheEntry = { key: unwrapKms(file, path, options)! };
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
      return unwrapKmsCached(bytes, path, options);
    }
    throw err;
  }
  const current = entry;
  // Released (and zeroed) by another holder while this one waited: unwrap again.
  if (cache.get(id) !== current) return unwrapKmsCached(bytes, path, options);
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
  open: (bytes, path, options) =>
    unwrapKeyFileCached(bytes, path, {
      ...options.kms,
      ...(options.identities !== undefined ? { identities: options.identities } : {}),
      ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
    }),
};
