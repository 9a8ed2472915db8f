/**
 * `add-sentinel` (docs/cli.md; spec/format.md §4.2): vouch for the key of an old vault without a
 * sentinel, so that it can be written. The body is actions/add-sentinel.ts.
 */
import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { Register } from './register.js';

export function registerAddSentinel(program: Command, ctx: Context, bind: Register): void {
  const cmd = program
    .command('add-sentinel')
    .description(
      'give an old vault without a sentinel one made with this key, vouching that the key is right (check its values with get first)',
    );
  bind(cmd, async (_o: unknown, command: Command) => {
    const { addSentinelAction } = await import('../actions/add-sentinel.js');
    await addSentinelAction(ctx, command.optsWithGlobals<GlobalOptions>());
  });
}
