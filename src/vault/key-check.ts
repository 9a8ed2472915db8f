/**
 * The checks made on a vault key by everything that opens a vault (the SecretsManager, `verify`
 * and `list`), written once so that their verdicts and messages agree. spec/format.md §1, §4.2.
 */
import { type Blob, decryptBlob, type VaultKeys } from '../crypto/blob.js';
import { KEY_BYTES } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import type { KeySource } from '../keys/key-source.js';

/** A key source must give exactly 32 bytes (spec/format.md §1). @throws ERR_ARGUMENT */
export function checkKeyLength(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    fail('ERR_ARGUMENT', `key source returned ${key?.length} bytes; a vault key is 32 bytes`);
  }
}

/** True when `keys` decrypt the sentinel (spec/format.md §4.2); its plaintext is zeroed. */
export function sentinelOpens(keys: VaultKeys, sentinel: Blob): boolean {
  const plain = decryptBlob(keys, sentinel);
  plain?.fill(0);
  return plain !== null;
}

/** The message for a key that does not open the vault named `display`. */
export function wrongKeyMessage(
  source: Pick<KeySource, 'type' | 'description'>,
  display: string,
): string {
  return `wrong ${source.type === 'password' ? 'password' : 'key'} for ${display} (${source.description} does not open it)`;
}
