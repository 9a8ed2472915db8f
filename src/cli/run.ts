/**
 * The real process's entry point, used by bin/ssclient.js.
 *
 * `ssclient … get NAME` is what scripts run most, often once per secret, so it has a fast path:
 * when the arguments are a plain `get NAME` with only `-s`/`-k`/`-p`/`--password-file`
 * (and `--debug`), the secret is read through the same {@link Context} and printed through the
 * same formatter as the `get` command in commands/core.ts, without loading commander or the
 * other commands (measured: see docs/benchmarks.md). Anything else, and every failure of the
 * fast path (missing store or secret, wrong key, damaged vault…), goes to {@link main}, which
 * then does the whole command itself: so every message and exit code comes from one place, and
 * the fast path can only ever produce the successful output that `main` would have produced.
 * A failed `get` therefore does its work twice; `get` only reads, so that is safe.
 */
import { Context, type GlobalOptions } from './context.js';
import { processIo, type CliIo } from './io.js';
import { formatValue, toSecretValue } from './output.js';

export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const io = processIo();
  const get = plainGet(argv, io.stdinIsTTY);
  if (get !== null && (await fastGet(io, get.opts, get.name))) return 0;
  const { main } = await import('./main.js');
  return main(argv, io);
}

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
 * The options and name of a plain `get NAME`, or null for anything else. Deliberately narrow:
 * any option not listed above, an option given twice, a value that is empty or starts with `-`
 * (`--password-file -` reads stdin, which a retry through `main` could not read again), a second
 * positional, or a way of writing options that commander reads differently (`-sFILE`) is left to
 * `main`. On a terminal only `-k` qualifies, since anything else may prompt.
 */
export function plainGet(
  argv: readonly string[],
  stdinIsTTY: boolean,
): { opts: GlobalOptions; name: string } | null {
  const opts: GlobalOptions = {};
  let command = false;
  let name: string | undefined;
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
    } else if (!command) {
      if (arg !== 'get') return null;
      command = true;
    } else if (name === undefined) {
      name = arg;
    } else {
      return null;
    }
  }
  if (!command || name === undefined) return null;
  if (stdinIsTTY && (opts.key === undefined || opts.password !== undefined)) return null;
  return { opts, name };
}

/** Prints the secret as `get NAME` does; false (having printed nothing) on any failure. */
async function fastGet(io: CliIo, opts: GlobalOptions, name: string): Promise<boolean> {
  let vault;
  try {
    vault = await new Context(io).open(opts);
  } catch {
    return false;
  }
  try {
    const bytes = vault.getBytes(name);
    if (bytes === null) return false;
    io.stdout.write(formatValue(toSecretValue(name, bytes)));
    return true;
  } catch {
    return false;
  } finally {
    vault.close();
  }
}
