/** `verify [--strict]` (docs/workflow.md "verify"). The body is actions/verify.ts. */
import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { Register } from './register.js';

export function registerVerify(program: Command, ctx: Context, bind: Register): void {
  const verify = program
    .command('verify')
    .description('check the vault for CI: structure always; with a key, every secret decrypts')
    .option(
      '--strict',
      'also check that key files next to the vault are private and ignored by git',
    )
    .option(
      '--since <rev>',
      'list names added, changed and removed since a git revision; fail if the seal was dropped or the generation did not grow',
    );
  bind(verify, async (_o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { strict?: boolean; since?: string }>();
    const { verifyAction } = await import('../actions/verify.js');
    await verifyAction(ctx, opts);
  });
}
