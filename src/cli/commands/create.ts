/** `create [store]` (spec/cli.md §2): registers it; the body is actions/create.ts. */
import type { Command } from 'commander';
import type { CreateOptions } from '../actions/create.js';
import type { Context } from '../context.js';
import { collect, type Register } from './register.js';

export function registerCreate(program: Command, ctx: Context, bind: Register): void {
  const create = program
    .command('create')
    .argument('[store]', 'the vault file to create (default: -s, or secrets.json)')
    .description('create a new vault, protected by a password or a new key file')
    .option('--export-key <path>', 'also write the key as a key file')
    .option('--no-vcs', 'do not add key files to .gitignore')
    .option(
      '--kms <key-id>',
      'wrap a new key under this KMS key (repeatable: failover order)',
      collect,
      [],
    )
    .option(
      '--context <name=value>',
      'with --kms: an encryption context pair (repeatable)',
      collect,
      [],
    )
    .option(
      '--kms-file <path>',
      'with --kms or --recipient: the wrapped key file (default: <store>.kms.json)',
    )
    .option(
      '--recipient <age1…>',
      'wrap a new key for this age recipient (repeatable; with or without --kms)',
      collect,
      [],
    )
    .option('--recipients-file <path>', 'wrap for each age recipient in this file (one a line)');
  bind(create, async (storeArg: string | undefined, _o: unknown, cmd: Command) => {
    const { createAction } = await import('../actions/create.js');
    await createAction(ctx, cmd.optsWithGlobals<CreateOptions>(), storeArg);
  });
}
