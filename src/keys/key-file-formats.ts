/**
 * Key file formats that providers plug in from above: a format is recognised by its content
 * (`detect`, cheap and synchronous) and its code is loaded only when such a file is used
 * (`load`). src/auth.ts registers the KMS-wrapped key file (spec/kms-key-file.md §2); another
 * provider (age) registers one more. This folder never names a provider.
 */
import type { ErrorCode } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import type { KeyFileOptions, KeySourceType } from './key-source.js';

/** The loaded half of a format: how to turn a file's bytes into the vault key. */
export interface KeyFileReader {
  /** The largest file of this format: a source that expects one reads no more. */
  readonly maxBytes: number;
  /** The error for a file over `maxBytes` or unreadable, when a source expects this format. */
  readonly readError: { readonly code: ErrorCode; readonly what: string };
  /**
   * The 32-byte key held by `bytes`, read from `path` (named in messages): a copy the caller
   * zeroes, and `release`, which zeroes whatever the provider cached for it.
   */
  open(
    bytes: Uint8Array,
    path: string,
    options: KeyFileOptions,
  ): Promise<{ readonly key: Uint8Array; readonly release: () => void }>;
}

/** A key file format, as registered. */
export interface KeyFileFormat {
  /** The type of the key sources that read this format. */
  readonly type: KeySourceType;
  /** What a file of this format is called in messages: "wrapped key file". */
  readonly description: string;
  /** Whether `bytes` (a whole file, or its first bytes) are of this format. */
  detect(bytes: Uint8Array): boolean;
  /** Loads the format's code (a dynamic import): called only for a file of this format. */
  load(): Promise<KeyFileReader>;
}

/** A key file is read under this cap: a PEM or raw key, or a provider's file (checked later). */
export const KEY_FILE_READ_LIMIT = 1024 * 1024;

const formats: KeyFileFormat[] = [];

/** Adds a format; registering the same one again does nothing. */
export function registerKeyFileFormat(format: KeyFileFormat): void {
  if (!formats.includes(format)) formats.push(format);
}

/** The registered format that `bytes` are in, if any. */
export function keyFileFormatOf(bytes: Uint8Array): KeyFileFormat | undefined {
  return formats.find((format) => format.detect(bytes));
}

/**
 * The registered format of the file at `path`; undefined when it is a plain key file or cannot
 * be read (the caller's next step reports that). Reads at most {@link KEY_FILE_READ_LIMIT}.
 */
export async function keyFileFormatAt(path: string): Promise<KeyFileFormat | undefined> {
  const bytes = await readFileCapped(path, KEY_FILE_READ_LIMIT, {
    code: 'ERR_KEY_FILE',
    what: 'a key file',
  }).catch(() => null);
  return bytes === null ? undefined : keyFileFormatOf(bytes);
}
