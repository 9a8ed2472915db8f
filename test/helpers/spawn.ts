/**
 * Running the real `ssclient` asynchronously, so that several can run at once and stdin can be
 * closed, left open, or fed bytes. Every run has a hard timeout: a hang fails the test instead
 * of blocking the suite.
 */
import { spawn } from 'node:child_process';
import { BIN, type CliResult } from './cli.js';

export interface SpawnOptions {
  cwd: string;
  /** Bytes for stdin (then it is closed); `null` gives the process /dev/null as stdin. */
  input?: string | Uint8Array | null;
  /** Extra environment (added to a clean PATH and HOME). */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** The result of a process that was killed because it did not finish in time. */
export class ProcessTimeout extends Error {
  constructor(argv: readonly string[], ms: number) {
    super(`ssclient ${argv.join(' ')} did not finish within ${ms} ms`);
  }
}

/** Runs `node bin/ssclient.js ...argv`; rejects with ProcessTimeout if it does not exit in time. */
export function spawnCli(argv: readonly string[], options: SpawnOptions): Promise<CliResult> {
  return spawnCommand(process.execPath, [BIN, ...argv], options);
}

/** Runs any command with the same clean environment and timeout as {@link spawnCli}. */
export function spawnCommand(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: [options.input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ProcessTimeout(args, timeoutMs));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code: code ?? (signal !== null ? -1 : -2),
        stdout: stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (child.stdin !== null) {
      child.stdin.on('error', () => {}); // the process may exit before reading stdin
      child.stdin.end(options.input === undefined ? '' : options.input);
    }
  });
}
