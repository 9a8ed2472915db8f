/**
 * What every command line must satisfy, whatever its arguments (the fuzz tests of test/cli and
 * test/kms): a documented exit code, no stack trace without `--debug`, no secret value on stderr,
 * and, when it fails, every file in its directory as it was.
 */
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { CliResult } from './cli.js';

/** Every file under `dir` (recursively) with its mode and bytes. */
export function snapshotFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path, name);
      else {
        const mode = (statSync(path).mode & 0o777).toString(8);
        out.set(name, `${mode}:${readFileSync(path).toString('base64')}`);
      }
    }
  };
  walk(dir, '');
  return out;
}

export interface CommandLineCheck {
  /** Copied to `dir` before the run. */
  template: string;
  dir: string;
  args: string[];
  run: (args: string[], cwd: string) => Promise<CliResult>;
  documented: ReadonlySet<number>;
  /** A secret value that stderr must never show. */
  secret: string;
}

/** Runs `args` in a fresh copy of the template, checks the rules above, returns the exit code. */
export async function checkCommandLine(check: CommandLineCheck): Promise<number> {
  cpSync(check.template, check.dir, { recursive: true });
  const before = snapshotFiles(check.dir);
  const result = await check.run(check.args, check.dir);
  const what = `ssclient ${JSON.stringify(check.args)} → ${result.code}\n${result.stderr}`;
  expect(check.documented.has(result.code), what).toBe(true);
  if (!check.args.includes('--debug')) expect(result.stderr, what).not.toMatch(/\n\s+at /);
  expect(result.stderr, what).not.toContain(check.secret);
  if (result.code !== 0) expect(snapshotFiles(check.dir), what).toEqual(before);
  return result.code;
}

export interface CommandLineFuzz extends Omit<CommandLineCheck, 'dir' | 'args'> {
  /** Each run gets its own copy of the template under here. */
  scratch: string;
  argv: fc.Arbitrary<string[]>;
  numRuns: number;
  /**
   * Command lines run first on every seed, each with the exit code it must give: they show the
   * runs reach the vault (and KMS), not only the argument parser.
   */
  examples: readonly (readonly [string[], number])[];
}

/** {@link checkCommandLine} for the examples, then for `numRuns` generated command lines. */
export async function assertEveryCommandLine(fuzz: CommandLineFuzz): Promise<void> {
  let run = 0;
  const seen = new Map<string, number>();
  const { argv, numRuns, examples, scratch, ...check } = fuzz;
  await fc.assert(
    fc.asyncProperty(argv, async (args) => {
      run += 1;
      const dir = join(scratch, `r${run}`);
      seen.set(JSON.stringify(args), await checkCommandLine({ ...check, dir, args }));
    }),
    { numRuns, examples: examples.map(([args]) => [args]) },
  );
  for (const [args, code] of examples)
    expect(seen.get(JSON.stringify(args)), args.join(' ')).toBe(code);
}
