// src/cli/context.ts note(); docs/cli.md (names escaped where a person sees them).
/**
 * Every informational line goes through `Context.note`: the lines of a message are kept, and any
 * other character a terminal would act on (a name or a path from a file someone else wrote) is
 * written as a `\uXXXX` escape, as error messages are.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';

function noted(message: string): string {
  let out = '';
  const ctx = new Context({
    stdout: { write: () => true },
    stderr: {
      write: (chunk) => {
        out += String(chunk);
        return true;
      },
    },
    stdinIsTTY: false,
    readStdin: async () => new Uint8Array(),
    env: {},
    cwd: '/',
    prompter: { secret: async () => '', confirm: async () => false },
  });
  ctx.note(message);
  return out;
}

describe('Context.note', () => {
  it('escapes ESC, C1 and bidi characters and keeps line breaks', () => {
    expect(noted('Imported "a\x1b[2Jb"\nnext \u009b31m \u202e end')).toBe(
      'Imported "a\\u001b[2Jb"\nnext \\u009b31m \\u202e end\n',
    );
  });

  it('prints text without controls exactly', () => {
    fc.assert(
      fc.property(
        fc
          .string({ unit: 'grapheme' })
          .filter(
            (s) =>
              !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(
                s,
              ),
          ),
        (text) => {
          expect(noted(text)).toBe(`${text}\n`);
        },
      ),
    );
  });

  it('never writes a terminal control but its own line breaks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = noted(text).slice(0, -1);
        expect(out.split('\n').length).toBe(text.split('\n').length);
        expect(out.replaceAll('\n', '')).not.toMatch(
          /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/,
        );
      }),
    );
  });
});
