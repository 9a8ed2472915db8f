/**
 * How a failed command ends: one line on stderr, `error: …` (red on a terminal unless NO_COLOR),
 * and with `--debug` the stack and its causes. Shared by `main` and the fast path in entry.ts, so
 * every failure reads the same whichever path ran the command.
 */
import { SecureStoreError } from '../errors.js';
import { CliError } from './exit-codes.js';
import { escapeForTerminal } from '../workflow/terminal-text.js';
import type { CliIo } from './terminal.js';

export function reportError(io: Pick<CliIo, 'stderr' | 'env'>, err: unknown, debug: boolean): void {
  const colour = io.stderr.isTTY === true && io.env.NO_COLOR === undefined;
  const prefix = colour ? '\x1b[31merror:\x1b[0m' : 'error:';
  let message: string;
  if (err instanceof SecureStoreError) {
    message = inCliWords(err);
  } else if (err instanceof CliError) {
    message = err.message;
  } else if (err instanceof Error && err.name === 'ExitPromptError') {
    message = 'interrupted';
  } else {
    message = `unexpected failure: ${err instanceof Error ? err.message : String(err)} (run again with --debug for details)`;
  }
  // One line whatever the message: some come from Node or V8 with the text they quote inside.
  // Names in messages are JSON-quoted, which leaves DEL, C1 controls and bidi marks as they are.
  io.stderr.write(`${prefix} ${escapeForTerminal(message.replace(/\s*[\r\n]+\s*/g, ' '))}\n`);
  if (debug && err instanceof Error && err.stack) {
    io.stderr.write(`${err.stack}\n`);
    let cause = err.cause;
    while (cause instanceof Error) {
      io.stderr.write(`caused by: ${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
    }
  }
}

/**
 * The library's messages name KMS options as the library does (`KmsOptions.region`, the error's
 * cause); a person at the command line sets them with flags, so the CLI says those instead.
 */
const CLI_WORDS: readonly (readonly [library: string, cli: string])[] = [
  ['KmsOptions.profile', '--profile'],
  ['KmsOptions.region', '--region'],
  ['KmsOptions.endpoint', '--kms-endpoint'],
  ["the error's cause has the details", 'run with --debug for details'],
];

/** Library methods a message names, and the command that does the same (spec/format.md §4.2). */
const CLI_COMMANDS: readonly (readonly [library: string, cli: string])[] = [
  ['(SecretsManager#addSentinel)', 'with `ssclient add-sentinel`'],
];

function inCliWords(err: SecureStoreError): string {
  let message = err.message;
  const words = err.code.startsWith('ERR_KMS') ? [...CLI_WORDS, ...CLI_COMMANDS] : CLI_COMMANDS;
  for (const [library, cli] of words) message = message.split(library).join(cli);
  return message;
}
