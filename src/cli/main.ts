/**
 * `ssclient`: `main(argv, io)` parses the arguments, runs one command and returns the exit code.
 * It never calls `process.exit`, so it runs in-process in tests exactly as in the real command.
 */
import { Command, CommanderError, Option } from 'commander';
import { registerAccess } from './commands/access.js';
import { registerAddSentinel } from './commands/add-sentinel.js';
import { registerConfig } from './commands/config.js';
import { registerCompletion } from './commands/completion.js';
import { registerCreate } from './commands/create.js';
import { registerDelete } from './commands/delete.js';
import { registerEdit } from './commands/edit.js';
import { registerExportKey } from './commands/export-key.js';
import { registerGet } from './commands/get.js';
import { registerGit } from './commands/git.js';
import { registerHistory } from './commands/history.js';
import { registerImport } from './commands/import.js';
import { registerKms } from './commands/kms.js';
import { registerList } from './commands/list.js';
import { collect } from './commands/register.js';
import { registerRekey } from './commands/rekey.js';
import { registerRun } from './commands/run.js';
import { registerSeal } from './commands/seal.js';
import { registerSet } from './commands/set.js';
import { registerVerify } from './commands/verify.js';
import { Context } from './context.js';
import { EXIT, exitCodeFor, QuietExit } from './exit-codes.js';
import {
  runDashDashSuggestion,
  subcommandHelpArgs,
  subcommandHelpTopic,
  topLevelHelpText,
} from './help.js';
import { reportError } from './report.js';
import type { CliIo } from './terminal.js';
import { VERSION } from '../version.js';

/** Runs `ssclient` with `argv` (without the node and script paths). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = normaliseArgs(argv);
  const debug = args.includes('--debug');
  const version = versionRequest(args);
  if (version !== null) {
    io.stdout.write(
      version === 'short'
        ? `ssclient ${VERSION}\n`
        : `ssclient ${VERSION} (securestore-kms)\nSecureStore vault format v3, Node.js ${process.versions.node}\n`,
    );
    return EXIT.OK;
  }

  const ctx = new Context(io);
  const program = buildProgram(ctx, args);
  if (args.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.USAGE;
  }
  if (io.stdinIsTTY && passwordGivenToP(args, program)) {
    // Never echo it back in an "unknown command" message.
    io.stderr.write(
      'error: on a terminal -p takes no value and asks for the password; the word after -p is not a command (not shown)\n',
    );
    return EXIT.USAGE;
  }
  // `help git install`: commander's help command takes one word.
  const topic = subcommandHelpTopic(args, valueOptions(program));
  const helpArgs = topic === null ? null : subcommandHelpArgs(args, topic);
  if (topic !== null) {
    // `help git nosuch` would be `git nosuch --help`, which commander answers with git's help
    // and exit 0; like `help UNKNOWN`, it is a usage error (docs/cli.md, Output and messages).
    const known = helpTopicCommand(program, topic);
    if (known.unknown) {
      known.command.outputHelp({ error: true });
      io.stderr.write(`error: unknown command '${topic.join(' ')}'\n`);
      return EXIT.USAGE;
    }
  }
  try {
    await program.parseAsync(splitCombinedFlags(helpArgs ?? args, program), { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.help' ||
        err.code === 'commander.version'
      ) {
        // `help UNKNOWN`, or global options without a command: the help went to stderr; a
        // usage error, as in the reference.
        if (err.exitCode !== 0) {
          const topic = unknownHelpTopic(args);
          if (topic !== null) io.stderr.write(`error: unknown command '${topic}'\n`);
          return EXIT.USAGE;
        }
        return EXIT.OK;
      }
      // commander has already printed its one-line message to stderr
      return EXIT.USAGE;
    }
    const explained = await ctx.explainKeyError(await ctx.explain(err), program.opts());
    if (!(explained instanceof QuietExit)) reportError(io, explained, debug);
    return exitCodeFor(explained);
  }
}

/**
 * On a terminal `-p` is a flag, so in `ssclient -p hunter2 get x` the password would be read as
 * the command name and printed back in the error. True when a word that is no command follows a
 * `-p` / `--password` given before the command.
 */
function passwordGivenToP(args: readonly string[], program: Command): boolean {
  const commands = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || commands.has(arg)) return false;
    if (arg === '-p' || arg === '--password') {
      const next = args[i + 1];
      return next !== undefined && !next.startsWith('-') && !commands.has(next);
    }
  }
  return false;
}

/**
 * `get -ak KEY`: commander hands `-ak` to `get`, which knows `-a` but not the global `-k`, while
 * the reference accepts it. A word `-XY…` whose `-X` is a command's flag (no value) and whose
 * `-Y` is a global option becomes `-X -Y…`; never the value of an option that takes one.
 */
