/**
 * The daily-workflow commands (docs/workflow.md): `run`, `list` (`keys`), `verify`, `config`,
 * and the options they add to `get` and `set` (export formats, wildcards, `--output`, `--file`).
 * The logic lives in src/workflow/; this file parses options and prints.
 */
import { type Command, Option } from 'commander';
import { isSecureStoreError } from '../../errors.js';
import { readFileCapped, writeFileAtomic } from '../../io/files.js';
import { type KeySource } from '../../keys/key-source.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import {
  describeSource,
  displayPath,
  SETTING_NAMES,
  type Setting,
  type SettingName,
} from '../../workflow/config.js';
import { ENV_NAME_STYLES, type EnvNameStyle } from '../../workflow/env-names.js';
import {
  BINARY_MODES,
  type BinaryMode,
  type NamedBytes,
  toEnvValues,
} from '../../workflow/env-values.js';
import { EXPORT_FORMATS, formatExport, isExportFormat } from '../../workflow/export-formats.js';
import { hasGlob, selectNames } from '../../workflow/glob.js';
import { childEnvironment, runChild, signalExitCode } from '../../workflow/run.js';
import {
  checkKey,
  checkKeyFiles,
  readVaultDocument,
  vaultKeys,
  verifyVault,
  wrongKeyMessage,
} from '../../workflow/verify.js';
import { type Context, type GlobalOptions } from '../context.js';
import { CliError, EXIT, QuietExit, usage } from '../exit-codes.js';
import { formatJson, formatText, toSecretValue } from '../output.js';
import type { Register } from './register.js';

/** A value read with `--file` may be at most this large (the vault itself is capped at 256 MiB). */
export const MAX_FILE_VALUE_BYTES = 128 * 1024 * 1024;

/** Every `get --format`: the reference's json and text, then the exports. */
export const GET_FORMATS: readonly string[] = ['json', 'text', ...EXPORT_FORMATS];

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface NameOptions {
  envNameStyle: string;
  prefix?: string;
  binary: string;
}

function nameOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--env-name-style <style>', 'how names become variables')
        .choices(ENV_NAME_STYLES)
        .default('upper'),
    )
    .option('--prefix <prefix>', 'put this in front of every variable name')
    .addOption(
      new Option('--binary <mode>', 'binary values: refuse, or pass them base64-encoded')
        .choices(BINARY_MODES)
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
  const exportFormat = isExportFormat(opts.format);
  if (!pattern && opts.only.length === 0 && opts.output === undefined && !exportFormat) {
    return false;
  }

  const store = ctx.storePath(opts);
  const vault = await open();
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
      throw new CliError(EXIT.FAILURE, `no secret named ${JSON.stringify(name)} in ${store}`);
    } else {
      names = selectOnly(vault, opts.only, store);
    }
    secrets = decryptSelected(vault, names, opts.only.length === 0 && name === undefined);
    if (exact && !exportFormat) {
      const bytes = secrets[0]!.bytes;
      // With --output (a file, or "-" for stdout) one value is its exact bytes; without, it
      // prints as the reference prints it.
      out = opts.output !== undefined ? bytes : formatSingle(name, bytes);
    } else if (exportFormat) {
      out = formatExport(opts.format as (typeof EXPORT_FORMATS)[number], secrets, {
        style: opts.envNameStyle as EnvNameStyle,
        ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
        binary: opts.binary as BinaryMode,
        escapeFormulas: opts.escapeFormulas === true,
      });
    } else {
      const values = secrets.map((s) => toSecretValue(s.name, s.bytes));
      out = opts.format === 'text' ? formatText(values) : formatJson(values);
    }
  } finally {
    vault.close();
  }
  if (opts.output === undefined || opts.output === '-') {
    // Not zeroed: a stream may still hold the bytes after write() returns.
    ctx.io.stdout.write(out);
    return true;
  }
  try {
    if (!opts.force) await ctx.confirmOverwrite(opts.output, 'it');
    await writeFileAtomic(ctx.path(opts.output), out, { mode: 0o600, forceMode: true });
  } finally {
    for (const s of secrets) s.bytes.fill(0);
  }
  return true;
}

function formatSingle(name: string, bytes: Uint8Array): string {
  const value = toSecretValue(name, bytes);
  return `${'text' in value ? value.text : `base64:${Buffer.from(value.bytes).toString('base64')}`}\n`;
}

