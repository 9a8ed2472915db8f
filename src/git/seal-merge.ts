/**
 * The seal in the merge driver (spec/seal.md §9.3): with the key, each version must be what its
 * seal says and every blob of ours and theirs must verify, and the merged vault is sealed with
 * generation max(ours, theirs) + 1; without the key, the result carries no seal.
 */
import { forEachDecrypted, type VaultKeys } from '../vault/blob-cipher.js';
import { fail, isSecureStoreError } from '../errors.js';
import type { VaultDocument } from '../format/vault-codec.js';
import {
  checkSeal,
  hasSeal,
  readSeal,
  resealHead,
  SEAL_FIELD,
  type Seal,
  type SealKeys,
  type SealLine,
  sealGeneration,
  setSeal,
} from '../vault/seal.js';
import { sentinelOpens } from '../vault/opener.js';
import { type MergeInput, sameBlob } from './merge.js';

export interface SealedMergeKeys {
  readonly keys: VaultKeys;
  readonly seal: SealKeys;
}

type Labels = { readonly base: string; readonly ours: string; readonly theirs: string };

/**
 * Checks the versions under the key: the key opens each (sentinel), each sealed version's seal
 * verifies, and every secret of ours and theirs passes its MAC and padding. Returns the seals read.
 * @throws SecureStoreError ERR_MERGE naming the version and what failed.
 */
export function checkVersions(
  input: MergeInput,
  labels: Labels,
  keys: SealedMergeKeys,
): { ours: Seal | null; theirs: Seal | null } {
  const check = (doc: VaultDocument, label: string, blobs: boolean): Seal | null => {
    if (doc.sentinel !== null && !sentinelOpens(keys.keys, doc.sentinel)) {
      fail('ERR_MERGE', `the given key does not open ${label}`);
    }
    let seal: Seal | null;
    try {
      seal = readSeal(doc, label);
    } catch (err) {
      if (isSecureStoreError(err, 'ERR_SEAL')) fail('ERR_MERGE', err.message);
      throw err;
    }
    if (blobs) {
      const names = [...doc.secrets.keys()];
      const failing: string[] = [];
      forEachDecrypted(keys.keys, [...doc.secrets.values()], (i, plain) => {
        if (plain === null) failing.push(names[i]!);
      });
      if (failing.length > 0) {
        fail(
          'ERR_MERGE',
          `${label}: secret ${JSON.stringify(failing[0])}${failing.length > 1 ? ` (and ${failing.length - 1} more)` : ''} does not verify under the key: it was encrypted under another key, or damaged`,
        );
      }
    }
    if (seal !== null && !checkSeal(keys.seal, doc, seal).ok) {
      fail(
        'ERR_MERGE',
        `${label} was changed without its key: its seal does not match its names, values or their order`,
      );
    }
    return seal;
  };
  if (input.base !== null) check(input.base, labels.base, false);
  return {
    ours: check(input.ours, labels.ours, true),
    theirs: check(input.theirs, labels.theirs, true),
  };
}

/**
 * Seals the merged document (spec/seal.md §9.3): each secret keeps the line of the side its blob
 * came from (written anew when it does not bind the blob), and the head carries generation
 * max(ours, theirs) + 1. Nothing is sealed when neither side was.
 */
export function sealMerged(
  merged: VaultDocument,
  input: MergeInput,
  seals: { ours: Seal | null; theirs: Seal | null },
  keys: SealKeys,
): number | null {
  if (seals.ours === null && seals.theirs === null) {
    dropSeal(merged);
    return null;
  }
  const lines = new Map<string, SealLine>();
  for (const [name, blob] of merged.secrets) {
    const from = (doc: VaultDocument, seal: Seal | null): SealLine | undefined =>
      sameBlob(doc.secrets.get(name), blob) ? seal?.lines.get(name) : undefined;
    const line = from(input.ours, seals.ours) ?? from(input.theirs, seals.theirs);
    if (line !== undefined) lines.set(name, line);
  }
  const generation =
    Math.max(
      seals.ours === null ? 0 : sealGeneration(seals.ours),
      seals.theirs === null ? 0 : sealGeneration(seals.theirs),
    ) + 1;
  setSeal(merged, resealHead(keys, merged, lines, generation));
  return generation;
}

/** Removes the seal from a merged document (merged without the key, spec/seal.md §9.3). */
export function dropSeal(merged: VaultDocument): void {
  setSeal(merged, null);
}

/** The versions without their seal members (merged by name, then sealed again or not). */
export function withoutSeals(input: MergeInput): MergeInput {
  const strip = (doc: VaultDocument): VaultDocument => ({
    ...doc,
    extras: doc.extras.filter(([field]) => field !== SEAL_FIELD),
  });
  return {
    base: input.base === null ? null : strip(input.base),
    ours: strip(input.ours),
    theirs: strip(input.theirs),
  };
}

/** True when any version carries a seal (the driver must then say the result is unsealed). */
export function anySealed(input: MergeInput): boolean {
  return [input.base, input.ours, input.theirs].some((doc) => doc !== null && hasSeal(doc));
}