function splitCombinedFlags(args: readonly string[], program: Command): string[] {
  const global = new Map(program.options.map((o) => [o.short, o]));
  const commandFlags = new Set(
    program.commands.flatMap((c) =>
      c.options.filter((o) => !o.required && !o.optional).map((o) => o.short),
    ),
  );
  const takesValue = new Set(
    [program, ...program.commands]
      .flatMap((c) => c.options)
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.short, o.long]),
  );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const first = `-${arg[1]}`;
    const rest = `-${arg[2]}`;
    if (
      /^-[A-Za-z]{2}/.test(arg) &&
      !takesValue.has(args[i - 1]) &&
      commandFlags.has(first) &&
      !global.has(first) &&
      global.has(rest)
    ) {
      out.push(first, `-${arg.slice(2)}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * commander's messages for an unknown option or command quote the word as typed, and that word
 * may be a secret: a value that starts with `-` (`set NAME -S3cret`), a password given where a
 * command was expected. The word is left out and `--` suggested, which ends the options so that
 * the next words are values. commander's "Did you mean" names only our own options and commands.
 */
export function hideArgumentWords(message: string): string {
  const m = /^error: unknown (option|command) '[\s\S]*?'(\n\(Did you mean [^\n]*\?\))?\n?$/.exec(
    message,
  );
  if (m === null) return message;
  const suggestion = m[2] === undefined ? '' : ` ${m[2].trim()}`;
  return m[1] === 'option'
    ? `error: unknown option (not shown: it may be a secret); to give a value that starts with "-", put -- before it (for example ssclient set NAME -- VALUE)${suggestion}\n`
    : `error: unknown command (not shown: it may be a secret); see ssclient --help${suggestion}\n`;
}

/** The deepest command that the words of `help A B …` name, and whether a word named none. */
function helpTopicCommand(
  program: Command,
  topic: readonly string[],
): { command: Command; unknown: boolean } {
  let command = program;
  for (const word of topic) {
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub === undefined) return { command, unknown: true };
    command = sub;
  }
  return { command, unknown: false };
}

/** The word after `help` (for the error message of `help UNKNOWN`). */
function unknownHelpTopic(args: readonly string[]): string | null {
  const at = args.indexOf('help');
  return at >= 0 ? (args[at + 1] ?? null) : null;
}

/** `--keyfile` and `--key-file` are the reference's aliases of `--key`. */
function normaliseArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (rest || arg === '--') {
      rest = true;
      out.push(arg);
    } else if (arg === '--keyfile' || arg === '--key-file') {
      out.push('--key');
    } else if (arg.startsWith('--keyfile=') || arg.startsWith('--key-file=')) {
      out.push(`--key=${arg.slice(arg.indexOf('=') + 1)}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `-V` prints one line, `--version` two (as the reference does). */
function versionRequest(args: readonly string[]): 'short' | 'long' | null {
  for (const arg of args) {
    if (arg === '--') return null;
    if (arg === '-V') return 'short';
    if (arg === '--version') return 'long';
  }
  return null;
}

/** The global options that take a value (their value is no command word). */
function valueOptions(program: Command): Set<string> {
  return new Set(
    program.options
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.short, o.long])
      .filter((f): f is string => f !== undefined),
  );
}

/**
 * commander's one-line errors, except `run PROGRAM -x` (commander takes `-x` for an option of
 * `run`): that one says to put `--` before the program, with the command line to use.
 */
function errorLine(message: string, args: readonly string[], program: Command): string {
  const unknown = /^error: unknown option '([^']*)'/.exec(message);
  if (unknown === null) return message;
  const suggestion = runDashDashSuggestion(args, valueOptions(program));
  if (suggestion === null) return message;
  return `error: unknown option '${unknown[1]}' for run: put -- before the program and its arguments: ${suggestion}\n`;
}

function buildProgram(ctx: Context, args: readonly string[]): Command {
  const io = ctx.io;
  const program = new Command('ssclient');
  program
    .description('Create and edit SecureStore secrets vaults (a drop-in for NeoSmart ssclient).')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // `run ls -la` gets its `--` suggestion; any other unknown word is not shown.
      outputError: (s, write) => {
        const line = errorLine(s, args, program);
        write(line === s ? hideArgumentWords(s) : line);
      },
    })
    .showSuggestionAfterError(true)
    .helpCommand('help [command]', 'show help for a command')
    .option('-s, --store <store>', 'the vault file (default: $SSCLIENT_STORE, else secrets.json)')
    .addOption(
      io.stdinIsTTY
        ? new Option('-p, --password', 'ask for the password (masked)')
        : new Option('-p, --password <password>', 'the password (stdin is not a terminal)'),
    )
    .option('--password-file <path>', 'read the password from a file ("-" for stdin)')
    .option(
      '-k, --key <keyfile>',
      'a key file (PEM, 32-byte raw, or KMS-wrapped); aliases --keyfile, --key-file',
    )
    .option('--region <region>', 'AWS region for KMS (default: the AWS SDK chain)')
    .option('--profile <profile>', 'AWS profile for KMS (default: the AWS SDK chain)')
    .option('--kms-endpoint <url>', 'KMS endpoint URL (default: AWS_ENDPOINT_URL_KMS, else AWS)')
    .option(
      '-i, --identity <path>',
      'age identity file for a wrapped key file (repeatable; default: $SSCLIENT_AGE_IDENTITY, $SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt)',
      collect,
    )
    .option('--require-seal', 'refuse a vault without a seal (also SSCLIENT_REQUIRE_SEAL=1)')
    .option('--debug', 'show stack traces for errors')
    .addOption(new Option('-V', 'print the version (one line)'))
    .addOption(new Option('--version', 'print the version'))
    .addHelpText('after', topLevelHelpText());

  const bind = (cmd: Command, action: (...args: never[]) => Promise<void>): void => {
    cmd.action(action as (...args: unknown[]) => Promise<void>);
  };
  // In this order in --help: the reference commands, the workflow, KMS and age, then git.
  for (const register of [
    registerCreate,
    registerSet,
    registerGet,
    registerDelete,
    registerExportKey,
    registerRun,
    registerList,
    registerVerify,
    registerConfig,
    registerImport,
    registerEdit,
    registerKms,
    registerAccess,
    registerGit,
    registerHistory,
    registerRekey,
    registerSeal,
    registerCompletion,
    registerAddSentinel,
  ]) {
    register(program, ctx, bind);
  }
  return program;
}
