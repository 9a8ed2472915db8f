/**
 * Reading a vault as it was at a git revision, through git itself (no checkout, no change to the
 * work tree or index), and many versions at once through one `git cat-file --batch`.
 */
import { fail } from '../errors.js';
import { gitOutput, locateInRepo, type RepoPath, runGit } from './run-git.js';

/**
 * The bytes of `file` (an absolute path in a git work tree) at revision `rev`.
 * @throws SecureStoreError ERR_GIT for an unknown revision or a file not in it.
 */
export async function readAtRevision(file: string, rev: string): Promise<Buffer> {
  const bytes = await readAtRevisionIfThere(file, rev);
  if (bytes === null) {
    const where = await locateInRepo(file);
    fail('ERR_GIT', `${where.path} does not exist at revision ${rev}`);
  }
  return bytes;
}

/**
 * As {@link readAtRevision}, but null when the revision exists and the file is not in it.
 * @throws SecureStoreError ERR_GIT for an unknown revision.
 */
export async function readAtRevisionIfThere(file: string, rev: string): Promise<Buffer | null> {
  const where = await locateInRepo(file);
  checkRev(rev);
  const commit = await runGit(
    ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`],
    {
      cwd: where.top,
    },
  );
  if (commit.code !== 0) fail('ERR_GIT', `unknown revision "${rev}" in ${where.top}`);
  const id = commit.stdout.toString('utf8').trim();
  const [bytes] = await readBlobs(where, [id]);
  return bytes ?? null;
}

function checkRev(rev: string): void {
  if (rev === '' || rev.startsWith('-') || /[\x00-\x1f]/.test(rev)) {
    fail('ERR_GIT', `"${rev}" is not a revision`);
  }
}

/**
 * The file's bytes at each of `commits` (full commit ids), in order: null where the file does not
 * exist in that commit. One `git cat-file --batch` process for all of them.
 */
export async function readBlobs(
  where: RepoPath,
  commits: readonly string[],
): Promise<(Buffer | null)[]> {
  if (commits.length === 0) return [];
  if (/[\n\r]/.test(where.path))
    fail('ERR_GIT', `cannot read ${where.path} from git: its name holds a line break`);
  const input = commits.map((c) => `${c}:${where.path}\n`).join('');
  const out = await gitOutput(['cat-file', '--batch'], { cwd: where.top, input });
  const results: (Buffer | null)[] = [];
  let pos = 0;
  for (let i = 0; i < commits.length; i++) {
    const eol = out.indexOf(0x0a, pos);
    if (eol < 0) fail('ERR_GIT', 'git cat-file --batch ended early');
    const header = out.subarray(pos, eol).toString('utf8');
    pos = eol + 1;
    const m = /^[0-9a-f]+ (\S+) (\d+)$/.exec(header);
    if (m === null) {
      results.push(null); // "<spec> missing" (or ambiguous): not in this commit
      continue;
    }
    const size = Number(m[2]);
    const body = out.subarray(pos, pos + size);
    pos += size + 1; // the content is followed by a newline
    results.push(m[1] === 'blob' ? Buffer.from(body) : null);
  }
  return results;
}
