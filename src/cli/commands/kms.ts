/**
 * KMS-wrapped keys in the CLI (spec/kms-key-file.md): `ssclient kms list|add|remove|rewrap`.
 * This file registers them; their bodies, and those of `create --kms` and `export-key --kms`,
 * are in actions/kms.ts, loaded when one runs.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usage } from '../exit-codes.js';
import { collect, type Register } from './register.js';
import type {
  KmsAddOptions,
  KmsFileOptions,
  KmsListOptions,
  KmsRewrapOptions,
} from '../actions/kms.js';

const actions = () => import('../actions/kms.js');

export function registerKms(program: Command, ctx: Context, bind: Register): void {
  const kms = program
    .command('kms')
    .description('show and change the KMS-wrapped key file of a vault (default: <store>.kms.json)');
  kms.argument('[command]').usage('<command> [options]');
  bind(kms, async (sub: string | undefined) => {
    throw usage(
      `kms: ${sub === undefined ? 'give a command' : `unknown command ${JSON.stringify(sub)}`}: list, add, remove or rewrap (ssclient kms --help)`,
    );
  });

  const fileOption = [
    '--file <path>',
    'the wrapped key file (default: -k if it is one, else the store name with .kms.json)',
  ] as const;

  const list = kms
    .command('list')
    .description(
      'show the wrappings of the key (provider, KMS key, region, context; never the key)',
    )
    .option(...fileOption)
    .option('--json', 'print them as JSON');
  bind(list, async (_o: unknown, cmd: Command) => {
    await (await actions()).listAction(ctx, cmd.optsWithGlobals<KmsListOptions>());
  });

  const add = kms
    .command('add')
    .argument('<key-id>', 'the KMS key: key id, key ARN, alias name or alias ARN')
    .description(
      'wrap the key under one more KMS key (the key comes from the wrapped key file, or -p/-k)',
    )
    .option(...fileOption)
    .option(
      '--context <name=value>',
      'encryption context pair (repeatable; default: the first wrapping’s context)',
      collect,
      [],
    );
  bind(add, async (keyId: string, _o: unknown, cmd: Command) => {
    await (await actions()).addAction(ctx, keyId, cmd.optsWithGlobals<KmsAddOptions>());
  });

  const remove = kms
    .command('remove')
    .argument('<key>', 'the wrapping: its number in "kms list", its key ARN or key id')
    .description('drop one wrapping (KMS is not called; the last wrapping cannot be removed)')
    .option(...fileOption);
  bind(remove, async (which: string, _o: unknown, cmd: Command) => {
    await (await actions()).removeAction(ctx, which, cmd.optsWithGlobals<KmsFileOptions>());
  });

  const rewrap = kms
    .command('rewrap')
    .description(
      'replace every wrapping: wrap the key again under --to KMS keys and/or a new --context (the vault is not changed)',
    )
    .option(...fileOption)
    .option(
      '--to <key-id>',
      'a KMS key to wrap under (repeatable; default: the same keys)',
      collect,
      [],
    )
    .option(
      '--context <name=value>',
      'encryption context pair (repeatable; default: the first wrapping’s context)',
      collect,
      [],
    );
  bind(rewrap, async (_o: unknown, cmd: Command) => {
    await (await actions()).rewrapAction(ctx, cmd.optsWithGlobals<KmsRewrapOptions>());
  });
}
