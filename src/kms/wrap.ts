/**
 * Wrapping a vault key under KMS keys (spec/kms-key-file.md §6): the file object that
 * {@link formatWrappedKeyFile} writes out.
 */
import { constantTimeEqual, zeroize } from '../crypto/primitives.js';
import { KEY_BYTES } from '../format/sizes.js';
import { fail } from '../errors.js';
import { encodeBase64 } from '../format/base64.js';
import { kmsEncrypt, type KmsSession, withKmsSession } from './aws-kms.js';
import { KmsError } from './kms-errors.js';
import { unwrapInSession } from './unwrap.js';
import type { KmsOptions } from './options.js';
import {
  type EncryptionContext,
  keyIdOfArn,
  makeWrappedKeyFile,
  MAX_WRAPPINGS,
  regionOfArn,
  checkRoomFor,
  withWrapping,
  type WrappedKeyFile,
  type Wrapping,
  wrappingContext,
} from './wrapped-key-file.js';

/** Options of {@link wrapKey}. */
export interface WrapKeyOptions extends KmsOptions {
  /** The KMS keys to wrap under, in failover order: key ids, key ARNs, alias names or alias ARNs. */
  readonly keyIds: readonly string[];
  /** Pairs added to the default context `purpose=securestore-vault-key` (spec §6.2). */
  readonly context?: EncryptionContext;
}

/** Options of {@link addWrapping}. */
export interface AddWrappingOptions extends KmsOptions {
  /** The KMS key to add: key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /** Pairs added to the default context (spec §6.2). */
  readonly context?: EncryptionContext;
}

/**
 * Wraps the 32-byte vault `key` under each of `keyIds` (one `kms:Encrypt` each) and returns the
 * wrapped key file; write it with `formatWrappedKeyFile`. All or nothing (spec §6.4).
 * @throws SecureStoreError ERR_ARGUMENT; KmsError (ERR_KMS_*) naming the KMS key that failed.
 */
export async function wrapKey(key: Uint8Array, options: WrapKeyOptions): Promise<WrappedKeyFile> {
  checkKey(key);
  const keyIds = options?.keyIds;
  if (!Array.isArray(keyIds) || keyIds.length === 0) {
    fail('ERR_ARGUMENT', 'keyIds: expected at least one KMS key id');
  }
  if (keyIds.length > MAX_WRAPPINGS) {
    fail('ERR_ARGUMENT', `keyIds: at most ${MAX_WRAPPINGS} KMS keys`);
  }
  const context = wrappingContext(options.context);
  const wrappings: Wrapping[] = [];
  await withKmsSession(options, async (session) => {
    for (const keyId of keyIds) {
      const wrapping = await wrapOne(key, keyId, context, session);
      if (wrappings.some((w) => w.keyArn === wrapping.keyArn)) {
        fail(
          'ERR_ARGUMENT',
          `keyIds: ${keyId} is the same KMS key as another one given (${wrapping.keyArn})`,
        );
      }
      wrappings.push(wrapping);
    }
  });
  return makeWrappedKeyFile(wrappings);
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
  // Refused before any KMS call when the key is named by its ARN; an alias is checked again
  // by withWrapping once KMS has said which key it names.
  checkRoomFor(file, options.keyId);
  const context = wrappingContext(options.context);
  const wrapping = await withKmsSession(options, async (session) => {
    const current = await unwrapInSession(file, 'the wrapped key file', session);
    const same = constantTimeEqual(current, key);
    zeroize(current);
    if (!same) {
      fail(
        'ERR_WRONG_KEY',
        'key: not the key this wrapped key file wraps (its wrappings unwrap to another key); nothing was added',
      );
    }
    return wrapOne(key, options.keyId, context, session);
  });
  return withWrapping(file, wrapping);
}

async function wrapOne(
  key: Uint8Array,
  keyId: string,
  context: EncryptionContext,
  session: KmsSession,
): Promise<Wrapping> {
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
