/**
 * THE helper for running `ssclient` (and other programs) in tests:
 * - {@link runCli}: in-process through `main(argv, io)` with a scripted io;
 * - {@link runProcess}: the real `node bin/ssclient.js` (built by `npm test` before vitest runs),
 *   synchronously, for tests that run one process at a time;
 * - {@link spawnProcess}: the same, asynchronously, so several run at once, stdin can be fed bytes
 *   or be /dev/null, node can get flags (`nodeArgs`), and a KMS server in this worker keeps
 *   answering; {@link spawnCommand} runs any other program (a node script, bash) the same way;
 * - {@link mapLimit}: many runs with at most N in flight.
 * Every process gets a clean environment (PATH and HOME, plus `env`; an `undefined` value unsets
 * the variable) and a hard timeout: a hang fails the test instead of blocking the suite.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/terminal.js';
import { main } from '../../src/cli/main.js';

export const BIN = fileURLToPath(new URL('../../bin/ssclient.js', import.meta.url));
/**
 * Runs the CLI from the separate modules tsc built in dist/cli, not from the one-file bundle
 * bin/ssclient.js loads: for tests of which modules a command loads (test/cli/lazy-loading.test.ts).
 */
export const MODULAR_BIN = fileURLToPath(new URL('./modular-bin.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

export interface FakeIoOptions {
  cwd: string;
  stdin?: string | Uint8Array;
  tty?: boolean;
  env?: Record<string, string | undefined>;
  /** Answers for masked prompts, in order. */
  secrets?: string[];
  /** Answers for [y/n] prompts, in order. */
  confirms?: boolean[];
}

/** Runs `main` in-process; prompts are answered from `secrets` / `confirms` (and recorded). */
export async function runCli(
  argv: string[],
  options: FakeIoOptions,
): Promise<CliResult & { prompts: string[] }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const prompts: string[] = [];
  const secrets = [...(options.secrets ?? [])];
  const confirms = [...(options.confirms ?? [])];
  const io: CliIo = {
    stdout: { write: (c) => out.push(Buffer.from(c)) },
    stderr: { write: (c) => err.push(Buffer.from(c)) },
    stdinIsTTY: options.tty ?? false,
    readStdin: async () => Buffer.from(options.stdin ?? ''),
    env: options.env ?? {},
    cwd: options.cwd,
    prompter: {
      secret: async (message) => {
        prompts.push(message);
        const answer = secrets.shift();
        if (answer === undefined) throw new Error(`unexpected prompt ${message}`);
        return answer;
      },
      confirm: async (message) => {
        prompts.push(message);
        const answer = confirms.shift();
        if (answer === undefined) throw new Error(`unexpected confirmation ${message}`);
        return answer;
      },
    },
  };
  const code = await main(argv, io);
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    stdout: stdoutBytes.toString('utf8'),
    stdoutBytes,
    stderr: Buffer.concat(err).toString('utf8'),
    prompts,
  };
}

/** Options of a real process (the same for {@link runProcess}, {@link spawnProcess}, {@link spawnCommand}). */
export interface ProcessOptions {
  cwd: string;
  /** Bytes for stdin (then it is closed; default empty); `null` gives the process /dev/null. */
  input?: string | Uint8Array | null;
  /** Added to a clean PATH and HOME; a variable set to `undefined` is left out. */
  env?: Record<string, string | undefined>;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Arguments for node itself, before the script (e.g. `--import`). */
  nodeArgs?: readonly string[];
  /** The script to run instead of bin/ssclient.js (e.g. {@link MODULAR_BIN}). */
  bin?: string;
}

/** What a real process did: {@link CliResult} plus the signal that ended it, if any. */
export interface ProcessResult extends CliResult {
  /** -1 when the process was ended by a signal. */
  code: number;
  signal: NodeJS.Signals | null;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function cleanEnv(env: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/** Runs the real `ssclient` as a child process, synchronously (stdin is a pipe, never a terminal). */
export function runProcess(argv: readonly string[], options: ProcessOptions): CliResult {
  const bin = options.bin ?? BIN;
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), bin, ...argv], {
    cwd: options.cwd,
    input: options.input ?? '',
    env: cleanEnv(options.env),
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return {
    code: result.status ?? -1,
    stdout: result.stdout.toString('utf8'),
    stdoutBytes: result.stdout,
    stderr: result.stderr.toString('utf8'),
  };
}

/** A process that was killed because it did not finish in time. */
export class ProcessTimeout extends Error {
  constructor(command: readonly string[], ms: number) {
    super(`${command.join(' ')} did not finish within ${ms} ms`);
  }
}

/** Runs `node bin/ssclient.js ...argv`; rejects with ProcessTimeout if it does not exit in time. */
export function spawnProcess(
  argv: readonly string[],
  options: ProcessOptions,
): Promise<ProcessResult> {
  const bin = options.bin ?? BIN;
  return spawnCommand(process.execPath, [...(options.nodeArgs ?? []), bin, ...argv], options);
}

/**
 * Runs any program (`file` with `args`; `nodeArgs` is ignored) with the same clean environment
 * and timeout as {@link spawnProcess}.
 */
export function spawnCommand(
  file: string,
  args: readonly string[],
  options: ProcessOptions,
): Promise<ProcessResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: [options.input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ProcessTimeout([file, ...args], timeoutMs));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code: code ?? -1,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (child.stdin !== null) {
      child.stdin.on('error', () => {}); // the process may exit before reading stdin
      child.stdin.end(options.input ?? '');
    }
  });
}

/** Maps `items` through `fn` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
