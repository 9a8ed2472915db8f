/**
 * Running the `git` binary: argument arrays only (never a shell), output as bytes, and failures
 * turned into one-line ERR_GIT errors that name the command.
 */
import { spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fail, SecureStoreError } from '../errors.js';

export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs `git args…` in `cwd`. Resolves with the exit code; rejects only when git cannot start. */
export function runGit(
  args: readonly string[],
  options: { cwd: string; input?: string | Uint8Array; env?: NodeJS.ProcessEnv },
): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        new SecureStoreError(
          'ERR_GIT',
          e.code === 'ENOENT'
            ? 'git is not installed or not on PATH; install git to use this command'
            : `cannot run git: ${e.code ?? e.message}`,
          { cause: e },
        ),
      );
    });
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? -1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {}); // git may exit before reading all of its input
    child.stdin.end(options.input ?? '');
  });
}

/** Runs git and returns its stdout; a non-zero exit is an ERR_GIT error with git's own message. */
export async function gitOutput(
  args: readonly string[],
  options: { cwd: string; input?: string | Uint8Array },
): Promise<Buffer> {
  const result = await runGit(args, options);
  if (result.code !== 0) {
    const why = firstLine(result.stderr) || `exit status ${result.code}`;
    fail('ERR_GIT', `git ${args[0]} failed: ${why}`);
  }
  return result.stdout;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** Where a file lies in its git work tree. */
export interface RepoPath {
  /** The top of the work tree (real path). */
  readonly top: string;
  /** The file's path from the top, with `/` separators, as git names it in a tree. */
  readonly path: string;
}

/**
 * Locates `file` in the work tree that contains it. Neither the file nor its directory need exist
 * (a vault deleted since, read from history): git runs in the nearest existing ancestor.
 * @throws SecureStoreError ERR_GIT when that is not inside a git work tree.
 */
export async function locateInRepo(file: string): Promise<RepoPath> {
  let existing = dirname(file);
  const rest: string[] = [basename(file)];
  let real: string | null = null;
  for (;;) {
    real = await realpath(existing).catch(() => null);
    if (real !== null) break;
    const parent = dirname(existing);
    if (parent === existing) fail('ERR_GIT', `no directory of ${file} exists`);
    rest.unshift(basename(existing));
    existing = parent;
  }
  const result = await runGit(['rev-parse', '--show-toplevel'], { cwd: real });
  if (result.code !== 0) {
    fail('ERR_GIT', `${existing} is not inside a git work tree (git rev-parse failed)`);
  }
  const top = await realpath(result.stdout.toString('utf8').replace(/\n$/, ''));
  const rel = relative(top, join(real, ...rest));
  if (rel === '' || rel.startsWith('..'))
    fail('ERR_GIT', `${file} is outside the git work tree ${top}`);
  return { top, path: rel.split(sep).join('/') };
}
