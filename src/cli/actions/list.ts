/**
 * The body of `list` (`keys`, docs/workflow.md): the names, after the key is checked.
 */
import { SecureStoreError } from '../../errors.js';
import { compareCodePoints } from '../../format/text.js';
import { keyOpens, vaultAndSealKeysFor, wrongKeyMessage } from '../../vault/opener.js';
import { assertSeal } from '../../vault/seal.js';
import { selectNames } from '../../workflow/glob.js';
import { readVaultDocument } from '../../workflow/verify.js';
import type { Context, GlobalOptions } from '../context.js';
import { nameForTerminal } from '../output.js';

/** `list` (`keys`). */
export async function listAction(
  ctx: Context,
  opts: GlobalOptions & { format: string; only: string[] },
): Promise<void> {
  const store = ctx.storePath(opts);
  await ctx.requireStore(store);
  const source = await ctx.keySource(opts);
  let names: string[];
  try {
    const doc = await readVaultDocument(ctx.path(store), store);
    // The same verdict as every other opener (vault/opener.ts): a vault without a sentinel is
    // judged by its secrets, decrypted in memory and zeroed, never printed.
    const both = await vaultAndSealKeysFor(doc, source);
    if (keyOpens(doc, both.keys) === false)
      // A library error, as `get` meets it: Context.explain adds what an interrupted rekey left.
      throw new SecureStoreError('ERR_WRONG_KEY', wrongKeyMessage(source, store));
    // spec/seal.md §5.2: the names are those the seal vouches for, checked like every open.
    assertSeal(both.seal, doc, store, ctx.requireSeal(opts));
    // Same order as get --all: UTF-8 byte order of the names.
    const all = [...doc.secrets.keys()].sort(compareCodePoints);
    names = opts.only.length === 0 ? all : selectNames(all, opts.only);
  } finally {
    source.dispose();
  }
  ctx.io.stdout.write(
    opts.format === 'json'
      ? `${JSON.stringify(names, null, 2)}\n`
      : names.map((n) => `${nameForTerminal(n)}\n`).join(''),
  );
}
