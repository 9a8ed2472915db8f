/**
 * Decrypting old versions of a vault for `--reveal` (diff-text, history). Versions may be under
 * different keys (a rekey changes the vault iv, and a password's key depends on it), so the key
 * is derived once per vault iv and checked against each version's sentinel.
 */
import { zeroize } from '../crypto/primitives.js';
import { decodeBase64 } from '../format/base64.js';
import type { Blob } from '../format/blob.js';
import type { VaultDocument } from '../format/vault-codec.js';
import type { KeySource } from '../keys/key-source.js';
import { isSecureStoreError } from '../errors.js';
import { decryptBlob, splitKey, type VaultKeys } from '../vault/blob-cipher.js';
import { isVaultKeyLength, keyOpens } from '../vault/opener.js';
import { deriveSealKeys, namesFailingTags, readSeal, type SealKeys } from '../vault/seal.js';

export class VersionDecryptor {
  readonly #source: KeySource;
  readonly #keys = new Map<string, VaultKeys | null>();
  readonly #sealKeys = new Map<string, SealKeys>();
  readonly #unbound = new WeakMap<VaultDocument, ReadonlySet<string> | 'all'>();

  constructor(source: KeySource) {
    this.#source = source;
  }

  /**
   * A decryptor for one version: null when the key does not open it: its sentinel fails, or it
   * has none and its secrets do not accept the key (spec/format.md §4.2). A wrong key file or KMS
   * failure is thrown: that is not about this version.
   */
  async opener(doc: VaultDocument): Promise<((blob: Blob) => Buffer | null) | null> {
    let keys = this.#keys.get(doc.iv);
    if (keys === undefined) {
      const bytes = await this.#source.keyFor(decodeBase64(doc.iv));
      keys = isVaultKeyLength(bytes) ? splitKey(bytes) : null;
      if (keys !== null) this.#sealKeys.set(doc.iv, deriveSealKeys(bytes));
      zeroize(bytes);
      this.#keys.set(doc.iv, keys);
    }
    if (keys === null) return null;
    // A version with neither a sentinel nor a secret has nothing to reveal: any key will do.
    if (keyOpens(doc, keys) === false) return null;
    const k = keys;
    return (blob) => decryptBlob(k, blob);
  }

  /**
   * Whether the value of `name` in `doc` may be shown as that name's: always in a vault without a
   * seal (nothing binds names there); in a sealed one only when the name's line has a tag that
   * binds the blob to it (spec/seal.md §4.2), which a swap, copy or rename breaks and a merge as
   * text keeps. A malformed seal binds nothing. For a version {@link opener} opened.
   */
  bound(doc: VaultDocument, name: string): boolean {
    let unbound = this.#unbound.get(doc);
    if (unbound === undefined) {
      unbound = this.#unboundNames(doc);
      this.#unbound.set(doc, unbound);
    }
    return unbound !== 'all' && !unbound.has(name);
  }

  #unboundNames(doc: VaultDocument): ReadonlySet<string> | 'all' {
    const keys = this.#sealKeys.get(doc.iv);
    let seal;
    try {
      seal = readSeal(doc, 'the vault');
    } catch (err) {
      if (isSecureStoreError(err, 'ERR_SEAL')) return 'all';
      throw err;
    }
    if (seal === null) return new Set();
    if (keys === undefined) return 'all';
    return new Set(namesFailingTags(keys, doc, seal));
  }
}
