/**
 * The bodies of `ssclient access list|add|remove|rekey` (spec/kms-key-file.md §10,
 * docs/team-access.md), loaded only when one runs. They edit the wrapped key file under its lock;
 * `remove --rekey` and `rekey` re-key the vault through rekey/rekey.ts (crash-safe by ordering).
 */
import { promises as fs } from 'node:fs';
import { isSecureStoreError, SecureStoreError } from '../../errors.js';
import { recipientFingerprint } from '../../format/age-file.js';
import { withLock } from '../../io/lock.js';
import { KeySource } from '../../auth.js';
import type { WrappedKeyOptions } from '../../kms/options.js';
import { addWrapping, wrapKey } from '../../kms/wrap.js';
import {
  checkRoomForRecipient,
  findWrapping,
  formatWrappedKeyFile,
  isKmsWrapping,
  makeWrappedKeyFile,
  removeWrapping,
  type WrappedKeyFile,
  type Wrapping,
} from '../../kms/wrapped-key-file.js';
import { type RekeyStep, rekeyVault } from '../../rekey/rekey.js';
import type { Context, GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import {
  describeDoors,
  editWrappedKeyFile,
  readWrappedKeyFile,
  withVaultKey,
  wrappedKeyPath,
  writeWrappedKeyFile,
} from './kms.js';

/** The options of every `access` command: which wrapped key file. */
export interface AccessOptions extends GlobalOptions {
  file?: string;
}

export interface AccessListOptions extends AccessOptions {
  json?: boolean;
}

export interface AccessAddOptions extends AccessOptions {
  name?: string;
}

export interface AccessRemoveOptions extends AccessOptions {
  rekey?: boolean;
}

/** `access list`: one line per wrapping, in file order (never a key). */
export async function listAccess(ctx: Context, opts: AccessListOptions): Promise<void> {
  const path = await wrappedKeyPath(ctx, opts);
  const file = await readWrappedKeyFile(ctx, path);
  if (opts.json) {
    const rows = file.wrappings.map((w, i) =>
      isKmsWrapping(w)
        ? { index: i + 1, provider: w.provider, keyArn: w.keyArn, region: w.region }
        : { index: i + 1, provider: w.provider, recipient: w.recipient, label: w.label ?? null },
    );
    ctx.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  ctx.io.stdout.write(file.wrappings.map((w, i) => `${i + 1} ${describeWrapping(w)}\n`).join(''));
}

/** `access add RECIPIENT [--name NAME]`: one more age wrapping of the vault key. */
export async function addAccess(
  ctx: Context,
  recipient: string,
  opts: AccessAddOptions,
): Promise<void> {
  const { checkRecipient } = await import('../../age/wrap.js');
  const r = checkRecipient(
    opts.name !== undefined ? { recipient, label: opts.name } : { recipient },
  );
  const path = await wrappedKeyPath(ctx, opts);
  const who = r.label ?? recipientFingerprint(r.recipient);
  const exists = await fs.stat(ctx.path(path)).then(
    () => true,
    () => false,
  );
  if (!exists) {
    // A vault opened by a password or key file gets its first wrapped key file.
    const explicit =
      opts.password !== undefined || opts.passwordFile !== undefined || opts.key !== undefined;
    if (!explicit) {
      throw new CliError(
        EXIT.FAILURE,
        `${path} does not exist: give the vault's password or key file (-p, -k) to create it with ${who} in it`,
      );
    }
    const created = await withLock(ctx.path(path), () =>
      withVaultKey(ctx, opts, path, async (key) => {
        const file = await wrapKey(key, { recipients: [r] });
        await writeWrappedKeyFile(ctx, path, file);
        return file;
      }),
    );
    ctx.note(
      `Created ${path}: ${who} can open the vault with their age identity (${describeDoors(created)}); commit it`,
    );
    return;
  }
  const updated = await editWrappedKeyFile(ctx, path, (file) => {
    checkRoomForRecipient(file, r.recipient, r.label); // before the key is unwrapped for nothing
    // The identities and KMS settings prove the key is the file's (spec/kms-key-file.md §6.3a).
    return withVaultKey(ctx, opts, path, (key) =>
      addWrapping(file, key, { ...r, ...ctx.kmsOptions(opts) }),
    );
  });
  ctx.note(`Added ${who} to ${path} (${describeDoors(updated)}); commit it`);
}

/** `access remove WHO [--rekey]`. */
export async function removeAccess(
  ctx: Context,
  who: string,
  opts: AccessRemoveOptions,
): Promise<void> {
  if (opts.rekey) return rekeyAccess(ctx, who, opts);
  const path = await wrappedKeyPath(ctx, opts);
  let gone = '';
  const updated = await editWrappedKeyFile(ctx, path, async (file) => {
    const index = findWrapping(file, who);
    gone = nameOf(file.wrappings[index]!);
    return removeWrapping(file, index + 1);
  });
  ctx.note(`Removed ${gone} from ${path} (${describeDoors(updated)} left)`);
  ctx.note(
    `warning: ${gone} may have kept the vault key, which still opens ${ctx.storePath(opts)}: run "ssclient access rekey" to re-key it for those who remain, and rotate the secrets ${gone} could read`,
  );
}

/**
 * `access rekey` (`who` null) and `access remove WHO --rekey`: a new vault key, wrapped for every
 * remaining wrapping, in one crash-safe rekey (rekey/rekey.ts). Run again after an interruption,
 * it finishes the step that was cut.
 */
export async function rekeyAccess(
  ctx: Context,
  who: string | null,
  opts: AccessOptions,
): Promise<void> {
  const path = await wrappedKeyPath(ctx, opts);
  const store = ctx.storePath(opts);
  await ctx.requireStore(store);
  const wrappedOptions = ctx.kmsOptions(opts);
  await withLock(ctx.path(path), async () => {
    const file = await readWrappedKeyFile(ctx, path);
    let kept = file;
    let gone: string | null = null;
    if (who !== null) {
      const index = findWrapping(file, who);
      gone = nameOf(file.wrappings[index]!);
      kept = removeWrapping(file, index + 1);
    }
    const explicit =
      opts.password !== undefined || opts.passwordFile !== undefined || opts.key !== undefined;
    const oldSource = explicit
      ? await ctx.keySource(opts)
      : KeySource.fromKmsFile(ctx.path(path), wrappedOptions);
    const pending = `${path}.new`;
    const onStep = (step: RekeyStep): void => {
      switch (step.step) {
        case 'key-written':
          ctx.note(
            `Wrote the new wrapped key file to ${pending}; the vault still opens with the old key.`,
          );
          break;
        case 'vault-written':
          rewritten = true;
          ctx.note(
            `Re-encrypted ${step.secrets} secret${step.secrets === 1 ? '' : 's'} in ${store}: it now opens with ${pending}.`,
          );
          break;
        case 'verified':
          ctx.note(
            `Verified: every secret in ${store} decrypts to its old value under the new key.`,
          );
          break;
        case 'key-replaced':
          ctx.note(`Moved ${pending} to ${path}: ${path} opens ${store}.`);
          break;
      }
    };
    let resumed = false;
    let rewritten = false;
    try {
      const result = await rekeyVault(
        ctx.path(store),
        oldSource,
        {
          kind: 'wrapped',
          path: ctx.path(path),
          kms: wrappedOptions,
          wrap: async (key) => formatWrappedKeyFile(await rewrapAll(kept, key, wrappedOptions)),
        },
        { onStep },
      );
      resumed = result.resumed;
    } catch (err) {
      // The check after the vault was written opens it with the new file, through the caller's
      // identities or KMS: a key set the caller cannot use is refused, and the rekey undone.
      if (rewritten && err instanceof SecureStoreError && err.code !== 'ERR_INTEGRITY') {
        throw new CliError(
          EXIT.FAILURE,
          `the rekey was undone (${store} and ${path} are as they were): the new key set does not open ${store} with your age identities or KMS access (${err.message})`,
          { cause: err },
        );
      }
      if (isSecureStoreError(err, 'ERR_WRONG_KEY')) {
        throw new CliError(
          EXIT.FAILURE,
          `${err.message}; if the new key set does not include you, re-key from a door that stays (your identity or KMS)`,
          { cause: err },
        );
      }
      throw err;
    } finally {
      oldSource.dispose();
    }
    if (resumed) {
      ctx.note(`Finished an interrupted rekey: ${path} opens ${store}.`);
      return;
    }
    ctx.note(
      gone === null
        ? `Re-keyed ${store} ${describeDoors(kept)}; commit ${store} and ${path}`
        : `Removed ${gone} and re-keyed ${store} ${describeDoors(kept)}; commit ${store} and ${path}, and rotate the secrets ${gone} could read`,
    );
  });
}

/** Every wrapping of `file` made again for `key`, in the same order, KMS ones with their context. */
async function rewrapAll(
  file: WrappedKeyFile,
  key: Uint8Array,
  options: WrappedKeyOptions,
): Promise<WrappedKeyFile> {
  const wrappings: Wrapping[] = [];
  for (const w of file.wrappings) {
    const made = isKmsWrapping(w)
      ? await wrapKey(key, { ...options, keyIds: [w.keyArn], context: w.context })
      : await wrapKey(key, {
          recipients: [
            w.label !== undefined ? { recipient: w.recipient, label: w.label } : w.recipient,
          ],
        });
    wrappings.push(made.wrappings[0]!);
  }
  return makeWrappedKeyFile(wrappings);
}

/** How a wrapping is named in messages: its label, else its recipient or KMS key. */
function nameOf(w: Wrapping): string {
  return isKmsWrapping(w) ? `KMS key ${w.keyArn}` : (w.label ?? recipientFingerprint(w.recipient));
}

/** One line of `access list` after the number. */
function describeWrapping(w: Wrapping): string {
  return isKmsWrapping(w)
    ? `aws-kms ${w.region} ${w.keyArn}`
    : `age ${recipientFingerprint(w.recipient)}${w.label !== undefined ? ` ${w.label}` : ''}`;
}
