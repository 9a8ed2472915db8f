/**
 * The daily-workflow commands (docs/workflow.md): `run`, `list` (`keys`), `verify`, `config`,
 * and the options they add to `get` and `set` (export formats, wildcards, `--output`, `--file`).
 * This file registers them; their bodies are in workflow-actions.ts, loaded when one runs, and
 * the logic in src/workflow/.
 */
import { type Command, Option } from 'commander';
import type { SecretsManager } from '../../vault/secrets-manager.js';
import { hasGlob } from '../../workflow/glob.js';
import type { Context, GlobalOptions } from '../context.js';
import { usage } from '../exit-codes.js';
import { collect, type Register } from './register.js';

/** The export formats (src/workflow/export-formats.ts); listed here so that loading is lazy. */
const EXPORT_FORMATS = ['dotenv', 'shell', 'yaml', 'csv'];

/** Every `get --format`: the reference's json and text, then the exports. */
export const GET_FORMATS: readonly string[] = ['json', 'text', ...EXPORT_FORMATS];

const actions = () => import('./workflow-actions.js');

export interface NameOptions {
  envNameStyle: string;
  prefix?: string;
  binary: string;
}

function nameOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--env-name-style <style>', 'how names become variables')
        .choices(['upper', 'keep'])
        .default('upper'),
    )
    .option('--prefix <prefix>', 'put this in front of every variable name')
    .addOption(
      new Option('--binary <mode>', 'binary values: refuse, or pass them base64-encoded')
        .choices(['refuse', 'base64'])
        .default('refuse'),
    );
}

// ------------------------------------------------------------------ get and set options

export interface WorkflowGetOptions extends GlobalOptions, NameOptions {
  all?: boolean;
  format: string;
  only: string[];
  output?: string;
  force?: boolean;
  escapeFormulas?: boolean;
}

/** The options `get` gains (docs/workflow.md "Export formats", "Wildcards", "Files"). */
export function addGetOptions(get: Command): void {
  get
    .option(
      '--only <pattern>',
      'with --all: only names matching this glob (repeatable)',
      collect,
      [],
    )
    .option('--output <path>', 'write to a file created 0600 (one value: its exact bytes)')
    .option('--force', 'with --output: replace an existing file')
    .option('--escape-formulas', "csv: prefix a leading = + - @ with ' for spreadsheets");
  nameOptions(get);
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
  const exportFormat = EXPORT_FORMATS.includes(opts.format);
  if (!pattern && opts.only.length === 0 && opts.output === undefined && !exportFormat) {
    return false;
  }

  await (await actions()).getAction(ctx, name, opts, pattern, exportFormat, open);
  return true;
}

/** The option `set` gains: `--file PATH` (docs/workflow.md "Files"). */
export function addSetOptions(set: Command): void {
  set.option('--file <path>', 'store the exact bytes of a file ("-": all of stdin, unchanged)');
}

/** `set NAME --file PATH`: the file's bytes, binary or not, nothing stripped. */
export async function setFromFile(
  ctx: Context,
  name: string,
  value: string | undefined,
  opts: GlobalOptions & { file: string },
): Promise<void> {
  await (await actions()).setFromFileAction(ctx, name, value, opts);
}

/**
 * `create` with nothing on the command line or in the environment to say how the vault is
 * locked, in a project whose file names a key: `create -k` that key (made when missing), so the
 * new vault opens with what every later command will use.
 */
export function withProjectKey<T extends GlobalOptions>(ctx: Context, opts: T): T {
  const choice = ctx.keyChoice(opts);
  return choice?.kind === 'file' && choice.from === 'project'
    ? { ...opts, key: choice.path }
    : opts;
}

// ------------------------------------------------------------------ new commands

export function registerWorkflowCommands(program: Command, ctx: Context, bind: Register): void {
  registerRun(program, ctx, bind);
  registerList(program, ctx, bind);
  registerVerify(program, ctx, bind);
  registerConfig(program, ctx, bind);
}

function registerRun(program: Command, ctx: Context, bind: Register): void {
  const run = program
    .command('run')
    .argument('<command>', 'the program to run (put -- before it)')
    .argument('[args...]', 'its arguments')
    .description('run a program with the secrets in its environment')
    .option(
      '--only <pattern>',
      'only secrets whose names match this glob (repeatable)',
      collect,
      [],
    )
    .option(
      '--keep-existing',
      "variables already in the environment keep their values (default: the vault's values replace them, with a note on stderr)",
    )
    .addHelpText('after', '\nPut -- before the command: ssclient run -- node server.js --port 80');
  nameOptions(run);
  bind(run, async (command: string, args: string[], _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<
      GlobalOptions & NameOptions & { only: string[]; keepExisting?: boolean }
    >();
    await (await actions()).runAction(ctx, command, args, opts);
  });
}

function registerList(program: Command, ctx: Context, bind: Register): void {
  const list = program
    .command('list')
    .alias('keys')
    .description('print the secret names (checks the key; decrypts no secret)')
    .addOption(
      new Option('--format <format>', 'text (one per line) or json')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option('--only <pattern>', 'only names matching this glob (repeatable)', collect, []);
  bind(list, async (_o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { format: string; only: string[] }>();
    await (await actions()).listAction(ctx, opts);
  });
}

function registerVerify(program: Command, ctx: Context, bind: Register): void {
  const verify = program
    .command('verify')
    .description('check the vault for CI: structure always; with a key, every secret decrypts')
    .option(
      '--strict',
      'also check that key files next to the vault are private and ignored by git',
    );
  bind(verify, async (_o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { strict?: boolean }>();
    await (await actions()).verifyAction(ctx, opts);
  });
}

function registerConfig(program: Command, ctx: Context, bind: Register): void {
  const config = program
    .command('config')
    .description('print each effective setting and where it comes from (never a secret)')
    .addOption(
      new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'),
    );
  bind(config, async (_o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { format: string }>();
    await (await actions()).configAction(ctx, opts);
  });
}
