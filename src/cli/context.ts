/**
 * What every command shares: the global options, where the store and key come from, how a
 * password is obtained, and opening or updating the vault with errors a person can act on.
 */
import { existsSync, promises as fs } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isSecureStoreError, SecureStoreError } from '../errors.js';
import { readFileCapped, writeFileAtomic } from '../io/files.js';
import type { LockOptions } from '../io/lock.js';
import { KeySource } from '../auth.js';
import { pendingKeyPath } from '../keys/pending-key.js';
import type { WrappedKeyOptions } from '../kms/options.js';
import {
  type OneSecretVault,
  openVaultForOneSecret,
  SecretsManager,
} from '../vault/secrets-manager.js';
import {
  findProjectConfig,
  type ProjectConfig,
  resolveSetting,
  type Setting,
  type SettingName,
} from '../workflow/config.js';
import { CliError, EXIT, usage } from './exit-codes.js';
import { ignoreKeyFile } from './gitignore.js';
import { kmsRetryOptionsFromEnv } from './kms-retry-env.js';
import { escapeForTerminal } from '../workflow/terminal-text.js';
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
  /** `-i/--identity`, repeatable: age identity files (spec/kms-key-file.md §10.7). */
  identity?: string[];
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
  /** Where the last key source came from, for wrong-key messages ({@link explainKeyError}). */
  #keyOrigin: string | null = null;
  /** True when the last key source came from a key file (a "wrong password or key" is a key). */
  #keyIsFile = false;

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

  readonly #warned = new Set<string>();

  /** A warning on stderr, once per process however often its cause is met. */
  warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.note(message);
  }

  /**
   * Informational message on stderr (never data). Its lines are kept, but any other character a
   * terminal would act on (a name or path from a file someone else wrote) is shown escaped.
   */
  note(message: string): void {
    this.io.stderr.write(`${message.split('\n').map(escapeForTerminal).join('\n')}\n`);
  }

  #warnedArguments = false;
  /** The key file and store of the last key source made from a key file (for {@link explain}). */
  #keyFileUsed: { key: string; store: string; kms: WrappedKeyOptions } | undefined;

  /**
   * The key file of the last key source made from a key file, and a rekey's pending key beside
   * it (`<key>.new`): a locked write removes what killed writers left beside them too, such as
   * an interrupted rekey's key (spec/format.md §8.1). Empty when no key file is used.
   */
  keyFilesBeside(): string[] {
    const used = this.#keyFileUsed;
    if (used === undefined) return [];
    const key = this.path(used.key);
    return [key, pendingKeyPath(key)];
  }

  /**
   * `err` with more to say, where this Context knows more: a key file that does not open the
   * vault while `<key>.new` does is what an interrupted rekey leaves (docs/git.md "Rekey"), and
   * running the same rekey again finishes it. Anything else is returned as it is.
   */
  async explain(err: unknown): Promise<unknown> {
    const used = this.#keyFileUsed;
    if (!isSecureStoreError(err, 'ERR_WRONG_KEY') || used === undefined) return err;
    const pending = pendingKeyPath(used.key);
    const source = KeySource.fromFile(this.path(pending), { kms: used.kms });
    try {
      (await SecretsManager.fromFile(this.path(used.store), source)).close();
    } catch {
      return err; // no PATH.new, or it does not open the vault either
    } finally {
      source.dispose();
    }
    return new CliError(
      EXIT.FAILURE,
      `the key file ${used.key} does not open ${used.store}, but ${pending} does: a rekey was interrupted after it replaced the vault; run the same rekey command again to finish it (until then -k ${pending} opens the vault)`,
      { cause: err },
    );
  }

  /**
   * A password (`-p VALUE`) or a secret value (`set NAME VALUE`) given as an argument can be read
   * by every user of the machine in the process list while ssclient runs, and stays in the
   * shell's history. Said once per run, on a terminal (stderr) only: scripts keep working as
   * they are, silently.
   */
  warnSecretArguments(given: { password: boolean; value: boolean }): void {
    if (this.#warnedArguments || (!given.password && !given.value)) return;
    if (this.io.stderr.isTTY !== true) return;
    this.#warnedArguments = true;
    const what = [given.password ? 'a password' : '', given.value ? 'a secret value' : '']
      .filter((w) => w !== '')
      .join(' and ');
    const instead = [
      given.password ? 'for the password --password-file PATH or SSCLIENT_PASSWORD' : '',
      given.value ? 'for the value a prompt (leave it out), stdin or --file PATH' : '',
    ]
      .filter((w) => w !== '')
      .join('; ');
    this.note(
      `warning: ${what} on the command line can be read by other users in the process list (ps) while ssclient runs; instead use ${instead}`,
    );
  }

  /**
   * `lock` plus, when stderr is a terminal, a note naming who holds the lock on `file` once a
   * write has waited a second for it (spec/format.md §8.3); off a terminal nothing changes.
   */
  lockOptions(file: string, lock: LockOptions = {}): LockOptions {
    if (this.io.stderr.isTTY !== true) return lock;
    return {
      ...lock,
      onWait: (holder) => {
        const who = holder === null ? 'another process' : `process ${holder.pid} on ${holder.host}`;
        this.note(`waiting for ${file}: ${who} holds its lock`);
      },
    };
  }

  /**
   * KMS settings: flag, then environment, then project file (docs/workflow.md); and the age
   * identities tried before KMS ({@link Context.ageIdentities}), with warnings on stderr.
   */
  kmsOptions(opts: GlobalOptions): WrappedKeyOptions {
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
    const identities = this.ageIdentities(opts);
    return {
      ...(region !== undefined ? { region } : {}),
      ...(profile !== undefined ? { profile } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(identities.length > 0 ? { identities: identities.map((p) => this.path(p)) } : {}),
      onWarning: (message: string) => this.warnOnce(message),
      // SSCLIENT_KMS_MAX_ATTEMPTS, SSCLIENT_KMS_RETRY_MAX_DELAY_MS, SSCLIENT_KMS_TIMEOUT_MS
      ...kmsRetryOptionsFromEnv(this.io.env),
    };
  }

  /**
   * The age identity files (spec/kms-key-file.md §10.7), the first of: every `-i/--identity`,
   * SSCLIENT_AGE_IDENTITY, SOPS_AGE_KEY_FILE, and sops's default keys.txt when it exists. Only
   * paths: the files are read when a wrapped key file with age wrappings is opened.
   */
  ageIdentities(opts: GlobalOptions): string[] {
    if (opts.identity !== undefined && opts.identity.length > 0) return opts.identity;
    const env = this.io.env;
    for (const name of ['SSCLIENT_AGE_IDENTITY', 'SOPS_AGE_KEY_FILE'] as const) {
      const value = env[name];
      if (value !== undefined && value !== '') return [value];
    }
    const config =
      env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== ''
        ? env.XDG_CONFIG_HOME
        : env.HOME !== undefined && env.HOME !== ''
          ? resolve(env.HOME, '.config')
          : null;
    if (config === null) return [];
    const sops = resolve(config, 'sops', 'age', 'keys.txt');
    return existsSync(sops) ? [sops] : [];
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
    this.#keyIsFile = choice?.kind === 'file';
    if (choice?.kind === 'file') {
      this.#keyOrigin =
        choice.from === 'flag'
          ? '-k'
          : choice.from === 'env'
            ? 'SSCLIENT_KEY'
            : `the project file ${this.projectConfig()?.path ?? ''}`;
      const kms = this.kmsOptions(opts);
      this.#keyFileUsed = { key: choice.path, store: this.storePath(opts), kms };
      return KeySource.fromFile(this.path(choice.path), { kms });
    }
    const password = await this.password(opts, { confirm: false, ...purpose });
    if (password !== null) {
      this.#keyOrigin =
        opts.password === true ||
        (opts.passwordFile === '-' && this.io.stdinIsTTY && opts.password === undefined)
          ? 'the prompt'
          : typeof opts.password === 'string'
            ? '-p'
            : `--password-file ${opts.passwordFile === '-' ? '- (stdin)' : opts.passwordFile}`;
      return KeySource.fromPassword(password);
    }
    const envPassword = this.io.env.SSCLIENT_PASSWORD;
    if (envPassword !== undefined) {
      this.#keyOrigin = 'SSCLIENT_PASSWORD';
      return KeySource.fromPassword(envPassword);
    }
    const wrapped = await this.wrappedKeyBeside(opts);
    if (this.io.stdinIsTTY) {
      if (wrapped !== null) {
        this.note(
          `note: no key given, so a password is asked for; ${wrapped} beside the vault looks like a wrapped key file (KMS or age): -k ${wrapped} opens the vault with it`,
        );
      }
      const typed = await this.promptPassword(false);
      this.#keyOrigin = 'the prompt (no key was given)';
      return KeySource.fromPassword(typed);
    }
    throw new CliError(
      EXIT.FAILURE,
      `no password or key given: use -p PASSWORD, --password-file PATH, -k KEYFILE, or set SSCLIENT_PASSWORD${wrapped === null ? '' : ` (${wrapped} beside the vault looks like a wrapped key file (KMS or age): -k ${wrapped})`}`,
    );
  }

  /**
   * The wrapped key file named like the store (`secrets.kms.json` beside `secrets.json`), as a
   * path to show, when one is there and looks like one (a JSON object); null otherwise.
   */
  async wrappedKeyBeside(opts: GlobalOptions): Promise<string | null> {
    const store = this.storePath(opts);
    const candidate = store.endsWith('.json')
      ? `${store.slice(0, -'.json'.length)}.kms.json`
      : `${store}.kms.json`;
    try {
      const head = await readFileCapped(this.path(candidate), 65_536, {
        code: 'ERR_KMS_KEY_FILE',
        what: 'a wrapped key file',
      });
      return /^\s*\{/.test(Buffer.from(head).toString('utf8')) ? candidate : null;
    } catch {
      return null;
    }
  }

  /**
   * A wrong key or password, said with where it came from (README "Passwords and keys") and
   * where to look: `-p`, `--password-file`, `SSCLIENT_PASSWORD`, `-k`, `SSCLIENT_KEY`, the
   * project file or the prompt. Other errors are returned as they are.
   */
  async explainKeyError(err: unknown, opts: GlobalOptions = {}): Promise<unknown> {
    if (!isSecureStoreError(err, 'ERR_WRONG_KEY') || this.#keyOrigin === null) return err;
    const what = /^wrong password or key /.test(err.message)
      ? this.#keyIsFile
        ? 'key'
        : 'password'
      : /^wrong password/.test(err.message)
        ? 'password'
        : 'key';
    let wrapped = '';
    if (this.#keyOrigin.startsWith('the prompt')) {
      const beside = await this.wrappedKeyBeside(opts);
      if (beside !== null)
        wrapped = `; ${beside} beside the vault looks like a wrapped key file (KMS or age): -k ${beside}`;
    }
    return new SecureStoreError(
      'ERR_WRONG_KEY',
      `${err.message}; the ${what} came from ${this.#keyOrigin}${wrapped} ("ssclient config" shows where each setting comes from)`,
      { cause: err },
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
    if (typeof opts.password === 'string') {
      this.warnSecretArguments({ password: true, value: false });
      return opts.password;
    }
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
    const { path, source, options } = await this.#toOpen(opts, extra);
    return SecretsManager.fromFile(path, source, options);
  }

  /**
   * Opens the store as {@link open} does, to read the secret `name` only (`get NAME`): a large
   * vault in the usual layout is then not held in memory as text and blobs.
   */
  async openForOneSecret(opts: GlobalOptions, name: string): Promise<OneSecretVault> {
    const { path, source, options } = await this.#toOpen(opts, {});
    return openVaultForOneSecret(path, source, name, options);
  }

  /** What {@link open} and {@link openForOneSecret} open: the store's path, key and options. */
  async #toOpen(opts: GlobalOptions, extra: { stdinTaken?: boolean }) {
    const store = this.storePath(opts);
    await this.requireStore(store);
    const source = await this.keySource(opts, extra);
    return { path: this.path(store), source, options: { requireSeal: this.requireSeal(opts) } };
  }

  /**
   * Runs a locked read-modify-write of the store (saved only if something changed). `beforeLock`
   * runs once the key is known and has been checked against the vault, and before the lock is
   * taken (`set`'s value prompt comes after the password prompt and only for a key that opens
   * the vault, and a slow answer never holds the lock); `lock` is how long to wait for it.
   */
  async update<T>(
    opts: GlobalOptions,
    fn: (vault: SecretsManager) => T | Promise<T>,
    extra: { stdinTaken?: boolean; beforeLock?: () => Promise<void>; lock?: LockOptions } = {},
  ): Promise<T> {
    const store = this.storePath(opts);
    await this.requireStore(store);
    const source = await this.keySource(opts, { stdinTaken: extra.stdinTaken === true });
    const lock = { ...this.lockOptions(store, extra.lock), alsoClean: this.keyFilesBeside() };
    if (extra.beforeLock === undefined) {
      return SecretsManager.update(this.path(store), source, fn, {
        ...lock,
        requireSeal: this.requireSeal(opts),
      });
    }
    // `set` asks for the value here: the key is checked first, so that nobody types a secret
    // for a password or key file that does not open the vault. The key it gave is used for the
    // update, so a password is not stretched (nor KMS called) twice.
    const vault = await SecretsManager.fromFile(this.path(store), source, {
      requireSeal: this.requireSeal(opts),
    });
    let key: Uint8Array;
    try {
      key = vault.exportKeyBytes();
    } finally {
      vault.close();
      source.dispose();
    }
    const checked = KeySource.fromKey(key);
    key.fill(0);
    try {
      await extra.beforeLock();
      return await SecretsManager.update(this.path(store), checked, fn, {
        ...lock,
        requireSeal: this.requireSeal(opts),
      });
    } finally {
      checked.dispose();
    }
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
    case 'EAGAIN':
      // readFileCapped: a pipe nothing writes to, a terminal; the message says which.
      return (err as Error).message;
    default:
      return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}
