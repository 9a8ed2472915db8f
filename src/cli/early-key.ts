/**
 * The password path's head start, run by bin/ssclient.js before the rest of the CLI loads.
 *
 * A password vault's key is PBKDF2 of the password over the vault iv (spec/format.md §2): about
 * as long as Node takes to start. When the command line (or SSCLIENT_PASSWORD) gives a password
 * and the store's iv can be read from the first bytes of the file, the derivation starts on the
 * thread pool at once, and loads the modules, reads and parses the vault meanwhile; the command
 * then finds it under way (`derivePasswordKey` in keys/password.ts).
 *
 * This is only a guess made ahead of time: the command still resolves its store, key and options
 * exactly as before, and uses the early result only when its password and the iv it parsed are
 * the ones guessed here. A wrong guess (a project file naming another store, a `-p` that is an
 * argument of something else, an iv that is not where it is looked for) costs one unused
 * derivation, whose result is zeroed. Only this module's own imports load before it runs.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { discardPasswordKey, startPasswordKey } from '../keys/password.js';

/** The vault's iv as every writer places it: `"iv": "<24 base64 characters>"` near the top. */
const IV_FIELD = /"iv"\s*:\s*"([A-Za-z0-9+/]{22}==)"/;
/** How much of the store is read to find the iv. */
const HEAD_BYTES = 1024;

/**
 * Starts deriving the key `argv` and `env` would open the store with, when they give a password:
 * the derivation under way, or null when none was started.
 */
export function startEarlyKey(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<Uint8Array> | null {
  try {
    const guess = guessPasswordAndStore(argv, env);
    if (guess === null) return null;
    const iv = readVaultIv(isAbsolute(guess.store) ? guess.store : resolve(cwd, guess.store));
    return iv === null ? null : startPasswordKey(guess.password, iv);
  } catch {
    return null; // a guess only: the command itself meets and reports whatever went wrong here
  }
}

/** Zeroes an early key that the command did not use. */
export function endEarlyKey(): void {
  discardPasswordKey();
}

/**
 * The password and store a command line most likely means: `-p`/`--password` with a value (off
 * a terminal, where the CLI takes it), else SSCLIENT_PASSWORD when no key or password option and
 * no SSCLIENT_KEY is given; the store from `-s`/`--store`, else SSCLIENT_STORE, else the
 * default `secrets.json`.
 */
function guessPasswordAndStore(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { password: string; store: string } | null {
  let password: string | undefined;
  let store: string | undefined;
  let otherKey = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    if (flag === '-p' || flag === '--password') password = value();
    else if (flag === '-s' || flag === '--store') store = value();
    else if (['-k', '--key', '--keyfile', '--key-file', '--password-file'].includes(flag))
      otherKey = true;
  }
  if (password !== undefined) {
    if (password.startsWith('-') || isatty(0)) return null;
  } else if (!otherKey && !env.SSCLIENT_KEY && env.SSCLIENT_PASSWORD !== undefined) {
    password = env.SSCLIENT_PASSWORD;
  } else {
    return null;
  }
  store ??= env.SSCLIENT_STORE || 'secrets.json';
  return { password, store };
}

/** The iv of the vault at `path` from its first bytes, or null. */
function readVaultIv(path: string): Uint8Array | null {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, head, 0, HEAD_BYTES, 0);
    const match = IV_FIELD.exec(head.toString('latin1', 0, n));
    return match === null ? null : Buffer.from(match[1]!, 'base64');
  } finally {
    closeSync(fd);
  }
}
