/**
 * The body of `completion bash|zsh|fish` and of the hidden `__complete` query that the printed
 * scripts run on every Tab (docs/cli.md "Shell completion").
 *
 * Hand-written rather than taken from a library (the comparison is in docs/cli.md): what is
 * offered is read from the commander program main.ts builds (commands, subcommands, options,
 * `.choices()`, the hints of ../completion-hints.ts, and the names of arguments), so a new
 * command completes without edits here. Secret names are read from the vault file without a
 * key (names are not encrypted, spec/format.md §5): nothing is decrypted, nothing prompts, and
 * on any trouble the query prints nothing at all.
 *
 * The query protocol: `ssclient __complete SHELL -- LINE [WORD]`, where LINE is the command line
 * up to the cursor and WORD (bash only) is the piece of it readline replaces. The answer is one
 * line `words` followed by one candidate per line, or the line `files` (let the shell complete
 * file names), or nothing.
 */
import type { Command, Option } from 'commander';
import { compareCodePoints } from '../../format/text.js';
import { completionValuesOf } from '../completion-hints.js';
import { Context, DEFAULT_STORE } from '../context.js';

/** Prints the script for `shell` (checked by commander's `.choices()`). */
export function printCompletionScript(ctx: Context, shell: string): void {
  ctx.io.stdout.write(shell === 'zsh' ? ZSH_SCRIPT : shell === 'fish' ? FISH_SCRIPT : BASH_SCRIPT);
}

/** Answers one `__complete` query on stdout; prints nothing on any trouble. */
export async function answerCompletion(
  ctx: Context,
  program: Command,
  shell: string,
  line: string,
  word: string | undefined,
): Promise<void> {
  let answer: string;
  try {
    const tokens = tokenizeLine(line);
    const plan = planCompletion(program, tokens.words, tokens.current.text);
    if (plan.kind === 'files') {
      answer = 'files\n';
    } else {
      const values = plan.kind === 'secrets' ? await secretNames(ctx, plan.store) : plan.values;
      // A candidate is one line: a name holding a control character cannot be one.
      const matching = values.filter(
        (v) => v.startsWith(tokens.current.text) && !/[\0-\x1f\x7f]/.test(v),
      );
      const shown =
        shell === 'bash' ? bashCandidates(matching, tokens.current.raw, word) : matching;
      answer = `words\n${shown.map((v) => `${v}\n`).join('')}`;
    }
  } catch {
    return; // print nothing: the shell then offers nothing
  }
  ctx.io.stdout.write(answer);
}

/** A word of the command line: as the shell will pass it (`text`) and as typed (`raw`). */
export interface LineWord {
  text: string;
  raw: string;
}

/**
 * Splits a command line the way a POSIX shell would for the purpose of completion: unquoted
 * blanks separate words; `'…'` keeps everything, `"…"` keeps everything but `\` before
 * `"`, `\`, `$` and a backtick; `\` outside quotes escapes the next character. An unterminated
 * quote ends the line. The last word, possibly empty, is the one being completed.
 */
export function tokenizeLine(line: string): { words: string[]; current: LineWord } {
  const words: LineWord[] = [];
  let text = '';
  let raw = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      raw += c;
      if (c === "'") quote = null;
      else text += c;
    } else if (quote === '"') {
      raw += c;
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
        text += line[i + 1];
        raw += line[++i];
      } else text += c;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push({ text, raw });
      text = '';
      raw = '';
      inWord = false;
    } else {
      inWord = true;
      raw += c;
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\' && i + 1 < line.length) {
        text += line[i + 1];
        raw += line[++i];
      } else text += c;
    }
  }
  return { words: words.map((w) => w.text), current: { text, raw } };
}

/** What to offer for the word being completed. */
export type CompletionPlan =
  | { kind: 'words'; values: readonly string[] }
  | { kind: 'files' }
  /** The names in the vault: `store` is the -s/--store given on the line, if any. */
  | { kind: 'secrets'; store: string | undefined };

/** Names of option values and arguments that are files: the shell completes file names. */
const FILE_VALUES = new Set(['store', 'keyfile', 'path', 'file', 'dir', 'base', 'ours', 'theirs']);
/** The argument that holds a secret name (`get [name]`, `history <name>`, …). */
const SECRET_NAME = 'name';
/** main.ts reads these as `--key` (the reference's aliases). */
const KEY_ALIASES = new Set(['--keyfile', '--key-file']);

/**
 * Walks `words` (the command line before the word being completed, the program's own name
 * first) through `program`'s commands and options and says what may come at `current`.
 */
