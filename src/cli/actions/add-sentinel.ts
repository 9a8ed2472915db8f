/**
 * The body of `add-sentinel` (docs/cli.md; spec/format.md §4.2), loaded only when it runs.
 *
 * A vault without a sentinel is written only once its secrets prove the key (a password, or 16
 * secrets or more); with a key file and fewer secrets, a key damaged in its AES half could pass
 * them, and the sentinel a write adds would lock the right key out. This command is the user's
 * word that the key is right: the secrets must still accept it (the read rule), then the
 * sentinel is added under the vault's lock and nothing else in the file changes.
 */
import type { Context, GlobalOptions } from '../context.js';

/** `add-sentinel`. */
export async function addSentinelAction(ctx: Context, opts: GlobalOptions): Promise<void> {
  const store = ctx.storePath(opts);
  const added = await ctx.update(opts, (vault) => vault.addSentinel());
  ctx.io.stdout.write(
    added
      ? `${store}: sentinel added; from now on a wrong key is refused before anything is read or written\n`
      : `${store} already has a sentinel; nothing to do\n`,
  );
}
