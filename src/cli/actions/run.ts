/**
 * The body of `run` (docs/workflow.md "run"): a program with the secrets in its environment.
 */
import { childEnvironment, runChild, signalExitCode } from '../../workflow/child-process.js';
import type { EnvNameStyle } from '../../workflow/env-names.js';
import { type BinaryMode, toEnvValues } from '../../workflow/env-values.js';
import type { Context, GlobalOptions } from '../context.js';
import { CliError, QuietExit } from '../exit-codes.js';
import { decryptSelected, selectOnly } from './get-export.js';
import type { NameOptions } from './get-export.js';

/** `run -- COMMAND [ARGS…]`. */
export async function runAction(
  ctx: Context,
  command: string,
  args: readonly string[],
  opts: GlobalOptions & NameOptions & { only: string[]; keepExisting?: boolean },
): Promise<void> {
  const store = ctx.storePath(opts);
  const vault = await ctx.open(opts);
  let variables;
  try {
    const names = selectOnly(vault, opts.only, store);
    const secrets = decryptSelected(vault, names, opts.only.length === 0);
    try {
      variables = toEnvValues(secrets, {
        style: opts.envNameStyle as EnvNameStyle,
        ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
        binary: opts.binary as BinaryMode,
      });
    } finally {
      for (const s of secrets) s.bytes.fill(0);
    }
  } finally {
    vault.close();
  }
  const { env, overridden, kept } = childEnvironment(
    ctx.io.env,
    variables,
    opts.keepExisting === true,
  );
  if (overridden.length > 0) {
    ctx.note(
      `note: the vault's values replace ${overridden.join(', ')} from the environment (--keep-existing keeps them)`,
    );
  }
  if (kept.length > 0) {
    ctx.note(`note: ${kept.join(', ')} kept from the environment (--keep-existing)`);
  }
  const outcome = await runChild(command, args, env, ctx.io.cwd);
  if (outcome.kind === 'exit') {
    if (outcome.code !== 0) throw new QuietExit(outcome.code);
    return;
  }
  if (outcome.kind === 'signal') {
    ctx.io.raiseSignal?.(outcome.signal);
    throw new QuietExit(signalExitCode(outcome.signal));
  }
  if (outcome.errno === 'ENOENT')
    throw new CliError(127, `cannot run ${command}: command not found`);
  throw new CliError(
    126,
    `cannot run ${command}: ${outcome.errno === 'EACCES' ? 'permission denied' : outcome.errno}`,
  );
}
