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
import { decryptBlob, splitKey, type VaultKeys } from '../vault/blob-cipher.js';
import { isVaultKeyLength, keyOpens } from '../vault/opener.js';

export class VersionDecryptor {
  readonly #source: KeySource;
  readonly #keys = new Map<string, VaultKeys | null>();

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
      zeroize(bytes);
      this.#keys.set(doc.iv, keys);
    }
    if (keys === null) return null;
    // A version with neither a sentinel nor a secret has nothing to reveal: any key will do.
    if (keyOpens(doc, keys) === false) return null;
    const k = keys;
    return (blob) => decryptBlob(k, blob);
  }
}
