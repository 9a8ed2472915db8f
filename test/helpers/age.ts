/**
 * Age identities for tests, made by the reference tool (`age-keygen`, Debian package `age`,
 * installed by .ci/run), and the reference `age` run on bytes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestIdentity {
  /** The identity file (mode 0600), as age-keygen writes it. */
  readonly file: string;
  /** Its recipient, `age1…`. */
  readonly recipient: string;
  /** The identity text, `AGE-SECRET-KEY-1…`. */
  readonly secret: string;
}

/** A new X25519 identity from `age-keygen`, written to `dir/name.txt`. */
export function ageKeygen(dir: string, name: string): TestIdentity {
  const file = join(dir, `${name}.txt`);
  execFileSync('age-keygen', ['-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  chmodSync(file, 0o600);
  const recipient = execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
  const secret = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  return { file, recipient, secret };
}

/** `age ARGS` with `input` on stdin; its stdout bytes. */
export function runAge(args: string[], input: Uint8Array): Buffer {
  return execFileSync('age', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeText(dir: string, name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}
