/**
 * The bodies of the git-native commands (docs/git.md) and of `get --rev`, loaded only when one
 * of them runs: git.ts registers the commands and core.ts the `--rev` option, and they import
 * this lazily, so that other commands do not load the git, merge, history and rekey code.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { isSecureStoreError, SecureStoreError } from '../../errors.js';
import {
  MAX_VAULT_BYTES,
  parseVault,
  serializeVault,
  type VaultDocument,
} from '../../format/vault-codec.js';
import { vaultDiffText, formatRevealed } from '../../git/diff-text.js';
import { displayName } from '../../git/fingerprint.js';
import { secretHistory } from '../../git/history.js';
import { installDrivers, uninstallDrivers } from '../../git/install.js';
import { checkSameKey, describeConflict, mergeVaults } from '../../git/merge.js';
import { VersionDecryptor } from '../../git/reveal.js';
import { readAtRevision } from '../../git/revisions.js';
import { locateInRepo } from '../../git/run-git.js';
import { readFileCapped, writeFileAtomic } from '../../io/files.js';
import { isWrappedKeyFile } from '../../auth.js';
import { wrapKey } from '../../kms/wrap.js';
import { defaultWrappedKeyPath, formatWrappedKeyFile } from '../../kms/wrapped-key-file.js';
import { pendingKeyPath, type RekeyStep, type RekeyTarget, rekeyVault } from '../../rekey/rekey.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import type { Context, GlobalOptions } from '../context.js';
import { ignoreKeyFile } from '../gitignore.js';
import { CliError, EXIT, usage } from '../exit-codes.js';
import {
  type InstallOptions,
  NEW_PASSWORD_ENV,
  type RekeyOptions,
  type RevealOptions,
} from './git.js';
import { parseContextPairs } from './kms-actions.js';

// ------------------------------------------------------------------ git install, uninstall

/** `git install`: the drivers in .gitattributes and .git/config; a warning if git cannot run them. */
export async function installAction(ctx: Context, opts: InstallOptions): Promise<void> {
  const store = ctx.path(ctx.storePath(opts));
  const where = await locateInRepo(store);
  const report = await installDrivers(where, opts.command);
  const program = await findProgram(ctx, opts.command);
  if (program !== null) {
    ctx.note(
      `warning: git runs the drivers with "${opts.command}", but ${program} was not found; run install again with --command saying how to start ssclient (for example --command "npx ssclient")`,
    );
  }
  ctx.note(
    report.attributes === 'added'
      ? `Added "${where.path}" to .gitattributes and set the securestore merge and diff drivers in .git/config; commit .gitattributes.`
      : `${where.path} was already in .gitattributes; the securestore merge and diff drivers are set in .git/config.`,
  );
}

/** `git uninstall`: takes back what `git install` added for the vault. */
export async function uninstallAction(ctx: Context, opts: GlobalOptions): Promise<void> {
  const store = ctx.path(ctx.storePath(opts));
  const where = await locateInRepo(store);
  const report = await uninstallDrivers(where);
  const attrs =
    report.attributes === 'removed'
      ? `Removed "${where.path}" from .gitattributes`
      : `"${where.path}" was not in .gitattributes`;
  const config =
    report.config === 'removed'
      ? 'the securestore drivers are not configured'
      : 'the drivers stay configured for the other vaults in .gitattributes';
  ctx.note(`${attrs}; ${config}.`);
}

/**
 * The program a driver command starts (its first word), when it cannot be found: on PATH for a
 * bare name, as a file otherwise. Null when it is found, or when the command is too elaborate to
 * check (the shell decides).
 */
async function findProgram(ctx: Context, command: string): Promise<string | null> {
  const m = /^(?:'([^']+)'|"([^"$`\\]+)"|([^\s'"$`\\;&|<>()]+))(?:\s|$)/.exec(command.trim());
  const program = m?.[1] ?? m?.[2] ?? m?.[3];
  if (program === undefined) return null;
  const runnable = (p: string) =>
    fs.access(p, fsConstants.X_OK).then(
      () => true,
      () => false,
    );
  if (program.includes('/')) return (await runnable(ctx.path(program))) ? null : program;
  for (const dir of (ctx.io.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && (await runnable(join(dir, program)))) return null;
  }
  return `${program} (on PATH)`;
}

// ------------------------------------------------------------------ get --rev

/**
 * Opens the store as it was at git revision `rev` (read through git: the work tree, the index and
 * HEAD are untouched). The store need not exist in the work tree.
 */
export async function openAtRevision(
  ctx: Context,
  opts: GlobalOptions,
  rev: string,
): Promise<SecretsManager> {
  const store = ctx.storePath(opts);
  const bytes = await readAtRevision(ctx.path(store), rev);
  parseVault(bytes, `${store} at ${rev}`); // format errors name the revision
  const source = await ctx.keySource(opts);
  try {
    return await SecretsManager.fromJSON(bytes, source);
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_WRONG_KEY')) {
      throw new SecureStoreError(
        'ERR_WRONG_KEY',
        `the ${source.description} does not open ${store} at ${rev} (if the vault was re-keyed since, that revision needs the old key)`,
        { cause: err },
      );
    }
    throw err;
  }
}

// ------------------------------------------------------------------ merge driver

async function readVersion(path: string, label: string): Promise<VaultDocument | null> {
  const bytes = await readFileCapped(path, MAX_VAULT_BYTES, {
    code: 'ERR_VAULT_FORMAT',
    what: 'a vault',
  });
  if (bytes.length === 0) return null;
  return parseVault(bytes, label);
}

