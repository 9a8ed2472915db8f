/** `import FILE` (docs/workflow.md "Import"). The body is actions/import.ts. */
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import type { ImportOptions } from '../actions/import.js';
import { IMPORT_FORMATS } from '../../workflow/import-format-names.js';
import type { Register } from './register.js';

export function registerImport(program: Command, ctx: Context, bind: Register): void {
  const cmd = program
    .command('import')
    .argument('<file>', 'the file to read ("-": stdin)')
    .description('add many secrets from a dotenv, json, yaml or csv file, in one locked write')
    .addOption(
      new Option('--format <format>', 'the file format (default: from the file name)').choices([
        ...IMPORT_FORMATS,
      ]),
    )
    .option('--prefix <prefix>', 'put this in front of every imported name')
    .option(
      '--dry-run',
      'print which names would be added, changed or left unchanged; write nothing',
    )
    .option('--overwrite', 'replace secrets that exist with another value')
    .option('--skip-existing', 'keep secrets that exist with another value')
    .addHelpText(
      'after',
      '\nReads our own exports (get --all --format json|yaml|csv|dotenv|shell), credstash getall\n' +
        'output, and decrypted sops (YAML/JSON) or dotenvx files. Names that exist with another\n' +
        'value are refused (exit 17) unless --overwrite or --skip-existing says what to do.',
    );
  bind(cmd, async (file: string, _o: unknown, c: Command) => {
    const { importAction } = await import('../actions/import.js');
    await importAction(ctx, file, c.optsWithGlobals<ImportOptions>());
  });
}
