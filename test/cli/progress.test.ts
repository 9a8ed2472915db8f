/**
 * The progress line of src/cli/progress.ts, with a clock and a terminal of the test's own: the
 * exact bytes written at each moment. The real terminal is in test/pty/progress.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  PROGRESS_DELAY_MS,
  PROGRESS_INTERVAL_MS,
  progressAllowed,
  SILENT_PROGRESS,
  startProgress,
  type ProgressClock,
} from '../../src/cli/progress.js';

const CLEAR = '\r\x1b[K';

/** A clock whose time moves only when told, firing the timers that come due. */
function fakeClock() {
  let now = 1_000_000;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let ids = 0;
  const clock: ProgressClock = {
    now: () => now,
    setTimer: (fn, ms) => {
      timers.push({ at: now + ms, fn, id: ++ids });
      return ids;
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of [...timers].filter((t) => t.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { clock, advance, pending: () => timers.length };
}

/** A terminal on stderr and stdout: what was written to stderr, write by write. */
function terminal(env: Record<string, string> = {}, columns?: number) {
  const writes: string[] = [];
  const stderr = {
    isTTY: true,
    columns,
    write: (c: string | Uint8Array) => writes.push(String(c)),
  };
  return { io: { stderr, stdout: { isTTY: true, write: () => true }, env }, writes };
}

describe('the progress line', () => {
  it('is silent before the delay, appears after it, redraws in place and is erased at the end', () => {
    const { clock, advance, pending } = fakeClock();
    const { io, writes } = terminal();
    const p = startProgress(io, 'importing into secrets.json', clock);
    p.phase('importing into secrets.json', 3);
    p.tick(1);
    advance(PROGRESS_DELAY_MS - 1);
    p.tick(2);
    expect(writes).toEqual([]);
    advance(1); // the timer: the line appears with where the work is
    expect(writes).toEqual(['\rimporting into secrets.json: 2/3\x1b[K']);
    p.tick(3); // within the interval: not drawn
    expect(writes).toHaveLength(1);
    advance(PROGRESS_INTERVAL_MS);
    p.tick(3);
    expect(writes.slice(1)).toEqual(['\rimporting into secrets.json: 3/3\x1b[K']);
    p.tick(3); // the same text: not drawn again
    p.phase('writing secrets.json'); // a new step is drawn at once
    expect(writes.slice(2)).toEqual(['\rwriting secrets.json...\x1b[K']);
    p.end();
    expect(writes.slice(3)).toEqual([CLEAR]);
    p.end();
    p.tick(9);
    advance(10 * PROGRESS_DELAY_MS);
    expect(writes).toHaveLength(4);
    expect(pending()).toBe(0);
  });

  it('writes nothing at all for work that ends within the delay', () => {
    const { clock, advance, pending } = fakeClock();
    const { io, writes } = terminal();
    const p = startProgress(io, 'reading big.env', clock);
    advance(PROGRESS_DELAY_MS - 1);
    p.end();
    advance(PROGRESS_DELAY_MS);
    expect(writes).toEqual([]);
    expect(pending()).toBe(0);
  });

  it('is erased for a note and drawn again after it', () => {
    const { clock, advance } = fakeClock();
    const { io, writes } = terminal();
    const p = startProgress(io, 're-encrypting secrets.json', clock);
    p.aside(() => writes.push('early note\n')); // nothing drawn yet: just the note
    advance(PROGRESS_DELAY_MS);
    p.aside(() => writes.push('Wrote the new key\n'));
    p.end();
    expect(writes).toEqual([
      'early note\n',
      '\rre-encrypting secrets.json...\x1b[K',
      CLEAR,
      'Wrote the new key\n',
      '\rre-encrypting secrets.json...\x1b[K',
      CLEAR,
    ]);
  });

  it('is cut to the width of the terminal, so that it never wraps', () => {
    const { clock, advance } = fakeClock();
    const { io, writes } = terminal({}, 12);
    const p = startProgress(io, 'importing into a-long-name.json', clock);
    advance(PROGRESS_DELAY_MS);
    p.end();
    expect(writes).toEqual(['\rimporting i\x1b[K', CLEAR]);
  });

  it('is never drawn off a terminal, with NO_COLOR, or with TERM=dumb', () => {
    const tty = { isTTY: true, write: () => true };
    const pipe = { write: () => true };
    expect(progressAllowed({ stderr: tty, stdout: tty, env: {} })).toBe(true);
    expect(progressAllowed({ stderr: tty, stdout: tty, env: { NO_COLOR: '' } })).toBe(true);
    expect(progressAllowed({ stderr: pipe, stdout: tty, env: {} })).toBe(false);
    expect(progressAllowed({ stderr: tty, stdout: pipe, env: {} })).toBe(false);
    expect(progressAllowed({ stderr: tty, stdout: tty, env: { NO_COLOR: '1' } })).toBe(false);
    expect(progressAllowed({ stderr: tty, stdout: tty, env: { TERM: 'dumb' } })).toBe(false);
    const { clock, advance, pending } = fakeClock();
    const { io, writes } = terminal({ NO_COLOR: '1' });
    const p = startProgress(io, 'reading x', clock);
    expect(p).toBe(SILENT_PROGRESS);
    expect(pending()).toBe(0);
    advance(PROGRESS_DELAY_MS);
    p.phase('y', 2);
    p.tick(1);
    p.aside(() => writes.push('note\n'));
    p.end();
    expect(writes).toEqual(['note\n']);
  });
});
