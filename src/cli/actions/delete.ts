/**
 * The body of `delete` (`remove`): spec/cli.md §2.
 */
import type { Context, GlobalOptions } from '../context.js';
import { noSecretNamed } from '../output.js';

/** `delete NAME` (`remove`). */
export async function deleteAction(ctx: Context, name: string, opts: GlobalOptions): Promise<void> {
  const removed = await ctx.update(opts, (vault) => vault.delete(name));
  if (!removed) throw noSecretNamed(name, ctx.storePath(opts));
}
