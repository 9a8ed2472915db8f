/**
 * The body of `verify` (docs/workflow.md "verify"), for CI.
 */
import { promises as fs } from 'node:fs';
import { KeySource } from '../../auth.js';
import { displayPath, type Setting } from '../../workflow/config.js';
import { checkKeyFiles, verifyVault } from '../../workflow/verify.js';
import type { Context, GlobalOptions } from '../context.js';
import { EXIT, QuietExit } from '../exit-codes.js';
import { isSecureStoreError } from '../../errors.js';
import { escapeForTerminal } from '../../workflow/terminal-text.js';

/** `verify [--strict]`. */
export async function verifyAction(
  ctx: Context,
  opts: GlobalOptions & { strict?: boolean; since?: string },
): Promise<void> {
  const store = ctx.storePath(opts);
  await ctx.requireStore(store);
  const keySetting = ctx.setting('key', opts);
  const source = await verifyKeySource(ctx, opts, keySetting);
  let result;
  try {
    result = await verifyVault(ctx.path(store), store, source, {
      requireSeal: ctx.requireSeal(opts),
    });
  } finally {
    source?.dispose();
  }
  const problems = [...result.problems];
  // spec/seal.md §9.1: what changed since REV, by name (no key needed), and the seal's history.
  let since = '';
  if (opts.since !== undefined && result.doc !== undefined) {
    const { compareSince } = await import('../../git/since.js');
    let report;
    try {
      report = await compareSince(ctx.path(store), store, opts.since, result.doc);
    } catch (err) {
      if (!isSecureStoreError(err) || err.code === 'ERR_GIT') throw err;
      // The working file's own fault (a malformed seal) is already among the problems.
      if (!problems.includes(err.message)) problems.push(err.message);
    }
    if (report !== undefined) {
      const lines = [
        // JSON-quoted as before; characters JSON leaves as they are (C1, DEL, bidi) escaped too.
        ...report.added.map((n) => `added: ${escapeForTerminal(JSON.stringify(n))}`),
        ...report.changed.map((n) => `changed: ${escapeForTerminal(JSON.stringify(n))}`),
        ...report.removed.map((n) => `removed: ${escapeForTerminal(JSON.stringify(n))}`),
      ];
      ctx.io.stdout.write(lines.map((l) => `${l}\n`).join(''));
      problems.push(...report.problems);
      since = `; since ${opts.since}: ${report.added.length} added, ${report.changed.length} changed, ${report.removed.length} removed`;
    }
  }
  if (opts.strict) {
    const given = keySetting.value !== undefined ? [ctx.path(keySetting.value)] : [];
    problems.push(
      ...(await checkKeyFiles(ctx.path(store), given, (p) => displayPath(p, ctx.io.cwd))),
    );
  }
  for (const note of result.notes) ctx.note(`note: ${note}`);
  if (problems.length > 0) {
    ctx.io.stdout.write(problems.map((p) => `${escapeForTerminal(p)}\n`).join(''));
    throw new QuietExit(EXIT.FAILURE);
  }
  const n = `${result.secrets} ${result.secrets === 1 ? 'secret' : 'secrets'}`;
  const seal =
    result.seal?.sealed !== true
      ? ''
      : result.seal.checked
        ? `; sealed, generation ${result.seal.generation}, verified`
        : '; sealed, not checked';
  ctx.io.stdout.write(
    source === null
      ? `${store}: ok (${n}; structure only: no key given${seal}${since})\n`
      : `${store}: ok (${n}; the key opens it and every value decrypts${seal}${since})\n`,
  );
}

/**
 * The key `verify` checks with: the usual precedence, except that it never prompts (no key means
 * a structure-only check) and a project-file key that is absent (a CI job without secrets) also
 * means structure only.
 */
async function verifyKeySource(
  ctx: Context,
  opts: GlobalOptions,
  key: Setting,
): Promise<KeySource | null> {
  const choice = ctx.keyChoice(opts);
  if (choice !== null && !(choice.kind === 'file' && choice.from === 'project')) {
    return ctx.keySource(opts);
  }
  if (key.source.kind === 'project' && key.value !== undefined) {
    try {
      await fs.access(ctx.path(key.value));
    } catch {
      ctx.note(
        `note: the key file ${key.value} (from ${key.source.path}) is absent: checking the structure only`,
      );
      return null;
    }
    return ctx.keySource(opts);
  }
  return null;
}
