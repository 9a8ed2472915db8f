/**
 * `completion bash|zsh|fish` prints a shell script (docs/cli.md "Shell completion"); the hidden
 * `__complete` is what that script runs on every Tab. Both walk the commander program built in
 * main.ts, so a new command or option completes without edits here. The body is
 * actions/completion.ts.
 */
import { type Command, Argument } from 'commander';
import type { Context } from '../context.js';
import type { Register } from './register.js';

const SHELLS = ['bash', 'zsh', 'fish'];

export function registerCompletion(program: Command, ctx: Context, bind: Register): void {
  const completion = program
    .command('completion')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .description('print a shell completion script (source it; see docs/cli.md)');
  bind(completion, async (shell: string) => {
    const { printCompletionScript } = await import('../actions/completion.js');
    printCompletionScript(ctx, shell);
  });

  const query = program
    .command('__complete', { hidden: true })
    .addArgument(new Argument('<shell>').choices(SHELLS))
    .argument('<line>', 'the command line up to the cursor')
    .argument('[word]', 'bash: the word readline replaces (COMP_WORDS[COMP_CWORD])');
  bind(query, async (shell: string, line: string, word: string | undefined) => {
    const { answerCompletion } = await import('../actions/completion.js');
    await answerCompletion(ctx, program, shell, line, word);
  });
}
