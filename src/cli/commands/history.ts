/** `history NAME [--reveal]` (docs/git.md). The body is actions/history.ts. */
import type { Command } from 'commander';
import type { RevealOptions } from '../actions/git.js';
import type { Context } from '../context.js';
import type { Register } from './register.js';

export function registerHistory(program: Command, ctx: Context, bind: Register): void {
  const history = program
    .command('history')
    .argument('<name>', 'the secret name')
    .option('--reveal', 'also show each value (needs the key)')
    .description(
      'list the commits in which a secret was added, changed or removed, newest first (no key needed)',
    );
  bind(history, async (name: string, _o: unknown, cmd: Command) => {
    const { printHistory } = await import('../actions/history.js');
    await printHistory(ctx, cmd.optsWithGlobals<RevealOptions>(), name);
  });
}
