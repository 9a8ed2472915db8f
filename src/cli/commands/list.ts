/** `list` (`keys`, docs/workflow.md). The body is actions/list.ts. */
import { type Command, Option } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import { collect, type Register } from './register.js';

export function registerList(program: Command, ctx: Context, bind: Register): void {
  const list = program
    .command('list')
    .alias('keys')
    .description('print the secret names (checks the key; decrypts no secret)')
    .addOption(
      new Option('--format <format>', 'text (one per line) or json')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option('--only <pattern>', 'only names matching this glob (repeatable)', collect, []);
  bind(list, async (_o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { format: string; only: string[] }>();
    const { listAction } = await import('../actions/list.js');
    await listAction(ctx, opts);
  });
}
