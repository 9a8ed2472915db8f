/**
 * Help beyond commander's own (issue 15, item 10): the top-level help's environment variables,
 * exit codes and where the documentation is; `help git install` (a subcommand's help, where
 * commander's `help` takes one word); and the hint that `run`'s program goes after `--`.
 * A leaf: no command is loaded for it.
 */
import { fileURLToPath } from 'node:url';

/** The docs shipped with the package (package.json "files"). */
const DOCS = fileURLToPath(new URL('../../docs', import.meta.url));

/** Appended to the top-level help (README "Passwords and keys", "Exit codes"). */
export function topLevelHelpText(): string {
  return `
Environment:
  SSCLIENT_STORE          the vault file (as -s)
  SSCLIENT_KEY            a key file (as -k)
  SSCLIENT_PASSWORD       the password (as -p; --password-file keeps it out of
                          the environment)
  SSCLIENT_NEW_PASSWORD   rekey --new-password off a terminal
  SSCLIENT_REGION, SSCLIENT_PROFILE, SSCLIENT_KMS_ENDPOINT
                          KMS settings (else the AWS SDK's own AWS_REGION,
                          AWS_PROFILE, AWS_ENDPOINT_URL_KMS)
  SSCLIENT_KMS_MAX_ATTEMPTS, SSCLIENT_KMS_RETRY_MAX_DELAY_MS,
  SSCLIENT_KMS_TIMEOUT_MS KMS retries and time-outs (kms.md)
  SSCLIENT_AGE_IDENTITY   an age identity file for age-wrapped keys
  SSCLIENT_REQUIRE_SEAL   1: refuse a vault without a valid seal
  VISUAL, EDITOR          the editor of "ssclient edit" (else vi)
  NO_COLOR                no colour and no progress line
  A .ssclient.json found upward from the working directory gives defaults;
  "ssclient config" shows every setting and where it comes from.

Exit codes:
  0    success
  1    a vault error: wrong password or key, tampering, missing secret, I/O
  2    a usage error, or the store does not exist
  4    KMS refused or could not be reached
  17   an overwrite was refused
  75   busy: the vault was locked, or changed meanwhile; retry
  130  interrupted at a prompt
  run  the program's own exit code (126: it cannot start, 127: not found)

Documentation: ${DOCS}/cli.md (every command, option and exit code);
  workflow.md, git.md, kms.md and library.md beside it`;
}

/**
 * `help A B …` (commander's `help` takes one word): the arguments for `A B … --help`, given the
 * `topic` {@link subcommandHelpTopic} found in `args`.
 */
export function subcommandHelpArgs(args: readonly string[], topic: readonly string[]): string[] {
  return [...args.slice(0, args.length - topic.length - 1), ...topic, '--help'];
}

/** The words after `help` when there are two or more (`help git install`: git, install), or null. */
export function subcommandHelpTopic(
  args: readonly string[],
  takesValue: ReadonlySet<string>,
): string[] | null {
  const at = commandWordIndex(args, takesValue);
  if (at < 0 || args[at] !== 'help') return null;
  const topic = args.slice(at + 1);
  if (topic.length < 2 || topic.some((w) => w.startsWith('-'))) return null;
  return topic;
}

/** The index of the first word that is no option nor an option's value, or -1. */
function commandWordIndex(args: readonly string[], takesValue: ReadonlySet<string>): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return -1;
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

/** `run`'s options that take a value (commands/run.ts): their value is no program name. */
const RUN_VALUE_OPTIONS = new Set(['--only', '--env-name-style', '--prefix', '--binary']);

/**
 * For `ssclient run ls -la` (commander takes `-la` for an option of `run`): the command line with
 * `--` before the program, to suggest, or null when `run` is not the command.
 */
export function runDashDashSuggestion(
  args: readonly string[],
  takesValue: ReadonlySet<string>,
): string | null {
  const at = commandWordIndex(args, takesValue);
  if (at < 0 || args[at] !== 'run' || args.includes('--')) return null;
  let program = -1;
  for (let i = at + 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      if (RUN_VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    program = i;
    break;
  }
  if (program < 0) return null;
  const words = [...args.slice(0, program), '--', ...args.slice(program)];
  return `ssclient ${words.map(shellWord).join(' ')}`;
}

function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
