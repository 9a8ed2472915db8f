/** `config [--format json]` (docs/workflow.md "config"). The body is actions/config.ts. */
import { type Command, Option } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { Register } from './register.js';

export function registerConfig(program: Command, ctx: Context, bind: Register): void {
  const config = program
    .command('config')
    .description('print each effective setting and where it comes from (never a secret)')
    .addOption(
      new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'),
    );
  bind(config, async (_o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { format: string }>();
    const { configAction } = await import('../actions/config.js');
    await configAction(ctx, opts);
  });
}
