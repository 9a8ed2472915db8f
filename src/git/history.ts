/**
 * The history of one secret: the commits in which it was added, changed or removed, newest
 * first, from the vault's git history. Needs no key: versions are compared by their blobs.
 * A merge commit is listed when it decided the secret: when its value is not the one a clean
 * three-way merge gives (the value of the parents that changed it since their merge base, when
 * they agree). A merge that just carries a change over is not listed: the change is listed once,
 * at the commit that made it. So a deletion (or any other choice) made while resolving a merge
 * is listed, also when the result equals one parent's version.
 */
import type { Blob } from '../format/blob.js';
import { parseVault, type VaultDocument } from '../format/vault-codec.js';
import { sameBlob } from './merge.js';
import { readBlobs } from './revisions.js';
import { gitOutput, type RepoPath, runGit } from './run-git.js';

export type SecretChange = 'added' | 'changed' | 'removed';

export interface HistoryEntry {
  readonly commit: string;
  /** Author date, strict ISO 8601 (`2026-11-23T11:40:12+00:00`). */
  readonly date: string;
  /** `Name <email>`. */
  readonly author: string;
  readonly subject: string;
  readonly change: SecretChange;
  /** The vault as of this commit (for revealing the value), and the secret's blob in it. */
  readonly doc: VaultDocument;
  readonly blob: Blob | null;
}

interface LogRecord {
  commit: string;
  parents: string[];
  date: string;
  author: string;
  subject: string;
}

/** Lists the commits that touched `where.path`, newest first. */
async function logOf(where: RepoPath): Promise<LogRecord[]> {
  const out = await gitOutput(
    [
      '--literal-pathspecs',
      'log',
      '-z',
      '--format=%H%x1f%P%x1f%aI%x1f%an <%ae>%x1f%s',
      '--',
      where.path,
    ],
    { cwd: where.top },
  );
  const records: LogRecord[] = [];
  for (const raw of out.toString('utf8').split('\0')) {
    if (raw.trim() === '') continue;
    const [commit, parents, date, author, subject] = raw.replace(/^\n/, '').split('\x1f');
    records.push({
      commit: commit!,
      parents: parents === '' || parents === undefined ? [] : parents.split(' '),
      date: date ?? '',
      author: author ?? '',
      subject: subject ?? '',
    });
  }
  return records;
}

/**
 * The history of secret `name` in the vault at `where`, newest first, and the commits (newest
 * first) whose version of the vault does not parse, which the history skips.
 */
export async function secretHistory(
  where: RepoPath,
  name: string,
): Promise<{ entries: HistoryEntry[]; unreadable: string[] }> {
  const log = await logOf(where);
  const ids = [...new Set(log.flatMap((r) => [r.commit, ...r.parents]))];
  const contents = await readBlobs(where, ids);
  // A commit without the file has no secrets; one whose file does not parse (committed in the
  // middle of a conflict, say) is skipped rather than guessed at, and reported.
  const docs = new Map<string, VaultDocument | null>();
  ids.forEach((id, i) => {
    const bytes = contents[i];
    let doc: VaultDocument | null = { iv: '', sentinel: null, secrets: new Map(), extras: [] };
    if (bytes !== null && bytes !== undefined) {
      try {
        doc = parseVault(bytes, `${where.path} at ${id.slice(0, 7)}`);
      } catch {
        doc = null;
      }
    }
    docs.set(id, doc);
  });
  // A parent whose version does not parse stands for the nearest readable version before it
  // (along first parents), so a change made while repairing a broken commit is still listed.
  const parentsOf = new Map(log.map((r) => [r.commit, r.parents]));
  const readableFrom = (id: string): VaultDocument | null => {
    const seen = new Set<string>();
    for (let at: string | undefined = id; at !== undefined && !seen.has(at);) {
      seen.add(at);
      const doc = docs.get(at);
      if (doc !== null && doc !== undefined) return doc;
      at = parentsOf.get(at)?.[0];
    }
    return null;
  };
  const entries: HistoryEntry[] = [];
  const unreadable: string[] = [];
  for (const record of log) {
    const doc = docs.get(record.commit) ?? null;
    if (doc === null) {
      unreadable.push(record.commit);
      continue;
    }
    const now = doc.secrets.get(name);
    const parents = record.parents.map(readableFrom);
    if (parents.includes(null)) continue;
    const before = parents.map((p) => p?.secrets.get(name));
    if (before.length > 0 && before.some((b) => sameBlob(b, now))) {
      // Equal to a parent: the merge decided only if the parents disagree and the clean merge
      // would not have given this value.
      if (before.every((b) => sameBlob(b, before[0]))) continue;
      const base = await mergeBaseVersion(where, record.parents, name, docs);
      const clean = base === null ? { blob: now } : cleanMerge(base.blob, before);
      if (clean !== null && sameBlob(clean.blob, now)) continue;
    }
    if (before.length === 0 && now === undefined) continue;
    const first = before[0];
    const change: SecretChange =
      now === undefined ? 'removed' : first === undefined ? 'added' : 'changed';
    entries.push({
      commit: record.commit,
      date: record.date,
      author: record.author,
      subject: record.subject,
      change,
      doc,
      blob: now ?? null,
    });
  }
  return { entries, unreadable };
}

/**
 * The secret's blob at the merge base of `parents` (`undefined`: absent there), or null when the
 * base's version cannot be read (the merge is then treated as carrying its parents' changes).
 */
async function mergeBaseVersion(
  where: RepoPath,
  parents: readonly string[],
  name: string,
  docs: Map<string, VaultDocument | null>,
): Promise<{ blob: Blob | undefined } | null> {
  const r = await runGit(['merge-base', '--octopus', ...parents], { cwd: where.top });
  // Unrelated histories have no base: the secret was absent from it.
  if (r.code !== 0) return { blob: undefined };
  const base = r.stdout.toString('utf8').trim();
  let doc = docs.get(base);
  if (doc === undefined) {
    const [bytes] = await readBlobs(where, [base]);
    doc = null;
    if (bytes === null || bytes === undefined) {
      doc = { iv: '', sentinel: null, secrets: new Map(), extras: [] };
    } else {
      try {
        doc = parseVault(bytes, `${where.path} at ${base.slice(0, 7)}`);
      } catch {
        doc = null;
      }
    }
    docs.set(base, doc);
  }
  return doc === null ? null : { blob: doc.secrets.get(name) };
}

/**
 * What a clean three-way merge gives for one secret: the parents' value where the parents that
 * changed it since `base` agree (the base's value when none did), or null on a conflict.
 */
function cleanMerge(
  base: Blob | undefined,
  parents: readonly (Blob | undefined)[],
): { blob: Blob | undefined } | null {
  const changed = parents.filter((b) => !sameBlob(b, base));
  if (changed.length === 0) return { blob: base };
  return changed.every((b) => sameBlob(b, changed[0])) ? { blob: changed[0] } : null;
}
