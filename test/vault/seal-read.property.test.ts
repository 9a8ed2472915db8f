// spec/seal.md §3 (layout) and §5 (reading): readSeal gives the same seal, or the same error,
// whether the vault reader handed it the lines as text (its fast path) or as a plain tree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonNode } from '../../src/format/json.js';
import { parseVaultText, sealLinesText } from '../../src/format/vault-codec.js';
import { readSeal } from '../../src/vault/seal.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const IV = 'AAAAAAAAAAAAAAAAAAAAAA==';
const HMAC = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const PAYLOAD = 'AAAAAAAAAAAAAAAAAAAAAA==';

/** A copy of a tree made of plain objects (no lazily built members, no fast-path lines). */
function plain(node: JsonNode): JsonNode {
  switch (node.kind) {
    case 'object':
      return { kind: 'object', entries: node.entries.map(([k, v]) => [k, plain(v)]) };
    case 'array':
      return { kind: 'array', items: node.items.map(plain) };
    default:
      return { ...node };
  }
}

function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

// A MAC: usually canonical base64 of 32 bytes, sometimes off by a character or a length.
const mac = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.array(fc.constantFrom(...B64), { minLength: 42, maxLength: 42 }),
        fc.constantFrom(...'AEIMQUYcgkosw048'),
      )
      .map(([a, b]) => `${a.join('')}${b}=`),
  },
  fc.constantFrom('', 'AAAA', `${'A'.repeat(43)}B=`, `${'A'.repeat(42)}_A=`, 'A'.repeat(44)),
);
const generation = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }).map(String) },
  fc.constantFrom('0', '9007199254740993', '12345678901234567'),
);

describe('readSeal: fast-path lines and a plain tree give the same verdict', () => {
  it('the same seal, or the same message, for random seals over random secrets', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom('A', 'B', 'C', 'D', 'E'), { maxLength: 4 }),
        fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'), generation, mac, mac), {
          maxLength: 5,
        }),
        fc.boolean(),
        (secrets, lines, sorted) => {
          const names = sorted ? [...secrets].sort() : secrets;
          const secretsText = names
            .map((n) => `"${n}": {"iv": "${IV}", "hmac": "${HMAC}", "payload": "${PAYLOAD}"}`)
            .join(', ');
          const lineList = sorted ? [...lines].sort((a, b) => (a[0] < b[0] ? -1 : 1)) : lines;
          const linesText = lineList
            .map(([n, g, t, m]) => `"${n}": {"generation": ${g}, "tag": "${t}", "mac": "${m}"}`)
            .join(', ');
          const text =
            `{"version": 3, "iv": "${IV}", "secrets": {${secretsText}}, "seal": {"format": 1, ` +
            `"generation": 1, "mac": "${'A'.repeat(43)}=", "names": {${linesText}}}}`;
          let doc: ReturnType<typeof parseVaultText>;
          try {
            doc = parseVaultText(text, 'v');
          } catch {
            return; // a name given twice: not a vault, nothing for readSeal to read
          }
          const asTree = {
            ...doc,
            extras: doc.extras.map(([k, v]) => [k, plain(v)]),
          } as typeof doc;
          expect(outcome(() => readSeal(doc, 'v'))).toEqual(outcome(() => readSeal(asTree, 'v')));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the vault reader hands a seal in our layout over as lines of text', () => {
    const text =
      `{"version": 3, "iv": "${IV}", "secrets": {}, "seal": {"format": 1, "generation": 1, ` +
      `"mac": "${'A'.repeat(43)}=", "names": {}}}`;
    const seal = parseVaultText(text, 'v').extras[0]![1] as Extract<JsonNode, { kind: 'object' }>;
    expect(sealLinesText(seal.entries[3]![1])).toEqual({
      names: [],
      generations: [],
      tags: [],
      macs: [],
    });
    expect(sealLinesText(plain(seal.entries[3]![1]))).toBeNull();
  });
});
