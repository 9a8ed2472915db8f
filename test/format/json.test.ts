// spec/format.md §5 (JSON layout: order kept, duplicates refused, numbers kept as written) and §7.
/**
 * The strict JSON reader: keeps entries in file order (integer-like names too), refuses
 * duplicates, keeps numbers as written, refuses what JSON does not allow; and the pretty writer
 * lays values out as serde_json's pretty printer (= JSON.stringify(value, null, 2)).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type JsonNode,
  JsonSyntaxError,
  nodeFromValue,
  parseJson,
  valueFromNode,
  writeJson,
} from '../../src/format/json.js';
import { SecureStoreError } from '../../src/errors.js';

const entries = (node: JsonNode): [string, JsonNode][] => {
  if (node.kind !== 'object') throw new Error(`not an object: ${node.kind}`);
  return node.entries;
};

describe('parseJson', () => {
  it('keeps object entries in file order, integer-like and __proto__ names included', () => {
    const node = parseJson('{"b": 1, "10": 2, "2": 3, "__proto__": 4, "a": 5, "": 6}');
    expect(entries(node).map(([k]) => k)).toEqual(['b', '10', '2', '__proto__', 'a', '']);
  });

  it('keeps numbers exactly as written', () => {
    const node = parseJson('[3, 3.0, 3e0, -0, 1E+400, 0.1000, 123456789012345678901234567890]');
    if (node.kind !== 'array') throw new Error('not an array');
    expect(node.items).toEqual(
      ['3', '3.0', '3e0', '-0', '1E+400', '0.1000', '123456789012345678901234567890'].map(
        (raw) => ({ kind: 'number', raw }),
      ),
    );
  });

  it('decodes every escape, including surrogate pairs written as two \\u escapes', () => {
    const node = parseJson('"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 \\u0000"');
    expect(node).toEqual({ kind: 'string', value: '" \\ / \b \f \n \r \t é 😀 \u0000' });
  });

  it.each([
    ['{"a": 1, "a": 2}', 'duplicate name "a"'],
    ['{"a": 1, "\\u0061": 2}', 'duplicate name "a"'],
    ['{"a": 1,}', 'expected a quoted name'],
    ['[1, 2,]', 'unexpected character "]"'],
    ['{"a" 1}', 'expected ":"'],
    ["{'a': 1}", 'expected a quoted name'],
    ['{a: 1}', 'expected a quoted name'],
    ['[NaN]', 'unexpected character "N"'],
    ['[Infinity]', 'unexpected character "I"'],
    ['[-Infinity]', 'invalid number'],
    ['[01]', 'expected "," or "]"'],
    ['[1.]', 'expected "," or "]"'],
    ['[.5]', 'unexpected character "."'],
    ['[+1]', 'unexpected character "+"'],
    ['[0x10]', 'expected "," or "]"'],
    ['"\t"', 'unescaped control character in a string'],
    ['"\\x41"', 'invalid escape'],
    ['"\\u12"', 'invalid \\u escape'],
    ['"\\u12G4"', 'invalid \\u escape'],
    ['"abc', 'unterminated string'],
    ['[tru]', 'invalid literal'],
    ['[True]', 'unexpected character "T"'],
    ['{} {}', 'unexpected data after the end of the document'],
    ['{}x', 'unexpected data after the end of the document'],
    ['// c\n{}', 'unexpected character "/"'],
    ['\u00a0{}', 'unexpected character "\u00a0"'],
    ['', 'unexpected end of the document'],
    ['[', 'unexpected end of the document'],
  ])('refuses %j: %s', (text, reason) => {
    let caught: unknown;
    try {
      parseJson(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JsonSyntaxError);
    expect((caught as JsonSyntaxError).reason).toBe(reason);
  });

  it('reports the line and column of the problem', () => {
    let caught: unknown;
    try {
      parseJson('{\n  "a": 1,\n  "a": 2\n}');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ line: 3, column: 3 });
    expect((caught as Error).message).toBe('duplicate name "a" at line 3, column 3');
  });

  it('refuses nesting deeper than 64 levels without overflowing the stack', () => {
    expect(() => parseJson(`${'['.repeat(64)}${']'.repeat(64)}`)).not.toThrow();
    expect(() => parseJson(`${'['.repeat(66)}${']'.repeat(66)}`)).toThrow('nesting is too deep');
    expect(() => parseJson('['.repeat(1_000_000))).toThrow('nesting is too deep');
  });

  it('accepts surrounding JSON whitespace only', () => {
    expect(parseJson(' \t\r\n{}\n ')).toEqual({ kind: 'object', entries: [] });
  });
});

describe('writeJson', () => {
  // Plain JSON values without duplicate keys: our writer must match JSON.stringify(v, null, 2)
  // (serde_json's pretty printer lays out the same way).
  const value = fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.string({ unit: 'grapheme' }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('any'), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('any'), { maxKeys: 4 }),
    ),
  })).any;

  it('lays out values as JSON.stringify(value, null, 2), and parses back to the same text', () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = JSON.stringify(v, null, 2);
        expect(writeJson(parseJson(text), '')).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('indents nested values from the given indent', () => {
    expect(writeJson(parseJson('{"a":[1,{}],"b":[]}'), '  ')).toBe(
      '{\n    "a": [\n      1,\n      {}\n    ],\n    "b": []\n  }',
    );
  });
});

// What the mutation run (npm run mutate, test/README.md) found no test of the run reaching: the
// one converter between plain values and trees, and duplicate names in a large object.
describe('nodeFromValue and valueFromNode', () => {
  const problem = (value: unknown): string => {
    try {
      nodeFromValue(value, 'the vault object');
    } catch (e) {
      if (e instanceof SecureStoreError) return `${e.code} ${e.message}`;
      throw e;
    }
    return 'no error';
  };

  it('convert each kind of value, and back with the numbers the caller makes', () => {
    const value = { a: [1, true, null, 's', { b: 2.5, c: false }], ['__proto__']: -0.5e-7 };
    const node = nodeFromValue(value, 'w');
    expect(node).toEqual({
      kind: 'object',
      entries: [
        [
          'a',
          {
            kind: 'array',
            items: [
              { kind: 'number', raw: '1' },
              { kind: 'literal', value: true },
              { kind: 'literal', value: null },
              { kind: 'string', value: 's' },
              {
                kind: 'object',
                entries: [
                  ['b', { kind: 'number', raw: '2.5' }],
                  ['c', { kind: 'literal', value: false }],
                ],
              },
            ],
          },
        ],
        ['__proto__', { kind: 'number', raw: '-5e-8' }],
      ],
    });
    const back = valueFromNode(node, (raw) => `#${raw}`) as Record<string, unknown>;
    expect(back.a).toEqual(['#1', true, null, 's', { b: '#2.5', c: false }]);
    expect(Object.getOwnPropertyNames(back)).toEqual(['a', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe('#-5e-8');
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(valueFromNode(parseJson('"x"'), Number)).toBe('x');
    expect(valueFromNode(parseJson('[]'), Number)).toEqual([]);
  });

  it('refuses what JSON cannot hold, and nesting past 64 levels', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 64; i++) deep = [deep];
    expect(problem(deep)).toBe('no error');
    expect(problem([deep])).toBe('ERR_VAULT_FORMAT the vault object is nested too deeply');
    let objects: unknown = 1;
    for (let i = 0; i < 64; i++) objects = { a: objects };
    expect(problem(objects)).toBe('no error');
    expect(problem({ a: objects })).toBe('ERR_VAULT_FORMAT the vault object is nested too deeply');
    expect(problem({ a: Number.NaN })).toBe(
      'ERR_VAULT_FORMAT the vault object holds a non-finite number',
    );
    expect(problem([Infinity])).toBe('ERR_VAULT_FORMAT the vault object holds a non-finite number');
    expect(problem({ a: () => 1 })).toBe(
      'ERR_VAULT_FORMAT the vault object holds a function, which JSON cannot',
    );
    expect(problem([undefined])).toBe(
      'ERR_VAULT_FORMAT the vault object holds a undefined, which JSON cannot',
    );
    expect(problem(1n)).toBe('ERR_VAULT_FORMAT the vault object holds a bigint, which JSON cannot');
  });
});

describe('duplicate names in an object of more than 16 members', () => {
  it('are found whether they come before or after the 16th', () => {
    const members = Array.from({ length: 20 }, (_, i) => `"k${i}":${i}`);
    expect(() => parseJson(`{${members.join(',')}}`)).not.toThrow();
    for (const [dup, column] of [
      ['k0', 1 + members.join(',').length + 2],
      ['k19', 1 + members.join(',').length + 2],
    ] as const) {
      const text = `{${members.join(',')},"${dup}":0}`;
      expect(() => parseJson(text)).toThrow(
        new JsonSyntaxError(`duplicate name "${dup}"`, 1, column),
      );
    }
    const early = `{${members.slice(0, 16).join(',')},"k3":0}`;
    expect(() => parseJson(early)).toThrow(/^duplicate name "k3" at line 1, column \d+$/);
  });
});

describe('string errors after an escape (the slow path of the string reader)', () => {
  it('give the same reasons and places as before one', () => {
    expect(() => parseJson('"a\\nb')).toThrow(new JsonSyntaxError('unterminated string', 1, 1));
    expect(() => parseJson('"\\n\u0001"')).toThrow(
      new JsonSyntaxError('unescaped control character in a string', 1, 4),
    );
  });
});

describe('the place of a syntax error on a newline', () => {
  it('is the newline itself, on its own line', () => {
    expect(() => parseJson('"a\nb"')).toThrow(
      new JsonSyntaxError('unescaped control character in a string', 1, 3),
    );
    expect(() => parseJson('{\n"a"\n1}')).toThrow(new JsonSyntaxError('expected ":"', 3, 1));
    expect(new JsonSyntaxError('x', 1, 1).name).toBe('JsonSyntaxError');
  });
});

describe('nesting depth', () => {
  it('is refused past 64 levels below the top', () => {
    const nested = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(() => parseJson(nested(65))).not.toThrow();
    expect(() => parseJson(nested(66))).toThrow(/^nesting is too deep at line 1, column 66$/);
    const objects = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    expect(() => parseJson(objects(64))).not.toThrow();
    expect(() => parseJson(objects(65))).toThrow(/^nesting is too deep at line 1, column 326$/);
  });
});

describe('an object member not followed by "," or "}"', () => {
  it('is a syntax error at that place', () => {
    expect(() => parseJson('{"a":1 "b":2}')).toThrow(
      new JsonSyntaxError('expected "," or "}"', 1, 8),
    );
    expect(() => parseJson('[{"a":1]')).toThrow(new JsonSyntaxError('expected "," or "}"', 1, 8));
  });
});
