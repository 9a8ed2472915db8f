// spec/format.md §5 (JSON layout), spec/seal.md §3 (the seal member's layout).
/**
 * The vault reader's fast path for the seal member (readSealMember in src/format/vault-codec.ts)
 * gives exactly what the general JSON reader gives: the same tree, or the same error, for seal
 * members in the layout we write and for every small change to it (other whitespace, number
 * forms, escapes, member order, a name given twice, an extra member, a truncation).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsonNode, parseJson } from '../../src/format/json.js';
import { parseVaultText } from '../../src/format/vault-codec.js';

const HEAD =
  '{\n  "version": 3,\n  "iv": "AAAAAAAAAAAAAAAAAAAAAA==",\n  "secrets": {\n    "A": {\n' +
  '      "iv": "AAAAAAAAAAAAAAAAAAAAAA==",\n      "hmac": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",\n' +
  '      "payload": "AAAAAAAAAAAAAAAAAAAAAA=="\n    }\n  }';

/** What the codec makes of `text`: its `seal` member, or the error message. */
function viaCodec(text: string): JsonNode | string | undefined {
  try {
    return parseVaultText(text, 'v').extras.find(([key]) => key === 'seal')?.[1];
  } catch (err) {
    return (err as Error).message;
  }
}

/** What the general reader makes of `text`: its `seal` member, or the codec's error message. */
function viaGeneralReader(text: string): JsonNode | string | undefined {
  let root: JsonNode;
  try {
    root = parseJson(text);
  } catch (err) {
    return `v is not valid JSON: ${(err as Error).message}`;
  }
  return root.kind === 'object' ? root.entries.find(([key]) => key === 'seal')?.[1] : undefined;
}

const ws = fc.constantFrom('', ' ', '\n      ', '\t', '\r\n');
const base64ish = fc.stringMatching(/^[A-Za-z0-9+/]{0,44}={0,2}$/);
const stringBody = fc.oneof(
  { weight: 4, arbitrary: base64ish },
  fc.constantFrom('a\\"b', 'x\\u0041', 'tab\\t', 'ü', '😀', ''),
);
const number = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 5 }).map(String) },
  fc.constantFrom('0', '01', '1.0', '1e2', '-1', '12345678901234567', '9007199254740993'),
);
const name = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('A', 'B', 'C', 'D') },
  fc.constantFrom('a\\"q', 'é', '\\u00e9', ''),
);

interface Line {
  name: string;
  members: [string, string][];
}

const line: fc.Arbitrary<Line> = fc.record({
  name,
  members: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(number, stringBody, stringBody).map(([g, t, m]): [string, string][] => [
        ['generation', g],
        ['tag', `"${t}"`],
        ['mac', `"${m}"`],
      ]),
    },
    fc
      .tuple(number, stringBody, stringBody, fc.constantFrom('extra', 'tag', 'mac'))
      .chain(([g, t, m, extra]) =>
        fc.shuffledSubarray(
          [
            ['generation', g],
            ['tag', `"${t}"`],
            ['mac', `"${m}"`],
            [extra, '1'],
          ] as [string, string][],
          { minLength: 0, maxLength: 4 },
        ),
      ),
  ),
});

/** A seal member's text with whitespace `w` between tokens. */
function sealText(
  format: string,
  generation: string,
  mac: string,
  lines: Line[],
  w: string,
  extraMember: boolean,
): string {
  const object = (members: string[]): string =>
    members.length === 0 ? `{${w}}` : `{${w}${members.join(`${w},${w}`)}${w}}`;
  const lineText = (l: Line): string =>
    `"${l.name}"${w}:${w}${object(l.members.map(([k, v]) => `"${k}"${w}:${w}${v}`))}`;
  const head = [
    `"format"${w}:${w}${format}`,
    `"generation"${w}:${w}${generation}`,
    `"mac"${w}:${w}"${mac}"`,
    `"names"${w}:${w}${object(lines.map(lineText))}`,
  ];
  if (extraMember) head.push(`"more"${w}:${w}[]`);
  return object(head);
}

