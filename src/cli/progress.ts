/**
 * One line of progress on the terminal for work that takes more than about a second (rekey,
 * import, `get` exports of a large vault; docs/cli.md "Progress").
 *
 * Silent at first: the line appears only once {@link PROGRESS_DELAY_MS} have passed, is redrawn
 * in place with `\r` at most every {@link PROGRESS_INTERVAL_MS}, and is erased by
 * {@link Progress.end} (call it in a `finally`, so an error leaves no half line behind). It is
 * only ever written to stderr, and only when both stderr and stdout are terminals, NO_COLOR is
 * not set (no-color.org: present and not empty) and TERM is not `dumb`: a pipe, a file or a
 * program reading our output (`| less`) never sees a `\r` or an escape sequence.
 *
 * Work done synchronously blocks the timer, so long loops call {@link Progress.tick}, which draws
 * when the delay has passed; the timer covers waits (the disk, a key derivation, KMS).
 */
import type { CliIo, OutputStream } from './terminal.js';

/** The line appears only after the work has run this long. */
export const PROGRESS_DELAY_MS = 1000;
/** At most one redraw per this many milliseconds. */
export const PROGRESS_INTERVAL_MS = 100;

/** `\r` then erase to the end of the line (ECMA-48 EL): no colour, so NO_COLOR is about more than colour here. */
const CLEAR = '\r\x1b[K';

/** The time and a one-shot timer (injected by tests). */
export interface ProgressClock {
  now(): number;
  /** Calls `fn` once after `ms`; must not keep the process alive. */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realClock: ProgressClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Progress {
  /** A new step: its label and, when it counts items, how many ({@link tick} counts them). */
  phase(label: string, total?: number): void;
  /** `done` items of the current step are done. */
  tick(done: number): void;
  /** Runs `write` (a note on stderr) with the line erased first and drawn again after it. */
  aside(write: () => void): void;
  /** Erases the line, if it was drawn. Further calls do nothing. */
  end(): void;
}

/** Shows nothing: off a terminal, with NO_COLOR, or before the work starts. */
export const SILENT_PROGRESS: Progress = {
  phase: () => {},
  tick: () => {},
  aside: (write) => write(),
  end: () => {},
};

/** True when a progress line may be drawn for `io` (see the module comment). */
export function progressAllowed(io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>): boolean {
  return (
    io.stderr.isTTY === true &&
    io.stdout.isTTY === true &&
    (io.env.NO_COLOR ?? '') === '' &&
    io.env.TERM !== 'dumb'
  );
}

/** Starts the progress of one piece of work, labelled `label`; silent where not allowed. */
export function startProgress(
  io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>,
  label: string,
  clock: ProgressClock = realClock,
): Progress {
  return progressAllowed(io) ? new TerminalProgress(io.stderr, label, clock) : SILENT_PROGRESS;
}

class TerminalProgress implements Progress {
  readonly #stream: OutputStream;
  readonly #clock: ProgressClock;
  readonly #start: number;
  #timer: unknown;
  #label: string;
  #total: number | undefined;
  #done = 0;
  /** The text on the terminal now ('' when nothing is drawn). */
  #shown = '';
  #lastDraw = -Infinity;
  #ended = false;

  constructor(stream: OutputStream, label: string, clock: ProgressClock) {
    this.#stream = stream;
    this.#clock = clock;
    this.#label = label;
    this.#start = clock.now();
    this.#timer = clock.setTimer(() => this.#draw(true), PROGRESS_DELAY_MS);
  }

  phase(label: string, total?: number): void {
    this.#label = label;
    this.#total = total;
    this.#done = 0;
    this.#draw(true);
  }

  tick(done: number): void {
    this.#done = done;
    this.#draw(false);
  }

  aside(write: () => void): void {
    if (this.#shown !== '') {
      this.#stream.write(CLEAR);
      this.#shown = '';
    }
    write();
    this.#draw(true);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clock.clearTimer(this.#timer);
    if (this.#shown !== '') this.#stream.write(CLEAR);
    this.#shown = '';
  }

  #text(): string {
    const text =
      this.#total === undefined
        ? `${this.#label}...`
        : `${this.#label}: ${this.#done}/${this.#total}`;
    // A line wider than the terminal wraps, and `\r` would then redraw only its last row.
    const columns = (this.#stream as { columns?: number }).columns ?? 80;
    return [...text].slice(0, Math.max(1, columns - 1)).join('');
  }

  #draw(force: boolean): void {
    if (this.#ended) return;
    const now = this.#clock.now();
    if (now - this.#start < PROGRESS_DELAY_MS) return;
    if (!force && now - this.#lastDraw < PROGRESS_INTERVAL_MS) return;
    const text = this.#text();
    if (text === this.#shown) return;
    this.#stream.write(`\r${text}\x1b[K`);
    this.#shown = text;
    this.#lastDraw = now;
  }
}
