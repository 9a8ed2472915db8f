/**
 * The body of `seal [--after-merge]` (docs/seal.md; spec/seal.md §6.2, §7.2), loaded only when it
 * runs.
 */
import { isSecureStoreError } from '../../errors.js';
import { parseVault } from '../../format/vault-codec.js';
import { readAtRevision } from '../../git/revisions.js';
import { openVaultAfterMerge, SecretsManager } from '../../vault/secrets-manager.js';
import { readSeal, sealGeneration } from '../../vault/seal.js';
import type { Context, GlobalOptions } from '../context.js';

export interface SealOptions extends GlobalOptions {
  afterMerge?: boolean;
}

/**
 * The highest generation of the vault as committed at HEAD, at its parents (HEAD may be a merge
 * made without the key, which dropped the seal) and, during a merge, at MERGE_HEAD; 0 outside
 * git or when none is sealed. Sealing again continues from there, so that a vault whose seal was
 * dropped does not look rolled back to `verify --since` (spec/seal.md §6.2).
 */
export async function committedGeneration(file: string): Promise<number> {
  let max = 0;
  for (const rev of ['HEAD', 'HEAD^1', 'HEAD^2', 'MERGE_HEAD']) {
    try {
      const seal = readSeal(parseVault(await readAtRevision(file, rev), `${file} at ${rev}`), rev);
      if (seal !== null) max = Math.max(max, sealGeneration(seal));
    } catch (err) {
      // Not in git, no such revision, the file not in it, or not a vault there: nothing to go on.
      if (!isSecureStoreError(err)) throw err;
    }
  }
  return max;
}

/** `seal [--after-merge]`. */
export async function sealAction(ctx: Context, opts: SealOptions): Promise<void> {
  const store = ctx.storePath(opts);
  await ctx.requireStore(store);
  const path = ctx.path(store);
  const source = await ctx.keySource(opts);
  let vault: SecretsManager;
  try {
    vault = opts.afterMerge
      ? await openVaultAfterMerge(path, source)
      : await SecretsManager.fromFile(path, source);
  } finally {
    source.dispose();
  }
  try {
    if (vault.sealed && !vault.dirty) {
      ctx.io.stdout.write(
        `${store} is already sealed (generation ${vault.generation}); nothing to do\n`,
      );
      return;
    }
    if (!vault.sealed) vault.seal({ generation: (await committedGeneration(path)) + 1 });
    // save() re-reads the file under its lock and refuses if it changed since it was opened.
    await vault.save({ alsoClean: ctx.keyFilesBeside() });
    ctx.io.stdout.write(`${store}: sealed (generation ${vault.generation})\n`);
  } finally {
    vault.close();
  }
}