/** The names `--only` selects (all when none given); a pattern that selects nothing is an error. */
function selectOnly(vault: SecretsManager, only: readonly string[], store: string): string[] {
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
function decryptSelected(
  vault: SecretsManager,
  names: readonly string[],
  all: boolean,
): NamedBytes[] {
  if (all) return [...vault.getAllBytes()].map(([n, bytes]) => ({ name: n, bytes }));
  return names.map((n) => ({ name: n, bytes: vault.getBytes(n)! }));
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
  if (value !== undefined) throw usage('give a value or --file, not both');
  const stdinTaken = opts.file === '-';
  let bytes: Uint8Array;
  if (stdinTaken) {
    bytes = await ctx.io.readStdin();
    if (bytes.length > MAX_FILE_VALUE_BYTES) {
      throw new CliError(
        EXIT.FAILURE,
        `the value on stdin is larger than ${MAX_FILE_VALUE_BYTES >> 20} MiB`,
      );
    }
  } else {
    try {
      bytes = await readFileCapped(ctx.path(opts.file), MAX_FILE_VALUE_BYTES, {
        code: 'ERR_ARGUMENT',
        what: 'a secret value',
      });
    } catch (err) {
      if (isSecureStoreError(err))
        throw new CliError(
          err.code === 'ERR_ARGUMENT' ? EXIT.USAGE : EXIT.FAILURE,
          err.message.replace(ctx.path(opts.file), opts.file),
          { cause: err },
        );
      throw err;
    }
  }
  try {
    await ctx.update(opts, (vault) => vault.set(name, bytes), { stdinTaken });
  } finally {
    bytes.fill(0);
  }
}

/**
 * `create` with nothing on the command line or in the environment to say how the vault is
 * locked, in a project whose file names a key: `create -k` that key (made when missing), so the
 * new vault opens with what every later command will use.
 */
export function withProjectKey<T extends GlobalOptions>(ctx: Context, opts: T): T {
  const env = ctx.io.env;
  if (
    opts.key !== undefined ||
    opts.password !== undefined ||
    opts.passwordFile !== undefined ||
    (env.SSCLIENT_KEY !== undefined && env.SSCLIENT_KEY !== '') ||
    env.SSCLIENT_PASSWORD !== undefined
  ) {
    return opts;
  }
  const key = ctx.setting('key', opts);
  return key.source.kind === 'project' && key.value !== undefined
    ? { ...opts, key: key.value }
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
    .option('--keep-existing', 'variables already in the environment keep their values')
    .addHelpText('after', '\nPut -- before the command: ssclient run -- node server.js --port 80');
  nameOptions(run);
  bind(run, async (command: string, args: string[], _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<
      GlobalOptions & NameOptions & { only: string[]; keepExisting?: boolean }
    >();
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
    const store = ctx.storePath(opts);
    await ctx.requireStore(store);
    const source = await ctx.keySource(opts);
    let names: string[];
    try {
      const doc = await readVaultDocument(ctx.path(store), store);
      const keys = await vaultKeys(doc, source);
      if (checkKey(doc, keys) === 'wrong')
        throw new CliError(EXIT.FAILURE, wrongKeyMessage(source, store));
      // Same order as get --all: UTF-8 byte order of the names.
      const all = [...doc.secrets.keys()].sort(compareUtf8);
      names = opts.only.length === 0 ? all : selectNames(all, opts.only);
    } finally {
      source.dispose();
    }
    ctx.io.stdout.write(
      opts.format === 'json'
        ? `${JSON.stringify(names, null, 2)}\n`
        : names.map((n) => `${n}\n`).join(''),
    );
  });
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
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
    const store = ctx.storePath(opts);
    await ctx.requireStore(store);
    const keySetting = ctx.setting('key', opts);
    const source = await verifyKeySource(ctx, opts, keySetting);
    let result;
    try {
      result = await verifyVault(ctx.path(store), store, source);
    } finally {
      source?.dispose();
    }
    const problems = [...result.problems];
    if (opts.strict) {
      const given = keySetting.value !== undefined ? [ctx.path(keySetting.value)] : [];
      problems.push(
        ...(await checkKeyFiles(ctx.path(store), given, (p) => displayPath(p, ctx.io.cwd))),
      );
    }
    for (const note of result.notes) ctx.note(`note: ${note}`);
    if (problems.length > 0) {
      ctx.io.stdout.write(problems.map((p) => `${p}\n`).join(''));
      throw new QuietExit(EXIT.FAILURE);
    }
    const n = `${result.secrets} ${result.secrets === 1 ? 'secret' : 'secrets'}`;
    ctx.io.stdout.write(
      source === null
        ? `${store}: ok (${n}; structure only: no key given)\n`
        : `${store}: ok (${n}; the key opens it and every value decrypts)\n`,
    );
  });
}

