/**
 * The body of `edit` (docs/workflow.md "Edit"): the decrypted secrets in a private temporary
 * file, `$VISUAL`/`$EDITOR` on it, and only what changed written back under the vault's lock.
 *
 * The file lives in a directory of its own (0700; the file 0600) on a memory file system where
 * there is one (/dev/shm), else in TMPDIR; SSCLIENT_EDIT_DIR names another place. It is removed
 * however the command ends, also on SIGINT, SIGTERM or SIGHUP (io/files.ts makePrivateTempDir):
 * while the editor runs, such a signal removes it at once and is passed on to the editor
 * (workflow/child-process.ts); ssclient ends (128 + n) when the editor has.
 *
 * If the vault changed on disk while the editor was open (its bytes under the lock differ from
 * the bytes read at the start), the edit is merged by name: it is written onto the vault as it
 * is now when none of the names it adds, changes or removes was changed there too; otherwise it
 * is refused naming them (exit 75) and nothing is written.
 */
import { constants, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { KeySource } from '../../auth.js';
import { isSecureStoreError } from '../../errors.js';
import { MAX_VAULT_BYTES } from '../../format/vault-codec.js';
import {
  makePrivateTempDir,
  readFileCapped,
  removePrivateTempDir,
  removePrivateTempDirNow,
  writePrivateFile,
} from '../../io/files.js';
import { SecretsManager } from '../../vault/secrets-manager.js';
import {
  childEnvironment,
  FORWARDED_SIGNALS,
  runChild,
  signalExitCode,
} from '../../workflow/child-process.js';
import {
  applyEdit,
  describeEdit,
  EDIT_EXTENSIONS,
  type EditFormat,
  type EditPlan,
  editedNames,
  formatEditable,
  isEmptyEdit,
  namesChangedSince,
  parseEditable,
  planEdit,
} from '../../workflow/edit.js';
import type { NamedBytes } from '../../workflow/env-values.js';
import type { Context, GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

export interface EditOptions extends GlobalOptions {
  format: string;
}

/** The editor when neither VISUAL nor EDITOR is set (as git and sops do). */
export const DEFAULT_EDITOR = 'vi';

/** Where a shell reports a command it cannot find. */
const NOT_FOUND = 127;

/** At most this many names are listed in a refusal; the rest are counted. */
const LISTED = 20;

/** `edit [--format dotenv|json|yaml]`. */
export async function editAction(ctx: Context, opts: EditOptions): Promise<void> {
  const format = opts.format as EditFormat;
  const store = ctx.storePath(opts);
  const path = ctx.path(store);
  await ctx.requireStore(store);
  // The bytes the secrets below come from, to tell under the lock whether the vault changed.
  const startBytes = await readFileCapped(path, MAX_VAULT_BYTES, {
    code: 'ERR_VAULT_FORMAT',
    what: 'a vault',
  });
  const vault = await ctx.open(opts);
  let original: NamedBytes[];
  let key: Uint8Array;
  try {
    original = [...vault.getAllBytes()].map(([name, bytes]) => ({ name, bytes }));
    key = vault.exportKeyBytes();
  } finally {
    vault.close();
  }
  let edited: NamedBytes[] = [];
  try {
    const text = await formatEditable(format, original);
    const written = Buffer.from(text, 'utf8');
    const dir = await makePrivateTempDir(await editParent(ctx), 'ssclient-edit-');
    try {
      const file = join(dir, `${fileStem(store)}.${EDIT_EXTENSIONS[format]}`);
      await writePrivateFile(file, written);
      for (;;) {
        await runEditor(ctx, dir, file, store);
        const bytes = await readFileCapped(file, MAX_VAULT_BYTES, {
          code: 'ERR_IMPORT',
          what: 'the edited secrets',
        });
        if (bytes.equals(written)) {
          bytes.fill(0);
          ctx.note(`No changes: nothing was written to ${store}`);
          return;
        }
        try {
          edited = await parseEditable(format, bytes, `the edited ${format} file`);
          break;
        } catch (err) {
          if (!isSecureStoreError(err, 'ERR_IMPORT')) throw err;
          if (!ctx.io.stdinIsTTY) {
            throw new CliError(EXIT.FAILURE, `${err.message}; nothing was written to ${store}`, {
              cause: err,
            });
          }
          ctx.note(`error: ${err.message}`);
          if (!(await ctx.io.prompter.confirm('Re-open the editor?', { default: true }))) {
            throw new CliError(EXIT.FAILURE, `nothing was written to ${store}`, { cause: err });
          }
        } finally {
          bytes.fill(0);
        }
      }
    } finally {
      await removePrivateTempDir(dir);
      written.fill(0);
    }
    const plan = planEdit(original, edited);
    if (isEmptyEdit(plan)) {
      ctx.note(`No changes: nothing was written to ${store}`);
      return;
    }
    const merged = await writeEdit(ctx, opts, key, { startBytes, original, edited, plan });
    ctx.note(`Edited ${store}: ${describeEdit(plan)}${merged}`);
  } finally {
    key.fill(0);
    for (const s of original) s.bytes.fill(0);
    for (const s of edited) s.bytes.fill(0);
  }
}

/**
 * Writes `plan` under the vault's lock, with the key the vault was opened with (no second
 * password stretch or KMS call). Returns what to add to the summary line when the vault had
 * changed on disk and the edit was merged.
 * @throws CliError EXIT.BUSY when a name the edit writes was also changed on disk.
 */
async function writeEdit(
  ctx: Context,
  opts: GlobalOptions,
  key: Uint8Array,
  edit: {
    startBytes: Uint8Array;
    original: readonly NamedBytes[];
    edited: readonly NamedBytes[];
    plan: EditPlan;
  },
): Promise<string> {
  const store = ctx.storePath(opts);
  const path = ctx.path(store);
  const source = KeySource.fromKey(key);
  try {
    return await SecretsManager.update(
      path,
      source,
      async (vault) => {
        const now = await readFileCapped(path, MAX_VAULT_BYTES, {
          code: 'ERR_VAULT_FORMAT',
          what: 'a vault',
        });
        let merged = '';
        if (!now.equals(edit.startBytes)) {
          const current = vault.getAllBytes();
          const changedThere = namesChangedSince(edit.original, current);
          for (const bytes of current.values()) bytes.fill(0);
          const touched = new Set(editedNames(edit.plan));
          const both = changedThere.filter((name) => touched.has(name));
          if (both.length > 0) {
            throw new CliError(
              EXIT.BUSY,
              `${store} changed on disk while the editor was open, and ${listNames(both)} ${both.length === 1 ? 'was' : 'were'} changed there too: nothing was written; run ssclient edit again`,
            );
          }
          merged =
            changedThere.length === 0
              ? ` (${store} had been rewritten on disk meanwhile, with the same values; merged)`
              : ` (${store} changed on disk meanwhile, in ${listNames(changedThere)}; merged by name, those kept)`;
        }
        applyEdit(vault, edit.edited, edit.plan);
        return merged;
      },
      {
        ...ctx.lockOptions(store),
        // What killed writers left beside the key file goes too (spec/format.md §8.1).
        alsoClean: ctx.keyFilesBeside(),
        requireSeal: ctx.requireSeal(opts),
      },
    );
  } finally {
    source.dispose();
  }
}

/**
 * Runs the editor on `file` through the shell, as git does (`sh -c '$EDITOR "$@"' editor FILE`),
 * so that an editor with arguments (`code -w`) works. Returns when it exits 0.
 * @throws CliError when it cannot be found (exit 2), exits non-zero (1) or is killed (128 + n).
 */
async function runEditor(ctx: Context, dir: string, file: string, store: string): Promise<void> {
  const env = ctx.io.env;
  const editor =
    env.VISUAL !== undefined && env.VISUAL.trim() !== ''
      ? env.VISUAL
      : env.EDITOR !== undefined && env.EDITOR.trim() !== ''
        ? env.EDITOR
        : DEFAULT_EDITOR;
  // SIGINT, SIGTERM or SIGHUP sent to us while the editor runs: runChild passes it on to the
  // editor, and the plaintext goes at once, whether or not the editor ends (a shell script
  // waiting on a child does not; vim takes SIGINT for an interrupt). We end when it does.
  const received: NodeJS.Signals[] = [];
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = (): void => {
      received.push(signal);
      removePrivateTempDirNow(dir);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  let outcome;
  try {
    // The editor gets the environment without SSCLIENT_PASSWORD, as `run`'s programs do.
    outcome = await runChild(
      '/bin/sh',
      ['-c', `${editor} "$@"`, editor, file],
      childEnvironment(env, [], false).env,
      ctx.io.cwd,
    );
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
  const nothing = `nothing was written to ${store}`;
  const signal = received[0];
  if (signal !== undefined) {
    throw new CliError(
      signalExitCode(signal),
      `ssclient got ${signal} while the editor was open: the temporary file was removed and ${nothing}`,
    );
  }
  if (outcome.kind === 'exit') {
    if (outcome.code === 0) return;
    if (outcome.code === NOT_FOUND) {
      const from = editor === env.VISUAL ? 'VISUAL' : editor === env.EDITOR ? 'EDITOR' : 'default';
      throw new CliError(
        EXIT.USAGE,
        `cannot start the editor ${JSON.stringify(editor)} (${from === 'default' ? 'the default: neither VISUAL nor EDITOR is set' : `from ${from}`}): command not found; set VISUAL or EDITOR to an editor that waits until the file is closed (for example "code -w"); ${nothing}`,
      );
    }
    throw new CliError(
      EXIT.FAILURE,
      `the editor ${JSON.stringify(editor)} exited with status ${outcome.code}: ${nothing}`,
    );
  }
  if (outcome.kind === 'signal') {
    throw new CliError(
      signalExitCode(outcome.signal),
      `the editor ${JSON.stringify(editor)} was ended by ${outcome.signal}: ${nothing}`,
    );
  }
  throw new CliError(EXIT.FAILURE, `cannot start /bin/sh for the editor (${outcome.errno})`);
}

/**
 * Where the private directory goes: SSCLIENT_EDIT_DIR when set, else /dev/shm (memory: the
 * plaintext never reaches a disk) when it is a writable directory, else TMPDIR or the system's.
 */
async function editParent(ctx: Context): Promise<string> {
  const given = ctx.io.env.SSCLIENT_EDIT_DIR;
  if (given !== undefined && given !== '') return ctx.path(given);
  try {
    const shm = '/dev/shm';
    if ((await fs.stat(shm)).isDirectory()) {
      await fs.access(shm, constants.W_OK | constants.X_OK);
      return shm;
    }
  } catch {
    // no /dev/shm here, or not ours to write
  }
  const tmp = ctx.io.env.TMPDIR;
  return tmp !== undefined && tmp !== '' ? tmp : tmpdir();
}

/** `secrets` for `secrets.json`: the temporary file is named like the vault. */
function fileStem(store: string): string {
  const base = basename(store);
  const stem = base.endsWith('.json') ? base.slice(0, -'.json'.length) : base;
  return stem === '' || stem.startsWith('.') ? `secrets${stem}` : stem;
}

function listNames(names: readonly string[]): string {
  const listed = names
    .slice(0, LISTED)
    .map((n) => JSON.stringify(n))
    .join(', ');
  return names.length > LISTED ? `${listed} and ${names.length - LISTED} more` : listed;
}
