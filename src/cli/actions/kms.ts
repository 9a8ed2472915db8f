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
  isAgeWrapping,
  isKmsWrapping,
  type KmsWrapping,
  makeWrappedKeyFile,
  MAX_WRAPPED_KEY_FILE_BYTES,
  parseWrappedKeyFile,
  removeWrapping,
  findWrapping,
  type WrappedKeyFile,
} from '../../kms/wrapped-key-file.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import { type Context, decodeUtf8, type GlobalOptions } from '../context.js';
import { CliError, EXIT, usage } from '../exit-codes.js';

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
  recipient?: string[];
  recipientsFile?: string;
}

/**
 * `create --kms KEY_ID… --recipient age1…`: a new CSPRNG key, wrapped under each KMS key and for
 * each age recipient first (so a failure writes nothing), then the wrapped key file, then the
 * vault, then any `--export-key` copy.
 */
export async function createKmsVault(
  ctx: Context,
  opts: KmsCreateOptions,
  storeArg: string | undefined,
): Promise<void> {
  if (opts.key !== undefined || opts.password !== undefined || opts.passwordFile !== undefined) {
    throw usage(
      opts.kms.length > 0
        ? 'give either --kms or a password/key file to create, not both (to add a KMS door to a password vault, use export-key --kms)'
        : 'give either --recipient or a password/key file to create, not both',
    );
  }
  const recipients = [
    ...(opts.recipient ?? []),
    ...(opts.recipientsFile !== undefined
      ? await readRecipientsFile(ctx, opts.recipientsFile)
      : []),
  ];
  if (opts.kms.length === 0 && recipients.length === 0) {
    throw usage(`${opts.recipientsFile ?? 'the recipients file'} holds no recipient`);
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
      recipients,
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
      `Wrapped the vault key ${describeDoors(wrapped)} in ${kmsFile} (safe to commit; open the vault with -k ${kmsFile})`,
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
  // Age wrappings (spec/kms-key-file.md §10) are listed by `access list`; numbers stay the
  // positions in the file, so `kms remove N` and `access remove N` agree.
  if (opts.json) {
    const rows = file.wrappings.flatMap((w, i) =>
      isKmsWrapping(w)
        ? [
            {
              index: i + 1,
              provider: w.provider,
              keyArn: w.keyArn,
              region: w.region,
              context: w.context,
            },
          ]
        : [],
    );
    ctx.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  ctx.io.stdout.write(
    file.wrappings
      .map((w, i) =>
        isKmsWrapping(w)
          ? `${i + 1} ${w.provider} ${w.region} ${w.keyArn} ${JSON.stringify(w.context)}\n`
          : '',
      )
      .join(''),
  );
  const ages = file.wrappings.filter(isAgeWrapping).length;
  if (ages > 0) {
    ctx.note(
      `(and ${ages === 1 ? '1 age wrapping' : `${ages} age wrappings`}: ssclient access list)`,
    );
  }
}

/** `kms add KEY_ID`: one more wrapping of the vault key. */
export async function addAction(ctx: Context, keyId: string, opts: KmsAddOptions): Promise<void> {
  const path = await wrappedKeyPath(ctx, opts);
  const updated = await editWrappedKeyFile(ctx, path, (file) => {
    const context = opts.context.length > 0 ? parseContextPairs(opts.context) : firstContext(file);
    checkRoomFor(file, keyId); // before the key is unwrapped (a KMS call) for nothing
    return withVaultKey(ctx, opts, path, (key) =>
      addWrapping(file, key, { keyId, context, ...ctx.kmsOptions(opts) }),
    );
  });
  ctx.note(
    `Added ${(updated.wrappings.at(-1) as KmsWrapping).keyArn} to ${path} (${describeCount(updated)})`,
  );
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
    // By index: removeWrapping returns copies, so the removed one cannot be found by identity.
    const removed = file.wrappings[findWrapping(file, which)]!;
    gone = isKmsWrapping(removed)
      ? removed.keyArn
      : `the age wrapping ${removed.label ?? 'for that recipient'}`;
    return removeWrapping(file, which);
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
    const keyIds =
      opts.to.length > 0 ? opts.to : file.wrappings.filter(isKmsWrapping).map((w) => w.keyArn);
    if (keyIds.length === 0) throw usage('kms rewrap: the file has no KMS wrapping; give --to');
    const context = opts.context.length > 0 ? parseContextPairs(opts.context) : firstContext(file);
    // The age wrappings wrap the same key: they are kept as they are (spec §10).
    const ages = file.wrappings.filter(isAgeWrapping);
    return withVaultKey(ctx, opts, path, async (key) => {
      const kms = await wrapKey(key, { keyIds, context, ...ctx.kmsOptions(opts) });
      return makeWrappedKeyFile([...kms.wrappings, ...ages]);
    });
  });
  ctx.note(`Rewrapped the key in ${path} under ${describeCount(updated)}`);
}

