/**
 * Exit codes of `ssclient` (documented in the README). 0, 1, 2 and 17 are the reference
 * ssclient's; the others are ours, only where a script needs to tell cases apart.
 */
import { SecureStoreError } from '../errors.js';

export const EXIT = {
  /** Success, and `--help` / `--version`. */
  OK: 0,
  /** A vault error: wrong password or key, tampering, missing secret, bad key file, bad JSON, I/O. */
  FAILURE: 1,
  /** A usage error, or the store does not exist. */
  USAGE: 2,
  /** KMS refused or could not be reached (see the message for which KMS key and why). */
  KMS: 4,
  /** Overwriting a non-empty file was refused. */
  REFUSED: 17,
  /** Another process holds the vault's lock, or the vault changed underneath us: retry. */
  BUSY: 75,
  /** Interrupted at a prompt (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

/** An error that already knows its exit code and one-line message. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export function usage(message: string): CliError {
  return new CliError(EXIT.USAGE, message);
}

/**
 * The exit code for any error a command throws (spec/cli.md §5). The switch names every
 * ErrorCode and has no default, so a new code fails the lint (switch-exhaustiveness-check) until
 * it is given an exit code here. A code from outside the union falls through to FAILURE.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof SecureStoreError) {
    switch (err.code) {
      case 'ERR_ARGUMENT':
      case 'ERR_AGE_RECIPIENT':
        return EXIT.USAGE;
      // spec/kms-key-file.md §10: like a wrong key file, an age door that does not open is 1.
      case 'ERR_AGE_NO_IDENTITY':
      case 'ERR_AGE_DECRYPT':
      case 'ERR_AGE_IDENTITY':
        return EXIT.FAILURE;
      case 'ERR_KMS':
      case 'ERR_KMS_ACCESS_DENIED':
      case 'ERR_KMS_NOT_FOUND':
      case 'ERR_KMS_DISABLED':
      case 'ERR_KMS_CIPHERTEXT':
      case 'ERR_KMS_WRONG_KEY':
      case 'ERR_KMS_THROTTLED':
      case 'ERR_KMS_TIMEOUT':
      case 'ERR_KMS_ABORTED':
      case 'ERR_KMS_UNREACHABLE':
      case 'ERR_KMS_NO_CREDENTIALS':
      case 'ERR_KMS_NO_REGION':
        return EXIT.KMS;
      case 'ERR_LOCKED':
      case 'ERR_CONFLICT':
        return EXIT.BUSY;
      case 'ERR_VAULT_FORMAT':
      case 'ERR_VAULT_VERSION':
      case 'ERR_WRONG_KEY':
      case 'ERR_INTEGRITY':
      case 'ERR_KEY_FILE':
      case 'ERR_NOT_UTF8':
      case 'ERR_IO':
      case 'ERR_NOT_FOUND':
      case 'ERR_KMS_KEY_FILE':
      case 'ERR_GIT':
      case 'ERR_MERGE':
      case 'ERR_EXPORT':
      case 'ERR_IMPORT':
      case 'ERR_SEAL':
        return EXIT.FAILURE;
    }
  }
  if (err instanceof Error && err.name === 'ExitPromptError') return EXIT.INTERRUPTED;
  return EXIT.FAILURE;
}

/**
 * Ends a command with `exitCode` and no message: the command has already said what there is to
 * say (`ssclient run` passing on its child's status, `verify` after its problem lines).
 */
export class QuietExit extends CliError {
  constructor(exitCode: number) {
    super(exitCode, '');
    this.name = 'QuietExit';
  }
}