export async function mergeDriver(
  ctx: Context,
  basePath: string,
  oursPath: string,
  theirsPath: string,
  name: string,
): Promise<void> {
  const labels = {
    base: `the common ancestor of ${name}`,
    ours: `our ${name}`,
    theirs: `their ${name}`,
  };
  const refuse = (why: string): never => {
    throw new CliError(
      EXIT.FAILURE,
      `cannot merge ${name} by secret name: ${why}. Our version was left in place: resolve by hand (keep one side with "git checkout --ours/--theirs ${name}" and repeat the other side's changes with ssclient set), then git add ${name}`,
    );
  };
  let base: VaultDocument | null;
  let ours: VaultDocument | null;
  let theirs: VaultDocument | null;
  try {
    base = await readVersion(ctx.path(basePath), labels.base);
    ours = await readVersion(ctx.path(oursPath), labels.ours);
    theirs = await readVersion(ctx.path(theirsPath), labels.theirs);
  } catch (err) {
    if (err instanceof SecureStoreError) return refuse(err.message);
    throw err;
  }
  if (ours === null) return refuse(`${labels.ours} is empty`);
  if (theirs === null) return refuse(`${labels.theirs} is empty`);
  const input = { base, ours, theirs };
  try {
    checkSameKey(input, labels);
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_MERGE')) return refuse(err.message);
    throw err;
  }
  const outcome = mergeVaults(input);
  await writeFileAtomic(ctx.path(oursPath), serializeVault(outcome.doc));
  const total = outcome.conflicts.length + outcome.fieldConflicts.length;
  if (total === 0) return;
  const lines = [
    `CONFLICT (secrets): ${name}: ${total === 1 ? 'one secret conflicts' : `${total} secrets conflict`}:`,
    ...outcome.conflicts.map((c) => `  ${displayName(c.name)}: ${describeConflict(c.kind)}`),
    ...outcome.fieldConflicts.map(
      (f) => `  field ${JSON.stringify(f)}: changed on both sides; the file keeps ours`,
    ),
    `${name} is a valid vault with every other change merged. For each name above, set the value it`,
    `should have (theirs: ssclient get NAME --rev MERGE_HEAD) or delete it, then: git add ${name}`,
  ];
  ctx.note(lines.join('\n'));
  throw new CliError(
    EXIT.FAILURE,
    `${name} was merged with ${total} conflict${total === 1 ? '' : 's'}`,
  );
}

// ------------------------------------------------------------------ diff-text

export async function printDiffText(
  ctx: Context,
  opts: RevealOptions,
  path: string,
): Promise<void> {
  const bytes = await readFileCapped(ctx.path(path), MAX_VAULT_BYTES, {
    code: 'ERR_VAULT_FORMAT',
    what: 'a vault',
  });
  if (bytes.length === 0) return;
  let doc: VaultDocument;
  try {
    doc = parseVault(bytes, path);
  } catch (err) {
    // git shows whatever a textconv prints: say why, then the text as it is (ciphertext only).
    if (!(err instanceof SecureStoreError)) throw err;
    const text = bytes.toString('utf8');
    ctx.io.stdout.write(
      `# not a SecureStore vault: ${err.message}\n${text}${text.endsWith('\n') ? '' : '\n'}`,
    );
    return;
  }
  if (!opts.reveal) {
    ctx.io.stdout.write(vaultDiffText(doc));
    return;
  }
  const decryptor = new VersionDecryptor(await ctx.keySource(opts));
  const open = await decryptor.opener(doc);
  if (open === null) {
    ctx.io.stdout.write(
      `# the given key does not open this version: fingerprints only\n${vaultDiffText(doc)}`,
    );
    return;
  }
  ctx.io.stdout.write(
    vaultDiffText(doc, (name) => {
      const blob = doc.secrets.get(name);
      return blob === undefined ? null : open(blob);
    }),
  );
}

// ------------------------------------------------------------------ history

export async function printHistory(ctx: Context, opts: RevealOptions, name: string): Promise<void> {
  const store = ctx.storePath(opts);
  const file = ctx.path(store);
  const where = await locateInRepo(file);
  const decryptor = opts.reveal ? new VersionDecryptor(await ctx.keySource(opts)) : null;
  const { entries, unreadable } = await secretHistory(where, name);
  if (unreadable.length > 0) {
    const ids = unreadable.map((id) => id.slice(0, 10)).join(', ');
    ctx.note(
      `note: skipped ${unreadable.length === 1 ? 'a version' : `${unreadable.length} versions`} of ${store} that ${unreadable.length === 1 ? 'is' : 'are'} not a valid vault (${ids}); changes are compared across ${unreadable.length === 1 ? 'it' : 'them'}`,
    );
  }
  if (entries.length === 0) {
    throw new CliError(
      EXIT.FAILURE,
      `no commit adds, changes or removes a secret named ${JSON.stringify(name)} in ${store}`,
    );
  }
  let out = '';
  for (const e of entries) {
    out += `${e.commit.slice(0, 10)}  ${e.date}  ${e.author}  ${e.change}  ${e.subject}\n`;
    if (decryptor === null) continue;
    if (e.blob === null) {
      out += '    (removed)\n';
      continue;
    }
    const open = await decryptor.opener(e.doc);
    const value = open?.(e.blob) ?? null;
    out +=
      value === null
        ? '    (the given key does not open this version)\n'
        : `    ${formatRevealed(value)}\n`;
    value?.fill(0);
  }
  ctx.io.stdout.write(out);
}

// ------------------------------------------------------------------ rekey

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
  const onStep = (step: RekeyStep): void => {
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
  let result;
  try {
    result = await rekeyVault(vaultPath, oldSource, target, { onStep });
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
