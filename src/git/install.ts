/**
 * Wiring the merge and diff drivers into a repository (docs/git.md "Install"): one line in the
 * top-level `.gitattributes` per vault, and `merge.securestore.*` / `diff.securestore.*` in the
 * repository's own git config. Both steps are idempotent, and undone by {@link uninstallDrivers}.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail } from '../errors.js';
import {
  appendLines,
  readTextOrEmpty,
  removeFile,
  renameDurable,
  writeFileAtomic,
} from '../io/files.js';
import { gitOutput, type RepoPath, runGit } from './run-git.js';

/** The driver name used in `.gitattributes` and in git config. */
export const DRIVER = 'securestore';

/** The `.gitattributes` pattern for a vault: anchored at the top, C-quoted when it has spaces. */
export function attributePattern(path: string): string {
  if (/[\x00-\x1f\x7f*?[\]!]/.test(path)) {
    fail(
      'ERR_ARGUMENT',
      `cannot name ${JSON.stringify(path)} in .gitattributes: it holds a glob or control character`,
    );
  }
  const anchored = `/${path}`;
  return /[\s"\\]/.test(anchored) ? `"${anchored.replace(/["\\]/g, (c) => `\\${c}`)}"` : anchored;
}

export function attributeLine(path: string): string {
  return `${attributePattern(path)} merge=${DRIVER} diff=${DRIVER}`;
}

/** What an install or uninstall changed, for the one-line report. */
export interface InstallReport {
  readonly attributes: 'added' | 'present' | 'removed' | 'absent';
  readonly config: 'set' | 'removed' | 'kept';
}

/** The git config entries for the drivers, `command` being how to run ssclient. */
export function driverConfig(command: string): [string, string][] {
  return [
    [`merge.${DRIVER}.name`, 'SecureStore vault: merge secrets by name (ssclient)'],
    [`merge.${DRIVER}.driver`, `${command} git merge-driver %O %A %B %P`],
    [`diff.${DRIVER}.textconv`, `${command} git diff-text`],
  ];
}

/** Adds the `.gitattributes` line (once) and sets the driver config. */
export async function installDrivers(where: RepoPath, command: string): Promise<InstallReport> {
  const file = join(where.top, '.gitattributes');
  const text = await readTextOrEmpty(file);
  const line = attributeLine(where.path);
  let attributes: InstallReport['attributes'] = 'present';
  if (!text.split(/\r?\n/).some((l) => l.trim() === line)) {
    await appendLines(file, text, `${line}\n`);
    attributes = 'added';
  }
  for (const [key, value] of driverConfig(command)) {
    await gitOutput(['config', '--local', key, value], { cwd: where.top });
  }
  return { attributes, config: 'set' };
}

/**
 * Removes the vault's `.gitattributes` line (the file too, when nothing else is left in it) and,
 * when no other line uses the drivers, their git config.
 */
export async function uninstallDrivers(where: RepoPath): Promise<InstallReport> {
  const file = join(where.top, '.gitattributes');
  const text = await readTextOrEmpty(file);
  const line = attributeLine(where.path);
  const lines = text.split('\n');
  const kept = lines.filter((l) => l.replace(/\r$/, '').trim() !== line);
  let attributes: InstallReport['attributes'] = 'absent';
  if (kept.length !== lines.length) {
    const rest = kept.join('\n');
    if (rest.trim() === '') await removeFile(file);
    else await writeFileAtomic(file, rest);
    attributes = 'removed';
  }
  const stillUsed = kept.some((l) => new RegExp(`\\b(merge|diff)=${DRIVER}\\b`).test(l));
  if (stillUsed) return { attributes, config: 'kept' };
  for (const section of [`merge.${DRIVER}`, `diff.${DRIVER}`]) {
    // Exit status 128 ("no such section") on a second uninstall is fine: idempotent.
    await runGit(['config', '--local', '--remove-section', section], { cwd: where.top });
  }
  return { attributes, config: 'removed' };
}

/** This package's `bin/ssclient.js` (from dist/git/ or src/git/ alike). */
const OWN_BIN = fileURLToPath(new URL('../../bin/ssclient.js', import.meta.url));

/** A word for the POSIX shell git runs drivers with: single-quoted, `'` written `'\\''`. */
export function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** How git should start ssclient when `git install` is given no `--command`. */
export interface DefaultCommand {
  readonly command: string;
  /** `path`: this ssclient is the one on PATH; `absolute`: node and this bin by absolute path. */
  readonly how: 'path' | 'absolute';
  /** The `ssclient` found first on PATH when it is another program (the Rust ssclient, say). */
  readonly other: string | null;
}

/**
 * The driver command for this installation (docs/git.md "Install"): plain `ssclient` when the
 * `ssclient` that PATH gives is this very program; otherwise this node and this package's bin by
 * absolute path, so that git finds them whatever its PATH (a project-local install run with npx
 * is on no PATH, and another `ssclient` on PATH, such as the reference one, has no git drivers).
 */
export async function defaultDriverCommand(pathEnv: string | undefined): Promise<DefaultCommand> {
  const ownBin = await fs.realpath(OWN_BIN).catch(() => OWN_BIN);
  let other: string | null = null;
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '' || !dir.startsWith('/')) continue;
    const candidate = join(dir, 'ssclient');
    const runnable = await fs.access(candidate, fsConstants.X_OK).then(
      () => true,
      () => false,
    );
    if (!runnable) continue;
    const real = await fs.realpath(candidate).catch(() => candidate);
    if (real === ownBin) return { command: 'ssclient', how: 'path', other: null };
    other = candidate;
    break; // the shell runs the first one
  }
  return {
    command: `${shellWord(process.execPath)} ${shellWord(ownBin)}`,
    how: 'absolute',
    other,
  };
}

/** The line that marks a pre-commit hook as ours (docs/git.md "Pre-commit guard"). */
export const HOOK_MARKER =
  '# ssclient pre-commit guard: installed by "ssclient git install --pre-commit"';

/** The name an existing pre-commit hook is kept under, and run from ours first. */
export const CHAINED_HOOK = 'pre-commit.local';

/**
 * Our pre-commit hook: the hook that was there before (kept as {@link CHAINED_HOOK}) runs first,
 * with the same arguments, and its failure stops the commit as before; then check-staged.
 */
export function preCommitHook(command: string): string {
  return [
    '#!/bin/sh',
    HOOK_MARKER,
    '# (remove with "ssclient git uninstall --pre-commit"; skip once with git commit --no-verify)',
    // ${0%/*}, not dirname: the hook may run with a PATH that holds little more than git.
    `chained="\${0%/*}/${CHAINED_HOOK}"`,
    'if [ -x "$chained" ]; then',
    '  "$chained" "$@" || exit $?',
    'fi',
    `exec ${command} git check-staged`,
    '',
  ].join('\n');
}

/** What `install --pre-commit` or `uninstall --pre-commit` did. */
export interface HookReport {
  /** The hook's path, from the top of the work tree when inside it. */
  readonly hook: string;
  readonly outcome: 'installed' | 'updated' | 'removed' | 'absent' | 'not-ours';
  /** Whether an existing hook was kept as pre-commit.local (install) or put back (uninstall). */
  readonly chained: boolean;
}

/** The hooks directory git runs hooks from (core.hooksPath honoured), absolute. */
export async function hooksDirectory(top: string): Promise<string> {
  const out = await gitOutput(['rev-parse', '--git-path', 'hooks'], { cwd: top });
  return resolve(top, out.toString('utf8').replace(/\n$/, ''));
}

async function exists(path: string): Promise<boolean> {
  return fs.lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Installs the pre-commit hook (docs/git.md "Pre-commit guard"). A hook of ours is rewritten (the
 * command may have changed); another hook is kept as pre-commit.local and run first. Refused when
 * both another hook and a pre-commit.local exist (which to keep is the user's call).
 * @throws SecureStoreError ERR_GIT
 */
export async function installPreCommitHook(top: string, command: string): Promise<HookReport> {
  const dir = await hooksDirectory(top);
  await fs.mkdir(dir, { recursive: true });
  const hook = join(dir, 'pre-commit');
  const shown = displayFrom(top, hook);
  const current = (await exists(hook)) ? await readTextOrEmpty(hook) : null;
  let outcome: HookReport['outcome'] = 'installed';
  if (current !== null && current.includes(HOOK_MARKER)) {
    outcome = 'updated';
  } else if (current !== null) {
    const chained = join(dir, CHAINED_HOOK);
    if (await exists(chained)) {
      fail(
        'ERR_GIT',
        `cannot install the pre-commit hook: ${shown} is another hook and ${displayFrom(top, chained)} exists too; merge them into ${CHAINED_HOOK} and remove ${shown}, then run this again`,
      );
    }
    await renameDurable(hook, chained);
  }
  await writeFileAtomic(hook, preCommitHook(command), { mode: 0o755, forceMode: true });
  const chained = await exists(join(dir, CHAINED_HOOK));
  return { hook: shown, outcome, chained };
}

/**
 * Removes our pre-commit hook and puts back the hook it ran first, if any. Another program's hook
 * is left alone.
 */
export async function uninstallPreCommitHook(top: string): Promise<HookReport> {
  const dir = await hooksDirectory(top);
  const hook = join(dir, 'pre-commit');
  const shown = displayFrom(top, hook);
  if (!(await exists(hook))) return { hook: shown, outcome: 'absent', chained: false };
  if (!(await readTextOrEmpty(hook)).includes(HOOK_MARKER)) {
    return { hook: shown, outcome: 'not-ours', chained: false };
  }
  const chained = join(dir, CHAINED_HOOK);
  if (await exists(chained)) {
    await renameDurable(chained, hook);
    return { hook: shown, outcome: 'removed', chained: true };
  }
  await removeFile(hook);
  return { hook: shown, outcome: 'removed', chained: false };
}

function displayFrom(top: string, path: string): string {
  const rel = relative(top, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split(sep).join('/');
}
