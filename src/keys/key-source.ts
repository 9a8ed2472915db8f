/**
 * Where a vault's 32-byte key comes from: a password (PBKDF2 over the vault iv), a key file, raw
 * key bytes, a freshly generated key, or a KMS-wrapped key file. spec/format.md §2 and
 * spec/kms-key-file.md.
 */
import { derivePasswordKey, KEY_BYTES, randomBytes, zeroize } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import { decodeKeyFile, decodeKeyText, MAX_KEY_FILE_BYTES } from '../format/key-file.js';
import { readFileCapped } from '../io/files.js';
import type { KmsOptions } from '../kms/options.js';

export type KeySourceType = 'password' | 'key' | 'kms';

/** Options for KMS-wrapped key files; see `KmsOptions` in the KMS module. */
export interface KeyFileOptions {
  readonly kms?: KmsOptions;
}

type Resolver = (vaultIv: Uint8Array) => Promise<Uint8Array>;

/** A key file is read under this cap: a PEM or raw key, or a wrapped key file (it is checked later). */
const KEY_FILE_READ_LIMIT = 1024 * 1024;

/**
 * A source of the vault key. Construction is cheap and does no I/O: files are read, passwords
 * stretched and KMS called when a vault is opened.
 */
export class KeySource {
  /** `password` when the key is derived from the vault iv; `key` for fixed keys; `kms` when wrapped. */
  readonly type: KeySourceType;
  /** A short description for messages (never secret): "password", "key file secrets.key". */
  readonly description: string;
  readonly #resolve: Resolver;
  #held: Uint8Array | null;
  /** Zeroes keys cached on this source's behalf (unwrapped KMS keys). */
  #releases: (() => void)[] = [];

  private constructor(
    type: KeySourceType,
    description: string,
    resolve: Resolver,
    held: Uint8Array | null = null,
  ) {
    this.type = type;
    this.description = description;
    this.#resolve = resolve;
    this.#held = held;
  }

  /** A key derived from `password` (its UTF-8 bytes, no normalisation; empty is allowed). */
  static fromPassword(password: string): KeySource {
    if (typeof password !== 'string') fail('ERR_ARGUMENT', 'password: expected a string');
    return new KeySource('password', 'password', (iv) => derivePasswordKey(password, iv));
  }

  /**
   * A key read from a file when a vault is opened: the 99-byte PEM form, the legacy 32-byte raw
   * form, or (recognised by content) a KMS-wrapped key file, which is unwrapped through KMS.
   */
  static fromFile(path: string, options: KeyFileOptions = {}): KeySource {
    if (typeof path !== 'string' || path === '')
      fail('ERR_ARGUMENT', 'keyFile: expected a file path');
    const source: KeySource = new KeySource('key', `key file ${path}`, async () => {
      const bytes = await readFileCapped(path, KEY_FILE_READ_LIMIT, {
        code: 'ERR_KEY_FILE',
        what: 'a key file',
      });
      if (looksLikeWrappedKey(bytes)) return source.#unwrap(bytes, path, options.kms ?? {});
      if (bytes.length > MAX_KEY_FILE_BYTES) {
        fail('ERR_KEY_FILE', `${path} is not a key file (${bytes.length} bytes)`);
      }
      try {
        return decodeKeyFile(bytes, path);
      } finally {
        bytes.fill(0);
      }
    });
    return source;
  }

  /** A KMS-wrapped key file (spec/kms-key-file.md), unwrapped through KMS on first use. */
  static fromKmsFile(path: string, options: KmsOptions = {}): KeySource {
    if (typeof path !== 'string' || path === '')
      fail('ERR_ARGUMENT', 'path: expected a wrapped key file path');
    const source: KeySource = new KeySource('kms', `wrapped key file ${path}`, async () => {
      const bytes = await readFileCapped(path, 65_536, {
        code: 'ERR_KMS_KEY_FILE',
        what: 'a wrapped key file',
      });
      return source.#unwrap(bytes, path, options);
    });
    return source;
  }

  /**
   * spec/kms-key-file.md §7.5: unwraps through the per-process cache (the KMS module is loaded
   * only now), and remembers how to zero the cached key when this source is disposed.
   */
  async #unwrap(bytes: Uint8Array, path: string, options: KmsOptions): Promise<Uint8Array> {
    const { unwrapKeyFileCached } = await import('../kms/unwrap.js');
    const { key, release } = await unwrapKeyFileCached(bytes, path, options);
    this.#releases.push(release);
    return key;
  }

  /**
   * A fixed key: 32 bytes (`Uint8Array` or array of numbers), or PEM text as in a key file.
   * The bytes are copied.
   */
  static fromKey(key: Uint8Array | string | readonly number[]): KeySource {
    let bytes: Uint8Array;
    if (typeof key === 'string') {
      bytes = decodeKeyText(key, 'the key');
    } else if (key instanceof Uint8Array) {
      bytes = Uint8Array.from(key);
    } else if (Array.isArray(key) && key.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      bytes = Uint8Array.from(key);
    } else {
      return fail('ERR_ARGUMENT', 'key: expected a Uint8Array, an array of bytes or PEM text');
    }
    if (bytes.length !== KEY_BYTES) {
      fail('ERR_ARGUMENT', `key: expected ${KEY_BYTES} bytes, got ${bytes.length}`);
    }
    return KeySource.#fixed(bytes, 'key');
  }

  /** A new random key from the operating system's CSPRNG. */
  static generate(): KeySource {
    return KeySource.#fixed(randomBytes(KEY_BYTES), 'generated key');
  }

  static #fixed(bytes: Uint8Array, description: string): KeySource {
    const source: KeySource = new KeySource(
      'key',
      description,
      async () => {
        if (source.#held === null) fail('ERR_ARGUMENT', 'this key source has been disposed');
        return Uint8Array.from(source.#held);
      },
      bytes,
    );
    return source;
  }

  /**
   * The 32 key bytes for a vault whose iv is `vaultIv`. The caller owns (and should zero) the
   * returned copy.
   */
  keyFor(vaultIv: Uint8Array): Promise<Uint8Array> {
    return this.#resolve(vaultIv);
  }

  /** Zeroes any key bytes this source holds. */
  dispose(): void {
    zeroize(this.#held);
    this.#held = null;
    for (const release of this.#releases.splice(0)) release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * True when the file at `path` is a KMS-wrapped key file by {@link looksLikeWrappedKey}; false
 * when it is not, or cannot be read (the caller's next step reports that). Reads at most 1 MiB,
 * the limit `fromFile` reads a key file under.
 */
export async function isWrappedKeyFile(path: string): Promise<boolean> {
  const bytes = await readFileCapped(path, KEY_FILE_READ_LIMIT, {
    code: 'ERR_KEY_FILE',
    what: 'a key file',
  }).catch(() => null);
  return bytes !== null && looksLikeWrappedKey(bytes);
}

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
