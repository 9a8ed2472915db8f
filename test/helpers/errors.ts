/** THE error-code helper: which SecureStoreError code (if any) a call fails with. */
import { SecureStoreError } from '../../src/errors.js';

/**
 * The `code` of the SecureStoreError that `fn` throws or rejects with; `undefined` when it
 * succeeds. Any other error is rethrown, so a TypeError never passes for a code.
 */
export async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof SecureStoreError) return err.code;
    throw err;
  }
  return undefined;
}

/** {@link codeOf} for a synchronous `fn` (e.g. inside a synchronous fast-check property). */
export function codeOfSync(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecureStoreError) return err.code;
    throw err;
  }
  return undefined;
}
