/**
 * Wrapping a vault key under KMS keys (spec/kms-key-file.md §6) and for age recipients (§10.5,
 * the age code loaded only then): the file object that {@link formatWrappedKeyFile} writes out.
 */
import type { AgeRecipient } from '../age/wrap.js';
import { constantTimeEqual, zeroize } from '../crypto/primitives.js';
import { KEY_BYTES } from '../format/sizes.js';
import { fail } from '../errors.js';
import { encodeBase64 } from '../format/base64.js';
import { kmsEncrypt, type KmsSession, withKmsSession } from './aws-kms.js';
import { KmsError } from './kms-errors.js';
import { unwrapInSession, unwrapWrappedKey } from './unwrap.js';
import type { KmsOptions, WrappedKeyOptions } from './options.js';
import {
  type EncryptionContext,
  keyIdOfArn,
  makeWrappedKeyFile,
  MAX_WRAPPINGS,
  regionOfArn,
  checkRoomFor,
  checkRoomForRecipient,
  isKmsWrapping,
  type KmsWrapping,
  withWrapping,
  type WrappedKeyFile,
  type Wrapping,
  wrappingContext,
} from './wrapped-key-file.js';

/** Options of {@link wrapKey}: KMS keys, age recipients, or both (at least one in all). */
export interface WrapKeyOptions extends KmsOptions {
  /** The KMS keys to wrap under, in failover order: key ids, key ARNs, alias names or alias ARNs. */
  readonly keyIds?: readonly string[];
  /**
   * Age recipients to wrap for (spec §10.2): `age1…` (X25519) or `age1pq1…` (post-quantum
   * hybrid) text, or `{ recipient, label }`.
   */
  readonly recipients?: readonly (string | AgeRecipient)[];
  /** Pairs added to the default context `purpose=securestore-vault-key` (spec §6.2). */
  readonly context?: EncryptionContext;
}

/** Options of {@link addWrapping}: a KMS key, or an age recipient. */
export type AddWrappingOptions = AddKmsWrappingOptions | AddAgeWrappingOptions;

/** Options of {@link addWrapping} for a KMS key. */
export interface AddKmsWrappingOptions extends KmsOptions {
  /** The KMS key to add: key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /** Pairs added to the default context (spec §6.2). */
  readonly context?: EncryptionContext;
}

/**
 * Options of {@link addWrapping} for an age recipient (spec §10). The identities and KMS options
 * are what proves the key is the file's (spec §6.3a): the file is unwrapped with them first.
 */
export interface AddAgeWrappingOptions extends WrappedKeyOptions {
  /** `age1…` or `age1pq1…`. */
  readonly recipient: string;
  /** Who it is: 1–64 characters, not a number (spec §10.3). */
  readonly label?: string;
}

/**
 * Wraps the 32-byte vault `key` under each of `keyIds` (one `kms:Encrypt` each) and returns the
 * wrapped key file; write it with `formatWrappedKeyFile`. All or nothing (spec §6.4).
 * @throws SecureStoreError ERR_ARGUMENT; KmsError (ERR_KMS_*) naming the KMS key that failed.
 */
export async function wrapKey(key: Uint8Array, options: WrapKeyOptions): Promise<WrappedKeyFile> {
  checkKey(key);
  const recipients = options?.recipients ?? [];
  if (!Array.isArray(recipients)) {
    fail('ERR_ARGUMENT', 'recipients: expected an array of age recipients');
  }
  const keyIds = options?.keyIds ?? (recipients.length > 0 ? [] : undefined);
  if (!Array.isArray(keyIds) || keyIds.length + recipients.length === 0) {
    fail('ERR_ARGUMENT', 'keyIds: expected at least one KMS key id');
  }
  if (keyIds.length + recipients.length > MAX_WRAPPINGS) {
    fail('ERR_ARGUMENT', `keyIds: at most ${MAX_WRAPPINGS} KMS keys`);
  }
  const context = wrappingContext(options.context);
  // The recipients are checked (and two the same refused) before any KMS call.
  const age = recipients.length > 0 ? await import('../age/wrap.js') : null;
  const checked = recipients.map((r) => age!.checkRecipient(r));
  const draft: WrappedKeyFile = { type: 'securestore-kms-wrapped-key', version: 1, wrappings: [] };
  checked.reduce<WrappedKeyFile>((file, r) => {
    checkRoomForRecipient(file, r.recipient, r.label);
    return { ...file, wrappings: [...file.wrappings, { provider: 'age', ...r, ciphertext: '' }] };
  }, draft);
  const wrappings: Wrapping[] = [];
  if (keyIds.length > 0) await wrapKms(key, keyIds, context, options, wrappings);
  for (const r of checked) wrappings.push(await age!.wrapForRecipient(key, r));
  return makeWrappedKeyFile(wrappings);
}

