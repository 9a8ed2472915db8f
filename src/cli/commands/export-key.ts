/** `export-key PATH` (spec/cli.md §2, §3), `--kms` for a wrapped key file. */
import type { Command } from 'commander';
import type { ExportKeyOptions } from '../actions/export-key.js';
import type { Context } from '../context.js';
import { collect, type Register } from './register.js';

export function registerExportKey(program: Command, ctx: Context, bind: Register): void {
  const exportKey = program
    .command('export-key')
    .argument('<path>', 'where to write the key file')
    .description('write the key that opens the vault as a key file (PEM, mode 0600)')
    .option('--no-vcs', 'do not add the key file to .gitignore')
    .option('--kms <key-id>', 'write a KMS-wrapped key file instead (repeatable)', collect, [])
    .option(
      '--context <name=value>',
      'with --kms: an encryption context pair (repeatable)',
      collect,
      [],
    );
  bind(exportKey, async (path: string, _o: unknown, cmd: Command) => {
    const { exportKeyAction } = await import('../actions/export-key.js');
    await exportKeyAction(ctx, path, cmd.optsWithGlobals<ExportKeyOptions>());
  });
}
