/**
 * What `git check-staged` looks for (src/git/check-staged.ts, docs/git.md "Pre-commit guard"):
 * every export our formats write of a value holds one of that value's needles, whenever the
 * value has a run of 8 bytes or more (spaces at its ends not counted) between the characters
 * exports escape. A value made only of shorter runs is found as it is or JSON-escaped (the
 * documented limit).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecureStoreError } from '../../src/errors.js';
import {
  ESCAPED_IN_EXPORTS,
  MIN_VALUE_BYTES,
  secretNeedles,
  secretsFoundIn,
} from '../../src/git/check-staged.js';
import { EXPORT_FORMATS, formatExport } from '../../src/workflow/export-formats.js';
import { formatJson, toSecretValue } from '../../src/cli/output.js';
import { hostileText } from '../helpers/arbitraries.js';

/** Hostile text with long plain runs often enough that there is something to look for. */
const value = fc
  .array(fc.oneof(hostileText, fc.stringMatching(/^[A-Za-z0-9 ._:/@+-]{8,16}$/)), {
    minLength: 1,
    maxLength: 4,
  })
  .map((parts) => parts.join(''));

describe('check-staged needles', () => {
  it('every export of a value with needles holds one of them', async () => {
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const bytes = Buffer.from(v, 'utf8');
        const runs = v.split(new RegExp(ESCAPED_IN_EXPORTS.source, 'g'));
        fc.pre(runs.some((r) => Buffer.byteLength(r.trim(), 'utf8') >= MIN_VALUE_BYTES));
        const needles = secretNeedles(bytes);
        const secrets = [{ name: 'S', vault: 'secrets.json', needles }];
        const outputs: [string, string][] = [['json', formatJson([toSecretValue('S', bytes)])]];
        for (const format of EXPORT_FORMATS) {
          try {
            outputs.push([format, await formatExport(format, [{ name: 'S', bytes }])]);
          } catch (err) {
            if (!isSecureStoreError(err)) throw err; // dotenv refuses some values, naming them
          }
        }
        for (const [format, text] of outputs) {
          expect([format, secretsFoundIn(Buffer.from(text, 'utf8'), secrets)]).toEqual([
            format,
            ['S'],
          ]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the index finds exactly the secrets a plain search finds', () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 24 }).map((b) => b.map((x) => x % 4));
    fc.assert(
      fc.property(
        fc.array(
          fc.uint8Array({ minLength: 8, maxLength: 12 }).map((b) => b.map((x) => x % 4)),
          {
            maxLength: 6,
          },
        ),
        fc.array(fc.oneof(bytes, fc.nat(5)), { maxLength: 6 }),
        (values, parts) => {
          const secrets = values.map((v, i) => ({
            name: `S${i}`,
            vault: 'v',
            needles: [Buffer.from(v)],
          }));
          // Haystacks made of random bytes and whole values, over a four-letter alphabet, so that
          // near misses and overlaps are common.
          const haystack = Buffer.concat(
            parts.map((p) =>
              typeof p === 'number' ? Buffer.from(values[p] ?? []) : Buffer.from(p),
            ),
          );
          const plain = secrets
            .filter((s) => s.needles.some((n) => haystack.includes(n)))
            .map((s) => s.name);
          expect(secretsFoundIn(haystack, secrets)).toEqual(plain);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a value without needles is looked for nowhere', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string({ maxLength: 7 }), fc.stringMatching(/^[ \t\n]{0,4}$/)),
        ([v, pad]) => {
          fc.pre(Buffer.byteLength(v, 'utf8') < MIN_VALUE_BYTES);
          expect(secretNeedles(Buffer.from(`${pad}${v}${pad}`, 'utf8'))).toEqual([]);
        },
      ),
    );
  });
});
