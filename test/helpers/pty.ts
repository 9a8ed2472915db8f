/**
 * A real pseudo-terminal for prompt tests: `ssclient` runs in a detached tmux session (its own
 * server socket, `-L`, per test), keys are sent with `send-keys`, the screen is read with
 * `capture-pane`, and a wrapper script writes the exit status to a file. Every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN } from './cli.js';

let counter = 0;

/** Single-quotes a string for sh. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface PtyOptions {
  /** Working directory; the wrapper script and exit-status file are written here too. */
  cwd: string;
  /** Extra environment; NO_COLOR, FORCE_COLOR and SSCLIENT_* are cleared unless given here. */
  env?: Record<string, string>;
  /** Shell redirections appended to the command line, e.g. `2>err.txt`. */
  redirect?: string;
}

export class PtySession {
  readonly #socket: string;
  readonly #statusFile: string;
  #killed = false;

  private constructor(socket: string, statusFile: string) {
    this.#socket = socket;
    this.#statusFile = statusFile;
  }

  /** Starts `node bin/ssclient.js ...argv` in a 200x50 terminal. */
  static start(argv: readonly string[], options: PtyOptions): PtySession {
    counter += 1;
    const id = `${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
    const socket = `ssclient-test-${id}`;
    const statusFile = join(options.cwd, `.pty-status-${id}`);
    const script = join(options.cwd, `.pty-run-${id}.sh`);
    const env = Object.entries(options.env ?? {})
      .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
      .join('\n');
    writeFileSync(
      script,
      [
        'unset NO_COLOR FORCE_COLOR SSCLIENT_STORE SSCLIENT_PASSWORD SSCLIENT_KEY',
        env,
        `cd ${shellQuote(options.cwd)}`,
        `${[process.execPath, BIN, ...argv].map(shellQuote).join(' ')} ${options.redirect ?? ''}`,
        `echo $? > ${shellQuote(`${statusFile}.tmp`)}`,
        `mv ${shellQuote(`${statusFile}.tmp`)} ${shellQuote(statusFile)}`,
        'exec sleep 600',
        '',
      ].join('\n'),
    );
    execFileSync('tmux', [
      '-L',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-x',
      '200',
      '-y',
      '50',
      `sh ${shellQuote(script)}`,
    ]);
    return new PtySession(socket, statusFile);
  }

  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], { encoding: 'utf8' });
  }

  /** Types `text` literally (no key names), without Enter. */
  type(text: string): void {
    this.#tmux('send-keys', '-t', '0', '-l', text);
  }

  /** Sends named keys (`Enter`, `C-c`, ...). */
  keys(...names: string[]): void {
    this.#tmux('send-keys', '-t', '0', ...names);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    if (text !== '') this.type(text);
    this.keys('Enter');
  }

  /** The visible screen as text (trailing blank lines dropped); `escapes` keeps colour codes. */
  screen(escapes = false): string {
    const args = ['capture-pane', '-p', '-t', '0', ...(escapes ? ['-e'] : [])];
    return this.#tmux(...args).replace(/\n+$/, '\n');
  }

  /** Waits until the screen shows `what` (the screen after `after` characters, if given). */
  async waitFor(what: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (typeof what === 'string' ? screen.includes(what) : what.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${String(what)}; the screen shows:\n${screen}`);
      }
      await sleep(50);
    }
  }

  /** Waits until the screen shows `what` `count` times. */
  async waitForCount(what: string, count: number, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (screen.split(what).length - 1 >= count) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${count}x ${what}; the screen shows:\n${screen}`);
      }
      await sleep(50);
    }
  }

  /** Waits for the command to exit and returns its status. */
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.#statusFile)) {
      if (Date.now() > deadline) {
        throw new Error(`ssclient did not exit in time; the screen shows:\n${this.screen()}`);
      }
      await sleep(50);
    }
    return Number(readFileSync(this.#statusFile, 'utf8').trim());
  }

  /** Kills the tmux server of this session (and the command if it still runs). */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    try {
      this.#tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
