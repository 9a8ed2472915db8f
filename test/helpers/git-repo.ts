/**
 * A real git repository in a temporary directory, with the real `git` binary and no global or
 * system configuration, and the real `ssclient` process (`node bin/ssclient.js`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { BIN, type CliResult, runProcess } from './cli.js';
import { tempDir } from './vaults.js';

/** Quotes a word for the POSIX shell that git runs drivers with. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** How git should run this ssclient: `'node' '/…/bin/ssclient.js'`. */
export const SSCLIENT_COMMAND = `${shellQuote(process.execPath)} ${shellQuote(BIN)}`;

export interface Repo {
  readonly dir: string;
  readonly env: Record<string, string>;
  /** Runs git; throws with its stderr when it fails, unless `allowFailure`. */
  git(
    args: string[],
    options?: { allowFailure?: boolean; env?: Record<string, string> },
  ): CliResult;
  /** Runs `node bin/ssclient.js` in the repository. */
  ss(
    args: string[],
    options?: { env?: Record<string, string>; input?: string; cwd?: string },
  ): CliResult;
  read(path: string): Buffer;
  write(path: string, data: string | Uint8Array): void;
  /** Opens a vault (from the work tree, or given bytes) with a key file, and returns its values. */
  values(keyFile: string, bytes?: Uint8Array): Promise<Map<string, string>>;
  cleanup(): void;
}

/** A fresh repository on branch `main`, with a local user name and e-mail. */
export function makeRepo(): Repo {
  const t = tempDir('ssclient-git-');
  const env: Record<string, string> = {
    HOME: t.dir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(t.dir, '.no-global-gitconfig'),
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    TZ: 'UTC',
  };
  const git: Repo['git'] = (args, options = {}) => {
    const r = spawnSync('git', args, {
      cwd: t.dir,
      env: { PATH: process.env.PATH, ...env, ...options.env },
      timeout: 30_000,
    });
    if (r.error) throw r.error;
    const result = {
      code: r.status ?? -1,
      stdout: r.stdout.toString('utf8'),
      stdoutBytes: r.stdout,
      stderr: r.stderr.toString('utf8'),
    };
    if (result.code !== 0 && !options.allowFailure) {
      throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    }
    return result;
  };
  git(['-c', 'init.defaultBranch=main', 'init', '-q', '.']);
  git(['config', 'user.name', 'Ada Lovelace']);
  git(['config', 'user.email', 'ada@example.com']);
  git(['config', 'commit.gpgsign', 'false']);
  return {
    dir: t.dir,
    env,
    git,
    ss: (args, options = {}) =>
      runProcess(args, {
        cwd: options.cwd === undefined ? t.dir : join(t.dir, options.cwd),
        env: { ...env, ...options.env },
        ...(options.input !== undefined ? { input: options.input } : {}),
        timeoutMs: 30_000,
      }),
    read: (path) => readFileSync(join(t.dir, path)),
    write: (path, data) => writeFileSync(join(t.dir, path), data),
    values: async (keyFile, bytes) => {
      const source = KeySource.fromFile(join(t.dir, keyFile));
      const vault =
        bytes === undefined
          ? await SecretsManager.fromFile(join(t.dir, 'secrets.json'), source)
          : await SecretsManager.fromJSON(bytes, source);
      try {
        return vault.getAll();
      } finally {
        vault.close();
      }
    },
    cleanup: t.cleanup,
  };
}

/**
 * Creates `secrets.json` under a new key file `secrets.key` (in-process: setup, not the test),
 * without a seal, as the reference writes it (the tests that use it expect unsealed history and
 * merges; the sealed ones seal explicitly).
 */
export async function createVault(repo: Repo, secrets: Record<string, string>): Promise<void> {
  const vault = await SecretsManager.create(KeySource.generate(), { seal: false });
  for (const [name, value] of Object.entries(secrets)) vault.set(name, value);
  await vault.saveAs(join(repo.dir, 'secrets.json'));
  await vault.exportKey(join(repo.dir, 'secrets.key'));
  vault.close();
  repo.write('.gitignore', '/secrets.key\n');
}

/** Sets secrets in the work tree's vault, in-process, with the key file. */
export async function setSecrets(
  repo: Repo,
  changes: Record<string, string | null>,
  keyFile = 'secrets.key',
): Promise<void> {
  await SecretsManager.update(
    join(repo.dir, 'secrets.json'),
    KeySource.fromFile(join(repo.dir, keyFile)),
    (vault) => {
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) vault.delete(name);
        else vault.set(name, value);
      }
    },
  );
}
