/**
 * Everything the CLI touches outside itself, so that `main(argv, io)` runs in-process in tests
 * and as the real `ssclient` alike. Prompts are loaded lazily: a command that does not prompt
 * never loads @inquirer/prompts.
 */
import { isatty } from 'node:tty';

export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  readonly isTTY?: boolean;
}

export interface Prompter {
  /** A masked prompt (password, secret value). */
  secret(message: string): Promise<string>;
  /**
   * A `[y/n]` question; true for yes. With a `default`, a `(Y/n)` or `(y/N)` question that Enter
   * answers (`edit`'s "Re-open the editor?").
   */
  confirm(message: string, options?: { readonly default?: boolean }): Promise<boolean>;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** True when standard input is a terminal: prompts are allowed, `-p` takes no value. */
  readonly stdinIsTTY: boolean;
  /** All of standard input as bytes (only called when stdin is not a terminal). */
  readStdin(): Promise<Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly prompter: Prompter;
  /**
   * Ends this process by `signal` (`ssclient run` passing on how its child ended). Absent
   * in-process, where the caller exits 128 + the signal number instead.
   */
  readonly raiseSignal?: (signal: NodeJS.Signals) => void;
}

/**
 * The io of the real process. Nothing here touches `process.stdin` or `process.stderr` until a
 * command uses them: constructing the stdin stream alone costs 3-20 ms of a ~100 ms `get`
 * (measured with a pipe on stdin, as scripts run it), and `isatty(0)` answers the same question.
 */
export function processIo(): CliIo {
  guardOutputStreams();
  return {
    stdout: process.stdout,
    get stderr() {
      return process.stderr;
    },
    stdinIsTTY: isatty(0),
    readStdin,
    env: process.env,
    cwd: process.cwd(),
    prompter: terminalPrompter(),
    raiseSignal: (signal) => {
      process.kill(process.pid, signal);
    },
  };
}

let guarded = false;

/**
 * A failed write to stdout or stderr must not end in Node's unhandled-error stack trace. A reader
 * that went away (`ssclient get --all | head`, EPIPE) is not an error of ours: the rest of the
 * output is dropped quietly. Any other failure (a full disk, ENOSPC) is one line on stderr and
 * exit status 1, since the data did not arrive.
 */
function guardOutputStreams(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return;
    process.exitCode = 1;
    try {
      process.stderr.write(`error: cannot write to standard output: ${err.code ?? err.message}\n`);
    } catch {
      // stderr is gone too: the exit status still tells
    }
  });
  process.stderr.on('error', () => {
    // nowhere left to report it
  });
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Prompts on the terminal, written to stderr so that stdout carries only data. */
export function terminalPrompter(): Prompter {
  return {
    async secret(message) {
      const { password } = await import('@inquirer/prompts');
      return password(
        { message, mask: '*', theme: { prefix: '' } },
        { input: process.stdin, output: process.stderr, clearPromptOnDone: false },
      );
    },
    async confirm(message, options) {
      if (options?.default !== undefined) {
        const { confirm } = await import('@inquirer/prompts');
        return confirm(
          { message, default: options.default, theme: { prefix: '' } },
          { input: process.stdin, output: process.stderr, clearPromptOnDone: false },
        );
      }
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      try {
        for (;;) {
          let answer: string;
          try {
            answer = (await rl.question(`${message} [y/n] `)).trim().toLowerCase();
          } catch (err) {
            // Ctrl-C at the question: the same as at any other prompt (exit 130), not a failure.
            if ((err as { code?: string }).code !== 'ABORT_ERR') throw err;
            process.stderr.write('\n');
            const interrupted = new Error('interrupted', { cause: err });
            interrupted.name = 'ExitPromptError';
            throw interrupted;
          }
          if (answer === 'y' || answer === 'yes') return true;
          if (answer === 'n' || answer === 'no') return false;
        }
      } finally {
        rl.close();
      }
    },
  };
}
