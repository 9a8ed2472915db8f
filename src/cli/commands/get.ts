/**
 * `get NAME`, `get --all` (spec/cli.md §2), with the export formats, wildcards and `--output`
 * of docs/workflow.md and `--rev` of docs/git.md. The body is actions/get.ts.
 */
import { type Command, Option } from 'commander';
import type { WorkflowGetOptions } from '../actions/get-export.js';
import type { Context } from '../context.js';
import { completeValues } from '../completion-hints.js';
import { GET_FORMATS } from '../option-values.js';
import { collect, nameOptions, type Register } from './register.js';

export function registerGet(program: Command, ctx: Context, bind: Register): void {
  const get = program
    .command('get')
    .argument('[name]', 'the secret name')
    .description('print a secret, or all of them with --all')
    .option('-a, --all', 'print every secret')
    .addOption(
      completeValues(
        new Option('--format <format>', `with --all: ${GET_FORMATS.join(', ')}`).default('json'),
        GET_FORMATS,
      ),
    )
    .option('--rev <rev>', 'read the vault as it was at this git revision (docs/git.md)')
    .option(
      '--only <pattern>',
      'with --all: only names matching this glob (repeatable)',
      collect,
      [],
    )
    .option('--output <path>', 'write to a file created 0600 (one value: its exact bytes)')
    .option('--force', 'with --output: replace an existing file')
    .option('--escape-formulas', "csv: prefix a leading = + - @ with ' for spreadsheets");
  nameOptions(get);
  bind(get, async (name: string | undefined, _o: unknown, cmd: Command) => {
    const { getCommand } = await import('../actions/get.js');
    await getCommand(ctx, name, cmd.optsWithGlobals<WorkflowGetOptions & { rev?: string }>());
  });
}