/**
 * The key `verify` checks with: the usual precedence, except that it never prompts (no key means
 * a structure-only check) and a project-file key that is absent (a CI job without secrets) also
 * means structure only.
 */
async function verifyKeySource(
  ctx: Context,
  opts: GlobalOptions,
  key: Setting,
): Promise<KeySource | null> {
  const env = ctx.io.env;
  const given =
    opts.key !== undefined ||
    opts.password !== undefined ||
    opts.passwordFile !== undefined ||
    (env.SSCLIENT_KEY !== undefined && env.SSCLIENT_KEY !== '') ||
    env.SSCLIENT_PASSWORD !== undefined;
  if (given) return ctx.keySource(opts);
  if (key.source.kind === 'project' && key.value !== undefined) {
    try {
      await (await import('node:fs')).promises.access(ctx.path(key.value));
    } catch {
      ctx.note(
        `note: the key file ${key.value} (from ${key.source.path}) is absent: checking the structure only`,
      );
      return null;
    }
    return ctx.keySource(opts);
  }
  return null;
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
    const project = ctx.projectConfig();
    const settings = new Map<SettingName, Setting>(
      SETTING_NAMES.map((n) => [n, ctx.setting(n, opts)]),
    );
    const store = settings.get('store')!;
    const rows: [string, string, string][] = [];
    rows.push([
      'project file',
      project?.path ?? 'none',
      project ? 'found upward from the working directory' : '',
    ]);
    rows.push(['store', store.value ?? 'secrets.json', describeSource(store.source)]);
    for (const name of SETTING_NAMES) {
      if (name === 'store') continue;
      const s = settings.get(name)!;
      rows.push([
        LABELS[name],
        s.value ?? 'not set',
        s.value === undefined
          ? name === 'key'
            ? 'built-in default'
            : 'AWS SDK default chain'
          : describeSource(s.source),
      ]);
    }
    const password = passwordSetting(ctx, opts);
    rows.push(['password', password[0], password[1]]);
    rows.push(['unlocks with', unlocksWith(ctx, opts, settings.get('key')!), '']);
    if (opts.format === 'json') {
      const obj = Object.fromEntries(
        rows.map(([k, v, from]) => [k, from === '' ? v : { value: v, from }]),
      );
      ctx.io.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
      return;
    }
    ctx.io.stdout.write(
      rows.map(([k, v, from]) => `${k}: ${v}${from === '' ? '' : ` (${from})`}\n`).join(''),
    );
  });
}

const LABELS: Record<SettingName, string> = {
  store: 'store',
  key: 'key',
  region: 'region',
  profile: 'profile',
  kmsEndpoint: 'kms-endpoint',
};

/** Whether a password is given and how: never its value. */
function passwordSetting(ctx: Context, opts: GlobalOptions): [string, string] {
  if (opts.password === true) return ['prompt', 'flag -p'];
  if (typeof opts.password === 'string') return ['set', 'flag -p'];
  if (opts.passwordFile !== undefined)
    return [`read from ${opts.passwordFile}`, 'flag --password-file'];
  if (ctx.io.env.SSCLIENT_PASSWORD !== undefined) return ['set', 'environment SSCLIENT_PASSWORD'];
  return ['not set', ''];
}

/** Which credential an ordinary command would use (README "Passwords and keys" precedence). */
function unlocksWith(ctx: Context, opts: GlobalOptions, key: Setting): string {
  if (opts.key !== undefined) return `key file ${opts.key}`;
  if (opts.password !== undefined || opts.passwordFile !== undefined) return 'password';
  const env = ctx.io.env;
  if (env.SSCLIENT_KEY !== undefined && env.SSCLIENT_KEY !== '')
    return `key file ${env.SSCLIENT_KEY}`;
  if (env.SSCLIENT_PASSWORD !== undefined) return 'password';
  if (key.value !== undefined) return `key file ${key.value}`;
  return ctx.io.stdinIsTTY
    ? 'password (asked at a prompt)'
    : 'nothing: give -p, --password-file or -k';
}
