/**
 * The body of `import FILE` (docs/workflow.md "Import"): parse the file (workflow/import-formats),
 * then one key derivation and one locked write (SecretsManager.update) for all of its secrets.
 */
import { isSecureStoreError } from '../../errors.js';
import { readFileCapped } from '../../io/files.js';
import {
  type ExistingRule,
  applyImport,
  planImport,
  refusalOf,
  withPrefix,
} from '../../workflow/import.js';
import {
  guessImportFormat,
  type ImportFormat,
  parseImport,
} from '../../workflow/import-formats.js';
import type { Context, GlobalOptions } from '../context.js';
import { nameForTerminal } from '../output.js';
import { CliError, EXIT, usage } from '../exit-codes.js';
import { type Progress, SILENT_PROGRESS, startProgress } from '../progress.js';

export interface ImportOptions extends GlobalOptions {
  format?: string;
  prefix?: string;
  dryRun?: boolean;
  overwrite?: boolean;
  skipExisting?: boolean;
}

/** A file to import may be at most this large (the vault itself is capped at 256 MiB). */
export const MAX_IMPORT_BYTES = 128 * 1024 * 1024;

export async function importAction(ctx: Context, file: string, opts: ImportOptions): Promise<void> {
  if (opts.overwrite && opts.skipExisting) {
    throw usage('give --overwrite or --skip-existing, not both');
  }
  const format = (opts.format ??
    (file === '-' ? null : guessImportFormat(file))) as ImportFormat | null;
  if (format === null) {
    throw usage(
      `cannot tell the format of ${file === '-' ? 'stdin' : file} from its name: add --format dotenv, shell, json, yaml or csv`,
    );
  }
  const stdinTaken = file === '-';
  const label = stdinTaken ? 'stdin' : file;
  const store = ctx.storePath(opts);
  await ctx.requireStore(store);
  const bytes = await readInput(ctx, file);
  // After reading: text typed into stdin on a terminal must not share a line with it.
  const parsing = startProgress(ctx.io, `reading ${label}`);
  let secrets;
  let skipped: string[] = [];
  try {
    const parsed = await parseImport(format, bytes, label);
    skipped = parsed.skipped;
    secrets = withPrefix(parsed.secrets, opts.prefix ?? '');
  } finally {
    bytes.fill(0);
    parsing.end();
  }
  for (const what of skipped) ctx.note(`note: skipped ${what}`);
  const rule: ExistingRule = opts.overwrite ? 'overwrite' : opts.skipExisting ? 'skip' : 'refuse';
  try {
    if (opts.dryRun) {
      const vault = await ctx.open(opts, { stdinTaken });
      let plan;
      try {
        plan = planImport(vault, secrets, rule);
      } finally {
        vault.close();
      }
      const status = new Map<string, string>();
      for (const key of ['added', 'changed', 'unchanged', 'skipped'] as const) {
        for (const name of plan[key]) status.set(name, key);
      }
      ctx.io.stdout.write(
        secrets.map((s) => `${status.get(s.name)} ${nameForTerminal(s.name)}\n`).join(''),
      );
      const refusal = rule === 'refuse' ? refusalOf(plan, store) : null;
      if (refusal !== null) throw new CliError(EXIT.REFUSED, refusal);
      ctx.note(`${summary(plan)} (dry run: nothing was written to ${store})`);
      return;
    }
    // Started once the key is in hand (a password prompt must not share its line).
    let progress: Progress = SILENT_PROGRESS;
    let plan;
    try {
      plan = await ctx.update(
        opts,
        (vault) => {
          progress = startProgress(ctx.io, `importing into ${store}`);
          const plan = planImport(vault, secrets, rule);
          const refusal = rule === 'refuse' ? refusalOf(plan, store) : null;
          if (refusal !== null) throw new CliError(EXIT.REFUSED, refusal);
          progress.phase(`importing into ${store}`, plan.added.length + plan.changed.length);
          let done = 0;
          const counted = {
            set: (name: string, bytes: Uint8Array) => {
              vault.set(name, bytes);
              progress.tick(++done);
            },
          };
          applyImport(counted, secrets, plan);
          progress.phase(`writing ${store}`);
          return plan;
        },
        { stdinTaken },
      );
    } finally {
      progress.end();
    }
    ctx.note(`Imported into ${store}: ${summary(plan)}`);
  } finally {
    for (const s of secrets) s.bytes.fill(0);
  }
}

function summary(plan: {
  added: string[];
  changed: string[];
  unchanged: string[];
  skipped: string[];
}): string {
  return `${plan.added.length} added, ${plan.changed.length} changed, ${plan.unchanged.length} unchanged, ${plan.skipped.length} skipped`;
}

async function readInput(ctx: Context, file: string): Promise<Uint8Array> {
  if (file === '-') {
    const bytes = await ctx.io.readStdin();
    if (bytes.length > MAX_IMPORT_BYTES) {
      throw new CliError(
        EXIT.FAILURE,
        `stdin holds more than the ${MAX_IMPORT_BYTES >> 20} MiB an import may`,
      );
    }
    return bytes;
  }
  try {
    return await readFileCapped(ctx.path(file), MAX_IMPORT_BYTES, {
      code: 'ERR_ARGUMENT',
      what: 'a file to import',
    });
  } catch (err) {
    if (isSecureStoreError(err))
      throw new CliError(
        err.code === 'ERR_ARGUMENT' ? EXIT.USAGE : EXIT.FAILURE,
        err.message.replace(ctx.path(file), file),
        { cause: err },
      );
    throw err;
  }
}
