/** Snapshots of a directory's files (bytes, mode and mtime) to prove a command left them alone. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

export interface FileState {
  bytes: string;
  mode: number;
  mtimeNs: bigint;
}

/** Every file directly in `dir` (no recursion into `.git`), by name. */
export function snapshotDir(dir: string): Record<string, FileState> {
  const out: Record<string, FileState> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path, { bigint: true });
    if (!st.isFile()) continue;
    out[name] = {
      bytes: readFileSync(path).toString('base64'),
      mode: Number(st.mode & 0o777n),
      mtimeNs: st.mtimeNs,
    };
  }
  return out;
}

/**
 * Whether this test may set `process.umask()`: Node refuses in a worker thread, and Stryker's
 * vitest runner (`npm run mutate`) runs the tests in worker threads. The umask tests are skipped
 * there; `npm test` runs them (forks).
 */
export const UMASK_SETTABLE = isMainThread;
