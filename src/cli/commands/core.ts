/**
 * The reference-compatible commands: create, set, get, delete (remove), export-key.
 * spec/cli.md §2; where the reference is broken, README "Differences from the reference".
 */
import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import { encodeKeyFile } from '../../format/key-file.js';
import { KEY_BYTES } from '../../format/sizes.js';
import { randomBytes, zeroize } from '../../crypto/primitives.js';
import { KeySource } from '../../auth.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import { type Context, decodeUtf8, type GlobalOptions, stripOneNewline } from '../context.js';
import { CliError, EXIT, usage } from '../exit-codes.js';
import { formatAllSecrets, formatSecret, noSecretNamed } from '../output.js';
import { collect, type Register } from './register.js';
import {
  addGetOptions,
  addSetOptions,
  GET_FORMATS,
  getWithWorkflow,
  setFromFile,
  withProjectKey,
  type WorkflowGetOptions,
} from './workflow.js';

/** The bodies of `create --kms` and `export-key --kms`, loaded only for them. */
const kmsActions = () => import('./kms-actions.js');
/** `get --rev`, loaded only for it. */
const gitActions = () => import('./git-actions.js');

export function registerCoreCommands(program: Command, ctx: Context, bind: Register): void {
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
    .option('--kms-file <path>', 'with --kms: the wrapped key file (default: <store>.kms.json)');
  bind(create, async (storeArg: string | undefined, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<
      GlobalOptions & {
        exportKey?: string;
        vcs: boolean;
        kms: string[];
        context: string[];
        kmsFile?: string;
      }
    >();
    if (opts.kms.length > 0) return (await kmsActions()).createKmsVault(ctx, opts, storeArg);
    if (opts.context.length > 0 || opts.kmsFile !== undefined) {
      throw usage('--context and --kms-file go with --kms');
    }
    await createVault(ctx, opts, storeArg);
  });

  const set = program
    .command('set')
    .argument('<name>', 'the secret name')
    .argument('[value]', 'the value; omitted: a masked prompt on a terminal, else all of stdin')
    .description('add or replace a secret');
  addSetOptions(set);
  bind(set, async (name: string, value: string | undefined, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { file?: string }>();
    if (opts.file !== undefined) return setFromFile(ctx, name, value, { ...opts, file: opts.file });
    // An omitted value: off a terminal all of stdin, read first; on a terminal a prompt after the
    // password's. Either way it is read before the vault is locked, so a slow prompt never holds
    // the lock.
    const stdinTaken = value === undefined && !ctx.io.stdinIsTTY;
    let plain = stdinTaken
      ? stripOneNewline(decodeUtf8(await ctx.io.readStdin(), 'the value on stdin'))
      : value;
    await ctx.update(opts, (vault) => vault.set(name, plain!), {
      stdinTaken,
      beforeLock: async () => {
        plain ??= await ctx.io.prompter.secret('Value:');
      },
    });
  });

  const get = program
    .command('get')
    .argument('[name]', 'the secret name')
    .description('print a secret, or all of them with --all')
    .option('-a, --all', 'print every secret')
    .option('--format <format>', `with --all: ${GET_FORMATS.join(', ')}`, 'json')
    .option('--rev <rev>', 'read the vault as it was at this git revision (docs/git.md)');
  addGetOptions(get);
  bind(get, async (name: string | undefined, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<WorkflowGetOptions & { rev?: string }>();
    if (opts.all && name !== undefined) throw usage('give a secret name or --all, not both');
    if (!opts.all && name === undefined) throw usage('missing the secret name (or use --all)');
    if (!GET_FORMATS.includes(opts.format)) {
      throw usage(`unknown format "${opts.format}": use ${GET_FORMATS.join(', ')}`);
    }
    const rev = opts.rev;
    const open = async (): Promise<SecretsManager> =>
      rev === undefined ? ctx.open(opts) : (await gitActions()).openAtRevision(ctx, opts, rev);
    if (await getWithWorkflow(ctx, name, opts, open)) return;
    const vault = await open();
    try {
      ctx.io.stdout.write(
        name !== undefined
          ? formatSecret(vault, name, ctx.storePath(opts))
          : formatAllSecrets(vault, opts.format),
      );
    } finally {
      vault.close();
    }
  });

  const del = program
    .command('delete')
    .alias('remove')
    .argument('<name>', 'the secret name')
    .description('remove a secret');
  bind(del, async (name: string, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    const removed = await ctx.update(opts, (vault) => vault.delete(name));
    if (!removed) throw noSecretNamed(name, ctx.storePath(opts));
  });

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
    const opts = cmd.optsWithGlobals<
      GlobalOptions & { vcs: boolean; kms: string[]; context: string[] }
    >();
    if (opts.kms.length > 0) return (await kmsActions()).exportWrappedKey(ctx, opts, path);
    if (opts.context.length > 0) throw usage('--context goes with --kms');
    const vault = await ctx.open(opts);
    try {
      await ctx.confirmOverwrite(path, 'the key file');
      const key = vault.exportKeyBytes();
      try {
        await ctx.writeKeyFile(path, encodeKeyFile(key), !opts.vcs);
      } finally {
        zeroize(key);
      }
    } finally {
      vault.close();
    }
  });
}

