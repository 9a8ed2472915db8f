/**
 * Key sources as the package offers them: the built-in sources of keys/ and the KMS-wrapped key
 * file of kms/, which this module registers as a key file format (so that `{ keyFile }` and
 * `KeySource.fromFile` recognise one by content, spec/kms-key-file.md §2) without loading kms/
 * until such a file is used. Everything that takes a key file imports this module first: the
 * package entry (index.ts) and the CLI entry.
 */
import { fail } from './errors.js';
import { KEY_BYTES } from './format/sizes.js';
import { fileKeySource, formatKeySource } from './keys/key-file.js';
import {
  type KeyFileFormat,
  keyFileFormatAt,
  registerKeyFileFormat,
} from './keys/key-file-formats.js';
import {
  isKeySource,
  type KeyFileOptions,
  type KeySource as KeySourceInterface,
} from './keys/key-source.js';
import { passwordKeySource } from './keys/password.js';
import { generatedKeySource, rawKeySource } from './keys/raw-key.js';
import type { WrappedKeyOptions } from './kms/options.js';

/**
 * spec/kms-key-file.md §2: a wrapped key file is a JSON object, recognised by its first byte.
 * §2.1: a file of exactly 32 bytes is always a raw key, even one that starts with `{`.
 */
export function looksLikeWrappedKey(bytes: Uint8Array): boolean {
  if (bytes.length === KEY_BYTES) return false;
  for (const b of bytes) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b;
  }
  return false;
}

/** The KMS-wrapped key file as a key file format: kms/ is imported when one is opened. */
export const WRAPPED_KEY_FILE: KeyFileFormat = {
  type: 'kms',
  description: 'wrapped key file',
  detect: looksLikeWrappedKey,
  load: async () => (await import('./kms/unwrap.js')).wrappedKeyFileReader,
};

registerKeyFileFormat(WRAPPED_KEY_FILE);

/**
 * True when the file at `path` is a KMS-wrapped key file by {@link looksLikeWrappedKey}; false
 * when it is not, or cannot be read (the caller's next step reports that). Reads at most 1 MiB,
 * the limit `fromFile` reads a key file under.
 */
export async function isWrappedKeyFile(path: string): Promise<boolean> {
  return (await keyFileFormatAt(path)) === WRAPPED_KEY_FILE;
}

/**
 * A source of the vault key. Construction is cheap and does no I/O: files are read, passwords
 * stretched and KMS called when a vault is opened.
 */
export type KeySource = KeySourceInterface;

/** The factories of the built-in key sources, as `KeySource.fromPassword(…)` and so on. */
export interface KeySourceFactories {
  /** A key derived from `password` (its UTF-8 bytes, no normalisation; empty is allowed). */
  fromPassword(password: string): KeySource;
  /**
   * A key read from a file when a vault is opened: the 99-byte PEM form, the legacy 32-byte raw
   * form, or (recognised by content) a KMS-wrapped key file, which is unwrapped through KMS.
   */
  fromFile(path: string, options?: KeyFileOptions): KeySource;
  /**
   * A wrapped key file (spec/kms-key-file.md), unwrapped on first use: by an age wrapping that
   * matches `options.identities` (§10.6), else through KMS.
   */
  fromKmsFile(path: string, options?: WrappedKeyOptions): KeySource;
  /**
   * A fixed key: 32 bytes (`Uint8Array` or array of numbers), or PEM text as in a key file.
   * The bytes are copied.
   */
  fromKey(key: Uint8Array | string | readonly number[]): KeySource;
  /** A new random key from the operating system's CSPRNG. */
  generate(): KeySource;
  /**
   * `x instanceof KeySource` keeps working as it did when KeySource was a class: true for any
   * key source (anything with `keyFor` and `dispose`), including a provider's own.
   */
  [Symbol.hasInstance](value: unknown): boolean;
}

/** The built-in key sources (see {@link KeySourceFactories}). */
export const KeySource: KeySourceFactories = Object.freeze({
  fromPassword: passwordKeySource,
  fromFile: fileKeySource,
  fromKmsFile(path: string, options: WrappedKeyOptions = {}): KeySource {
    if (typeof path !== 'string' || path === '')
      fail('ERR_ARGUMENT', 'path: expected a wrapped key file path');
    return formatKeySource(WRAPPED_KEY_FILE, path, { kms: options });
  },
  fromKey: rawKeySource,
  generate: generatedKeySource,
  [Symbol.hasInstance]: isKeySource,
});
