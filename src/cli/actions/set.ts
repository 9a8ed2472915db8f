/**
 * The body of `set` (spec/cli.md §2): a value from the command line, a prompt or stdin, or with
 * `--file` a file's exact bytes (docs/workflow.md "Files").
 */
import { isSecureStoreError } from '../../errors.js';
import { readFileCapped } from '../../io/files.js';
import { type Context, decodeUtf8, type GlobalOptions, stripOneNewline } from '../context.js';
import { CliError, EXIT, usage } from '../exit-codes.js';

/** A value read with `--file` may be at most this large (the vault itself is capped at 256 MiB). */
export const MAX_FILE_VALUE_BYTES = 128 * 1024 * 1024;

/** `set NAME [VALUE]` and `set NAME --file PATH`. */
export async function setAction(
  ctx: Context,
  name: string,
  value: string | undefined,
  opts: GlobalOptions & { file?: string },
): Promise<void> {
  ctx.warnSecretArguments({
    password: typeof opts.password === 'string',
    value: value !== undefined,
  });
  if (opts.file !== undefined)
    return setFromFileAction(ctx, name, value, { ...opts, file: opts.file });
  // An omitted value: off a terminal all of stdin, read first; on a terminal a prompt after the
  // password's. Either way it is read before the vault is locked, so a slow prompt never holds
  // the lock.
  const stdinTaken = value === undefined && !ctx.io.stdinIsTTY;
  let plain = stdinTaken
    ? stripOneNewline(decodeUtf8(await ctx.io.readStdin(), 'the value on stdin'))
    : value;
  await ctx.update(opts, (vault) => vault.set(name, plain!), {
    stdinTaken,
    // On a terminal, asked once the key has been checked (Context.update).
    ...(plain === undefined
      ? {
          beforeLock: async () => {
            plain = await ctx.io.prompter.secret('Value:');
          },
        }
      : {}),
  });
}

/** `set NAME --file PATH`: the file's bytes, binary or not, nothing stripped. */
export async function setFromFileAction(
  ctx: Context,
  name: string,
  value: string | undefined,
  opts: GlobalOptions & { file: string },
): Promise<void> {
  if (value !== undefined) throw usage('give a value or --file, not both');
  const stdinTaken = opts.file === '-';
  let bytes: Uint8Array;
  if (stdinTaken) {
    bytes = await ctx.io.readStdin();
    if (bytes.length > MAX_FILE_VALUE_BYTES) {
      throw new CliError(
        EXIT.FAILURE,
        `the value on stdin is larger than ${MAX_FILE_VALUE_BYTES >> 20} MiB`,
      );
    }
  } else {
    try {
      bytes = await readFileCapped(ctx.path(opts.file), MAX_FILE_VALUE_BYTES, {
        code: 'ERR_ARGUMENT',
        what: 'a secret value',
      });
    } catch (err) {
      if (isSecureStoreError(err))
        throw new CliError(
          err.code === 'ERR_ARGUMENT' ? EXIT.USAGE : EXIT.FAILURE,
          err.message.replace(ctx.path(opts.file), opts.file),
          { cause: err },
        );
      throw err;
    }
  }
  try {
    await ctx.update(opts, (vault) => vault.set(name, bytes), { stdinTaken });
  } finally {
    bytes.fill(0);
  }
}
