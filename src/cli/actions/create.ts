/**
 * The body of `create` (spec/cli.md §2, §3): a new vault under a password or a new key file.
 */
import { promises as fs } from 'node:fs';
import { KeySource } from '../../auth.js';
import { randomBytes, zeroize } from '../../crypto/primitives.js';
import { encodeKeyFile } from '../../format/key-file.js';
import { KEY_BYTES } from '../../format/sizes.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import type { Context, GlobalOptions } from '../context.js';
import { CliError, EXIT, usage } from '../exit-codes.js';

export interface CreateOptions extends GlobalOptions {
  exportKey?: string;
  vcs: boolean;
  kms: string[];
  context: string[];
  kmsFile?: string;
  recipient: string[];
  recipientsFile?: string;
}

/** `create [STORE]`; with `--kms` or `--recipient`, kms.ts makes a vault under a wrapped key. */
export async function createAction(
  ctx: Context,
  opts: CreateOptions,
  storeArg: string | undefined,
): Promise<void> {
  if (opts.kms.length > 0 || opts.recipient.length > 0 || opts.recipientsFile !== undefined) {
    return (await import('./kms.js')).createKmsVault(ctx, opts, storeArg);
  }
  if (opts.context.length > 0 || opts.kmsFile !== undefined) {
    throw usage('--context and --kms-file go with --kms');
  }
  await createVault(ctx, opts, storeArg);
}

async function createVault(
  ctx: Context,
  given: GlobalOptions & { exportKey?: string; vcs: boolean },
  storeArg: string | undefined,
): Promise<void> {
  const opts = withProjectKey(ctx, given);
  const store = storeArg ?? ctx.storePath(opts);
  // The key source follows the same precedence as for an existing vault (README "Passwords and
  // keys"): -k / -p / --password-file, then SSCLIENT_KEY, then SSCLIENT_PASSWORD, then a prompt.
  const choice = ctx.keyChoice(opts);
  const keyPath = choice?.kind === 'file' ? choice.path : undefined;
  if ([opts.key, opts.password, opts.passwordFile].filter((o) => o !== undefined).length > 1) {
    throw usage('give only one of -p/--password, --password-file and -k/--key');
  }
  await ctx.confirmOverwrite(store, 'the vault');
  if (opts.exportKey !== undefined) await ctx.confirmOverwrite(opts.exportKey, 'the key file');

  let source: KeySource;
  let newKey: Uint8Array | null = null;
  let keyFileExisted = false;
  let keyFileMode = 0o600;
  if (keyPath !== undefined) {
    const size = await fs
      .stat(ctx.path(keyPath))
      .then((s) => s.size)
      .catch(() => -1);
    if (size <= 0) {
      await ctx.checkTarget(keyPath, 'the key file');
      keyFileExisted = size === 0;
      keyFileMode = await fs
        .stat(ctx.path(keyPath))
        .then((s) => s.mode & 0o7777)
        .catch(() => 0o600);
      newKey = randomBytes(KEY_BYTES);
      source = KeySource.fromKey(newKey);
    } else {
      source = KeySource.fromFile(ctx.path(keyPath), { kms: ctx.kmsOptions(opts) });
    }
  } else {
    let password = await ctx.password(opts, { confirm: true });
    if (password === null) password = ctx.io.env.SSCLIENT_PASSWORD ?? null;
    if (password === null) {
      if (!ctx.io.stdinIsTTY) {
        throw new CliError(
          EXIT.FAILURE,
          'no password or key given: use -p PASSWORD, --password-file PATH, -k KEYFILE, or set SSCLIENT_PASSWORD',
        );
      }
      password = await ctx.promptPassword(true);
    }
    source = KeySource.fromPassword(password);
  }

  const vault = await SecretsManager.create(source, { seal: true });
  try {
    // The key file is written before the vault, so there is never a vault without its key.
    let wroteKey = false;
    if (newKey !== null && keyPath !== undefined) {
      await ctx.writeKeyFile(keyPath, encodeKeyFile(newKey), !opts.vcs);
      wroteKey = true;
      zeroize(newKey);
    }
    try {
      await vault.saveAs(ctx.path(store));
    } catch (err) {
      // No vault: take back the key made for it (a failed command leaves files as they were).
      if (wroteKey && keyPath !== undefined) {
        const path = ctx.path(keyPath);
        await (keyFileExisted ? fs.writeFile(path, '', { mode: keyFileMode }) : fs.unlink(path))
          .then(() => (keyFileExisted ? fs.chmod(path, keyFileMode) : undefined))
          .catch(() => {});
      }
      throw err;
    }
    if (opts.exportKey !== undefined) {
      const key = vault.exportKeyBytes();
      try {
        await ctx.writeKeyFile(opts.exportKey, encodeKeyFile(key), !opts.vcs);
      } finally {
        zeroize(key);
      }
    }
  } finally {
    vault.close();
    source.dispose();
  }
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
