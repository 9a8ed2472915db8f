/**
 * The ways to say how a vault is unlocked ({@link AuthOptions}) and their resolution into a
 * {@link KeySource}: the option shapes NeoSmart's JavaScript library accepts, so code moves over
 * unchanged. `{ keyFile }` recognises a provider's file (a KMS-wrapped key) by content.
 */
import { fail } from '../errors.js';
import { fileKeySource } from './key-file.js';
import { isKeySource, type KeyFileOptions, type KeySource } from './key-source.js';
import { passwordKeySource } from './password.js';
import { rawKeySource } from './raw-key.js';

/** `{ keyFile }` and the options of the providers that may read it (`kms`). */
export type KeyFileAuth = { readonly keyFile: string } & KeyFileOptions;

/**
 * How to unlock a vault: a {@link KeySource}, or the option shapes NeoSmart's JavaScript library
 * accepts, so code moves over unchanged.
 */
export type AuthOptions =
  | KeySource
  | { readonly password: string }
  | KeyFileAuth
  | { readonly key: Uint8Array | string | readonly number[] }
  | { readonly keySource: KeySource };

/**
 * {@link resolveAuth}, and whether the source was made here (from `{ password }`, `{ keyFile }`
 * or `{ key }`): such a source belongs to the vault opened with it, which disposes it when it is
 * closed, so that what it cached (an unwrapped KMS key, spec/kms-key-file.md §7.5) goes with the
 * vault. A `KeySource` the caller gave (directly or as `{ keySource }`) stays the caller's.
 */
export function resolveOwnedAuth(auth: AuthOptions): { source: KeySource; owned: boolean } {
  if (isKeySource(auth)) return { source: auth, owned: false };
  const source = resolveAuth(auth);
  return { source, owned: source !== (auth as { keySource?: unknown }).keySource };
}

/** Turns {@link AuthOptions} into a {@link KeySource}. */
export function resolveAuth(auth: AuthOptions): KeySource {
  if (isKeySource(auth)) return auth;
  if (auth === null || typeof auth !== 'object') {
    return fail(
      'ERR_ARGUMENT',
      'auth: expected a KeySource or one of { password }, { keyFile }, { key }, { keySource }',
    );
  }
  const given = ['password', 'keyFile', 'key', 'keySource'].filter((k) => k in auth);
  if (given.length !== 1) {
    fail(
      'ERR_ARGUMENT',
      `auth: give exactly one of password, keyFile, key or keySource (got ${given.length})`,
    );
  }
  if ('password' in auth) return passwordKeySource(auth.password);
  if ('keyFile' in auth) {
    // The rest of the object is the providers' options bag (`kms`), passed on unread.
    const { keyFile, ...options } = auth;
    return fileKeySource(keyFile, options);
  }
  if ('key' in auth) return rawKeySource(auth.key);
  if (isKeySource(auth.keySource)) return auth.keySource;
  return fail('ERR_ARGUMENT', 'auth.keySource: expected a KeySource');
}
