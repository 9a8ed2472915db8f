/**
 * What every command shares: the global options, where the store and key come from, how a
 * password is obtained, and opening or updating the vault with errors a person can act on.
 */
import { promises as fs } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isSecureStoreError, SecureStoreError } from '../errors.js';
import { readFileCapped, writeFileAtomic } from '../io/files.js';
import type { LockOptions } from '../io/lock.js';
import { KeySource } from '../auth.js';
import type { KmsOptions } from '../kms/options.js';
import { SecretsManager } from '../vault/secrets-manager.js';
import {
  findProjectConfig,
  type ProjectConfig,
  resolveSetting,
  type Setting,
  type SettingName,
} from '../workflow/config.js';
import { CliError, EXIT, usage } from './exit-codes.js';
import { ignoreKeyFile } from './gitignore.js';
import type { CliIo } from './terminal.js';

/** The global options, as commander hands them over (merged with the command's own). */
export interface GlobalOptions {
  store?: string;
  /** `true` on a terminal (prompt); the password itself off a terminal. */
  password?: string | boolean;
  passwordFile?: string;
  key?: string;
  debug?: boolean;
  region?: string;
  profile?: string;
  kmsEndpoint?: string;
  /** `--require-seal`: refuse a vault without a seal (spec/seal.md §8). */
  requireSeal?: boolean;
}

/** Built-in default store name (spec/cli.md §1). */
export const DEFAULT_STORE = 'secrets.json';
/** spec/format.md §2: a new password typed at a prompt must be at least this many bytes. */
export const MIN_PASSWORD_BYTES = 8;
/** A password file is read up to this size (a device such as /dev/zero never ends). */
const MAX_PASSWORD_FILE_BYTES = 64 * 1024;

/** See {@link Context.keyChoice}: a key file (path as given) or a password. */
export type KeyChoice =
  { kind: 'file'; path: string; from: 'flag' | 'env' | 'project' } | { kind: 'password' };

export class Context {
  #project: ProjectConfig | null | undefined;

  constructor(readonly io: CliIo) {}

  /** The project file (.ssclient.json, docs/workflow.md), searched for once; null when none. */
  projectConfig(): ProjectConfig | null {
    if (this.#project === undefined) {
      const found = findProjectConfig(this.io.cwd, this.io.env);
      for (const why of found.ignored) this.note(`note: ${why}`);
      this.#project = found.config;
    }
    return this.#project;
  }

  /** One setting: flag, then environment, then project file, then undefined (the default). */
  setting(name: SettingName, opts: GlobalOptions): Setting {
    const flags: Record<SettingName, string | undefined> = {
      store: opts.store,
      key: opts.key,
      region: opts.region,
      profile: opts.profile,
      kmsEndpoint: opts.kmsEndpoint,
    };
    return resolveSetting(name, flags[name], this.io.env, () => this.projectConfig(), this.io.cwd);
  }

  /**
   * Whether a vault without a seal is refused (spec/seal.md §8): `--require-seal`, else
   * SSCLIENT_REQUIRE_SEAL=1, else `"requireSeal": true` in the project file.
   */
  requireSeal(opts: GlobalOptions): boolean {
    if (opts.requireSeal === true) return true;
    if (this.io.env.SSCLIENT_REQUIRE_SEAL === '1') return true;
    return this.projectConfig()?.requireSeal === true;
  }