async function wrapKms(
  key: Uint8Array,
  keyIds: readonly string[],
  context: EncryptionContext,
  options: KmsOptions,
  wrappings: Wrapping[],
): Promise<void> {
  await withKmsSession(options, async (session) => {
    for (const keyId of keyIds) {
      const wrapping = await wrapOne(key, keyId, context, session);
      if (wrappings.some((w) => isKmsWrapping(w) && w.keyArn === wrapping.keyArn)) {
        fail(
          'ERR_ARGUMENT',
          `keyIds: ${keyId} is the same KMS key as another one given (${wrapping.keyArn})`,
        );
      }
      wrappings.push(wrapping);
    }
  });
}

/**
 * A copy of `file` with one more wrapping of `key`, which must be the key the file wraps
 * (spec/kms-key-file.md §4.3): it is proven first by unwrapping the file's existing wrappings
 * (one Decrypt, in failover order) and comparing in constant time, so that a file never holds
 * wrappings of different keys.
 * @throws SecureStoreError ERR_ARGUMENT; ERR_WRONG_KEY when `key` is not the file's key;
 *   KmsError when no existing wrapping can be unwrapped, or the Encrypt fails
 */
export async function addWrapping(
  file: WrappedKeyFile,
  key: Uint8Array,
  options: AddWrappingOptions,
): Promise<WrappedKeyFile> {
  checkKey(key);
  if (options !== null && typeof options === 'object' && 'recipient' in options) {
    const age = await import('../age/wrap.js');
    const r = age.checkRecipient(options);
    checkRoomForRecipient(file, r.recipient, r.label);
    await proveFileKey(file, key, options);
    return withWrapping(file, await age.wrapForRecipient(key, r));
  }
  // Refused before any KMS call when the key is named by its ARN; an alias is checked again
  // by withWrapping once KMS has said which key it names.
  checkRoomFor(file, options.keyId);
  const context = wrappingContext(options.context);
  const wrapping = await withKmsSession(options, async (session) => {
    requireSameKey(await unwrapInSession(file, 'the wrapped key file', session), key);
    return wrapOne(key, options.keyId, context, session);
  });
  return withWrapping(file, wrapping);
}

/**
 * spec/kms-key-file.md §6.3a: `key` must be the key `file` wraps, proven by unwrapping it (age
 * identities in `options` first, then KMS) before anything is added.
 * @throws SecureStoreError ERR_WRONG_KEY when it is another key
 */
async function proveFileKey(
  file: WrappedKeyFile,
  key: Uint8Array,
  options: WrappedKeyOptions,
): Promise<void> {
  requireSameKey(await unwrapWrappedKey(file, 'the wrapped key file', options), key);
}

/**
 * Zeroes `current` (the key a wrapping unwrapped to), having compared it with `key`.
 * @throws SecureStoreError ERR_WRONG_KEY when they differ
 */
function requireSameKey(current: Uint8Array, key: Uint8Array): void {
  const same = constantTimeEqual(current, key);
  zeroize(current);
  if (!same) {
    fail(
      'ERR_WRONG_KEY',
      'key: not the key this wrapped key file wraps (its wrappings unwrap to another key); nothing was added',
    );
  }
}

async function wrapOne(
  key: Uint8Array,
  keyId: string,
  context: EncryptionContext,
  session: KmsSession,
): Promise<KmsWrapping> {
  if (typeof keyId !== 'string' || keyId.trim() === '' || keyId !== keyId.trim()) {
    fail('ERR_ARGUMENT', `KMS key id ${JSON.stringify(keyId)}: expected a key id, ARN or alias`);
  }
  // A key or alias ARN names its region; otherwise --region, else the SDK's chain.
  const region = regionOfArn(keyId) ?? session.options.region;
  const out = await kmsEncrypt(keyId, key, context, region, session);
  if (keyIdOfArn(out.keyArn) === null) {
    throw new KmsError(
      'ERR_KMS',
      `KMS key ${keyId}: KMS reported ${JSON.stringify(out.keyArn)}, which is not a key ARN`,
      { kmsKey: keyId },
    );
  }
  if (keyId.includes(':key/') && out.keyArn !== keyId) {
    throw new KmsError(
      'ERR_KMS_WRONG_KEY',
      `KMS key ${keyId}: KMS encrypted under ${out.keyArn} instead; check the endpoint and the region`,
      { kmsKey: keyId },
    );
  }
  return {
    provider: 'aws-kms',
    keyArn: out.keyArn,
    region: regionOfArn(out.keyArn)!,
    context,
    ciphertext: encodeBase64(out.ciphertext),
  };
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    fail(
      'ERR_ARGUMENT',
      `key: expected a Uint8Array of ${KEY_BYTES} bytes, got ${key instanceof Uint8Array ? `${key.length} bytes` : typeof key}`,
    );
  }
}
