/** `set NAME [VALUE]` (spec/cli.md §2) and `--file` (docs/workflow.md "Files"). */
import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { Register } from './register.js';

export function registerSet(program: Command, ctx: Context, bind: Register): void {
  const set = program
    .command('set')
    .argument('<name>', 'the secret name')
    .argument('[value]', 'the value; omitted: a masked prompt on a terminal, else all of stdin')
    .description('add or replace a secret')
    .option('--file <path>', 'store the exact bytes of a file ("-": all of stdin, unchanged)');
  bind(set, async (name: string, value: string | undefined, _o: unknown, cmd: Command) => {
    const { setAction } = await import('../actions/set.js');
    await setAction(ctx, name, value, cmd.optsWithGlobals<GlobalOptions & { file?: string }>());
  });
}
