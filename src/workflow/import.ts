/**
 * `ssclient import` (docs/workflow.md "Import"): which imported secrets are added, changed,
 * unchanged or skipped in a vault, and applying that inside one locked update. Unchanged
 * secrets (same bytes) are not written again, so their blobs, and the git diff, stay as they are.
 */
import type { SecretsManager } from '../vault/secrets-manager.js';
import type { NamedBytes } from './env-values.js';

/** What to do with a name the vault already holds with another value. */
export type ExistingRule = 'refuse' | 'overwrite' | 'skip';

export interface ImportPlan {
  readonly added: string[];
  readonly changed: string[];
  readonly unchanged: string[];
  /** Existing names with another value, left alone (`skip`). */
  readonly skipped: string[];
}

/** At most this many names are listed in a refusal; the rest are counted. */
const LISTED = 20;

/**
 * Sorts `secrets` (names already prefixed) against `vault`. With `refuse`, names that exist with
 * another value are listed as `changed`: see {@link refusalOf}.
 */
export function planImport(
  vault: Pick<SecretsManager, 'getBytes'>,
  secrets: readonly NamedBytes[],
  rule: ExistingRule,
): ImportPlan {
  const plan: ImportPlan = { added: [], changed: [], unchanged: [], skipped: [] };
  for (const { name, bytes } of secrets) {
    const current = vault.getBytes(name);
    if (current === null) {
      plan.added.push(name);
    } else {
      // Both values are the caller's (the file and the opened vault): no need for constant time.
      const same = Buffer.from(current.buffer, current.byteOffset, current.length).equals(bytes);
      current.fill(0);
      if (same) plan.unchanged.push(name);
      else if (rule === 'skip') plan.skipped.push(name);
      else plan.changed.push(name);
    }
  }
  return plan;
}

/**
 * With the `refuse` rule, the one-line refusal listing the names that exist with another value
 * (at most 20, then a count), or null when there are none.
 */
export function refusalOf(plan: ImportPlan, display: string): string | null {
  const n = plan.changed.length;
  if (n === 0) return null;
  const listed = plan.changed
    .slice(0, LISTED)
    .map((s) => JSON.stringify(s))
    .join(', ');
  const them = n === 1 ? 'it' : 'them';
  return `${display} already holds ${n === 1 ? 'a secret' : `${n} secrets`} with another value: ${listed}${n > LISTED ? ` and ${n - LISTED} more` : ''}; add --overwrite to replace ${them} or --skip-existing to keep ${them}`;
}

/** Sets the added and changed secrets of `plan` in `vault` (nothing else is touched). */
export function applyImport(
  vault: Pick<SecretsManager, 'set'>,
  secrets: readonly NamedBytes[],
  plan: ImportPlan,
): void {
  const write = new Set([...plan.added, ...plan.changed]);
  for (const { name, bytes } of secrets) if (write.has(name)) vault.set(name, bytes);
}

/** `prefix` in front of every name. */
export function withPrefix(secrets: readonly NamedBytes[], prefix: string): NamedBytes[] {
  return prefix === ''
    ? [...secrets]
    : secrets.map((s) => ({ name: `${prefix}${s.name}`, bytes: s.bytes }));
}