  /** A path as given, resolved against the working directory of the invocation. */
  path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.io.cwd, p);
  }

  /** The store file: `-s/--store`, else SSCLIENT_STORE (unless empty), else the project file, else `secrets.json`. */
  storePath(opts: GlobalOptions): string {
    return this.setting('store', opts).value ?? DEFAULT_STORE;
  }

  /** Informational message on stderr (never data). */
  note(message: string): void {
    this.io.stderr.write(`${message}\n`);
  }

  /** KMS settings: flag, then environment, then project file (docs/workflow.md). */
  kmsOptions(opts: GlobalOptions): KmsOptions {
    // AWS_REGION, AWS_PROFILE and AWS_ENDPOINT_URL_KMS are the SDK's own defaults: left to the
    // SDK, so that only a region someone named for ssclient (flag, SSCLIENT_REGION, project
    // file) counts as explicit, e.g. for the failover order of spec/kms-key-file.md §7.1.
    const named = (name: 'region' | 'profile' | 'kmsEndpoint'): string | undefined => {
      const { value, source } = this.setting(name, opts);
      return source.kind === 'env' && source.variable.startsWith('AWS_') ? undefined : value;
    };
    const region = named('region');
    const profile = named('profile');
    const endpoint = named('kmsEndpoint');
    return {
      ...(region !== undefined ? { region } : {}),
      ...(profile !== undefined ? { profile } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
    };
  }

  /**
   * The key source for an existing vault. Precedence (README "Passwords and keys"):
   * `-k` / `-p` / `--password-file` on the command line, then SSCLIENT_KEY, then
   * SSCLIENT_PASSWORD, then the project file's key, then a password prompt on a terminal; off a
   * terminal with none of these it is an error.
   */
  async keySource(opts: GlobalOptions, purpose: { stdinTaken?: boolean } = {}): Promise<KeySource> {
    const explicit = [
      opts.key !== undefined,
      opts.password !== undefined,
      opts.passwordFile !== undefined,
    ];
    if (explicit.filter(Boolean).length > 1) {
      throw usage('give only one of -p/--password, --password-file and -k/--key');
    }
    const choice = this.keyChoice(opts);
    if (choice?.kind === 'file') {
      return KeySource.fromFile(this.path(choice.path), { kms: this.kmsOptions(opts) });
    }
    const password = await this.password(opts, { confirm: false, ...purpose });
    if (password !== null) return KeySource.fromPassword(password);
    const envPassword = this.io.env.SSCLIENT_PASSWORD;
    if (envPassword !== undefined) return KeySource.fromPassword(envPassword);
    if (this.io.stdinIsTTY) return KeySource.fromPassword(await this.promptPassword(false));
    throw new CliError(
      EXIT.FAILURE,
      'no password or key given: use -p PASSWORD, --password-file PATH, -k KEYFILE, or set SSCLIENT_PASSWORD',
    );
  }

  /**
   * What unlocks the vault, in the order of README "Passwords and keys", without reading any
   * file: `-k`, then `-p` / `--password-file`, then SSCLIENT_KEY, then SSCLIENT_PASSWORD, then
   * the project file's key. Null when none is given (a prompt on a terminal). The one place
   * that order is written; `keySource` and every command that needs the key file's path use it.
   */
  keyChoice(opts: GlobalOptions): KeyChoice | null {
    if (opts.key !== undefined) return { kind: 'file', path: opts.key, from: 'flag' };
    if (opts.password !== undefined || opts.passwordFile !== undefined) return { kind: 'password' };
    const envKey = this.io.env.SSCLIENT_KEY;
    if (envKey !== undefined && envKey !== '') return { kind: 'file', path: envKey, from: 'env' };
    if (this.io.env.SSCLIENT_PASSWORD !== undefined) return { kind: 'password' };
    const project = this.setting('key', opts);
    if (project.source.kind === 'project' && project.value !== undefined) {
      return { kind: 'file', path: project.value, from: 'project' };
    }
    return null;
  }

  /**
   * The password from the command line (`-p`) or a password file; null when neither is given.
   * `-p` on a terminal prompts (twice with `confirm`).
   */
  async password(
    opts: GlobalOptions,
    how: { confirm: boolean; stdinTaken?: boolean },
  ): Promise<string | null> {
    if (opts.password === true) return this.promptPassword(how.confirm);
    if (typeof opts.password === 'string') return opts.password;
    if (opts.passwordFile !== undefined) {
      if (opts.passwordFile === '-') {
        // stdin is the terminal: reading it raw would show the password as it is typed.
        if (this.io.stdinIsTTY) return this.promptPassword(how.confirm);
        if (how.stdinTaken)
          throw usage('--password-file - and a value on stdin cannot both use stdin');
        return stripOneNewline(decodeUtf8(await this.io.readStdin(), 'the password on stdin'));
      }
      return this.readPasswordFile(opts.passwordFile, 'the password file');
    }
    return null;
  }

  /**
   * The password in the file at `path`, one trailing newline dropped; `what` names the file in
   * errors ("the password file", "the new password file").
   * @throws CliError when the file cannot be read or is not UTF-8
   */
  async readPasswordFile(path: string, what: string): Promise<string> {
    let bytes: Uint8Array;
    try {
      // Capped: `--password-file /dev/zero` must fail, not read until memory runs out. Pipes
      // (`--password-file <(pass show app)`) have no size and are read up to the cap.
      bytes = await readFileCapped(this.path(path), MAX_PASSWORD_FILE_BYTES, {
        code: 'ERR_ARGUMENT',
        what: 'a password file',
      });
    } catch (err) {
      const why = isSecureStoreError(err, 'ERR_ARGUMENT')
        ? `it holds more than the ${MAX_PASSWORD_FILE_BYTES >> 10} KiB a password file may`
        : describeFsError(err instanceof SecureStoreError ? err.cause : err);
      throw new CliError(EXIT.FAILURE, `cannot read ${what} ${path}: ${why}`, { cause: err });
    }
    return stripOneNewline(decodeUtf8(bytes, `${what} ${path}`));
  }

  /** Asks for a password on the terminal; a new one is asked twice and must be 8 bytes or more. */
  async promptPassword(confirm: boolean): Promise<string> {
    if (!this.io.stdinIsTTY)
      throw usage('cannot prompt for a password: standard input is not a terminal');
    if (!confirm) return this.io.prompter.secret('Password:');
    for (let attempt = 1; ; attempt++) {
      const first = await this.io.prompter.secret('Password:');
      if (Buffer.byteLength(first, 'utf8') < MIN_PASSWORD_BYTES) {
        this.note(`The password must be at least ${MIN_PASSWORD_BYTES} bytes long.`);
      } else if ((await this.io.prompter.secret('Confirm Password:')) !== first) {
        this.note('The passwords do not match.');
      } else {
        return first;
      }
      if (attempt >= 3)
        throw new CliError(EXIT.FAILURE, 'no password was set: three attempts failed');
    }
  }

  /** Opens the store for reading. A missing store is a usage error (exit 2), as in the reference. */
  async open(opts: GlobalOptions, extra: { stdinTaken?: boolean } = {}): Promise<SecretsManager> {
    const store = this.storePath(opts);
    await this.requireStore(store);
    const source = await this.keySource(opts, extra);
    return SecretsManager.fromFile(this.path(store), source, {
      requireSeal: this.requireSeal(opts),
    });
  }

  /**
   * Runs a locked read-modify-write of the store (saved only if something changed). `beforeLock`
   * runs once the key is known and before the lock is taken (`set`'s value prompt comes after the
   * password prompt, and a slow answer never holds the lock); `lock` is how long to wait for it.
   */
  async update<T>(
    opts: GlobalOptions,
    fn: (vault: SecretsManager) => T | Promise<T>,
    extra: { stdinTaken?: boolean; beforeLock?: () => Promise<void>; lock?: LockOptions } = {},
  ): Promise<T> {
    const store = this.storePath(opts);
    await this.requireStore(store);
    const source = await this.keySource(opts, { stdinTaken: extra.stdinTaken === true });
    await extra.beforeLock?.();
    return SecretsManager.update(this.path(store), source, fn, {
      ...extra.lock,
      requireSeal: this.requireSeal(opts),
    });
  }

  async requireStore(store: string): Promise<void> {
    try {
      await fs.stat(this.path(store));
    } catch {
      throw new CliError(
        EXIT.USAGE,
        `${store} does not exist: create it with "ssclient create ${store}" or name another with -s`,
      );
    }
  }

  /**
   * Before writing a new file over `path`: an existing non-empty file needs a yes at a `[y/n]`
   * prompt on a terminal, and is refused (exit 17) off one. A missing or empty file is fine.
   */
  async confirmOverwrite(path: string, what: string): Promise<void> {
    await this.checkTarget(path, what);
    let size: number;
    try {
      size = (await fs.stat(this.path(path))).size;
    } catch {
      return;
    }
    if (size === 0) return;
    if (!this.io.stdinIsTTY) {
      throw new CliError(
        EXIT.REFUSED,
        `${path} already exists and is not empty; refusing to overwrite ${what} (delete it first, or run on a terminal to confirm)`,
      );
    }
    if (!(await this.io.prompter.confirm(`${path} already exists. Overwrite it?`))) {
      throw new CliError(EXIT.REFUSED, `${path} was left as it was`);
    }
  }

  /**
   * Before anything is written: `path` must not be a directory and its directory must exist, so
   * that a command never fails halfway (a new key file written, then no vault beside it).
   */
  async checkTarget(path: string, what: string): Promise<void> {
    const full = this.path(path);
    const target = await fs.stat(full).catch(() => null);
    if (target?.isDirectory()) {
      throw new CliError(EXIT.FAILURE, `cannot write ${what} to ${path}: it is a directory`);
    }
    const parent = await fs.stat(dirname(full)).catch(() => null);
    if (parent === null || !parent.isDirectory()) {
      throw new CliError(
        EXIT.FAILURE,
        `cannot write ${what} to ${path}: the directory ${dirname(path)} does not exist`,
      );
    }
  }

  /** Writes a key file (mode 0600) and, unless `noVcs`, the .gitignore rule for it. */
  async writeKeyFile(path: string, pem: string, noVcs: boolean): Promise<void> {
    await writeFileAtomic(this.path(path), pem, { mode: 0o600, forceMode: true });
    if (!noVcs) {
      const changed = await ignoreKeyFile(this.path(path));
      if (changed !== null) this.note(`Added ${path} to ${changed}`);
    }
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly; invalid input is an error naming where it came from. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new CliError(EXIT.FAILURE, `${what} is not valid UTF-8`);
  }
}

/** Removes one trailing `\n` or `\r\n`. */
export function stripOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/** True when the error is "this file does not exist". */
export function isNotFound(err: unknown): boolean {
  return isSecureStoreError(err, 'ERR_NOT_FOUND');
}

/** A file-system error in words (the errno code alone says little to most people). */
function describeFsError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}
