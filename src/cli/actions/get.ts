/**
 * The body of `get` (spec/cli.md §2): one secret or all of them, as the reference prints them.
 * A glob, `--only`, `--output` or an export format (docs/workflow.md) goes on to get-export.ts and
 * `--rev` to git.ts, each loaded only then.
 */
import type { SecretsManager } from '../../vault/secrets-manager.js';
import { EXPORT_FORMATS } from '../../workflow/export-format-names.js';
import { hasGlob } from '../../workflow/glob.js';
import type { Context } from '../context.js';
import { usage } from '../exit-codes.js';
import { GET_FORMATS } from '../option-values.js';
import { formatAllSecrets, formatSecret } from '../output.js';
import type { WorkflowGetOptions } from './get-export.js';

/** `get NAME`, `get --all [--format F]`, and (by `--rev`) a version from git history. */
export async function getCommand(
  ctx: Context,
  name: string | undefined,
  opts: WorkflowGetOptions & { rev?: string },
): Promise<void> {
  if (opts.all && name !== undefined) throw usage('give a secret name or --all, not both');
  if (!opts.all && name === undefined) throw usage('missing the secret name (or use --all)');
  if (!GET_FORMATS.includes(opts.format)) {
    throw usage(`unknown format "${opts.format}": use ${GET_FORMATS.join(', ')}`);
  }
  const rev = opts.rev;
  const open = async (): Promise<SecretsManager> =>
    rev === undefined ? ctx.open(opts) : (await import('./git.js')).openAtRevision(ctx, opts, rev);
  if (await getWithWorkflow(ctx, name, opts, open)) return;
  const vault = await open();
  try {
    ctx.io.stdout.write(
      name !== undefined
        ? formatSecret(vault, name, ctx.storePath(opts))
        : formatAllSecrets(vault, opts.format, ctx.io.stdout.isTTY === true),
    );
  } finally {
    vault.close();
  }
}

/**
 * Handles `get` when it uses anything beyond the reference surface: a glob, `--only`,
 * `--output` or an export format. Returns false when the reference path should run instead.
 */
export async function getWithWorkflow(
  ctx: Context,
  name: string | undefined,
  opts: WorkflowGetOptions,
  open: () => Promise<SecretsManager> = () => ctx.open(opts),
): Promise<boolean> {
  if (opts.force && opts.output === undefined) throw usage('--force goes with --output');
  if (opts.escapeFormulas && opts.format !== 'csv') {
    throw usage('--escape-formulas goes with --format csv');
  }
  if (opts.only.length > 0 && !opts.all) throw usage('--only selects among --all: add --all');
  const pattern = name !== undefined && hasGlob(name);
  const exportFormat = (EXPORT_FORMATS as readonly string[]).includes(opts.format);
  if (!pattern && opts.only.length === 0 && opts.output === undefined && !exportFormat) {
    return false;
  }

  await (await import('./get-export.js')).getAction(ctx, name, opts, pattern, exportFormat, open);
  return true;
}
