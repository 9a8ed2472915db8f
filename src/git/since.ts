/**
 * `ssclient verify --since REV` (spec/seal.md §9.1): what changed in a vault since a git revision,
 * by name and without a key, and whether its seal went away or its generation failed to grow
 * while the secrets changed (a downgrade, or an older sealed file put back).
 */
import type { VaultDocument } from '../format/vault-codec.js';
import { parseVault } from '../format/vault-codec.js';
import { readSeal, sealGeneration } from '../vault/seal.js';
import { sameBlob } from './merge.js';
import { readAtRevisionIfThere } from './revisions.js';

export interface SinceReport {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  /** The generation at REV and now; null where that version is not sealed. */
  readonly generationThen: number | null;
  readonly generationNow: number | null;
  /** One line per problem, each naming the vault (empty when none). */
  readonly problems: string[];
}

/** The names added, changed (another blob) and removed from `then` to `now`, in file order. */
export function compareNames(
  then: VaultDocument,
  now: VaultDocument,
): Pick<SinceReport, 'added' | 'changed' | 'removed'> {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [name, blob] of now.secrets) {
    const old = then.secrets.get(name);
    if (old === undefined) added.push(name);
    else if (!sameBlob(old, blob)) changed.push(name);
  }
  for (const name of then.secrets.keys()) if (!now.secrets.has(name)) removed.push(name);
  return { added, changed, removed };
}

/** The generation of a document's seal as written (not checked), or null when it has none. */
function generationOf(doc: VaultDocument, display: string): number | null {
  const seal = readSeal(doc, display);
  return seal === null ? null : sealGeneration(seal);
}

/**
 * Whether carriers of the newest generation hold different MACs (spec/seal.md §5.1, §7.1): the
 * mark of two sealed writes merged as text, which needs no key to see.
 */
function mergedAsText(doc: VaultDocument, display: string): boolean {
  const seal = readSeal(doc, display);
  if (seal === null) return false;
  const generation = sealGeneration(seal);
  const macs = new Set<string>();
  if (seal.generation === generation) macs.add(seal.mac);
  for (const line of seal.lines.values()) if (line.generation === generation) macs.add(line.mac);
  return macs.size > 1;
}

/**
 * Compares the working vault `now` (already read and parsed) with the vault at `rev` in git.
 * Checks that need no key: the seal kept, and the generation grown when anything changed. (The
 * seal's MAC, which does need the key, is checked by `verify` itself.)
 * A vault not in `rev` counts as empty there: every name is added.
 * @throws SecureStoreError ERR_GIT for an unknown revision, ERR_SEAL for a
 *   malformed seal in either version, ERR_VAULT_FORMAT when the old version is not a vault.
 */
export async function compareSince(
  file: string,
  display: string,
  rev: string,
  now: VaultDocument,
): Promise<SinceReport> {
  const before = await readAtRevisionIfThere(file, rev);
  if (before === null) {
    // No vault at REV (a branch that adds it): everything is added, and there is no earlier seal
    // to have dropped or rolled back.
    return {
      added: [...now.secrets.keys()],
      changed: [],
      removed: [],
      generationThen: null,
      generationNow: generationOf(now, display),
      problems: [],
    };
  }
  const then = parseVault(before, `${display} at ${rev}`);
  const names = compareNames(then, now);
  const generationThen = generationOf(then, `${display} at ${rev}`);
  const generationNow = generationOf(now, display);
  const problems: string[] = [];
  const anyChange =
    names.added.length + names.changed.length + names.removed.length > 0 ||
    !sameBlob(then.sentinel, now.sentinel) ||
    then.iv !== now.iv;
  if (generationThen !== null && generationNow === null) {
    problems.push(
      `${display}: it was sealed at ${rev} (generation ${generationThen}) and is not sealed now: a tool that does not seal wrote it, or its seal was removed`,
    );
  } else if (generationThen !== null && generationNow !== null && anyChange) {
    if (generationNow <= generationThen) {
      // A merge as text (§7.1) is told apart: it is what a platform's merge button leaves, and
      // its remedy is not a revert but `seal --after-merge`.
      const why = mergedAsText(now, display)
        ? `two sealed versions were merged as text (two seals of generation ${generationNow} disagree); with the key, check it and run \`ssclient seal --after-merge\` if you trust the merge`
        : 'an older sealed file was put back, or a seal was copied from another version';
      problems.push(
        `${display}: its secrets changed since ${rev} but its generation did not grow (${generationThen} at ${rev}, ${generationNow} now): ${why}`,
      );
    }
  } else if (generationThen !== null && generationNow !== null && generationNow < generationThen) {
    problems.push(
      `${display}: its generation went down since ${rev} (${generationThen} at ${rev}, ${generationNow} now): an older sealed file was put back`,
    );
  }
  return { ...names, generationThen, generationNow, problems };
}
