// README "The CLI": errors are one line, `error: …`; --debug adds stack traces.
/**
 * reportError, which both `main` and the fast path end a failed command with: exactly one line
 * whatever the error's message holds (messages from Node or V8 can quote text with its line
 * breaks), the stack and causes only with --debug.
 */
import { describe, expect, it } from 'vitest';
import { fail, SecureStoreError } from '../../src/errors.js';
import { reportError } from '../../src/cli/report.js';
import { CliError, EXIT } from '../../src/cli/exit-codes.js';

function report(err: unknown, debug = false): string {
  let out = '';
  const io = { stderr: { isTTY: false, write: (s: string) => ((out += s), true) }, env: {} };
  reportError(io as unknown as Parameters<typeof reportError>[0], err, debug);
  return out;
}

describe('reportError', () => {
  it('writes one line for our errors, unexpected ones and messages with line breaks', () => {
    let ours: unknown;
    try {
      fail('ERR_VAULT_FORMAT', 'v.json: bad\n  "thing"\r\n here');
    } catch (err) {
      ours = err;
    }
    expect(ours).toBeInstanceOf(SecureStoreError);
    expect(report(ours)).toBe('error: v.json: bad "thing" here\n');
    expect(report(new CliError(EXIT.USAGE, 'two\nlines'))).toBe('error: two lines\n');
    expect(report(new SyntaxError('Unexpected token } in JSON at position 3:\n{\n}'))).toBe(
      'error: unexpected failure: Unexpected token } in JSON at position 3: { } (run again with --debug for details)\n',
    );
    expect(report('a string\nthrown')).toBe(
      'error: unexpected failure: a string thrown (run again with --debug for details)\n',
    );
  });

  it('adds the stack and every cause only with --debug', () => {
    const cause = new Error('inner');
    const err = new Error('outer', { cause });
    expect(report(err)).toBe(
      'error: unexpected failure: outer (run again with --debug for details)\n',
    );
    const out = report(err, true);
    expect(out.startsWith('error: unexpected failure: outer')).toBe(true);
    expect(out).toContain(`${err.stack}\n`);
    expect(out).toContain(`caused by: ${cause.stack}\n`);
  });
});
