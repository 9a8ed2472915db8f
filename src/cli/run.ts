/**
 * The real process's entry point, used by bin/ssclient.js.
 *
 * `ssclient … get NAME` and `ssclient … set NAME VALUE` are what scripts run most, often once
 * per secret, so they have a fast path: when the arguments are exactly that, with only
 * `-s`/`-k`/`-p`/`--password-file` (and `--debug`), the command runs through the same
 * {@link Context} and library calls, and prints through the same formatter, as the commands in
 * commands/core.ts, without loading commander or the other commands (measured in
 * docs/benchmarks.md). Anything else, and every failure of the fast path (missing store or
 * secret, wrong key, damaged vault, a lock held by another writer…), goes to {@link main},
 * which then does the whole command itself: every message and exit code comes from one place,
 * and the fast path can only ever produce the successful result `main` would have produced.
 *
 * That retry is safe because a failed fast path has changed nothing: `get` only reads; `set`
 * fails only before its atomic rename (after it nothing throws), and takes the lock with a
 * single attempt, so a busy vault is waited for by `main`, once. Messages the fast path would
 * print on stderr (notes) are held back until it has succeeded, so a retry never repeats them.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { looksLikeWrappedKey } from '../keys/key-source.js';
import { SecretsManager } from '../vault/secrets-manager.js';
import { Context, type GlobalOptions } from './context.js';
import { type CliIo, processIo } from './io.js';
import { formatValue, toSecretValue } from './output.js';

export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  // The AWS SDK warns on stderr that its 2027 releases will need Node 22: not something a user of
  // ssclient can act on, and it would break "one line per error". Library users still see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const io = processIo();
  const fast = fastPathArgs(argv, io.stdinIsTTY);
  if (fast !== null && (await runFast(io, fast))) return 0;
  const { main } = await import('./main.js');
  return main(argv, io);
}

/** A plain `get NAME` or `set NAME VALUE`, as {@link fastPathArgs} recognises it. */
export type FastCommand =
  | { command: 'get'; opts: GlobalOptions; name: string }
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
 * The command, options and arguments of a plain `get NAME` or `set NAME VALUE`, or null for
 * anything else. Deliberately narrow: any option not listed above, an option given twice, an
 * option value that is empty or starts with `-` (`--password-file -` reads stdin, which a retry
 * through `main` could not read again), an argument that starts with `-`, a missing or extra
 * argument, or a way of writing options that commander reads differently (`-sFILE`) is left to
 * `main`. On a terminal only `-k` qualifies, since anything else may prompt.
 */
export function fastPathArgs(argv: readonly string[], stdinIsTTY: boolean): FastCommand | null {
  const opts: GlobalOptions = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--debug') {
      opts.debug = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
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
  if (name === undefined || rest.length > 0) return null;
  if (command === 'get' && value === undefined) return { command, opts, name };
  if (command === 'set' && value !== undefined) return { command, opts, name, value };
  return null;
}

/**
 * The key file the command will use, or undefined for a password: the same precedence as
 * `Context.keySource` (-k, then -p/--password-file, then SSCLIENT_KEY, then SSCLIENT_PASSWORD,
 * then the project file's key).
 */
function keyFilePath(ctx: Context, opts: GlobalOptions): string | undefined {
  if (opts.key !== undefined) return opts.key;
  if (opts.password !== undefined || opts.passwordFile !== undefined) return undefined;
  const envKey = ctx.io.env.SSCLIENT_KEY;
  if (envKey !== undefined && envKey !== '') return envKey;
  if (ctx.io.env.SSCLIENT_PASSWORD !== undefined) return undefined;
  const project = ctx.setting('key', opts);
  return project.source.kind === 'project' ? project.value : undefined;
}

/**
 * True when the command's key is a KMS-wrapped key file (spec/kms-key-file.md): those commands
 * skip the fast path, because a failed KMS call (an unreachable region can take seconds) would
 * be made again by the retry through `main`, and commander's few milliseconds do not matter next
 * to a KMS round trip. The file's first bytes are read, as `KeySource.fromFile` tells them apart.
 */
export function usesWrappedKey(ctx: Context, opts: GlobalOptions): boolean {
  const key = keyFilePath(ctx, opts);
  if (key === undefined || key === '') return false;
  let fd: number | undefined;
  try {
    fd = openSync(ctx.path(key), 'r');
    const head = Buffer.alloc(64);
    return looksLikeWrappedKey(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } catch {
    return false; // unreadable: the fast path fails and main reports it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Runs a fast-path command; false, having printed and changed nothing, on any failure. */
async function runFast(io: CliIo, fast: FastCommand): Promise<boolean> {
  const held: (string | Uint8Array)[] = [];
  const ctx = new Context({
    stdout: io.stdout,
    stderr: { write: (chunk) => held.push(chunk) },
    stdinIsTTY: io.stdinIsTTY,
    readStdin: io.readStdin,
    env: io.env,
    cwd: io.cwd,
    prompter: io.prompter,
    ...(io.raiseSignal !== undefined ? { raiseSignal: io.raiseSignal } : {}),
  });
  let output: string | null = null;
  try {
    if (usesWrappedKey(ctx, fast.opts)) return false;
    if (fast.command === 'get') {
      output = await fastGet(ctx, fast.opts, fast.name);
      if (output === null) return false;
    } else {
      // As the `set` action in commands/core.ts, with one attempt at the lock.
      const store = ctx.storePath(fast.opts);
      await ctx.requireStore(store);
      const source = await ctx.keySource(fast.opts, { stdinTaken: false });
      const { name, value } = fast;
      await SecretsManager.update(ctx.path(store), source, (vault) => vault.set(name, value), {
        timeoutMs: 0,
      });
    }
  } catch {
    return false;
  }
  for (const chunk of held) io.stderr.write(chunk);
  if (output !== null) io.stdout.write(output);
  return true;
}

/** What `get NAME` prints, or null when it would fail. */
async function fastGet(ctx: Context, opts: GlobalOptions, name: string): Promise<string | null> {
  const vault = await ctx.open(opts);
  try {
    const bytes = vault.getBytes(name);
    return bytes === null ? null : formatValue(toSecretValue(name, bytes));
  } finally {
    vault.close();
  }
}