// ------------------------------------------------------------------ helpers

/** `--file`, else `-k` when it names a wrapped key file, else `<store>.kms.json`. */
export async function wrappedKeyPath(
  ctx: Context,
  opts: GlobalOptions & { file?: string },
): Promise<string> {
  if (opts.file !== undefined) return opts.file;
  if (opts.key !== undefined && (await isWrappedKeyFile(ctx.path(opts.key)))) return opts.key;
  return defaultWrappedKeyPath(ctx.storePath(opts));
}

export async function readWrappedKeyFile(ctx: Context, path: string): Promise<WrappedKeyFile> {
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
export async function editWrappedKeyFile(
  ctx: Context,
  path: string,
  edit: (file: WrappedKeyFile) => Promise<WrappedKeyFile>,
): Promise<WrappedKeyFile> {
  return withLock(
    ctx.path(path),
    async () => {
      const updated = await edit(await readWrappedKeyFile(ctx, path));
      await writeWrappedKeyFile(ctx, path, updated);
      return updated;
    },
    ctx.lockOptions(path),
  );
}

export async function writeWrappedKeyFile(
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
export async function withVaultKey<T>(
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

/**
 * The recipients in a recipients file, as age's `-R` reads them: one a line, blank lines and
 * `#` comments ignored. Each is checked when it is wrapped for.
 */
async function readRecipientsFile(ctx: Context, path: string): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(ctx.path(path), 64 * 1024, {
      code: 'ERR_ARGUMENT',
      what: 'a recipients file',
    });
  } catch (err) {
    throw new CliError(
      EXIT.FAILURE,
      `cannot read the recipients file ${path}: ${(err as Error).message.replace(/^.*: /, '')}`,
      {
        cause: err,
      },
    );
  }
  return decodeUtf8(bytes, `the recipients file ${path}`)
    .split('\n')
    .map((line) => line.replace(/\r$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** "under 1 KMS key", "for 2 age recipients", "under 1 KMS key and for 2 age recipients". */
export function describeDoors(file: WrappedKeyFile): string {
  const n = file.wrappings.filter(isKmsWrapping).length;
  const ages = file.wrappings.length - n;
  const kms = n === 0 ? '' : `under ${n === 1 ? '1 KMS key' : `${n} KMS keys`}`;
  const age = ages === 0 ? '' : `for ${ages === 1 ? '1 age recipient' : `${ages} age recipients`}`;
  return [kms, age].filter((s) => s !== '').join(' and ');
}

function describeCount(file: WrappedKeyFile): string {
  const n = file.wrappings.filter(isKmsWrapping).length;
  const ages = file.wrappings.length - n;
  const kms = n === 1 ? '1 KMS key' : `${n} KMS keys`;
  return ages === 0
    ? kms
    : `${kms} and ${ages === 1 ? '1 age recipient' : `${ages} age recipients`}`;
}

/** The context of the first KMS wrapping (new KMS wrappings get the same), else the default. */
function firstContext(file: WrappedKeyFile): EncryptionContext {
  return file.wrappings.find(isKmsWrapping)?.context ?? {};
}
