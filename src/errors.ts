/**
 * Every failure the library reports is a {@link SecureStoreError} with a stable `code`.
 * Messages are written for a person to act on and never contain secret material
 * (no values, no passwords, no key bytes); the underlying error is kept as `cause`.
 */

/** The stable error codes. Scripts and the CLI branch on these, never on messages. */
export type ErrorCode =
  /** The vault file is not a well-formed SecureStore v3 document (spec/format.md §7). */
  | 'ERR_VAULT_FORMAT'
  /** The vault's `version` is not the number 3. */
  | 'ERR_VAULT_VERSION'
  /** The password or key does not open this vault (the sentinel fails its MAC). */
  | 'ERR_WRONG_KEY'
  /** A secret's MAC does not verify: the vault was tampered with or damaged. */
  | 'ERR_INTEGRITY'
  /** A key file is malformed (spec/format.md §6). */
  | 'ERR_KEY_FILE'
  /** A secret's plaintext is not valid UTF-8 and was asked for as a string. */
  | 'ERR_NOT_UTF8'
  /** The vault changed on disk since it was opened; saving would lose those changes. */
  | 'ERR_CONFLICT'
  /** A file could not be read or written. */
  | 'ERR_IO'
  /** The vault or key file does not exist. */
  | 'ERR_NOT_FOUND'
  /** The lock on a vault could not be taken in time. */
  | 'ERR_LOCKED'
  /** A caller passed an argument the library cannot use (a bad name, a wrong-sized key). */
  | 'ERR_ARGUMENT'
  /** The wrapped (KMS) key file is malformed or uses an unknown provider. */
  | 'ERR_KMS_KEY_FILE'
  /** KMS failed for a reason not listed below, or several wrappings failed in different ways. */
  | 'ERR_KMS'
  /** KMS refused the call: the identity may not use the KMS key, or its credentials were rejected. */
  | 'ERR_KMS_ACCESS_DENIED'
  /** The KMS key or alias does not exist (in that region and account). */
  | 'ERR_KMS_NOT_FOUND'
  /** The KMS key is disabled or pending deletion. */
  | 'ERR_KMS_DISABLED'
  /** KMS cannot decrypt the wrapped key: the encryption context differs or the ciphertext is damaged. */
  | 'ERR_KMS_CIPHERTEXT'
  /** The wrapped key was made under another KMS key than the one recorded for it. */
  | 'ERR_KMS_WRONG_KEY'
  /** KMS kept throttling the requests, after the SDK's retries. */
  | 'ERR_KMS_THROTTLED'
  /** KMS did not answer in time. */
  | 'ERR_KMS_TIMEOUT'
  /** The caller's AbortSignal cancelled the KMS call. */
  | 'ERR_KMS_ABORTED'
  /** KMS could not be reached (connection refused or reset, DNS, KMS unavailable). */
  | 'ERR_KMS_UNREACHABLE'
  /** No AWS credentials were found. */
  | 'ERR_KMS_NO_CREDENTIALS'
  /** No AWS region was given or configured. */
  | 'ERR_KMS_NO_REGION'
  /** No age identity given matches an age wrapping of the wrapped key file (spec/kms-key-file.md §10.6). */
  | 'ERR_AGE_NO_IDENTITY'
  /** An age wrapping whose recipient matches an identity did not decrypt with it (§10.6). */
  | 'ERR_AGE_DECRYPT'
  /** An age identity (a key or an identity file) is malformed or cannot be read (§10.7). */
  | 'ERR_AGE_IDENTITY'
  /** An age recipient is malformed or of a kind this tool cannot wrap to (§10.2). */
  | 'ERR_AGE_RECIPIENT'
  /** Three versions of a vault cannot be merged by name (different keys); the message says why. */
  | 'ERR_MERGE'
  /** git failed, is not installed, or the path is not in a git work tree. */
  | 'ERR_GIT'
  /** A value cannot be written in the asked export format so that its readers read it back exactly. */
  | 'ERR_EXPORT'
  /** A file to import does not parse, or holds a value that cannot be imported (still encrypted). */
  | 'ERR_IMPORT'
  /**
   * The vault's seal does not verify (names, values or their order were changed without the key),
   * is malformed, or is missing where it is required (spec/seal.md §5, §8).
   */
  | 'ERR_SEAL';

/** Base class of every error this package throws. */
export class SecureStoreError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'SecureStoreError';
  }
}

/** Shorthand used throughout the library. */
export function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new SecureStoreError(code, message, cause === undefined ? undefined : { cause });
}

/** True when `err` is a {@link SecureStoreError}, optionally with the given code. */
export function isSecureStoreError(err: unknown, code?: ErrorCode): err is SecureStoreError {
  return err instanceof SecureStoreError && (code === undefined || err.code === code);
}

/** Maps a Node file-system error to ERR_NOT_FOUND or ERR_IO with a message naming the file. */
export function ioError(err: unknown, verb: string, path: string): SecureStoreError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') {
    return new SecureStoreError('ERR_NOT_FOUND', `${path} does not exist`, { cause: err });
  }
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'ENOSPC'
          ? 'no space left on the device'
          : code === 'EROFS'
            ? 'the file system is read-only'
            : (code ?? 'unknown error');
  return new SecureStoreError('ERR_IO', `cannot ${verb} ${path}: ${why}`, { cause: err });
}
