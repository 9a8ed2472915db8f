/**
 * Everything the CLI touches outside itself, so that `main(argv, io)` runs in-process in tests
 * and as the real `ssclient` alike. Prompts are loaded lazily: a command that does not prompt
 * never loads @inquirer/prompts.
 */

export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  readonly isTTY?: boolean;
}

export interface Prompter {
  /** A masked prompt (password, secret value). */
  secret(message: string): Promise<string>;
  /** A `[y/n]` question; true for yes. */
  confirm(message: string): Promise<boolean>;
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

/** The io of the real process. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    readStdin,
    env: process.env,
    cwd: process.cwd(),
    prompter: terminalPrompter(),
    raiseSignal: (signal) => {
      process.kill(process.pid, signal);
    },
  };
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
    async confirm(message) {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      try {
        for (;;) {
          const answer = (await rl.question(`${message} [y/n] `)).trim().toLowerCase();
          if (answer === 'y' || answer === 'yes') return true;
          if (answer === 'n' || answer === 'no') return false;
        }
      } finally {
        rl.close();
      }
    },
  };
}
