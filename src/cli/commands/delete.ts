/** `delete NAME` (`remove`, spec/cli.md §2). The body is actions/delete.ts. */
import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { Register } from './register.js';

export function registerDelete(program: Command, ctx: Context, bind: Register): void {
  const del = program
    .command('delete')
    .alias('remove')
    .argument('<name>', 'the secret name')
    .description('remove a secret');
  bind(del, async (name: string, _o: unknown, cmd: Command) => {
    const { deleteAction } = await import('../actions/delete.js');
    await deleteAction(ctx, name, cmd.optsWithGlobals<GlobalOptions>());
  });
}
