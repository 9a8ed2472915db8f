/**
 * The bodies of `git install|uninstall|merge-driver|diff-text|check-staged` (docs/git.md) and the
 * `--rev` reading of `get`, loaded only when one of them runs.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isSecureStoreError, SecureStoreError } from '../../errors.js';
import {
  MAX_VAULT_BYTES,
  parseVault,
  serializeVault,
  type VaultDocument,
} from '../../format/vault-codec.js';
import { vaultDiffText } from '../../git/diff-text.js';
import { displayName } from '../../git/fingerprint.js';
import { checkStaged } from '../../git/check-staged.js';
import {
  defaultDriverCommand,
  installDrivers,
  installPreCommitHook,
  uninstallDrivers,
  uninstallPreCommitHook,
} from '../../git/install.js';
import { checkSameKey, describeConflict, mergeVaults } from '../../git/merge.js';
import {
  anySealed,
  checkVersions,
  dropSeal,
  sealMerged,
  type SealedMergeKeys,
  withoutSeals,
} from '../../git/seal-merge.js';
import type { KeySource } from '../../keys/key-source.js';
import { vaultAndSealKeysFor } from '../../vault/opener.js';
import { VersionDecryptor } from '../../git/reveal.js';
import { readAtRevision } from '../../git/revisions.js';
import { gitOutput, locateInRepo } from '../../git/run-git.js';
import { readFileCapped, writeFileAtomic } from '../../io/files.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import type { Context, GlobalOptions } from '../context.js';
import { CliError, EXIT, QuietExit } from '../exit-codes.js';
import { escapeForTerminal } from '../../workflow/terminal-text.js';
import { nameForTerminal } from '../output.js';

export interface InstallOptions extends GlobalOptions {
  command?: string;
  /** Install (or uninstall) the pre-commit hook that runs `git check-staged`, not the drivers. */
  preCommit?: boolean;
}

/** `git check-staged`: `--all` checks every file in the index, not only the staged changes. */
export interface CheckStagedOptions extends GlobalOptions {
  all?: boolean;
}

/** `diff-text` and `history`: `--reveal` shows values. */
export interface RevealOptions extends GlobalOptions {
  reveal?: boolean;
}

/** `git install`: the drivers in .gitattributes and .git/config; a warning if git cannot run them. */
export async function installAction(ctx: Context, opts: InstallOptions): Promise<void> {
  if (opts.preCommit === true) return installHook(ctx, opts);
  const store = ctx.path(ctx.storePath(opts));
  const where = await locateInRepo(store);
  const command = await driverCommand(ctx, opts);
  const report = await installDrivers(where, command);
  const program = opts.command === undefined ? null : await findProgram(ctx, command);
  if (program !== null) {
    ctx.note(
      `warning: git runs the drivers with "${command}", but ${program} was not found; run install again with --command saying how to start ssclient (for example --command "npx --no-install ssclient")`,
    );
  }
  ctx.note(
    report.attributes === 'added'
      ? `Added "${where.path}" to .gitattributes and set the securestore merge and diff drivers in .git/config; commit .gitattributes.`
      : `${where.path} was already in .gitattributes; the securestore merge and diff drivers are set in .git/config.`,
  );
}

/**
 * How git should start ssclient: `--command`, else the command that works from where this
 * ssclient is installed (git/install.ts), said in a note when that is not plain `ssclient`.
 */
async function driverCommand(ctx: Context, opts: InstallOptions): Promise<string> {
  let command = opts.command;
  if (command === undefined) {
    // Not plain "ssclient" unless that is this program: npx installs are on no PATH (issue 15).
    const found = await defaultDriverCommand(ctx.io.env.PATH);
    command = found.command;
    if (found.how === 'absolute') {
      ctx.note(
        `note: ${found.other === null ? 'ssclient is not on PATH' : `the ssclient on PATH (${found.other}) is another program`}, so git will run this one by absolute path: ${command} (install again after moving it or changing Node, or give --command)`,
      );
    }
  }
  return command;
}

/** The top of the work tree the command runs in (real path). */
async function workTreeTop(ctx: Context): Promise<string> {
  const out = await gitOutput(['rev-parse', '--show-toplevel'], { cwd: ctx.io.cwd }).catch(() => {
    throw new CliError(EXIT.FAILURE, `${ctx.io.cwd} is not inside a git work tree`);
  });
  return fs.realpath(out.toString('utf8').replace(/\n$/, ''));
}

/** `git install --pre-commit`: the hook that runs `git check-staged` before each commit. */
async function installHook(ctx: Context, opts: InstallOptions): Promise<void> {
  const top = await workTreeTop(ctx);
  const command = await driverCommand(ctx, opts);
  const program = opts.command === undefined ? null : await findProgram(ctx, command);
  if (program !== null) {
    ctx.note(
      `warning: the hook runs "${command}", but ${program} was not found; run install again with --command saying how to start ssclient (for example --command "npx --no-install ssclient")`,
    );
  }
  const report = await installPreCommitHook(top, command);
  const chained = report.chained
    ? ` It runs the existing hook first, kept as ${report.hook}.local.`
    : '';
  ctx.note(
    `${report.outcome === 'updated' ? 'Updated' : 'Installed'} the pre-commit hook ${report.hook}: each commit runs "ssclient git check-staged" (git commit --no-verify skips it).${chained}`,
  );
}

/** `git uninstall --pre-commit`: removes our hook, putting back the one it ran first. */
async function uninstallHook(ctx: Context): Promise<void> {
  const report = await uninstallPreCommitHook(await workTreeTop(ctx));
  switch (report.outcome) {
    case 'absent':
      ctx.note(`There is no pre-commit hook (${report.hook}): nothing to remove.`);
      return;
    case 'not-ours':
      ctx.note(`${report.hook} is not the ssclient hook: left as it is.`);
      return;
    default:
      ctx.note(
        report.chained
          ? `Removed the ssclient pre-commit hook; the hook it ran first is ${report.hook} again.`
          : `Removed the ssclient pre-commit hook ${report.hook}.`,
      );
  }
}

