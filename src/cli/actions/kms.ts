/**
 * The bodies of the KMS commands (spec/kms-key-file.md): `create --kms`, `export-key --kms` and
 * `ssclient kms list|add|remove|rewrap`, loaded only when one of them runs, so that commands
 * without KMS do not load the wrapping code. A wrapped key file is meant to be committed: it gets
 * no .gitignore rule.
 */
import { isWrappedKeyFile, KeySource } from '../../auth.js';
import { randomBytes, zeroize } from '../../crypto/primitives.js';
import { encodeKeyFile } from '../../format/key-file.js';
import { KEY_BYTES } from '../../format/sizes.js';
import { readFileCapped, writeFileAtomic } from '../../io/files.js';
import { withLock } from '../../io/lock.js';
import { addWrapping, wrapKey } from '../../kms/wrap.js';
import {
  checkRoomFor,
  defaultWrappedKeyPath,
  type EncryptionContext,
  formatWrappedKeyFile,
  MAX_WRAPPED_KEY_FILE_BYTES,
  parseWrappedKeyFile,
  removeWrapping,
  type WrappedKeyFile,
} from '../../kms/wrapped-key-file.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import type { Context, GlobalOptions } from '../context.js';
import { usage } from '../exit-codes.js';

/** The options of every `kms` command: which wrapped key file. */
export interface KmsFileOptions extends GlobalOptions {
  file?: string;
}

export interface KmsListOptions extends KmsFileOptions {
  json?: boolean;
}

export interface KmsAddOptions extends KmsFileOptions {
  context: string[];
}

export interface KmsRewrapOptions extends KmsAddOptions {
  to: string[];
}

/** `--context name=value` pairs as an encryption context; a name given twice is an error. */
export function parseContextPairs(pairs: readonly string[]): EncryptionContext {
  const context: [string, string][] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`--context ${JSON.stringify(pair)}: expected name=value`);
    const name = pair.slice(0, eq);
    if (context.some(([n]) => n === name)) throw usage(`--context: ${name} is given twice`);
    context.push([name, pair.slice(eq + 1)]);
  }
  return Object.fromEntries(context);
}

interface KmsCreateOptions extends GlobalOptions {
  kms: string[];
  context: string[];
  kmsFile?: string;
  exportKey?: string;
  vcs: boolean;
}

/**
 * `create --kms KEY_ID…`: a new CSPRNG key, wrapped under each KMS key first (so a KMS failure
 * writes nothing), then the wrapped key file, then the vault, then any `--export-key` copy.
 */
export async function createKmsVault(
  ctx: Context,
  opts: KmsCreateOptions,
  storeArg: string | undefined,
): Promise<void> {
  if (opts.key !== undefined || opts.password !== undefined || opts.passwordFile !== undefined) {
    throw usage(
      'give either --kms or a password/key file to create, not both (to add a KMS door to a password vault, use export-key --kms)',
    );
  }
  const store = storeArg ?? ctx.storePath(opts);
  const kmsFile = opts.kmsFile ?? defaultWrappedKeyPath(store);
  if (ctx.path(kmsFile) === ctx.path(store))
    throw usage('the wrapped key file cannot be the vault');
  const context = parseContextPairs(opts.context);
  await ctx.confirmOverwrite(store, 'the vault');
  await ctx.confirmOverwrite(kmsFile, 'the wrapped key file');
  if (opts.exportKey !== undefined) await ctx.confirmOverwrite(opts.exportKey, 'the key file');

  const key = randomBytes(KEY_BYTES);
  const source = KeySource.fromKey(key);
  try {
    const wrapped = await wrapKey(key, {
      keyIds: opts.kms,
      context,
      ...ctx.kmsOptions(opts),
    });
    const vault = await SecretsManager.create(source, { seal: true });
    try {
      // The wrapped key file first: there is never a vault without the file that opens it.
      await writeWrappedKeyFile(ctx, kmsFile, wrapped);
      await vault.saveAs(ctx.path(store));
      if (opts.exportKey !== undefined) {
        await ctx.writeKeyFile(opts.exportKey, encodeKeyFile(key), !opts.vcs);
      }
    } finally {
      vault.close();
    }
    ctx.note(
      `Wrapped the vault key under ${describeCount(wrapped)} in ${kmsFile} (safe to commit; open the vault with -k ${kmsFile})`,
    );
  } finally {
    zeroize(key);
    source.dispose();
  }
}

