/**
 * The body of `export-key`: spec/cli.md §2 and §3 (the key file it writes is git-ignored).
 */
import { zeroize } from '../../crypto/primitives.js';
import { encodeKeyFile } from '../../format/key-file.js';
import type { Context, GlobalOptions } from '../context.js';
import { usage } from '../exit-codes.js';

export interface ExportKeyOptions extends GlobalOptions {
  vcs: boolean;
  kms: string[];
  context: string[];
}

/** `export-key PATH`: a PEM key file, or with `--kms` a wrapped key file (kms.ts). */
export async function exportKeyAction(
  ctx: Context,
  path: string,
  opts: ExportKeyOptions,
): Promise<void> {
  if (opts.kms.length > 0) return (await import('./kms.js')).exportWrappedKey(ctx, opts, path);
  if (opts.context.length > 0) throw usage('--context goes with --kms');
  const vault = await ctx.open(opts);
  try {
    await ctx.confirmOverwrite(path, 'the key file');
    const key = vault.exportKeyBytes();
    try {
      await ctx.writeKeyFile(path, encodeKeyFile(key), !opts.vcs);
    } finally {
      zeroize(key);
    }
  } finally {
    vault.close();
  }
}