export function planCompletion(
  program: Command,
  words: readonly string[],
  current: string,
): CompletionPlan {
  let at = 0;
  while (at < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[at]!)) at++; // VAR=x ssclient
  at++; // the program itself
  let cmd = program;
  let positional = 0;
  let store: string | undefined;
  let help = false;
  let options = true;
  let pending: Option | null = null; // an option whose value is the next word
  for (const word of words.slice(at)) {
    if (pending !== null) {
      if (isStore(pending, program)) store = word;
      pending = null;
    } else if (options && word === '--') {
      options = false;
    } else if (options && word.startsWith('-') && word.length > 1) {
      const taking = valueOptionIn(cmd, word);
      if (taking === null) continue;
      if (taking.inline === null) pending = taking.option;
      else if (isStore(taking.option, program)) store = taking.inline;
    } else {
      const sub = positional === 0 ? subcommand(cmd, word) : undefined;
      if (sub === 'help') help = true;
      else if (sub !== undefined) {
        cmd = sub;
        positional = 0;
      } else positional++;
    }
  }
  if (pending !== null) return valuesOfOption(pending);
  if (options && current.startsWith('--') && current.includes('=')) {
    const option = findOption(cmd, current.slice(0, current.indexOf('=')));
    if (option === undefined) return { kind: 'words', values: [] };
    const plan = valuesOfOption(option);
    const prefix = current.slice(0, current.indexOf('=') + 1);
    return plan.kind === 'words'
      ? { kind: 'words', values: plan.values.map((v) => prefix + v) }
      : plan;
  }
  if (options && current.startsWith('-')) {
    return { kind: 'words', values: optionsOf(cmd).flatMap((o) => flagsOf(o)) };
  }
  const commands = visibleCommands(cmd).filter((c) => !help || c.name() !== 'help');
  if (positional === 0 && commands.length > 0) {
    return { kind: 'words', values: commands.map((c) => c.name()) };
  }
  if (help) return { kind: 'words', values: [] };
  const args = cmd.registeredArguments;
  const last = args[args.length - 1];
  const arg = args[positional] ?? (last?.variadic === true ? last : undefined);
  if (arg === undefined) return { kind: 'words', values: [] };
  if (arg.argChoices !== undefined) return { kind: 'words', values: arg.argChoices };
  if (arg.name() === SECRET_NAME) return { kind: 'secrets', store };
  return FILE_VALUES.has(arg.name()) ? { kind: 'files' } : { kind: 'words', values: [] };
}

/** The global -s/--store. */
function isStore(option: Option, program: Command): boolean {
  return option.attributeName() === 'store' && program.options.includes(option);
}

/**
 * The option in `word` that takes a value, with the value when the word holds it
 * (`--store=x`, `-sx`, `-akx`), or null when the word takes no value (a flag, `-ak` where only
 * `k` takes one has it in the next word: `inline` null) or is unknown.
 */
function valueOptionIn(
  cmd: Command,
  word: string,
): { option: Option; inline: string | null } | null {
  if (word.startsWith('--')) {
    const eq = word.indexOf('=');
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const option = findOption(cmd, KEY_ALIASES.has(flag) ? '--key' : flag);
    if (option === undefined || !(option.required || option.optional)) return null;
    return { option, inline: eq > 0 ? word.slice(eq + 1) : null };
  }
  for (let i = 1; i < word.length; i++) {
    const option = findOption(cmd, `-${word[i]}`);
    if (option === undefined) return null;
    if (option.required || option.optional) {
      return { option, inline: i + 1 < word.length ? word.slice(i + 1) : null };
    }
  }
  return null;
}

/** The value of an option: its fixed choices, file names, or nothing. */
function valuesOfOption(option: Option): CompletionPlan {
  const values = completionValuesOf(option);
  if (values !== undefined) return { kind: 'words', values };
  const name = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1];
  return name !== undefined && FILE_VALUES.has(name)
    ? { kind: 'files' }
    : { kind: 'words', values: [] };
}

/** The command and its parents, nearest first: commander reads a parent's options after a subcommand. */
function lineage(cmd: Command): Command[] {
  const out: Command[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) out.push(c);
  return out;
}

/** The options offered at `cmd` (its own, then its parents'; `--help` once; hidden ones not). */
function optionsOf(cmd: Command): Option[] {
  const seen = new Set<string>();
  const out: Option[] = [];
  for (const c of lineage(cmd)) {
    for (const o of c.createHelp().visibleOptions(c)) {
      const key = o.flags;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(o);
    }
  }
  return out;
}

function flagsOf(o: Option): string[] {
  return [o.short, o.long].filter((f): f is string => f !== undefined);
}

