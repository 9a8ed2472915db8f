/**
 * The bodies of the daily-workflow commands (docs/workflow.md), loaded only when one of them
 * runs: workflow.ts registers the commands and options and imports this lazily, so that the
 * reference commands do not pay for loading it.
 */
import { promises as fs } from 'node:fs';
import { isSecureStoreError } from '../../errors.js';
import { compareCodePoints } from '../../format/text.js';
import { readFileCapped, writeFileAtomic } from '../../io/files.js';
import type { KeySource } from '../../keys/key-source.js';
import type { SecretsManager } from '../../vault/secrets-manager.js';
import {
  describeSource,
  displayPath,
  SETTING_NAMES,
  type Setting,
  type SettingName,
} from '../../workflow/config.js';
import type { EnvNameStyle } from '../../workflow/env-names.js';
import { type BinaryMode, type NamedBytes, toEnvValues } from '../../workflow/env-values.js';
import { type ExportFormat, formatExport } from '../../workflow/export-formats.js';
import { selectNames } from '../../workflow/glob.js';
import { childEnvironment, runChild, signalExitCode } from '../../workflow/run.js';
import { checkKeyFiles, readVaultDocument, verifyVault } from '../../workflow/verify.js';
import { keyOpens, vaultKeysFor, wrongKeyMessage } from '../../vault/opener.js';
import { type Context, DEFAULT_STORE, type GlobalOptions } from '../context.js';
import { CliError, EXIT, QuietExit, usage } from '../exit-codes.js';
import { formatJson, formatText, formatValue, noSecretNamed, toSecretValue } from '../output.js';
import type { NameOptions, WorkflowGetOptions } from './workflow.js';

/** A value read with `--file` may be at most this large (the vault itself is capped at 256 MiB). */
export const MAX_FILE_VALUE_BYTES = 128 * 1024 * 1024;

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
    secrets = decryptSelected(vault, names, opts.only.length === 0 && name === undefined);
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
      out = opts.format === 'text' ? formatText(values) : formatJson(values);
    }
  } finally {
    vault.close();
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

/** `set NAME --file PATH`: the file's bytes, binary or not, nothing stripped. */
export async function setFromFileAction(
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

/** `list` (`keys`). */
export async function listAction(
  ctx: Context,
  opts: GlobalOptions & { format: string; only: string[] },
): Promise<void> {
  const store = ctx.storePath(opts);
  await ctx.requireStore(store);
  const source = await ctx.keySource(opts);
  let names: string[];
  try {
    const doc = await readVaultDocument(ctx.path(store), store);
    // The same verdict as every other opener (vault/opener.ts): a vault without a sentinel is
    // judged by its secrets, decrypted in memory and zeroed, never printed.
    const keys = await vaultKeysFor(doc, source);
    if (keyOpens(doc, keys) === false)
      throw new CliError(EXIT.FAILURE, wrongKeyMessage(source, store));
    // Same order as get --all: UTF-8 byte order of the names.
    const all = [...doc.secrets.keys()].sort(compareCodePoints);
    names = opts.only.length === 0 ? all : selectNames(all, opts.only);
  } finally {
    source.dispose();
  }
  ctx.io.stdout.write(
    opts.format === 'json'
      ? `${JSON.stringify(names, null, 2)}\n`
      : names.map((n) => `${n}\n`).join(''),
  );
}

/** `verify [--strict]`. */
export async function verifyAction(
  ctx: Context,
  opts: GlobalOptions & { strict?: boolean },
): Promise<void> {
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
  const choice = ctx.keyChoice(opts);
  if (choice !== null && !(choice.kind === 'file' && choice.from === 'project')) {
    return ctx.keySource(opts);
  }
  if (key.source.kind === 'project' && key.value !== undefined) {
    try {
      await fs.access(ctx.path(key.value));
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

/** `config [--format json]`. */
export async function configAction(
  ctx: Context,
  opts: GlobalOptions & { format: string },
): Promise<void> {
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
  rows.push(['store', store.value ?? DEFAULT_STORE, describeSource(store.source)]);
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
  rows.push(['unlocks with', unlocksWith(ctx, opts), '']);
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
function unlocksWith(ctx: Context, opts: GlobalOptions): string {
  const choice = ctx.keyChoice(opts);
  if (choice !== null) return choice.kind === 'file' ? `key file ${choice.path}` : 'password';
  return ctx.io.stdinIsTTY
    ? 'password (asked at a prompt)'
    : 'nothing: give -p, --password-file or -k';
}
