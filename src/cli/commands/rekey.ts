/** `rekey` (docs/git.md "rekey"). The body is actions/rekey.ts. */
import { type Command, Option } from 'commander';
import type { RekeyOptions } from '../actions/rekey.js';
import type { Context } from '../context.js';
import { NEW_PASSWORD_ENV } from '../option-values.js';
import { collect, type Register } from './register.js';

export function registerRekey(program: Command, ctx: Context, bind: Register): void {
  const rekey = program
    .command('rekey')
    .description('re-encrypt every secret under a new key (new vault iv and sentinel), crash-safe')
    .option(
      '--new-password',
      `a new password: asked twice on a terminal, else from --new-password-file or $${NEW_PASSWORD_ENV}`,
    )
    .option('--new-password-file <path>', 'read the new password from a file')
    .option('--new-key <path>', 'a new random key, written to this key file')
    .option(
      '--kms <key-id>',
      'a new random key, wrapped under this KMS key (repeatable: failover order)',
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
      'with --kms: the wrapped key file (default: the -k wrapped key file, else <store>.kms.json)',
    )
    .addOption(new Option('--no-vcs', 'do not add new key files to .gitignore'));
  bind(rekey, async (_o: unknown, cmd: Command) => {
    const { runRekey } = await import('../actions/rekey.js');
    await runRekey(ctx, cmd.optsWithGlobals<RekeyOptions>());
  });
}
