/**
 * The body of `history NAME [--reveal]` (docs/git.md), loaded only when it runs.
 */
import { formatRevealed } from '../../git/diff-text.js';
import { secretHistory } from '../../git/history.js';
import { VersionDecryptor } from '../../git/reveal.js';
import { locateInRepo } from '../../git/run-git.js';
import type { Context } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { RevealOptions } from './git.js';
import { isSecureStoreError } from '../../errors.js';
import type { VaultDocument } from '../../format/vault-codec.js';
import { readSeal, sealGeneration } from '../../vault/seal.js';

/**
 * spec/seal.md §9.2: `generation N  ` for a sealed version (as written: not checked without the
 * key), `seal malformed  ` for a broken one, nothing for an unsealed one (the line as before).
 */
function generationColumn(doc: VaultDocument): string {
  try {
    const seal = readSeal(doc, 'this version');
    return seal === null ? '' : `generation ${sealGeneration(seal)}  `;
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_SEAL')) return 'seal malformed  ';
    throw err;
  }
}

export async function printHistory(ctx: Context, opts: RevealOptions, name: string): Promise<void> {
  const store = ctx.storePath(opts);
  const file = ctx.path(store);
  const where = await locateInRepo(file);
  const decryptor = opts.reveal ? new VersionDecryptor(await ctx.keySource(opts)) : null;
  const { entries, unreadable } = await secretHistory(where, name);
  if (unreadable.length > 0) {
    const ids = unreadable.map((id) => id.slice(0, 10)).join(', ');
    ctx.note(
      `note: skipped ${unreadable.length === 1 ? 'a version' : `${unreadable.length} versions`} of ${store} that ${unreadable.length === 1 ? 'is' : 'are'} not a valid vault (${ids}); changes are compared across ${unreadable.length === 1 ? 'it' : 'them'}`,
    );
  }
  if (entries.length === 0) {
    throw new CliError(
      EXIT.FAILURE,
      `no commit adds, changes or removes a secret named ${JSON.stringify(name)} in ${store}`,
    );
  }
  let out = '';
  for (const e of entries) {
    out += `${e.commit.slice(0, 10)}  ${e.date}  ${e.author}  ${e.change}  ${generationColumn(e.doc)}${e.subject}\n`;
    if (decryptor === null) continue;
    if (e.blob === null) {
      out += '    (removed)\n';
      continue;
    }
    const open = await decryptor.opener(e.doc);
    if (open !== null && !decryptor.bound(e.doc, name)) {
      out +=
        '    (not shown: the seal does not bind this value to the name; changed without its key)\n';
      continue;
    }
    const value = open?.(e.blob) ?? null;
    out +=
      value === null
        ? '    (the given key does not open this version)\n'
        : `    ${formatRevealed(value)}\n`;
    value?.fill(0);
  }
  ctx.io.stdout.write(out);
}