/**
 * `git check-staged` (docs/git.md "Pre-commit guard"): one line per problem on stdout, each
 * naming its file, then exit 1; silent with exit 0 when the commit may go ahead. The key is used
 * only when it can be had without a prompt.
 */
export async function checkStagedAction(ctx: Context, opts: CheckStagedOptions): Promise<void> {
  const top = await workTreeTop(ctx);
  const storeFile = ctx.path(ctx.storePath(opts));
  const where = await locateInRepo(storeFile).catch(() => null);
  const store = where !== null && where.top === top ? where.path : null;
  const source = await keyWithoutPrompt(ctx, opts);
  let findings;
  try {
    // A key that does not open the store is ERR_WRONG_KEY, which main explains (where it came from).
    findings = await checkStaged({
      top,
      store,
      storeFile: store === null ? null : storeFile,
      source,
      requireSeal: ctx.requireSeal(opts),
      all: opts.all === true,
      show: nameForTerminal,
    });
  } finally {
    source?.dispose();
  }
  if (findings.length === 0) return;
  ctx.io.stdout.write(findings.map((f) => `${escapeForTerminal(f.message)}\n`).join(''));
  const files = new Set(findings.map((f) => f.path)).size;
  ctx.note(
    `error: ${files === 1 ? 'a staged file' : `${files} staged files`} must not be committed as ${files === 1 ? 'it is' : 'they are'} (git restore --staged FILE unstages one; git commit --no-verify skips this check)`,
  );
  throw new QuietExit(EXIT.FAILURE);
}

/** `git uninstall`: takes back what `git install` added for the vault. */
export async function uninstallAction(ctx: Context, opts: InstallOptions): Promise<void> {
  if (opts.preCommit === true) return uninstallHook(ctx);
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
    if (isSecureStoreError(err, 'ERR_SEAL') && err.message.startsWith('the vault')) {
      // The library names bytes "the vault"; name the file and revision, and a git log that runs.
      const message = `${store} at ${rev}${err.message.slice('the vault'.length)}`.replaceAll(
        '`git log -p the vault`',
        `\`git log -p ${rev} -- ${store}\``,
      );
      throw new SecureStoreError('ERR_SEAL', message, { cause: err });
    }
    throw err;
  }
}

async function readVersion(path: string, label: string): Promise<VaultDocument | null> {
  const bytes = await readFileCapped(path, MAX_VAULT_BYTES, {
    code: 'ERR_VAULT_FORMAT',
    what: 'a vault',
  });
  if (bytes.length === 0) return null;
  return parseVault(bytes, label);
}

/**
 * The key for the merge driver, only when it can be had without a prompt (spec/seal.md §9.3):
 * `-k`, a password on the command line or in a file, SSCLIENT_KEY, SSCLIENT_PASSWORD, or the
 * project file's key when that file exists. Null otherwise.
 */
async function keyWithoutPrompt(ctx: Context, opts: GlobalOptions): Promise<KeySource | null> {
  const choice = ctx.keyChoice(opts);
  if (choice === null || opts.password === true) return null;
  if (choice.kind === 'file' && choice.from === 'project') {
    const present = await fs.access(ctx.path(choice.path)).then(
      () => true,
      () => false,
    );
    if (!present) return null;
  }
  if (choice.kind === 'password' && opts.passwordFile === '-') return null;
  return ctx.keySource(opts);
}

export async function mergeDriver(
  ctx: Context,
  basePath: string,
  oursPath: string,
  theirsPath: string,
  name: string,
  opts: GlobalOptions = {},
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
  let input = { base, ours, theirs };
  try {
    checkSameKey(input, labels);
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_MERGE')) return refuse(err.message);
    throw err;
  }
  // spec/seal.md §9.3: with a key, check every version and seal the result; without, no seal.
  const source = await keyWithoutPrompt(ctx, opts);
  let sealed: { keys: SealedMergeKeys; seals: ReturnType<typeof checkVersions> } | null = null;
  if (source !== null) {
    try {
      const keys = await vaultAndSealKeysFor(ours, source);
      try {
        sealed = { keys, seals: checkVersions(input, labels, keys) };
      } catch (err) {
        if (isSecureStoreError(err, 'ERR_MERGE')) return refuse(err.message);
        throw err;
      }
    } finally {
      source.dispose();
    }
  }
  // The seal is not merged field by field: it is made again for the result, or dropped.
  const wasSealed = anySealed(input);
  if (wasSealed) input = withoutSeals(input);
  const outcome = mergeVaults(input);
  if (sealed !== null) {
    sealMerged(outcome.doc, input, sealed.seals, sealed.keys.seal);
  } else if (wasSealed) {
    dropSeal(outcome.doc);
    ctx.note(
      `${name} was merged without its key, so the result is not sealed: run \`ssclient seal\`, then commit it (git commits a merge without conflicts at once: seal it in a new commit)`,
    );
  }
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
  // A value is shown only under the name the seal binds it to (spec/seal.md §1.1).
  const unbound = [...doc.secrets.keys()].some((name) => !decryptor.bound(doc, name));
  ctx.io.stdout.write(
    (unbound
      ? '# the seal does not bind some values to their names (changed without its key): fingerprints only for those\n'
      : '') +
      vaultDiffText(doc, (name) => {
        const blob = doc.secrets.get(name);
        return blob === undefined || !decryptor.bound(doc, name) ? null : open(blob);
      }),
  );
}
