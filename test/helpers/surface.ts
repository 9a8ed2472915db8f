/**
 * Shared by test/cli/surface-*.test.ts: each case runs twice, in-process (`main(argv, io)`) and
 * as a real process (`node bin/ssclient.js`), in fresh copies of the same files; the exit code,
 * stdout and stderr must be as expected, and identical in both.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { type CliResult, runCli, runProcess } from './cli.js';
import { copyVectors, tempDir } from './vaults.js';

/** Cleanups of the directories made so far; call {@link cleanUp} in afterEach. */
export const cleanups: (() => void)[] = [];
export function cleanUp(): void {
  for (const c of cleanups.splice(0)) c();
}

export const PW = 'correct horse battery staple';
export const N2 = 'second\n';
export const DB = 'pgsql123\n';
export const NO_AUTH =
  'error: no password or key given: use -p PASSWORD, --password-file PATH, -k KEYFILE, or set SSCLIENT_PASSWORD\n';
export const CONFLICT = 'error: give only one of -p/--password, --password-file and -k/--key\n';

/**
 * A fresh directory: secrets.json + k.key (vector 03, key only), pw.json (vector 01, password
 * PW), other.key (a key that opens neither), pw.txt / pw-crlf.txt (PW in a file), empty.key.
 */
export function fixtureDir(): string {
  const t = tempDir('ssclient-surface-');
  cleanups.push(t.cleanup);
  copyVectors(t.dir, {
    'secrets.json': '03-key-only.json',
    'k.key': '03-key-only.key',
    'pw.json': '01-password-only.json',
    'other.key': '11-deleted.key',
  });
  writeFileSync(join(t.dir, 'pw.txt'), `${PW}\n`);
  writeFileSync(join(t.dir, 'pw-crlf.txt'), `${PW}\r\n`);
  writeFileSync(join(t.dir, 'empty.key'), '');
  return t.dir;
}

export interface Run {
  env?: Record<string, string>;
  stdin?: string;
  /** Compare only the first stderr line of the two runs (stack traces name src/ vs dist/). */
  firstLineOnly?: boolean;
}

export type Both = { inProcess: CliResult; process: CliResult; dirs: [string, string] };

/** Runs argv in-process and as a process, each in its own fresh fixture directory. */
export async function both(argv: string[], run: Run = {}): Promise<Both> {
  const a = fixtureDir();
  const b = fixtureDir();
  const inProcess = await runCli(argv, {
    cwd: a,
    ...(run.env ? { env: run.env } : {}),
    ...(run.stdin !== undefined ? { stdin: run.stdin } : {}),
  });
  const proc = runProcess(argv, {
    cwd: b,
    ...(run.env ? { env: run.env } : {}),
    ...(run.stdin !== undefined ? { input: run.stdin } : {}),
  });
  // Paths in messages differ only by the directory.
  const norm = (r: CliResult, dir: string) => {
    const stderr = r.stderr.replaceAll(dir, '<dir>');
    return {
      code: r.code,
      stdout: r.stdout,
      stderr: run.firstLineOnly ? stderr.split('\n')[0] : stderr,
    };
  };
  expect(norm(proc, b)).toEqual(norm(inProcess, a));
  return { inProcess, process: proc, dirs: [a, b] };
}

export async function expectRun(
  argv: string[],
  expected: { code: number; stdout?: string; stderr?: string | RegExp },
  run: Run = {},
): Promise<Both> {
  const r = await both(argv, run);
  expect(r.process.code).toBe(expected.code);
  expect(r.process.stdout).toBe(expected.stdout ?? '');
  if (expected.stderr instanceof RegExp) expect(r.process.stderr).toMatch(expected.stderr);
  else expect(r.process.stderr).toBe(expected.stderr ?? '');
  return r;
}

export async function open(
  dir: string,
  store: string,
  auth: { password: string } | { keyFile: string },
): Promise<Record<string, string>> {
  const vault = await SecretsManager.fromFile(join(dir, store), auth);
  try {
    return Object.fromEntries(vault.getAll());
  } finally {
    vault.close();
  }
}
