/**
 * The real process's entry point, used by bin/ssclient.js.
 *
 * `ssclient … get NAME`, `get --all` and `set NAME VALUE` are what scripts run most, often once
 * per secret, so they have a fast path: when the arguments are exactly that, with only
 * `-s`/`-k`/`-p`/`--password-file` (and `--debug`), the command runs through the same
 * {@link Context} and library calls, and prints through the same formatter, as the commands in
 * actions/get.ts and actions/set.ts, without loading commander or the other commands (measured in
 * docs/benchmarks.md). Anything else goes to {@link main}.
 *
 * A failure of the fast path that `main` would meet in the same way (a missing store or secret,
 * a wrong key, a damaged vault: the typed errors of the shared Context and library calls) is
 * reported here, through the same {@link reportError} and exit codes, so a failing command
 * does not derive the key twice. Anything else (a lock held by another writer, which `main`
 * waits for; an unexpected error) goes to `main`, which does the whole command again. That
 * retry is safe because a failed fast path has changed nothing: `get` only reads; `set` fails
 * only before its atomic rename (after it nothing throws), and takes the lock with a single
 * attempt. Messages the fast path would print on stderr (notes) are held back until it has
 * finished, so a retry never repeats them.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { SecureStoreError } from '../errors.js';
// auth.js also registers the KMS-wrapped key file format, for every key file the CLI reads.
import { looksLikeWrappedKey } from '../auth.js';
import { Context, type GlobalOptions } from './context.js';
import { CliError, EXIT, exitCodeFor } from './exit-codes.js';
import { type CliIo, processIo } from './terminal.js';
import { formatAllSecrets, formatSecret } from './output.js';
import { reportError } from './report.js';
import { hasGlob } from '../workflow/glob.js';

export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  // The AWS SDK warns on stderr that its 2027 releases will need Node 22: not something a user of
  // ssclient can act on, and it would break "one line per error". Library users still see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const io = processIo();
  const fast = fastPathArgs(argv, io.stdinIsTTY);
  if (fast !== null) {
    const code = await runFast(io, fast);
    if (code !== null) return code;
  }
  const { main } = await import('./main.js');
  return main(argv, io);
}

/**
 * A plain `get NAME`, `get --all [--format json|text]` or `set NAME VALUE`, as
 * {@link fastPathArgs} recognises it.
 */
export type FastCommand =
  | { command: 'get'; opts: GlobalOptions; name: string }
  | { command: 'get-all'; opts: GlobalOptions; format: 'json' | 'text' }
  | { command: 'set'; opts: GlobalOptions; name: string; value: string };

/** Options that take a value, and the GlobalOptions field each sets (aliases as in main.ts). */
const VALUE_OPTIONS: Readonly<Record<string, 'store' | 'key' | 'password' | 'passwordFile'>> = {
  '-s': 'store',
  '--store': 'store',
  '-k': 'key',
  '--key': 'key',
  '--keyfile': 'key',
  '--key-file': 'key',
  '-p': 'password',
  '--password': 'password',
  '--password-file': 'passwordFile',
};

/**
 * The command, options and arguments of a plain `get NAME`, `get --all [--format json|text]` or
 * `set NAME VALUE`, or null for anything else. Deliberately narrow: any option not listed above,
 * an option given twice, an option value that is empty or starts with `-` (`--password-file -`
 * reads stdin, which a retry through `main` could not read again), an argument that starts with
 * `-`, a missing or extra argument, `--format` without `--all` or with another format, or a way
 * of writing options that commander reads differently (`-sFILE`, `-ak KEY`) is left to `main`.
 * On a terminal only `-k` qualifies, since anything else may prompt.
 */
export function fastPathArgs(argv: readonly string[], stdinIsTTY: boolean): FastCommand | null {
  const opts: GlobalOptions = {};
  const positional: string[] = [];
  let all = false;
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--debug') {
      opts.debug = true;
      continue;
    }
    if (arg === '-a' || arg === '--all') {
      if (all) return null;
      all = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '--format') {
      if (format !== undefined) return null;
      format = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (format !== 'json' && format !== 'text') return null;
      continue;
    }
    const field = Object.hasOwn(VALUE_OPTIONS, flag) ? VALUE_OPTIONS[flag] : undefined;
    if (field !== undefined) {
      if (opts[field] !== undefined) return null;
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || value.startsWith('-')) return null;
      opts[field] = value;
    } else if (arg.startsWith('-')) {
      return null;
    } else {
      positional.push(arg);
    }
  }
  if (stdinIsTTY && (opts.key === undefined || opts.password !== undefined)) return null;
  const [command, name, value, ...rest] = positional;
  if (all || format !== undefined) {
    if (!all || command !== 'get' || name !== undefined) return null;
    return { command: 'get-all', opts, format: format === 'text' ? 'text' : 'json' };
  }
  if (name === undefined || rest.length > 0) return null;
  if (command === 'get' && value === undefined) return { command, opts, name };
  if (command === 'set' && value !== undefined) return { command, opts, name, value };
  return null;
}

