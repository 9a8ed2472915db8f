/**
 * The body of `rekey` (docs/git.md "rekey"), loaded only when it runs.
 */
import { relative } from 'node:path';
import { isWrappedKeyFile } from '../../auth.js';
import { isSecureStoreError, SecureStoreError } from '../../errors.js';
import { wrapKey } from '../../kms/wrap.js';
import { readFileCapped } from '../../io/files.js';
import {
  defaultWrappedKeyPath,
  formatWrappedKeyFile,
  isAgeWrapping,
  MAX_WRAPPED_KEY_FILE_BYTES,
  parseWrappedKeyFile,
} from '../../kms/wrapped-key-file.js';
import { pendingKeyPath, type RekeyStep, type RekeyTarget, rekeyVault } from '../../rekey/rekey.js';
import type { Context, GlobalOptions } from '../context.js';
import { usage } from '../exit-codes.js';
import { ignoreKeyFile } from '../gitignore.js';
import { NEW_PASSWORD_ENV } from '../option-values.js';
import { startProgress } from '../progress.js';
import { parseContextPairs } from './kms.js';

export interface RekeyOptions extends GlobalOptions {
  newPassword?: boolean;
  newPasswordFile?: string;
  newKey?: string;
  kms: string[];
  context: string[];
  kmsFile?: string;
  vcs: boolean;
}

async function newPassword(ctx: Context, opts: RekeyOptions): Promise<string> {
  if (opts.newPasswordFile !== undefined) {
    return ctx.readPasswordFile(opts.newPasswordFile, 'the new password file');
  }
  if (ctx.io.stdinIsTTY) {
    ctx.note('Choose the new password.');
    return ctx.promptPassword(true);
  }
  const env = ctx.io.env[NEW_PASSWORD_ENV];
  if (env !== undefined) return env;
  throw usage(
    `--new-password off a terminal needs --new-password-file PATH or $${NEW_PASSWORD_ENV}`,
  );
}

/** The key file the old key comes from, when it is one. */
function oldKeyPath(ctx: Context, opts: GlobalOptions): string | null {
  const choice = ctx.keyChoice(opts);
  return choice?.kind === 'file' ? ctx.path(choice.path) : null;
}

