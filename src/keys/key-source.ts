/**
 * Where a vault's 32-byte key comes from: the {@link KeySource} interface every source
 * implements. The built-in sources are in this folder (password.ts, key-file.ts, raw-key.ts);
 * providers such as KMS implement it from above and plug in through key-file-formats.ts.
 * spec/format.md §2 and spec/kms-key-file.md.
 */
import { zeroize } from '../crypto/primitives.js';
import { fail } from '../errors.js';

/**
 * The kinds of key source, as keys of an interface so that a provider adds its own by
 * declaration merging (kms/options.ts adds `kms`) without this folder naming it.
 */
export interface KeySourceTypes {
  /** The key is derived from a password and the vault iv. */
  password: true;
  /** A fixed key: a key file, raw bytes, a generated key. */
  key: true;
}

/** `password` when the key is derived from the vault iv; `key` for fixed keys; `kms` when wrapped. */
export type KeySourceType = keyof KeySourceTypes;

/**
 * Options for key files that a provider reads (KMS-wrapped key files take `kms`). Providers add
 * their fields by declaration merging (kms/options.ts); this folder passes the bag on unread.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface KeyFileOptions {}

/**
 * A source of the vault key. Construction is cheap and does no I/O: files are read, passwords
 * stretched and KMS called when a vault is opened.
 */
export interface KeySource {
  /** `password` when the key is derived from the vault iv; `key` for fixed keys; `kms` when wrapped. */
  readonly type: KeySourceType;
  /** A short description for messages (never secret): "password", "key file secrets.key". */
  readonly description: string;
  /**
   * The 32 key bytes for a vault whose iv is `vaultIv`. The caller owns (and should zero) the
   * returned copy.
   */
  keyFor(vaultIv: Uint8Array): Promise<Uint8Array>;
  /** Zeroes any key bytes this source holds. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** Whether `value` has the shape of a {@link KeySource} (any implementation, any realm). */
export function isKeySource(value: unknown): value is KeySource {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Record<keyof KeySource, unknown>>;
  return (
    typeof v.type === 'string' &&
    typeof v.description === 'string' &&
    typeof v.keyFor === 'function' &&
    typeof v.dispose === 'function'
  );
}

/** What a {@link ResolvingKeySource} calls for a key; `release` adds a clean-up for dispose. */
export type Resolver = (
  vaultIv: Uint8Array,
  release: (clean: () => void) => void,
) => Promise<Uint8Array>;

/**
 * The built-in sources' implementation: a resolver, the key bytes it holds (a fixed key), and
 * the clean-ups to run on dispose (keys cached on its behalf, such as unwrapped KMS keys).
 */
export class ResolvingKeySource implements KeySource {
  readonly type: KeySourceType;
  readonly description: string;
  readonly #resolve: Resolver;
  #held: Uint8Array | null;
  #releases: (() => void)[] = [];

  constructor(
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

  /** A source that gives copies of `bytes` (32 key bytes it now owns) until disposed. */
  static holding(bytes: Uint8Array, description: string): ResolvingKeySource {
    const source: ResolvingKeySource = new ResolvingKeySource(
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

  keyFor(vaultIv: Uint8Array): Promise<Uint8Array> {
    return this.#resolve(vaultIv, (clean) => this.#releases.push(clean));
  }

  dispose(): void {
    zeroize(this.#held);
    this.#held = null;
    for (const release of this.#releases.splice(0)) release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
