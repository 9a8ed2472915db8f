/**
 * Three-way merge of vault documents by secret name (docs/git.md "Merge driver"). Pure and
 * synchronous, and needs no key: blobs are compared as bytes (their canonical base64), which is
 * exact because every write gives a secret a fresh IV and so a fresh MAC.
 *
 * The table, per name, with B = base, O = ours, T = theirs (each a blob or absent):
 * - O = T (same blob, or absent on both): take it. This covers "added on both with the same
 *   blob" and "deleted on both".
 * - O = B: only theirs changed it: take T (absent when they deleted it).
 * - T = B: only ours changed it: take O.
 * - otherwise: a conflict; the result keeps O (absent when we deleted it).
 */
import type { Blob } from '../format/blob.js';
import { fail } from '../errors.js';
import type { JsonNode } from '../format/json.js';
import { writeJson } from '../format/json.js';
import { compareCodePoints } from '../format/text.js';
import { type VaultDocument } from '../format/vault-codec.js';

/** How one name conflicts. "ours"/"theirs" follow git: ours is the branch being merged into. */
export type ConflictKind =
  /** Changed differently on both sides. */
  | 'both-changed'
  /** Absent from the base and added on both sides with different blobs. */
  | 'both-added'
  /** Changed on our side, deleted on theirs (the result keeps ours). */
  | 'changed-deleted'
  /** Deleted on our side, changed on theirs (the result leaves it out, as ours did). */
  | 'deleted-changed';

export interface MergeConflict {
  readonly name: string;
  readonly kind: ConflictKind;
}

export interface MergeOutcome {
  /** The merged document, secrets in code point order; conflicting names keep our side. */
  readonly doc: VaultDocument;
  /** Conflicting secret names, in code point order. */
  readonly conflicts: MergeConflict[];
  /** Unknown top-level fields changed differently on both sides (ours kept). */
  readonly fieldConflicts: string[];
}

/** The three versions, each with a label for messages ("our version of secrets.json"). */
export interface MergeInput {
  /** The common ancestor, or `null` when there is none (the vault was added on both sides). */
  readonly base: VaultDocument | null;
  readonly ours: VaultDocument;
  readonly theirs: VaultDocument;
}

/** True when two blobs are the same bytes. */
export function sameBlob(a: Blob | undefined | null, b: Blob | undefined | null): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return a == b;
  return a.iv === b.iv && a.hmac === b.hmac && a.payload === b.payload;
}

/**
 * Refuses versions that are not under the same key: a different vault `iv` means a re-created or
 * re-keyed vault (the key of a password vault depends on it), and a different sentinel means a
 * different key. A sentinel present on one side only is accepted when every side that has one has
 * the same one (a sentinel is added to a sentinel-less vault by its first write).
 * @throws SecureStoreError ERR_MERGE naming the side that differs and why.
 */
export function checkSameKey(
  input: MergeInput,
  labels: { base: string; ours: string; theirs: string },
): void {
  const sides: [string, VaultDocument][] = [[labels.ours, input.ours]];
  if (input.base !== null) sides.push([labels.base, input.base]);
  sides.push([labels.theirs, input.theirs]);
  const [firstLabel, first] = sides[0]!;
  for (const [label, doc] of sides.slice(1)) {
    if (doc.iv !== first.iv) {
      fail(
        'ERR_MERGE',
        `${label} has a different vault iv from ${firstLabel}: one of them was re-keyed or re-created, so their secrets are under different keys and cannot be merged by name`,
      );
    }
  }
  let sentinel: [string, Blob] | null = null;
  for (const [label, doc] of sides) {
    if (doc.sentinel === null) continue;
    if (sentinel === null) sentinel = [label, doc.sentinel];
    else if (!sameBlob(sentinel[1], doc.sentinel)) {
      fail(
        'ERR_MERGE',
        `${label} has a different sentinel from ${sentinel[0]}: one of them was re-keyed, so their secrets are under different keys and cannot be merged by name`,
      );
    }
  }
}

/** Merges three versions by name. Does not check keys: call {@link checkSameKey} first. */
export function mergeVaults(input: MergeInput): MergeOutcome {
  const { base, ours, theirs } = input;
  const names = new Set<string>([
    ...(base?.secrets.keys() ?? []),
    ...ours.secrets.keys(),
    ...theirs.secrets.keys(),
  ]);
  const sorted = [...names].sort(compareCodePoints);
  const secrets = new Map<string, Blob>();
  const conflicts: MergeConflict[] = [];
  for (const name of sorted) {
    const b = base?.secrets.get(name);
    const o = ours.secrets.get(name);
    const t = theirs.secrets.get(name);
    let take: Blob | undefined;
    if (sameBlob(o, t) || sameBlob(t, b)) take = o;
    else if (sameBlob(o, b)) take = t;
    else {
      take = o;
      conflicts.push({ name, kind: conflictKind(b, o, t) });
    }
    if (take !== undefined) secrets.set(name, take);
  }
  const sentinel = ours.sentinel ?? theirs.sentinel ?? base?.sentinel ?? null;
  const { extras, fieldConflicts } = mergeExtras(base?.extras ?? [], ours.extras, theirs.extras);
  return { doc: { iv: ours.iv, sentinel, secrets, extras }, conflicts, fieldConflicts };
}

function conflictKind(b: Blob | undefined, o: Blob | undefined, t: Blob | undefined): ConflictKind {
  if (o === undefined) return 'deleted-changed';
  if (t === undefined) return 'changed-deleted';
  return b === undefined ? 'both-added' : 'both-changed';
}

/** Unknown top-level fields (kept by the codec) merge by the same table, compared as JSON text. */
function mergeExtras(
  base: [string, JsonNode][],
  ours: [string, JsonNode][],
  theirs: [string, JsonNode][],
): { extras: [string, JsonNode][]; fieldConflicts: string[] } {
  const text = (entries: [string, JsonNode][]): Map<string, [string, JsonNode]> =>
    new Map(entries.map(([k, v]) => [k, [writeJson(v, ''), v]]));
  const b = text(base);
  const o = text(ours);
  const t = text(theirs);
  const extras: [string, JsonNode][] = [];
  const fieldConflicts: string[] = [];
  // Ours first, in their file order, then fields only theirs added.
  const keys = [...new Set([...o.keys(), ...t.keys(), ...b.keys()])];
  for (const key of keys) {
    const ov = o.get(key);
    const tv = t.get(key);
    const bv = b.get(key);
    let take = ov;
    if (ov?.[0] === tv?.[0] || tv?.[0] === bv?.[0]) take = ov;
    else if (ov?.[0] === bv?.[0]) take = tv;
    else fieldConflicts.push(key);
    if (take !== undefined) extras.push([key, take[1]]);
  }
  return { extras, fieldConflicts };
}

/** One line a person can act on, for each kind of conflict (stderr of the merge driver). */
export function describeConflict(kind: ConflictKind): string {
  switch (kind) {
    case 'both-changed':
      return 'changed on both sides; the file keeps our value';
    case 'both-added':
      return 'added on both sides with different values; the file keeps our value';
    case 'changed-deleted':
      return 'changed on our side and deleted on theirs; the file keeps our value';
    case 'deleted-changed':
      return 'deleted on our side and changed on theirs; the file leaves it out';
  }
}
