/**
 * `git install|uninstall|merge-driver|diff-text|check-staged` (docs/git.md). This file registers them; their
 * bodies are in actions/git.ts, loaded when one runs.
 */
import type { Command } from 'commander';
import type { CheckStagedOptions, InstallOptions, RevealOptions } from '../actions/git.js';
import type { Context, GlobalOptions } from '../context.js';
import type { Register } from './register.js';

const actions = () => import('../actions/git.js');

export function registerGit(program: Command, ctx: Context, bind: Register): void {
  const git = program
    .command('git')
    .description('git integration: merge driver, diff driver, install into a repository');

  const install = git
    .command('install')
    .description('set up the merge and diff drivers for the vault (.gitattributes, git config)')
    .option(
      '--pre-commit',
      'instead, install the pre-commit hook that runs "git check-staged" (an existing hook is kept and run first)',
    )
    .option(
      '--command <command>',
      'how git should run ssclient (default: "ssclient" when that is this program on PATH, else node and this ssclient by absolute path)',
    );
  bind(install, async (_o: unknown, cmd: Command) => {
    await (await actions()).installAction(ctx, cmd.optsWithGlobals<InstallOptions>());
  });

  const uninstall = git
    .command('uninstall')
    .description('remove what "git install" added for the vault')
    .option('--pre-commit', 'instead, remove the pre-commit hook (putting back the one it ran)');
  bind(uninstall, async (_o: unknown, cmd: Command) => {
    await (await actions()).uninstallAction(ctx, cmd.optsWithGlobals<InstallOptions>());
  });

  const checkStaged = git
    .command('check-staged')
    .option('--all', 'check every file in the index, not only the staged changes')
    .description(
      'refuse staged plain key files, plaintext exports of secrets and vaults that fail verify (exit 1; the pre-commit hook)',
    );
  bind(checkStaged, async (_o: unknown, cmd: Command) => {
    await (await actions()).checkStagedAction(ctx, cmd.optsWithGlobals<CheckStagedOptions>());
  });

  const merge = git
    .command('merge-driver')
    .argument('<base>', 'the common ancestor (%O)')
    .argument('<ours>', 'our version, which receives the result (%A)')
    .argument('<theirs>', 'their version (%B)')
    .argument('[path]', 'the vault path in the repository (%P)')
    .description('merge three versions of a vault by secret name (run by git)');
  bind(
    merge,
    async (
      base: string,
      ours: string,
      theirs: string,
      path: string | undefined,
      _o: unknown,
      cmd: Command,
    ) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await (await actions()).mergeDriver(ctx, base, ours, theirs, path ?? ours, opts);
    },
  );

  const diffText = git
    .command('diff-text')
    .argument('<path>', 'a vault file')
    .option('--reveal', 'show values (needs the key); never the default')
    .description('print a vault as one line per secret with a fingerprint (git textconv)');
  bind(diffText, async (path: string, _o: unknown, cmd: Command) => {
    await (await actions()).printDiffText(ctx, cmd.optsWithGlobals<RevealOptions>(), path);
  });
}