/**
 * True when the command's key is a KMS-wrapped key file (spec/kms-key-file.md): those commands
 * skip the fast path, because a failed KMS call (an unreachable region can take seconds) would
 * be made again by the retry through `main`, and commander's few milliseconds do not matter next
 * to a KMS round trip. The file's first bytes are read, as `KeySource.fromFile` tells them apart.
 * A key that is not a regular file (`-k <(cmd)`) also goes to `main`: it can be read only once.
 */
export function usesWrappedKey(ctx: Context, opts: GlobalOptions): boolean {
  const choice = ctx.keyChoice(opts);
  if (choice?.kind !== 'file' || choice.path === '') return false;
  const key = choice.path;
  let fd: number | undefined;
  try {
    // Non-blocking: a named pipe that nothing writes to must not hang here (readFileCapped
    // refuses it). A pipe or device is not sniffed: its bytes can be read only once, and a retry
    // through `main` could not read them again; main reads it.
    fd = openSync(ctx.path(key), constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return true;
    const head = Buffer.alloc(64);
    return looksLikeWrappedKey(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } catch {
    return false; // unreadable: the fast path fails and main reports it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Runs a fast-path command: its exit code, or null, having printed and changed nothing, when
 * `main` must run the command instead.
 */
async function runFast(io: CliIo, fast: FastCommand): Promise<number | null> {
  const held: (string | Uint8Array)[] = [];
  const ctx = new Context({
    stdout: io.stdout,
    // isatty(2), not io.stderr.isTTY: constructing process.stderr costs milliseconds here.
    stderr: { write: (chunk) => held.push(chunk), isTTY: isatty(2) },
    stdinIsTTY: io.stdinIsTTY,
    readStdin: io.readStdin,
    env: io.env,
    cwd: io.cwd,
    prompter: io.prompter,
    ...(io.raiseSignal !== undefined ? { raiseSignal: io.raiseSignal } : {}),
  });
  let output: string | null = null;
  try {
    if (usesWrappedKey(ctx, fast.opts)) return null;
    if (fast.command === 'set') {
      // As `set` in actions/set.ts, with one attempt at the lock.
      const { name, value } = fast;
      ctx.warnSecretArguments({ password: fast.opts.password !== undefined, value: true });
      await ctx.update(fast.opts, (vault) => vault.set(name, value), { lock: { timeoutMs: 0 } });
    } else {
      output = await fastGet(ctx, fast);
    }
  } catch (caught) {
    if (!reportedHere(caught)) return null;
    const err = await ctx.explainKeyError(caught, fast.opts);
    for (const chunk of held) io.stderr.write(chunk);
    const explained = await ctx.explain(err);
    reportError(io, explained, fast.opts.debug === true);
    return exitCodeFor(explained);
  }
  for (const chunk of held) io.stderr.write(chunk);
  if (output !== null) io.stdout.write(output);
  return EXIT.OK;
}

/** Thrown when the command turns out not to be a plain one after all: `main` runs it. */
class FallBack extends Error {}

/** Errors that `main` would meet and report exactly so (see the top of this file). */
function reportedHere(err: unknown): boolean {
  if (err instanceof CliError) return true;
  return (
    err instanceof SecureStoreError && err.code !== 'ERR_LOCKED' && err.code !== 'ERR_CONFLICT'
  );
}

/** What `get NAME` or `get --all` prints, through the formatters of `get` in actions/get.ts. */
async function fastGet(
  ctx: Context,
  fast: Extract<FastCommand, { command: 'get' | 'get-all' }>,
): Promise<string> {
  if (fast.command === 'get-all') {
    const vault = await ctx.open(fast.opts);
    try {
      return formatAllSecrets(vault, fast.format, ctx.io.stdout.isTTY === true);
    } finally {
      vault.close();
    }
  }
  const vault = await ctx.openForOneSecret(fast.opts, fast.name);
  try {
    // A name with glob characters that is not a secret is a wildcard: main's `get` selects.
    if (hasGlob(fast.name) && !vault.has(fast.name)) throw new FallBack();
    return formatSecret(vault, fast.name, ctx.storePath(fast.opts));
  } finally {
    vault.close();
  }
}
