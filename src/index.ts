/**
 * securestore-kms: SecureStore v3 vaults, byte-compatible with NeoSmart's ssclient.
 * The public surface is exactly what is exported here.
 */
export { type ErrorCode, isSecureStoreError, SecureStoreError } from './errors.js';
export { KeySource, type KeySourceFactories } from './auth.js';
export type { KeyFileOptions, KeySourceType, KeySourceTypes } from './keys/key-source.js';
export type { AuthOptions, KeyFileAuth } from './keys/auth-options.js';
export type { LockOptions } from './io/lock.js';
export type { KmsClientLike, KmsOptions, WrappedKeyOptions } from './kms/options.js';
export type { AgeRecipient } from './age/wrap.js';
export { type CreateOptions, type OpenOptions, SecretsManager } from './vault/secrets-manager.js';
export { KmsError } from './kms/kms-errors.js';
export { forgetUnwrappedKeys, unwrapWrappedKey } from './kms/unwrap.js';
export {
  type AddAgeWrappingOptions,
  type AddKmsWrappingOptions,
  addWrapping,
  type AddWrappingOptions,
  wrapKey,
  type WrapKeyOptions,
} from './kms/wrap.js';
export {
  DEFAULT_CONTEXT,
  defaultWrappedKeyPath,
  type AgeWrapping,
  type EncryptionContext,
  formatWrappedKeyFile,
  isAgeWrapping,
  isKmsWrapping,
  type KmsWrapping,
  parseWrappedKeyFile,
  removeWrapping,
  type WrappedKeyFile,
  type Wrapping,
} from './kms/wrapped-key-file.js';