async function createVault(
  ctx: Context,
  given: GlobalOptions & { exportKey?: string; vcs: boolean },
  storeArg: string | undefined,
): Promise<void> {
  const opts = withProjectKey(ctx, given);
  const store = storeArg ?? ctx.storePath(opts);
  // The key source follows the same precedence as for an existing vault (README "Passwords and
  // keys"): -k / -p / --password-file, then SSCLIENT_KEY, then SSCLIENT_PASSWORD, then a prompt.
  const choice = ctx.keyChoice(opts);
  const keyPath = choice?.kind === 'file' ? choice.path : undefined;
  if ([opts.key, opts.password, opts.passwordFile].filter((o) => o !== undefined).length > 1) {
    throw usage('give only one of -p/--password, --password-file and -k/--key');
  }
  await ctx.confirmOverwrite(store, 'the vault');
  if (opts.exportKey !== undefined) await ctx.confirmOverwrite(opts.exportKey, 'the key file');

  let source: KeySource;
  let newKey: Uint8Array | null = null;
  let keyFileExisted = false;
  let keyFileMode = 0o600;
  if (keyPath !== undefined) {
    const size = await fs
      .stat(ctx.path(keyPath))
      .then((s) => s.size)
      .catch(() => -1);
    if (size <= 0) {
      await ctx.checkTarget(keyPath, 'the key file');
      keyFileExisted = size === 0;
      keyFileMode = await fs
        .stat(ctx.path(keyPath))
        .then((s) => s.mode & 0o7777)
        .catch(() => 0o600);
      newKey = randomBytes(KEY_BYTES);
      source = KeySource.fromKey(newKey);
    } else {
      source = KeySource.fromFile(ctx.path(keyPath), { kms: ctx.kmsOptions(opts) });
    }
  } else {
    let password = await ctx.password(opts, { confirm: true });
    if (password === null) password = ctx.io.env.SSCLIENT_PASSWORD ?? null;
    if (password === null) {
      if (!ctx.io.stdinIsTTY) {
        throw new CliError(
          EXIT.FAILURE,
          'no password or key given: use -p PASSWORD, --password-file PATH, -k KEYFILE, or set SSCLIENT_PASSWORD',
        );
      }
      password = await ctx.promptPassword(true);
    }
    source = KeySource.fromPassword(password);
  }

  const vault = await SecretsManager.create(source);
  try {
    // The key file is written before the vault, so there is never a vault without its key.
    let wroteKey = false;
    if (newKey !== null && keyPath !== undefined) {
      await ctx.writeKeyFile(keyPath, encodeKeyFile(newKey), !opts.vcs);
      wroteKey = true;
      zeroize(newKey);
    }
    try {
      await vault.saveAs(ctx.path(store));
    } catch (err) {
      // No vault: take back the key made for it (a failed command leaves files as they were).
      if (wroteKey && keyPath !== undefined) {
        const path = ctx.path(keyPath);
        await (keyFileExisted ? fs.writeFile(path, '', { mode: keyFileMode }) : fs.unlink(path))
          .then(() => (keyFileExisted ? fs.chmod(path, keyFileMode) : undefined))
          .catch(() => {});
      }
      throw err;
    }
    if (opts.exportKey !== undefined) {
      const key = vault.exportKeyBytes();
      try {
        await ctx.writeKeyFile(opts.exportKey, encodeKeyFile(key), !opts.vcs);
      } finally {
        zeroize(key);
      }
    }
  } finally {
    vault.close();
    source.dispose();
  }
}
