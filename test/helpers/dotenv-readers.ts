/**
 * The dotenv readers people use, for tests of `--format dotenv`: npm `dotenv` in-process (its
 * classic parser and its `fast` one) and python-dotenv in a real python3 process (every python3
 * found with it installed: `.ci/run` installs Debian's python3-dotenv where it is missing).
 */
import { spawnSync } from 'node:child_process';
import { parse as parseNpmDotenv } from 'dotenv';

/** npm dotenv's two parsers on `text`. */
export function readWithNpmDotenv(text: string): {
  classic: Record<string, string>;
  fast: Record<string, string>;
} {
  return { classic: parseNpmDotenv(text), fast: parseNpmDotenv(text, { fast: true }) };
}

const CANDIDATES = ['python3', '/usr/bin/python3'];

/** Every distinct python3 that can import dotenv, with python-dotenv's version. */
export function pythonsWithDotenv(): { python: string; version: string; exe: string }[] {
  const found = new Map<string, { python: string; version: string; exe: string }>();
  for (const python of CANDIDATES) {
    const r = spawnSync(
      python,
      [
        '-c',
        'import sys, dotenv\nfrom importlib.metadata import version\nprint(sys.executable)\nprint(version("python-dotenv"))',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (r.status !== 0) continue;
    const [exe = '', version = ''] = r.stdout.trim().split('\n');
    if (!found.has(exe)) found.set(exe, { python, version, exe });
  }
  return [...found.values()];
}

const READ_ALL = `
import json, sys
from dotenv import dotenv_values
out = [dict(dotenv_values(path)) for path in sys.argv[1:]]
sys.stdout.write(json.dumps(out, ensure_ascii=True))
`;

/**
 * python-dotenv's `dotenv_values` (defaults: interpolation on) on each file, in one process.
 * Its warnings ("could not parse statement") go to stderr, which is returned for the test to
 * check is empty.
 */
export function readWithPythonDotenv(
  python: string,
  files: readonly string[],
): { values: Record<string, string | null>[]; stderr: string } {
  // A clean environment: python-dotenv interpolates ${VAR} from os.environ too.
  const r = spawnSync(python, ['-c', READ_ALL, ...files], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONIOENCODING: 'utf-8', LANG: 'C.UTF-8' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${python} failed: ${r.stderr}`);
  return { values: JSON.parse(r.stdout) as Record<string, string | null>[], stderr: r.stderr };
}
