/** `edit` (docs/workflow.md "Edit"). The body is actions/edit.ts. */
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import type { EditOptions } from '../actions/edit.js';
import type { Register } from './register.js';

export function registerEdit(program: Command, ctx: Context, bind: Register): void {
  const cmd = program
    .command('edit')
    .description('edit the decrypted secrets in $VISUAL or $EDITOR; writes back only what changed')
    .addOption(
      new Option('--format <format>', 'the text to edit')
        .choices(['dotenv', 'json', 'yaml'])
        .default('dotenv'),
    )
    .addHelpText(
      'after',
      '\nThe editor is $VISUAL, else $EDITOR, else vi, run through sh (so "code -w" works). The\n' +
        'file is private (0600 in a 0700 directory, in /dev/shm where there is one) and removed\n' +
        'afterwards, also on Ctrl-C. Values that are not text are shown as base64:…; a value\n' +
        'written base64:… is stored as those bytes. Unchanged secrets keep their exact bytes in the\n' +
        'vault. Nothing is written when the file is unchanged, the editor fails (exit 1) or the\n' +
        'file does not parse (exit 1; on a terminal you may re-open it). If the vault changed on\n' +
        'disk meanwhile, the edit is merged by name, or refused (exit 75) when a name it writes\n' +
        'changed there too.',
    );
  bind(cmd, async (_o: unknown, c: Command) => {
    const { editAction } = await import('../actions/edit.js');
    await editAction(ctx, c.optsWithGlobals<EditOptions>());
  });
}
