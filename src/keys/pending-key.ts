/**
 * Where a rekey keeps the new key while it is in progress: `<key file>.new` (docs/git.md
 * "Rekey"). A leaf, so that the commands that only clean up beside a key file (every locked
 * write, spec/format.md §8.1) know the name without loading the rekey code.
 */

/** The suffix of the file that holds the new key while a rekey to a key file is in progress. */
export const PENDING_SUFFIX = '.new';

/** The file that holds the new key while a rekey to `path` is in progress. */
export function pendingKeyPath(path: string): string {
  return `${path}${PENDING_SUFFIX}`;
}