/** `export-key --kms KEY_ID… PATH`: wrap the key that opens the vault (a new KMS door). */
export async function exportWrappedKey(
  ctx: Context,
  opts: GlobalOptions & { kms: string[]; context: string[] },
  path: string,
): Promise<void> {
  const context = parseContextPairs(opts.context);
  const vault = await ctx.open(opts);
  try {
    if (ctx.path(path) === ctx.path(ctx.storePath(opts))) {
      throw usage('the wrapped key file cannot be the vault');
    }
    await ctx.confirmOverwrite(path, 'the wrapped key file');
    const key = vault.exportKeyBytes();
    try {
      const wrapped = await wrapKey(key, { keyIds: opts.kms, context, ...ctx.kmsOptions(opts) });
      await writeWrappedKeyFile(ctx, path, wrapped);
      ctx.note(`Wrapped the vault key under ${describeCount(wrapped)} in ${path}`);
    } finally {
      zeroize(key);
    }
  } finally {
    vault.close();
  }
}

// ------------------------------------------------------------------ kms list|add|remove|rewrap

/** `kms list`: the wrappings, one per line or as JSON (never the key). */
export async function listAction(ctx: Context, opts: KmsListOptions): Promise<void> {
  const path = await wrappedKeyPath(ctx, opts);
  const file = await readWrappedKeyFile(ctx, path);
  if (opts.json) {
    const rows = file.wrappings.map((w, i) => ({
      index: i + 1,
      provider: w.provider,
      keyArn: w.keyArn,
      region: w.region,
      context: w.context,
    }));
    ctx.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  ctx.io.stdout.write(
    file.wrappings
      .map(
        (w, i) => `${i + 1} ${w.provider} ${w.region} ${w.keyArn} ${JSON.stringify(w.context)}\n`,
      )
      .join(''),
  );
}

/** `kms add KEY_ID`: one more wrapping of the vault key. */
export async function addAction(ctx: Context, keyId: string, opts: KmsAddOptions): Promise<void> {
  const path = await wrappedKeyPath(ctx, opts);
  const updated = await editWrappedKeyFile(ctx, path, (file) => {
    const context =
      opts.context.length > 0 ? parseContextPairs(opts.context) : file.wrappings[0]!.context;
    checkRoomFor(file, keyId); // before the key is unwrapped (a KMS call) for nothing
    return withVaultKey(ctx, opts, path, (key) =>
      addWrapping(file, key, { keyId, context, ...ctx.kmsOptions(opts) }),
    );
  });
  ctx.note(`Added ${updated.wrappings.at(-1)!.keyArn} to ${path} (${describeCount(updated)})`);
}

/** `kms remove KEY`: drops one wrapping (no KMS call). */
export async function removeAction(
  ctx: Context,
  which: string,
  opts: KmsFileOptions,
): Promise<void> {
  const path = await wrappedKeyPath(ctx, opts);
  let gone = '';
  const updated = await editWrappedKeyFile(ctx, path, async (file) => {
    const kept = removeWrapping(file, which);
    gone = file.wrappings.find((w) => !kept.wrappings.includes(w))!.keyArn;
    return kept;
  });
  ctx.note(`Removed ${gone} from ${path} (${describeCount(updated)} left)`);
}

/** `kms rewrap`: every wrapping replaced, under `--to` keys and/or a new `--context`. */
export async function rewrapAction(ctx: Context, opts: KmsRewrapOptions): Promise<void> {
  if (opts.to.length === 0 && opts.context.length === 0) {
    throw usage('kms rewrap: give --to KEY_ID and/or --context name=value');
  }
  const path = await wrappedKeyPath(ctx, opts);
  const updated = await editWrappedKeyFile(ctx, path, (file) => {
    const keyIds = opts.to.length > 0 ? opts.to : file.wrappings.map((w) => w.keyArn);
    const context =
      opts.context.length > 0 ? parseContextPairs(opts.context) : file.wrappings[0]!.context;
    return withVaultKey(ctx, opts, path, (key) =>
      wrapKey(key, { keyIds, context, ...ctx.kmsOptions(opts) }),
    );
  });
  ctx.note(`Rewrapped the key in ${path} under ${describeCount(updated)}`);
}

// ------------------------------------------------------------------ helpers

/** `--file`, else `-k` when it names a wrapped key file, else `<store>.kms.json`. */
async function wrappedKeyPath(
  ctx: Context,
  opts: GlobalOptions & { file?: string },
): Promise<string> {
  if (opts.file !== undefined) return opts.file;
  if (opts.key !== undefined && (await isWrappedKeyFile(ctx.path(opts.key)))) return opts.key;
  return defaultWrappedKeyPath(ctx.storePath(opts));
}

async function readWrappedKeyFile(ctx: Context, path: string): Promise<WrappedKeyFile> {
  const bytes = await readFileCapped(ctx.path(path), MAX_WRAPPED_KEY_FILE_BYTES, {
    code: 'ERR_KMS_KEY_FILE',
    what: 'a wrapped key file',
  });
  return parseWrappedKeyFile(bytes, path);
}

/**
 * A locked read-modify-write of a wrapped key file (the same `<file>.lock` protocol as vaults),
 * so two concurrent `kms add` runs cannot lose one of the wrappings.
 */
async function editWrappedKeyFile(
  ctx: Context,
  path: string,
  edit: (file: WrappedKeyFile) => Promise<WrappedKeyFile>,
): Promise<WrappedKeyFile> {
  return withLock(ctx.path(path), async () => {
    const updated = await edit(await readWrappedKeyFile(ctx, path));
    await writeWrappedKeyFile(ctx, path, updated);
    return updated;
  });
}

async function writeWrappedKeyFile(
  ctx: Context,
  path: string,
  file: WrappedKeyFile,
): Promise<void> {
  await writeFileAtomic(ctx.path(path), formatWrappedKeyFile(file), { mode: 0o644 });
}

/**
 * Runs `fn` with the vault key: from -p/-k/--password-file when given, else unwrapped from the
 * wrapped key file. The key is checked against the vault (its sentinel), so a wrapping is never
 * made of a key that does not open it.
 */
async function withVaultKey<T>(
  ctx: Context,
  opts: GlobalOptions,
  wrappedPath: string,
  fn: (key: Uint8Array) => Promise<T>,
): Promise<T> {
  const explicit =
    opts.password !== undefined || opts.passwordFile !== undefined || opts.key !== undefined;
  const source = explicit
    ? await ctx.keySource(opts)
    : KeySource.fromKmsFile(ctx.path(wrappedPath), ctx.kmsOptions(opts));
  try {
    await ctx.requireStore(ctx.storePath(opts));
    const vault = await SecretsManager.fromFile(ctx.path(ctx.storePath(opts)), source);
    let key: Uint8Array | null = null;
    try {
      key = vault.exportKeyBytes();
      return await fn(key);
    } finally {
      zeroize(key);
      vault.close();
    }
  } finally {
    source.dispose();
  }
}

function describeCount(file: WrappedKeyFile): string {
  const n = file.wrappings.length;
  return n === 1 ? '1 KMS key' : `${n} KMS keys`;
}
