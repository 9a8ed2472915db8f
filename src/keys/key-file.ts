/**
 * A key read from a file when a vault is opened: the 99-byte PEM form, the legacy 32-byte raw
 * form (spec/format.md §2), or a registered provider's format recognised by content.
 */
import { fail } from '../errors.js';
import { decodeKeyFile, MAX_KEY_FILE_BYTES } from '../format/key-file.js';
import { readFileCapped } from '../io/files.js';
import { KEY_FILE_READ_LIMIT, type KeyFileFormat, keyFileFormatOf } from './key-file-formats.js';
import { type KeyFileOptions, type KeySource, ResolvingKeySource } from './key-source.js';

/**
 * A key read from `path` when a vault is opened: PEM, raw, or (recognised by content) a file of
 * a registered format such as a KMS-wrapped key file, which its provider opens.
 */
export function fileKeySource(path: string, options: KeyFileOptions = {}): KeySource {
  if (typeof path !== 'string' || path === '')
    fail('ERR_ARGUMENT', 'keyFile: expected a file path');
  return new ResolvingKeySource('key', `key file ${path}`, async (_iv, release) => {
    const bytes = await readFileCapped(path, KEY_FILE_READ_LIMIT, {
      code: 'ERR_KEY_FILE',
      what: 'a key file',
    });
    const format = keyFileFormatOf(bytes);
    if (format !== undefined) return openWith(format, bytes, path, options, release);
    if (bytes.length > MAX_KEY_FILE_BYTES) {
      fail('ERR_KEY_FILE', `${path} is not a key file (${bytes.length} bytes)`);
    }
    try {
      return decodeKeyFile(bytes, path);
    } finally {
      bytes.fill(0);
    }
  });
}

/**
 * A key from a file that must be of `format` (`KeySource.fromKmsFile`): read under the format's
 * own cap, opened by its provider on first use.
 */
export function formatKeySource(
  format: KeyFileFormat,
  path: string,
  options: KeyFileOptions = {},
): KeySource {
  return new ResolvingKeySource(
    format.type,
    `${format.description} ${path}`,
    async (_iv, release) => {
      const reader = await format.load();
      const bytes = await readFileCapped(path, reader.maxBytes, reader.readError);
      return openWith(format, bytes, path, options, release);
    },
  );
}

/** Opens `bytes` through the format's provider; its clean-up runs when the source is disposed. */
async function openWith(
  format: KeyFileFormat,
  bytes: Uint8Array,
  path: string,
  options: KeyFileOptions,
  release: (clean: () => void) => void,
): Promise<Uint8Array> {
  const reader = await format.load();
  const opened = await reader.open(bytes, path, options);
  release(opened.release);
  return opened.key;
}
