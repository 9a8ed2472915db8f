/**
 * Running `ssclient` in tests: in-process through `main(argv, io)` with a scripted io, or as a
 * real process (`node bin/ssclient.js`, built by `npm test` before vitest runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/terminal.js';
import { main } from '../../src/cli/main.js';

export const BIN = fileURLToPath(new URL('../../bin/ssclient.js', import.meta.url));

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

/** Runs the real `ssclient` as a child process (stdin is a pipe, so never a terminal). */
export function runProcess(
  argv: string[],
  options: {
    cwd: string;
    input?: string | Uint8Array;
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
  },
): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...argv], {
    cwd: options.cwd,
    input: options.input ?? '',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    timeout: options.timeoutMs ?? 20_000,
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

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ssclient-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
