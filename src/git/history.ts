/**
 * The history of one secret: the commits in which it was added, changed or removed, newest
 * first, from the vault's git history. Needs no key: versions are compared by their blobs.
 * A merge commit is listed only when the secret differs from every parent (the merge itself
 * decided the value); otherwise the change is listed once, at the commit that made it.
 */
import type { Blob } from '../format/blob.js';
import { parseVault, type VaultDocument } from '../format/vault-codec.js';
import { sameBlob } from './merge.js';
import { readBlobs } from './revisions.js';
import { gitOutput, type RepoPath } from './run-git.js';

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
    if (before.length > 0 && before.some((b) => sameBlob(b, now))) continue;
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
