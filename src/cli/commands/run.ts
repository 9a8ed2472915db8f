/** `run -- COMMAND [ARGS…]` (docs/workflow.md "run"). The body is actions/run.ts. */
import type { Command } from 'commander';
import type { NameOptions } from '../actions/get-export.js';
import type { Context, GlobalOptions } from '../context.js';
import { collect, nameOptions, type Register } from './register.js';

export function registerRun(program: Command, ctx: Context, bind: Register): void {
  const run = program
    .command('run')
    .argument('<command>', 'the program to run (put -- before it)')
    .argument('[args...]', 'its arguments')
    .description('run a program with the secrets in its environment')
    .option(
      '--only <pattern>',
      'only secrets whose names match this glob (repeatable)',
      collect,
      [],
    )
    .option(
      '--keep-existing',
      "variables already in the environment keep their values (default: the vault's values replace them, with a note on stderr)",
    )
    .addHelpText('after', '\nPut -- before the command: ssclient run -- node server.js --port 80');
  nameOptions(run);
  bind(run, async (command: string, args: string[], _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<
      GlobalOptions & NameOptions & { only: string[]; keepExisting?: boolean }
    >();
    const { runAction } = await import('../actions/run.js');
    await runAction(ctx, command, args, opts);
  });
}
