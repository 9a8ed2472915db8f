/**
 * `get` with a glob, `--only`, `--output` or an export format (docs/workflow.md "Export
 * formats", "Wildcards", "Files"), loaded only then.
 */
import { writeFileAtomic } from '../../io/files.js';
import type { SecretsManager } from '../../vault/secrets-manager.js';
import type { EnvNameStyle } from '../../workflow/env-names.js';
import type { BinaryMode, NamedBytes } from '../../workflow/env-values.js';
import { type ExportFormat, formatExport } from '../../workflow/export-formats.js';
import { selectNames } from '../../workflow/glob.js';
import type { Context, GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { startProgress } from '../progress.js';
import { formatJson, formatText, formatValue, noSecretNamed, toSecretValue } from '../output.js';

export interface NameOptions {
  envNameStyle: string;
  prefix?: string;
  binary: string;
}

export interface WorkflowGetOptions extends GlobalOptions, NameOptions {
  all?: boolean;
  format: string;
  only: string[];
  output?: string;
  force?: boolean;
  escapeFormulas?: boolean;
}

/** `get` with a glob, `--only`, `--output` or an export format (see `getWithWorkflow`). */
export async function getAction(
  ctx: Context,
  name: string | undefined,
  opts: WorkflowGetOptions,
  pattern: boolean,
  exportFormat: boolean,
  open: () => Promise<SecretsManager>,
): Promise<void> {
  const store = ctx.storePath(opts);
  const vault = await open();
  // After open(): a password prompt must not share its line.
  const progress = startProgress(ctx.io, `reading ${store}`);
  let out: Uint8Array | string;
  let secrets: NamedBytes[] = [];
  try {
    let names: string[];
    // An exact name wins over the glob it looks like.
    const exact = name !== undefined && vault.has(name);
    if (name !== undefined && exact) {
      names = [name];
    } else if (name !== undefined && pattern) {
      names = selectNames(vault.keys(), [name]);
      if (names.length === 0) {
        throw new CliError(EXIT.FAILURE, `no secret in ${store} matches ${JSON.stringify(name)}`);
      }
    } else if (name !== undefined) {
      throw noSecretNamed(name, store);
    } else {
      names = selectOnly(vault, opts.only, store);
    }
    progress.phase(`decrypting ${names.length} secrets`);
    secrets = decryptSelected(vault, names, opts.only.length === 0 && name === undefined);
    progress.phase('formatting');
    if (exact && !exportFormat) {
      const bytes = secrets[0]!.bytes;
      // With --output (a file, or "-" for stdout) one value is its exact bytes; without, it
      // prints as the reference prints it.
      out = opts.output !== undefined ? bytes : formatValue(toSecretValue(name, bytes));
    } else if (exportFormat) {
      out = await formatExport(opts.format as ExportFormat, secrets, {
        style: opts.envNameStyle as EnvNameStyle,
        ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
        binary: opts.binary as BinaryMode,
        escapeFormulas: opts.escapeFormulas === true,
      });
    } else {
      const values = secrets.map((s) => toSecretValue(s.name, s.bytes));
      // Names escaped only when printed on a terminal (not with --output).
      const terminal = opts.output === undefined && ctx.io.stdout.isTTY === true;
      out = opts.format === 'text' ? formatText(values, terminal) : formatJson(values);
    }
  } finally {
    vault.close();
    progress.end();
  }
  if (opts.output === undefined || opts.output === '-') {
    // Not zeroed: a stream may still hold the bytes after write() returns.
    ctx.io.stdout.write(out);
    return;
  }
  try {
    if (!opts.force) await ctx.confirmOverwrite(opts.output, 'the output');
    await writeFileAtomic(ctx.path(opts.output), out, { mode: 0o600, forceMode: true });
  } finally {
    for (const s of secrets) s.bytes.fill(0);
  }
}

/** The names `--only` selects (all when none given); a pattern that selects nothing is an error. */
export function selectOnly(
  vault: SecretsManager,
  only: readonly string[],
  store: string,
): string[] {
  const all = vault.keys();
  if (only.length === 0) return all;
  for (const p of only) {
    if (selectNames(all, [p]).length === 0) {
      throw new CliError(EXIT.FAILURE, `--only ${JSON.stringify(p)} matches no secret in ${store}`);
    }
  }
  return selectNames(all, only);
}

/** Decrypts the named secrets (all of them in one batch when `all`). */
export function decryptSelected(
  vault: SecretsManager,
  names: readonly string[],
  all: boolean,
): NamedBytes[] {
  if (all) return [...vault.getAllBytes()].map(([n, bytes]) => ({ name: n, bytes }));
  return names.map((n) => ({ name: n, bytes: vault.getBytes(n)! }));
}