export async function runRekey(ctx: Context, opts: RekeyOptions): Promise<void> {
  const wantsPassword = opts.newPassword === true || opts.newPasswordFile !== undefined;
  const wantsKms = opts.kms.length > 0;
  const kinds = [wantsPassword, opts.newKey !== undefined, wantsKms];
  if (kinds.filter(Boolean).length !== 1) {
    throw usage('give one of --new-password, --new-key PATH or --kms KEY_ID');
  }
  if (!wantsKms && (opts.context.length > 0 || opts.kmsFile !== undefined)) {
    throw usage('--context and --kms-file go with --kms');
  }
  const store = ctx.storePath(opts);
  await ctx.requireStore(store);
  const vaultPath = ctx.path(store);
  const oldKey = oldKeyPath(ctx, opts);
  const oldSource = await ctx.keySource(opts);

  let target: RekeyTarget;
  let display: string;
  if (wantsPassword) {
    target = { kind: 'password', password: await newPassword(ctx, opts) };
    display = 'the new password';
  } else {
    const path = opts.newKey ?? opts.kmsFile ?? (await defaultKmsFile(ctx, store, oldKey));
    const absolute = ctx.path(path);
    if (absolute === vaultPath) throw usage('the new key file cannot be the vault itself');
    if (absolute !== oldKey) {
      await ctx.confirmOverwrite(path, wantsKms ? 'the wrapped key file' : 'the key file');
    }
    display = path;
    if (wantsKms) await refuseToDropAgeDoors(ctx, path);
    if (wantsKms) {
      // A wrapped key file is safe to commit (only KMS can open it): no .gitignore rule.
      target = kmsTarget(ctx, opts, absolute);
    } else {
      target = { kind: 'key', path: absolute };
      if (opts.vcs) {
        for (const p of [absolute, pendingKeyPath(absolute)]) {
          const changed = await ignoreKeyFile(p);
          if (changed !== null) ctx.note(`Added ${relative(ctx.io.cwd, p) || p} to ${changed}`);
        }
      }
    }
  }

  const pendingDisplay = `${display}.new`;
  // Started once every key and password is in hand (a prompt must not share its line).
  const progress = startProgress(ctx.io, `re-encrypting ${store}`);
  const onStep = (step: RekeyStep): void => {
    progress.aside(() => note(step));
    const next = { 'key-written': `writing ${store}`, 'vault-written': `verifying ${store}` };
    if (step.step in next) progress.phase(next[step.step as keyof typeof next]);
  };
  const note = (step: RekeyStep): void => {
    switch (step.step) {
      case 'key-written':
        ctx.note(
          `Wrote the new ${target.kind === 'wrapped' ? 'wrapped key file' : 'key'} to ${pendingDisplay}; the vault still opens with the old key.`,
        );
        break;
      case 'vault-written':
        ctx.note(
          `Re-encrypted ${step.secrets} secret${step.secrets === 1 ? '' : 's'} in ${store}: it now opens with ${target.kind === 'password' ? display : pendingDisplay}.`,
        );
        break;
      case 'verified':
        ctx.note(`Verified: every secret in ${store} decrypts to its old value under the new key.`);
        break;
      case 'key-replaced':
        ctx.note(`Moved ${pendingDisplay} to ${display}: ${display} opens ${store}.`);
        break;
    }
  };
  const waiting = ctx.lockOptions(store);
  const { onWait } = waiting;
  const lock =
    onWait === undefined
      ? waiting
      : {
          ...waiting,
          onWait: (holder: Parameters<typeof onWait>[0]) => progress.aside(() => onWait(holder)),
        };
  let result;
  try {
    result = await rekeyVault(vaultPath, oldSource, target, { onStep, lock });
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_WRONG_KEY') && target.kind === 'password') {
      throw new SecureStoreError(
        'ERR_WRONG_KEY',
        `${err.message} (if an earlier rekey was interrupted after "Re-encrypted", the vault already opens with the new password)`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    progress.end();
    oldSource.dispose();
  }
  if (result.resumed) {
    ctx.note(`Finished an interrupted rekey: ${display} opens ${store}.`);
    return;
  }
  const replaced = target.kind !== 'password' && target.path === oldKey;
  if (oldKey !== null && !replaced) {
    ctx.note(
      `The old key file ${relative(ctx.io.cwd, oldKey)} no longer opens ${store}; keep it while older git revisions must be read.`,
    );
  }
}

/**
 * Where `rekey --kms` writes the wrapped key file by default: over the old one when the vault was
 * opened with a wrapped key file, else `<store>.kms.json` (as `create --kms` does).
 */
async function defaultKmsFile(ctx: Context, store: string, oldKey: string | null): Promise<string> {
  if (oldKey !== null && (await isWrappedKeyFile(oldKey))) return relative(ctx.io.cwd, oldKey);
  return defaultWrappedKeyPath(store);
}

/**
 * `rekey --kms` writes a file of KMS wrappings only: over a wrapped key file that has age
 * wrappings (spec/kms-key-file.md §10) it would silently take away everyone's age door.
 */
async function refuseToDropAgeDoors(ctx: Context, path: string): Promise<void> {
  const bytes = await readFileCapped(ctx.path(path), MAX_WRAPPED_KEY_FILE_BYTES, {
    code: 'ERR_KMS_KEY_FILE',
    what: 'a wrapped key file',
  }).catch(() => null);
  if (bytes === null || !(await isWrappedKeyFile(ctx.path(path)))) return;
  let ages = 0;
  try {
    ages = parseWrappedKeyFile(bytes, path).wrappings.filter(isAgeWrapping).length;
  } catch {
    return; // not ours to judge here: the rekey reports it or overwrites it as before
  }
  if (ages > 0) {
    throw usage(
      `${path} also opens the vault for ${ages === 1 ? '1 age recipient' : `${ages} age recipients`}, which rekey --kms would drop: use "ssclient access rekey" (it keeps every KMS key and recipient), or --kms-file for another file`,
    );
  }
}

/** The new key wrapped under the `--kms` keys, through KMS, before anything is written. */
function kmsTarget(ctx: Context, opts: RekeyOptions, path: string): RekeyTarget {
  const context = parseContextPairs(opts.context);
  const kms = ctx.kmsOptions(opts);
  return {
    kind: 'wrapped',
    path,
    kms,
    wrap: async (key) =>
      formatWrappedKeyFile(await wrapKey(key, { keyIds: opts.kms, context, ...kms })),
  };
}