describe('the seal member: the fast path reads what the general reader reads', () => {
  it('the same tree, or the same error, for seal members near the layout we write', () => {
    fc.assert(
      fc.property(
        number,
        number,
        stringBody,
        fc.array(line, { maxLength: 6 }),
        ws,
        fc.boolean(),
        fc.nat(),
        fc.boolean(),
        (format, generation, mac, lines, w, extraMember, cut, truncate) => {
          const seal = sealText(format, generation, mac, lines, w, extraMember);
          let text = `${HEAD},\n  "seal": ${seal}\n}`;
          if (truncate) text = text.slice(0, HEAD.length + 12 + (cut % (seal.length + 2)));
          expect(viaCodec(text)).toEqual(viaGeneralReader(text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('lines of one save share their generation and mac members, with the values as written', () => {
    const lines: Line[] = ['A', 'B', 'C'].map((n, i) => ({
      name: n,
      members: [
        ['generation', i === 2 ? '2' : '1'],
        ['tag', `"T${n}"`],
        ['mac', i === 2 ? '"M2"' : '"M1"'],
      ],
    }));
    const text = `${HEAD},\n  "seal": ${sealText('1', '1', 'M', lines, '\n    ', false)}\n}`;
    const seal = viaCodec(text) as Extract<JsonNode, { kind: 'object' }>;
    expect(seal).toEqual(viaGeneralReader(text));
    const names = seal.entries[3]![1] as Extract<JsonNode, { kind: 'object' }>;
    const members = names.entries.map(
      ([, node]) => (node as Extract<JsonNode, { kind: 'object' }>).entries,
    );
    expect(members[1]![0]).toBe(members[0]![0]);
    expect(members[1]![2]).toBe(members[0]![2]);
    expect(members[2]![0]).toEqual(['generation', { kind: 'number', raw: '2' }]);
    expect(members[2]![2]).toEqual(['mac', { kind: 'string', value: 'M2' }]);
  });
});

describe('the seal member: names out of order or given twice, in the layout we write', () => {
  /** The seal's lines of a vault with secrets a, b and c, in the layout our writer uses. */
  const LINES = ['a', 'b', 'c'].map(
    (n) =>
      `      "${n}": {\n        "generation": 1,\n        "tag": "T${n}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",\n        "mac": "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="\n      }`,
  );
  const vaultWith = (lines: string[]): string =>
    `${HEAD},\n  "seal": {\n    "format": 1,\n    "generation": 1,\n    "mac": "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",\n    "names": {\n${lines.join(',\n')}\n    }\n  }\n}\n`;
  const [a, b, c] = LINES as [string, string, string];
  const renamed = (line: string, name: string): string =>
    line.replace(/^ {6}"[a-c]"/, `      "${name}"`);

  it.each([
    ['in order', [a, b, c], null],
    ['out of order, all distinct', [c, a, b], null],
    ['out of order, then in order', [b, a, c], null],
    ['a name twice in a row', [a, renamed(b, 'a'), c], 'twice'],
    ['a name twice, the second after a name out of order', [c, a, renamed(b, 'c')], 'twice'],
    ['a name twice, apart, after a name out of order', [b, a, renamed(c, 'b')], 'twice'],
  ] as const)('%s: the fast path gives what the general reader gives', (_, lines, error) => {
    const text = vaultWith([...lines]);
    const general = viaGeneralReader(text);
    expect(viaCodec(text)).toEqual(general);
    if (error === null) {
      expect(general).toMatchObject({ kind: 'object' });
      const names = (general as Extract<JsonNode, { kind: 'object' }>).entries.find(
        ([k]) => k === 'names',
      )?.[1] as Extract<JsonNode, { kind: 'object' }>;
      expect(names.entries.map(([k]) => k)).toEqual(lines.map((l) => /^ {6}"([a-c])"/.exec(l)![1]));
    } else {
      expect(typeof general).toBe('string');
      expect(general).toMatch(/duplicate|twice/i);
    }
  });
});
