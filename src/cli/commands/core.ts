/**
 * The reference-compatible commands: create, set, get, delete (remove), export-key.
 * FORMAT-NOTES §5; where the reference is broken, README "Differences from the reference".
 */
import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import { encodeKeyFile } from '../../format/key-file.js';
import { KEY_BYTES, randomBytes, zeroize } from '../../crypto/primitives.js';
import { KeySource } from '../../keys/key-source.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import { type Context, decodeUtf8, type GlobalOptions, stripOneNewline } from '../context.js';
import { CliError, EXIT, usage } from '../exit-codes.js';
import { formatJson, formatText, formatValue, type SecretValue, toSecretValue } from '../output.js';
import { openAtRevision } from './git.js';
import type { Register } from './register.js';

export function registerCoreCommands(program: Command, ctx: Context, bind: Register): void {
  const create = program
    .command('create')
    .argument('[store]', 'the vault file to create (default: -s, or secrets.json)')
    .description('create a new vault, protected by a password or a new key file')
    .option('--export-key <path>', 'also write the key as a key file')
    .option('--no-vcs', 'do not add key files to .gitignore');
  bind(create, async (storeArg: string | undefined, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { exportKey?: string; vcs: boolean }>();
    await createVault(ctx, opts, storeArg);
  });

  const set = program
    .command('set')
    .argument('<name>', 'the secret name')
    .argument('[value]', 'the value; omitted: a masked prompt on a terminal, else all of stdin')
    .description('add or replace a secret');
  bind(set, async (name: string, value: string | undefined, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    let plain: string | undefined = value;
    const stdinTaken = value === undefined && !ctx.io.stdinIsTTY;
    const readValue = async (): Promise<string> => {
      if (plain !== undefined) return plain;
      if (ctx.io.stdinIsTTY) return ctx.io.prompter.secret('Value:');
      return stripOneNewline(decodeUtf8(await ctx.io.readStdin(), 'the value on stdin'));
    };
    // Read the value before the vault is locked, so a slow prompt never holds the lock.
    if (stdinTaken) plain = await readValue();
    await ctx.requireStore(ctx.storePath(opts));
    const source = await ctx.keySource(opts, { stdinTaken });
    if (plain === undefined) plain = await readValue();
    const final = plain;
    await SecretsManager.update(ctx.path(ctx.storePath(opts)), source, (vault) =>
      vault.set(name, final),
    );
  });

  const get = program
    .command('get')
    .argument('[name]', 'the secret name')
    .description('print a secret, or all of them with --all')
    .option('-a, --all', 'print every secret')
    .option('--format <format>', 'with --all: json or text', 'json')
    .option('--rev <rev>', 'read the vault as it was at this git revision (docs/git.md)');
  bind(get, async (name: string | undefined, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<
      GlobalOptions & { all?: boolean; format: string; rev?: string }
    >();
    if (opts.all && name !== undefined) throw usage('give a secret name or --all, not both');
    if (!opts.all && name === undefined) throw usage('missing the secret name (or use --all)');
    if (!['json', 'text'].includes(opts.format)) {
      throw usage(`unknown format "${opts.format}": use json or text`);
    }
    const vault =
      opts.rev === undefined ? await ctx.open(opts) : await openAtRevision(ctx, opts, opts.rev);
    try {
      if (name !== undefined) {
        const bytes = vault.getBytes(name);
        if (bytes === null)
          throw new CliError(
            EXIT.FAILURE,
            `no secret named ${JSON.stringify(name)} in ${ctx.storePath(opts)}`,
          );
        ctx.io.stdout.write(formatValue(toSecretValue(name, bytes)));
        return;
      }
      // Decrypt everything before printing anything: a damaged secret prints nothing at all.
      const values: SecretValue[] = [...vault.getAllBytes()].map(([n, bytes]) =>
        toSecretValue(n, bytes),
      );
      ctx.io.stdout.write(opts.format === 'text' ? formatText(values) : formatJson(values));
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
    if (!removed)
      throw new CliError(
        EXIT.FAILURE,
        `no secret named ${JSON.stringify(name)} in ${ctx.storePath(opts)}`,
      );
  });

  const exportKey = program
    .command('export-key')
    .argument('<path>', 'where to write the key file')
    .description('write the key that opens the vault as a key file (PEM, mode 0600)')
    .option('--no-vcs', 'do not add the key file to .gitignore');
  bind(exportKey, async (path: string, _o: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions & { vcs: boolean }>();
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
  opts: GlobalOptions & { exportKey?: string; vcs: boolean },
  storeArg: string | undefined,
): Promise<void> {
  const store = storeArg ?? ctx.storePath(opts);
  if (opts.key !== undefined && (opts.password !== undefined || opts.passwordFile !== undefined)) {
    throw usage('give either a password or -k/--key, not both');
  }
  await ctx.confirmOverwrite(store, 'the vault');
  if (opts.exportKey !== undefined) await ctx.confirmOverwrite(opts.exportKey, 'the key file');

  let source: KeySource;
  let newKey: Uint8Array | null = null;
  if (opts.key !== undefined) {
    const size = await fs
      .stat(ctx.path(opts.key))
      .then((s) => s.size)
      .catch(() => -1);
    if (size <= 0) {
      newKey = randomBytes(KEY_BYTES);
      source = KeySource.fromKey(newKey);
    } else {
      source = KeySource.fromFile(ctx.path(opts.key), { kms: ctx.kmsOptions(opts) });
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
    if (newKey !== null && opts.key !== undefined) {
      await ctx.writeKeyFile(opts.key, encodeKeyFile(newKey), !opts.vcs);
      zeroize(newKey);
    }
    await vault.saveAs(ctx.path(store));
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
