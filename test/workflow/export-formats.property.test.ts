/**
 * `--format dotenv` against the dotenv readers people use (issue 15, item 1): over generated
 * hostile values (quotes of each kind, backslashes, `$`, backticks, newlines, `#`, leading and
 * trailing spaces, any Unicode), every value is either read back exactly by npm `dotenv` (both
 * of its parsers, in-process) and by python-dotenv (a real python3 process, with its default
 * interpolation), or refused with an ERR_EXPORT error naming its secret. bash is checked in
 * export.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSecureStoreError } from '../../src/errors.js';
import { type EnvValue, toEnvValues } from '../../src/workflow/env-values.js';
import { dotenvQuote, formatDotenv } from '../../src/workflow/export-formats.js';
import { tempDir } from '../helpers/vaults.js';
import {
  pythonsWithDotenv,
  readWithNpmDotenv,
  readWithPythonDotenv,
} from '../helpers/dotenv-readers.js';
import { hostileText } from '../helpers/arbitraries.js';

const edge = fc.constantFrom('', ' ', '  ', '\t', '\n', '#', "'", '"', '\\', '$', '`');
/** Hostile text, often with spaces, quotes or backslashes at either end. */
const value = fc
  .tuple(edge, hostileText, edge)
  .map(([a, b, c]) => `${a}${b}${c}`)
  .filter((v) => !v.includes('\0'));

const entries = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/), value), {
  selector: ([n]) => n,
  minLength: 1,
  maxLength: 8,
});

function refusalOf(values: readonly EnvValue[]): string | null {
  try {
    formatDotenv(values);
    return null;
  } catch (err) {
    expect(isSecureStoreError(err, 'ERR_EXPORT')).toBe(true);
    return (err as Error).message;
  }
}

describe('--format dotenv read by npm dotenv and python-dotenv', () => {
  let t = { dir: '', cleanup: () => {} };
  beforeAll(() => {
    t = tempDir('ssclient-dotenv-');
  });
  afterAll(() => t.cleanup());

  it('every value comes back exact, or the export refuses naming it', () => {
    const pythons = pythonsWithDotenv();
    // .ci/run installs python3-dotenv: a machine without it is not a place to pass this test.
    expect(pythons.length).toBeGreaterThan(0);
    const files: string[] = [];
    const expected: Map<string, string>[] = [];
    let written = 0;
    let refused = 0;
    mkdirSync(join(t.dir, 'runs'));
    fc.assert(
      fc.property(entries, (list) => {
        const values = toEnvValues(
          list.map(([name, v]) => ({ name, bytes: Buffer.from(v, 'utf8') })),
          {},
        );
        const refuse = values.filter((v) => typeof dotenvQuote(v.value) !== 'string');
        const keep = values.filter((v) => typeof dotenvQuote(v.value) === 'string');
        const message = refusalOf(values);
        if (refuse.length === 0) {
          expect(message).toBeNull();
        } else {
          expect(message).not.toBeNull();
          expect(message).not.toContain('\n');
          for (const v of refuse) expect(message).toContain(JSON.stringify(v.name));
          for (const v of keep) expect(message).not.toContain(JSON.stringify(v.name));
          expect(message).toContain('--format shell');
        }
        written += keep.length;
        refused += refuse.length;
        const text = formatDotenv(keep);
        const want = new Map(keep.map((v) => [v.variable, v.value]));
        const npm = readWithNpmDotenv(text);
        expect(new Map(Object.entries(npm.classic))).toEqual(want);
        expect(new Map(Object.entries(npm.fast))).toEqual(want);
        const file = join(t.dir, 'runs', `${files.length}.env`);
        writeFileSync(file, text);
        files.push(file);
        expected.push(want);
      }),
      { numRuns: 300 },
    );
    // Both paths were taken, and most values are written.
    expect(written).toBeGreaterThan(refused);
    expect(refused).toBeGreaterThan(0);

    for (const { python, version } of pythons) {
      const { values, stderr } = readWithPythonDotenv(python, files);
      expect(stderr, `python-dotenv ${version} warned`).toBe('');
      values.forEach((got, i) => {
        expect(new Map(Object.entries(got)), `python-dotenv ${version} on ${files[i]}`).toEqual(
          expected[i],
        );
      });
    }
  });

  it('the values of issue 15 are written for every reader or refused by name', () => {
    const values = toEnvValues(
      [
        { name: 'DB_PASSWORD', bytes: Buffer.from(`p"w'\\n$x\`q`) },
        { name: 'PEM', bytes: Buffer.from('-----BEGIN X-----\nAAA=\n-----END X-----\n') },
        { name: 'QUOTE', bytes: Buffer.from(`it's`) },
        { name: 'WIN', bytes: Buffer.from('C:\\Users\\me') },
        { name: 'CRLF', bytes: Buffer.from('a\r\nb') },
        { name: 'TPL', bytes: Buffer.from('${HOME}/x') },
        { name: 'HASH', bytes: Buffer.from(' # not a comment ') },
      ],
      {},
    );
    expect(refusalOf(values)).toBe(
      `secrets "DB_PASSWORD" (it holds ' together with ", \\, $ or a backtick), "CRLF" (it holds a carriage return), "TPL" (python-dotenv would expand its \${…}) cannot be written in --format dotenv so that shells, npm dotenv, python-dotenv and docker compose all read them back exactly: --format shell writes any value for sh/bash (source, eval), --format json or yaml for programs; or leave them out with --only`,
    );
    const keep = values.filter((v) => !['DB_PASSWORD', 'CRLF', 'TPL'].includes(v.name));
    expect(formatDotenv(keep)).toBe(
      `PEM='-----BEGIN X-----\nAAA=\n-----END X-----\n'\nQUOTE="it's"\nWIN='C:\\Users\\me'\nHASH=' # not a comment '\n`,
    );
    expect(
      refusalOf(toEnvValues([{ name: 'unc', bytes: Buffer.from('\\\\server\\share') }], {})),
    ).toBe(
      'secret "unc" (it holds two backslashes in a row or ends in one, which python-dotenv or compose read differently) cannot be written in --format dotenv so that shells, npm dotenv, python-dotenv and docker compose all read it back exactly: --format shell writes any value for sh/bash (source, eval), --format json or yaml for programs; or leave it out with --only',
    );
  });
});
