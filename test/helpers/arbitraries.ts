/** fast-check arbitraries shared by the property tests: secret names and values, hostile text. */
import fc from 'fast-check';

/** Names the reference treats as plain strings but JavaScript objects do not (spec/format.md §5). */
export const SPECIAL_NAMES = [
  '',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'prototype',
  '0',
  '1',
  '2',
  '10',
  '-1',
  '01',
  '4294967295',
  '4294967296',
  'NaN',
  '\uFF5E',
  '\u{1F600}',
  '\uFFFF',
  '\u{10000}',
  '\u{10FFFF}',
  '\uE000',
  '\uD7FF',
  '\u0000',
  '"',
  '\\',
  '\u2028',
  'a'.repeat(300),
];

/** Any well-formed Unicode name: full range, astral included, and the special ones often. */
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_NAMES) },
  { weight: 1, arbitrary: fc.nat({ max: 100_000 }).map(String) },
);

/** A value: text (full Unicode) or bytes, empty included. */
export type Value = { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array };

export const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => ({ kind: 'text' as const, text })),
  fc.constant({ kind: 'text' as const, text: '' }),
  fc.uint8Array({ maxLength: 70 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
  fc.constant({ kind: 'bytes' as const, bytes: new Uint8Array(0) }),
);

/** Deterministic bytes from a seed (xorshift32): large values without generating each byte. */
export function expandBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** 1 MiB values: bytes from a seed, or a random Unicode string repeated to at least 1 MiB. */
export const bigValueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.integer().map((seed) => ({ kind: 'bytes' as const, bytes: expandBytes(seed, 1024 * 1024) })),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((unit) => {
    const per = Buffer.byteLength(unit, 'utf8');
    return { kind: 'text' as const, text: unit.repeat(Math.ceil((1024 * 1024) / per)) };
  }),
);

/** UTF-8 byte order (= code point order): how the reference sorts names. */
export function utf8Sorted(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/** Characters that break naive quoting, and some that break naive Unicode handling. */
export const HOSTILE_PIECES = [
  "'",
  '"',
  '$',
  '`',
  '\\',
  '\n',
  '\r',
  '\r\n',
  '\t',
  ' ',
  '#',
  '=',
  ',',
  '$(id)',
  '${HOME}',
  "'\\''",
  '\\n',
  '\\"',
  '!',
  '*',
  '~',
  '-',
  '+',
  '@',
  'é',
  '😀',
  '\u2028',
  '\u0085',
  '\u00a0',
  '\ufeff',
  '\u0001',
  '\u007f',
  'yes',
  'null',
  '0x1F',
  '1e3',
  ': ',
  '- ',
  '{}',
  '[]',
  '&a',
  '*a',
  '|',
  '>',
  '%',
];

const codePoint = fc
  .integer({ min: 1, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));

/** Any text without NUL: hostile pieces, ASCII and any Unicode scalar value. */
export const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ maxLength: 3 }), codePoint), {
    maxLength: 12,
  })
  .map((parts) => parts.join('').replaceAll('\0', ''));

/**
 * Small hostile changes to a vault's bytes in the layout we write (spec/format.md §5): a byte
 * replaced, inserted or deleted; a truncation; whole entries swapped or given twice; a byte at
 * the start of a name; text before or after the document.
 */
export type VaultEdit =
  | { kind: 'replace' | 'insert'; at: number; byte: number }
  | { kind: 'delete' | 'truncate'; at: number }
  | { kind: 'swap' | 'repeat'; at: number }
  | { kind: 'name'; at: number; byte: number }
  | { kind: 'prefix' | 'suffix'; text: string };

const INTERESTING = [...'"\\{}[],: \n\r\t=AQw_-+/0e'].map((c) => c.charCodeAt(0));
export const vaultEditArb: fc.Arbitrary<VaultEdit> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('replace' as const, 'insert' as const),
    at: fc.nat(),
    byte: fc.oneof(fc.constantFrom(...INTERESTING, 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xed, 0xff)),
  }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constantFrom('swap' as const, 'repeat' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('name' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0x00, 0x09, 0x0a, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xed, 0xff, 0x61),
  }),
  fc.record({
    kind: fc.constantFrom('prefix' as const, 'suffix' as const),
    text: fc.constantFrom('\uFEFF', ' ', '\n', '\r\n', '\t', 'x', '}', '\u00a0'),
  }),
);

/** The lines of one secret's entry (6 lines in the layout we write) start at these offsets. */
function entryStarts(text: string): number[] {
  const starts: number[] = [];
  const re = /\n {4}"/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) starts.push(m.index);
  return starts;
}

export function applyVaultEdit(bytes: Buffer, edit: VaultEdit): Buffer {
  const at = (n: number): number => (bytes.length === 0 ? 0 : n % (bytes.length + 1));
  switch (edit.kind) {
    case 'replace': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[at(edit.at) % copy.length] = edit.byte;
      return copy;
    }
    case 'insert':
      return Buffer.concat([
        bytes.subarray(0, at(edit.at)),
        Buffer.of(edit.byte),
        bytes.subarray(at(edit.at)),
      ]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at(edit.at)), bytes.subarray(at(edit.at) + 1)]);
    case 'truncate':
      return bytes.subarray(0, at(edit.at));
    case 'prefix':
      return Buffer.concat([Buffer.from(edit.text), bytes]);
    case 'suffix':
      return Buffer.concat([bytes, Buffer.from(edit.text)]);
    case 'name': {
      // A byte put at the start of a secret's name (a control character, a quote, a backslash,
      // a byte that is not UTF-8 there).
      const starts = entryStarts(bytes.toString('latin1'));
      if (starts.length === 0) return bytes;
      const at = starts[edit.at % starts.length]! + 6;
      return Buffer.concat([bytes.subarray(0, at), Buffer.of(edit.byte), bytes.subarray(at)]);
    }
    case 'swap':
    case 'repeat': {
      // Whole entries: `"a": {…},` moved after the next, or given twice (a duplicate name).
      const text = bytes.toString('latin1');
      const starts = entryStarts(text);
      if (starts.length === 0) return bytes;
      const i = edit.at % starts.length;
      const end = i + 1 < starts.length ? starts[i + 1]! : text.indexOf('\n  }', starts[i]!);
      const entry = text.slice(starts[i]!, end);
      const withComma = entry.endsWith(',') ? entry : `${entry},`;
      const out =
        edit.kind === 'repeat'
          ? text.slice(0, starts[i]!) + withComma + text.slice(starts[i]!)
          : i + 1 < starts.length
            ? text.slice(0, starts[i]!) +
              text.slice(end, starts[i + 2] ?? text.indexOf('\n  }', end)).replace(/,?$/, ',') +
              entry.replace(/,$/, '') +
              text.slice(starts[i + 2] ?? text.indexOf('\n  }', end))
            : text;
      return Buffer.from(out, 'latin1');
    }
  }
}
