/** `seal [--after-merge]` (docs/seal.md; spec/seal.md §6.2, §7.2). The body is actions/seal.ts. */
import type { Command } from 'commander';
import type { SealOptions } from '../actions/seal.js';
import type { Context } from '../context.js';
import type { Register } from './register.js';

export function registerSeal(program: Command, ctx: Context, bind: Register): void {
  const seal = program
    .command('seal')
    .description(
      'seal the vault: bind every name to its value (checks every secret under the key first)',
    )
    .option(
      '--after-merge',
      're-seal a vault merged as text, after checking that every secret verifies and is bound to its name',
    );
  bind(seal, async (_o: unknown, cmd: Command) => {
    const { sealAction } = await import('../actions/seal.js');
    await sealAction(ctx, cmd.optsWithGlobals<SealOptions>());
  });
}
