/**
 * Runs the real `ssclient` as a child process without blocking this worker's event loop, so a
 * KMS server running in the same worker keeps answering. Every run has a bounded timeout.
 */
import { spawn } from 'node:child_process';
import { BIN, type CliResult } from '../helpers/cli.js';

export interface RunOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  /** Arguments for node itself, before the script (e.g. `--import`). */
  nodeArgs?: string[];
}

export function runSsclient(argv: string[], options: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...argv], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== null) {
        reject(new Error(`ssclient ${argv.join(' ')} was killed (${signal}): it timed out`));
        return;
      }
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code: code ?? -1,
        stdout: stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}
