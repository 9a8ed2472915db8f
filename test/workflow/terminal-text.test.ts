// src/workflow/terminal-text.ts: the characters shown escaped to a person (docs/cli.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeForTerminal, hasTerminalControl } from '../../src/workflow/terminal-text.js';

/** Every code unit the set holds, range by range, with its neighbours outside. */
const INSIDE = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x2028, 0x2029],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
] as const;
const OUTSIDE = [0x20, 0x7e, 0xa0, 0x200d, 0x2010, 0x2027, 0x202f, 0x2065, 0x206a];

describe('terminal text', () => {
  it('escapes each control character as \\uXXXX, lower-case hex', () => {
    for (const [from, to] of INSIDE) {
      for (let c = from; c <= to; c++) {
        const ch = String.fromCharCode(c);
        expect(hasTerminalControl(`a${ch}b`)).toBe(true);
        expect(escapeForTerminal(`a${ch}b`)).toBe(`a\\u${c.toString(16).padStart(4, '0')}b`);
      }
    }
  });

  it('leaves the characters just outside the set as they are', () => {
    for (const c of OUTSIDE) {
      const ch = String.fromCharCode(c);
      expect(hasTerminalControl(ch)).toBe(false);
      expect(escapeForTerminal(`${ch}${ch}`)).toBe(`${ch}${ch}`);
    }
  });

  it('escapes every occurrence, and its output never holds a control', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = escapeForTerminal(text);
        expect(hasTerminalControl(out)).toBe(false);
        expect(out === text).toBe(!hasTerminalControl(text));
      }),
    );
  });
});
