/**
 * THE decision whether a key opens a vault document, made once for everything that opens one:
 * SecretsManager, `verify`, `list`, `--reveal` (git/reveal.ts) and `rekey`, so that their
 * verdicts and messages agree. spec/format.md §1 (key length), §4.1 (sentinel), §4.2 (a vault
 * without a sentinel).
 */
import { zeroize } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import { decodeBase64 } from '../format/base64.js';
import type { Blob } from '../format/blob.js';
import { BLOCK_BYTES, KEY_BYTES } from '../format/sizes.js';
import type { VaultDocument } from '../format/vault-codec.js';
import type { KeySource } from '../keys/key-source.js';
import { decryptBlob, forEachDecrypted, splitKey, type VaultKeys } from './blob-cipher.js';
import { deriveSealKeys, type SealKeys } from './seal.js';

/** Whether `key` has the length of a vault key (spec/format.md §1). */
export function isVaultKeyLength(key: Uint8Array): boolean {
  return key instanceof Uint8Array && key.length === KEY_BYTES;
}

/** A key source must give exactly 32 bytes (spec/format.md §1). @throws ERR_ARGUMENT */
export function checkKeyLength(key: Uint8Array): void {
  if (!isVaultKeyLength(key)) {
    fail('ERR_ARGUMENT', `key source returned ${key?.length} bytes; a vault key is 32 bytes`);
  }
}

/**
 * The key `source` gives for `doc` (its vault iv), checked for length; the caller zeroes it.
 * @throws ERR_ARGUMENT for a key of the wrong length (which is zeroed)
 */
export async function keyForDocument(
  doc: Pick<VaultDocument, 'iv'>,
  source: KeySource,
): Promise<Uint8Array> {
  const key = await source.keyFor(decodeBase64(doc.iv));
  if (!isVaultKeyLength(key)) zeroize(key);
  checkKeyLength(key);
  return key;
}

/** The imported key halves `source` gives for `doc`; the key bytes themselves are zeroed. */
export async function vaultKeysFor(
  doc: Pick<VaultDocument, 'iv'>,
  source: KeySource,
): Promise<VaultKeys> {
  const key = await keyForDocument(doc, source);
  try {
    return splitKey(key);
  } finally {
    zeroize(key);
  }
}

/**
 * The imported key halves and the seal keys (spec/seal.md §2) `source` gives for `doc`; the key
 * bytes themselves are zeroed.
 */
export async function vaultAndSealKeysFor(
  doc: Pick<VaultDocument, 'iv'>,
  source: KeySource,
): Promise<{ keys: VaultKeys; seal: SealKeys }> {
  const key = await keyForDocument(doc, source);
  try {
    return { keys: splitKey(key), seal: deriveSealKeys(key) };
  } finally {
    zeroize(key);
  }
}

/**
 * True when `keys` open the sentinel (spec/format.md §4.1): its MAC verifies and it decrypts to
 * whole blocks (every writer encrypts 32 bytes, so its padding is one full block). The MAC and
 * AES use different halves of the key: a key right in its HMAC half and wrong in its AES half
 * passes the MAC, and ordinary padding one time in 256; a full padding block, one in 2^128.
 * The plaintext is zeroed.
 */
export function sentinelOpens(keys: VaultKeys, sentinel: Blob): boolean {
  const plain = decryptBlob(keys, sentinel);
  plain?.fill(0);
  return plain !== null && plain.length % BLOCK_BYTES === 0;
}

/**
 * Whether `keys` open a vault without a sentinel, by its secrets (spec/format.md §4.2): some
 * secret's MAC verifies, and every secret whose MAC verifies also has valid padding. A key right
 * only in its HMAC half passes every MAC, and each secret's padding one time in 256. The
 * secrets are decrypted in memory and their plaintexts zeroed.
 */
export function secretsAcceptKey(keys: VaultKeys, secrets: readonly Blob[]): boolean {
  return secretsProvingKey(keys, secrets) > 0;
}

/**
 * How many secrets prove `keys` (spec/format.md §4.2): the number whose MAC verifies, all of them
 * with valid padding; 0 when none verifies or one that verifies has bad padding.
 */
export function secretsProvingKey(keys: VaultKeys, secrets: readonly Blob[]): number {
  let macs = 0;
  let badPadding = 0;
  forEachDecrypted(keys, secrets, (_, plain, macValid) => {
    if (macValid) macs++;
    if (macValid && plain === null) badPadding++;
  });
  return badPadding === 0 ? macs : 0;
}

/**
 * spec/format.md §4.2's write rule: how many secrets prove a key not derived from a password
 * well enough to add a sentinel. A key wrong only in its AES half passes each secret's padding
 * about one time in 255; sixteen together, less than one time in 2^127, as unlikely as passing
 * a sentinel (§4.1).
 */
export const SECRETS_PROVING_A_WRITE = 16;

/**
 * spec/format.md §4.2's write rule: whether `proving` secrets (by {@link secretsProvingKey}) of a
 * vault without a sentinel prove the key of `source` well enough to add one. A password's key is
 * proven by any: its two halves are one PBKDF2 output, so a password that passes a MAC is the
 * password. Any other key (a key file, raw bytes, a KMS-unwrapped key) can be damaged in its AES
 * half alone: {@link SECRETS_PROVING_A_WRITE} are needed, or the caller's word (addSentinel).
 */
export function secretsProveKeyForWriting(
  source: Pick<KeySource, 'type'>,
  proving: number,
): boolean {
  return proving > 0 && (source.type === 'password' || proving >= SECRETS_PROVING_A_WRITE);
}

/**
 * Why a write to the vault named `display`, without a sentinel and with `count` secrets, is
 * refused by spec/format.md §4.2's write rule (see {@link secretsProveKeyForWriting}).
 */
export function unprovenWriteMessage(display: string, count: number): string {
  const secrets = count === 1 ? 'only 1 secret' : `only ${count} secrets`;
  return `${display} has no sentinel and ${secrets} to prove the key, too few for a write: a key file damaged in its first half would pass ${count === 1 ? 'it' : 'them'}, and the sentinel a write adds would lock the right key out (spec/format.md §4.2); nothing was changed. Check that the values read right, then add a sentinel (SecretsManager#addSentinel)`;
}

/**
 * Whether `keys` open `doc`: by its sentinel when it has one (§4.1), otherwise by its secrets
 * (§4.2). `undefined` for a vault with neither: any key opens it, and the first write gives it
 * a sentinel.
 */
export function keyOpens(
  doc: Pick<VaultDocument, 'sentinel' | 'secrets'>,
  keys: VaultKeys,
): boolean | undefined {
  if (doc.sentinel !== null) return sentinelOpens(keys, doc.sentinel);
  if (doc.secrets.size === 0) return undefined;
  return secretsAcceptKey(keys, [...doc.secrets.values()]);
}

/** The message for a key that does not open the vault named `display`. */
export function wrongKeyMessage(
  source: Pick<KeySource, 'type' | 'description'>,
  display: string,
): string {
  return `wrong ${source.type === 'password' ? 'password' : 'key'} for ${display} (${source.description} does not open it)`;
}
