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
