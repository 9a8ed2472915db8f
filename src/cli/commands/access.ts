/**
 * Team access through age recipients (spec/kms-key-file.md §10, docs/team-access.md):
 * `ssclient access list|add|remove|rekey`. This file registers them; their bodies are in
 * actions/access.ts, loaded when one runs.
 */
import type { Command } from 'commander';
import type {
  AccessAddOptions,
  AccessListOptions,
  AccessOptions,
  AccessRemoveOptions,
} from '../actions/access.js';
import type { Context } from '../context.js';
import { usage } from '../exit-codes.js';
import type { Register } from './register.js';

const actions = () => import('../actions/access.js');

export function registerAccess(program: Command, ctx: Context, bind: Register): void {
  const access = program
    .command('access')
    .description(
      'who can open the vault: age recipients and KMS keys in its wrapped key file (default: <store>.kms.json)',
    );
  access.argument('[command]').usage('<command> [options]');
  bind(access, async (sub: string | undefined) => {
    throw usage(
      `access: ${sub === undefined ? 'give a command' : `unknown command ${JSON.stringify(sub)}`}: list, add, remove or rekey (ssclient access --help)`,
    );
  });

  const fileOption = [
    '--file <path>',
    'the wrapped key file (default: -k if it is one, else the store name with .kms.json)',
  ] as const;

  const list = access
    .command('list')
    .description('show who can open the vault: labels, age recipients, KMS keys (never a key)')
    .option(...fileOption)
    .option('--json', 'print them as JSON');
  bind(list, async (_o: unknown, cmd: Command) => {
    await (await actions()).listAccess(ctx, cmd.optsWithGlobals<AccessListOptions>());
  });

  const add = access
    .command('add')
    .argument('<recipient>', 'their age public key (age1…, or age1pq1…)')
    .description(
      'let one more person open the vault: wrap its key for their age recipient (the key comes from the wrapped key file through your identity or KMS, or from -p/-k)',
    )
    .option(...fileOption)
    .option('--name <name>', 'who it is (shown by access list, used by access remove)');
  bind(add, async (recipient: string, _o: unknown, cmd: Command) => {
    await (await actions()).addAccess(ctx, recipient, cmd.optsWithGlobals<AccessAddOptions>());
  });

  const remove = access
    .command('remove')
    .argument(
      '<who>',
      'the wrapping: its name, its number in access list, its recipient or KMS key',
    )
    .description(
      'drop one wrapping; with --rekey, also re-key the vault for everyone who remains (they may have kept the key otherwise)',
    )
    .option(...fileOption)
    .option(
      '--rekey',
      're-key the vault and wrap the new key for every remaining recipient and KMS key, in one crash-safe step',
    );
  bind(remove, async (who: string, _o: unknown, cmd: Command) => {
    await (await actions()).removeAccess(ctx, who, cmd.optsWithGlobals<AccessRemoveOptions>());
  });

  const rekey = access
    .command('rekey')
    .description(
      're-key the vault and wrap the new key for every recipient and KMS key in its wrapped key file (after access remove)',
    )
    .option(...fileOption);
  bind(rekey, async (_o: unknown, cmd: Command) => {
    await (await actions()).rekeyAccess(ctx, null, cmd.optsWithGlobals<AccessOptions>());
  });
}
