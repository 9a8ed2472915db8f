/**
 * Running the `git` binary: argument arrays only (never a shell), output as bytes, and failures
 * turned into one-line ERR_GIT errors that name the command.
 */
import { spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { fail, ioError, SecureStoreError } from '../errors.js';

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
 * Locates `file` (which need not exist) in the work tree that contains `dir`.
 * @throws SecureStoreError ERR_GIT when `dir` is not inside a git work tree.
 */
export async function locateInRepo(file: string, dir: string): Promise<RepoPath> {
  // spawn reports a missing cwd as ENOENT, which would read as "git is not installed".
  await realpath(dir).catch((err: unknown) => {
    throw ioError(err, 'use the directory', dir);
  });
  const result = await runGit(['rev-parse', '--show-toplevel'], { cwd: dir });
  if (result.code !== 0) {
    fail('ERR_GIT', `${dir} is not inside a git work tree (git rev-parse failed)`);
  }
  const top = await realpath(result.stdout.toString('utf8').replace(/\n$/, ''));
  const realDir = await realpath(dir);
  const base = file.slice(file.lastIndexOf(sep) + 1);
  const rel = relative(top, `${realDir}${sep}${base}`);
  if (rel.startsWith('..')) fail('ERR_GIT', `${file} is outside the git work tree ${top}`);
  return { top, path: rel.split(sep).join('/') };
}