function findOption(cmd: Command, flag: string): Option | undefined {
  for (const c of lineage(cmd)) {
    const found = c.options.find((o) => o.short === flag || o.long === flag);
    if (found !== undefined) return found;
  }
  return undefined;
}

function visibleCommands(cmd: Command): Command[] {
  return cmd.createHelp().visibleCommands(cmd);
}

/** The subcommand `word` names (or an alias of it), `'help'` for commander's help command. */
function subcommand(cmd: Command, word: string): Command | 'help' | undefined {
  for (const c of visibleCommands(cmd)) {
    if (c.name() === word || c.aliases().includes(word)) {
      return c.name() === 'help' ? 'help' : c;
    }
  }
  return undefined;
}

/**
 * The secret names of the store (`-s`/`--store` on the line, else SSCLIENT_STORE, else the
 * project file, else secrets.json, as every command resolves it), read without a key, in the
 * order `list` prints them. A Context of its own whose notes go nowhere: nothing reaches the
 * terminal during completion.
 */
async function secretNames(ctx: Context, store: string | undefined): Promise<string[]> {
  const quiet = new Context({ ...ctx.io, stderr: { write: () => true } });
  const path = quiet.path(
    quiet.setting('store', store === undefined ? {} : { store }).value ?? DEFAULT_STORE,
  );
  const [{ readFileCapped }, { MAX_VAULT_BYTES, parseVault }] = await Promise.all([
    import('../../io/files.js'),
    import('../../format/vault-codec.js'),
  ]);
  const bytes = await readFileCapped(path, MAX_VAULT_BYTES, {
    code: 'ERR_VAULT_FORMAT',
    what: 'a vault',
  });
  return [...parseVault(bytes, path).secrets.keys()].sort(compareCodePoints);
}

/**
 * Candidates as bash inserts them: readline puts a COMPREPLY entry in place of the word it
 * completes as it is, so a name is written with `\` before each character the shell treats
 * specially (`my\ name`, `a\$b`), the way `printf %q` writes printable text. Readline's word
 * begins after the last `:` or `=` (COMP_WORDBREAKS), so what the line holds before that piece
 * (`raw` without `word`) is taken off the front of each candidate.
 */
export function bashCandidates(
  values: readonly string[],
  raw: string,
  word: string | undefined,
): string[] {
  // Right after a ":" or "=", bash's COMP_WORDS holds that character as a word of its own while
  // readline replaces nothing yet (the text after it, empty).
  const piece = word === undefined ? raw : /^[:=]+$/.test(word) ? '' : word;
  const before = raw.endsWith(piece) ? raw.slice(0, raw.length - piece.length) : '';
  return values
    .map((v) => v.replace(/[^A-Za-z0-9_./:=@%+,^\u0080-\u{10FFFF}-]/gu, '\\$&'))
    .filter((v) => v.startsWith(before))
    .map((v) => v.slice(before.length));
}

const BASH_SCRIPT = `# ssclient completion for bash: source this file, e.g. from ~/.bashrc:
#   source <(ssclient completion bash)
_ssclient_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prog=\${COMP_WORDS[0]} out
  [[ $prog == "~/"* ]] && prog=$HOME/\${prog:2}
  out=$("$prog" __complete bash -- "\${COMP_LINE:0:COMP_POINT}" "$cur" 2>/dev/null) || out=
  COMPREPLY=()
  case $out in
    files*)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      ;;
    words*)
      mapfile -t -s 1 COMPREPLY <<<"$out"
      ;;
  esac
  return 0
}
complete -F _ssclient_complete ssclient
`;

const ZSH_SCRIPT = `#compdef ssclient
# ssclient completion for zsh: source this file, e.g. from ~/.zshrc (after compinit):
#   source <(ssclient completion zsh)
_ssclient() {
  local -a lines
  local out
  out=$("\${~words[1]}" __complete zsh -- "$LBUFFER" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  case $lines[1] in
    files) _files ;;
    words) (( $#lines > 1 )) && compadd -- "\${(@)lines[2,-1]}" ;;
    *) return 1 ;;
  esac
}
if (( $+functions[compdef] )); then
  compdef _ssclient ssclient
fi
`;

const FISH_SCRIPT = `# ssclient completion for fish: save as ~/.config/fish/completions/ssclient.fish, or:
#   ssclient completion fish | source
function __ssclient_complete
    set -l prog (commandline -opc)[1]
    set -l out (command $prog __complete fish -- (commandline -cp) 2>/dev/null)
    or return
    switch "$out[1]"
        case files
            __fish_complete_path (commandline -ct)
        case words
            printf '%s\\n' $out[2..-1]
    end
end
complete -c ssclient -f -a '(__ssclient_complete)'
`;
