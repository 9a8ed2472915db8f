/**
 * Git-native vaults (docs/git.md): `git install|uninstall|merge-driver|diff-text`, `history` and
 * `rekey`. This file registers them; their bodies, and the `--rev` reading that `get` uses, are
 * in git-actions.ts, loaded when one runs.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import { collect, type Register } from './register.js';

const actions = () => import('./git-actions.js');

/** Environment variable holding the new password for `rekey --new-password` off a terminal. */
export const NEW_PASSWORD_ENV = 'SSCLIENT_NEW_PASSWORD';

export interface InstallOptions extends GlobalOptions {
  command: string;
}

/** `diff-text` and `history`: `--reveal` shows values. */
export interface RevealOptions extends GlobalOptions {
  reveal?: boolean;
}

export interface RekeyOptions extends GlobalOptions {
  newPassword?: boolean;
  newPasswordFile?: string;
  newKey?: string;
  kms: string[];
  context: string[];
  kmsFile?: string;
  vcs: boolean;
}

export function registerGitCommands(program: Command, ctx: Context, bind: Register): void {
  const git = program
    .command('git')
    .description('git integration: merge driver, diff driver, install into a repository');

  const install = git
    .command('install')
    .description('set up the merge and diff drivers for the vault (.gitattributes, git config)')
    .option('--command <command>', 'how git should run ssclient', 'ssclient');
  bind(install, async (_o: unknown, cmd: Command) => {
    await (await actions()).installAction(ctx, cmd.optsWithGlobals<InstallOptions>());
  });

  const uninstall = git
    .command('uninstall')
    .description('remove what "git install" added for the vault');
  bind(uninstall, async (_o: unknown, cmd: Command) => {
    await (await actions()).uninstallAction(ctx, cmd.optsWithGlobals<GlobalOptions>());
  });

  const merge = git
    .command('merge-driver')
    .argument('<base>', 'the common ancestor (%O)')
    .argument('<ours>', 'our version, which receives the result (%A)')
    .argument('<theirs>', 'their version (%B)')
    .argument('[path]', 'the vault path in the repository (%P)')
    .description('merge three versions of a vault by secret name (run by git)');
  bind(merge, async (base: string, ours: string, theirs: string, path: string | undefined) => {
    await (await actions()).mergeDriver(ctx, base, ours, theirs, path ?? ours);
  });

  const diffText = git
    .command('diff-text')
    .argument('<path>', 'a vault file')
    .option('--reveal', 'show values (needs the key); never the default')
    .description('print a vault as one line per secret with a fingerprint (git textconv)');
  bind(diffText, async (path: string, _o: unknown, cmd: Command) => {
    await (await actions()).printDiffText(ctx, cmd.optsWithGlobals<RevealOptions>(), path);
  });

  const history = program
    .command('history')
    .argument('<name>', 'the secret name')
    .option('--reveal', 'also show each value (needs the key)')
    .description(
      'list the commits in which a secret was added, changed or removed, newest first (no key needed)',
    );
  bind(history, async (name: string, _o: unknown, cmd: Command) => {
    await (await actions()).printHistory(ctx, cmd.optsWithGlobals<RevealOptions>(), name);
  });

  const rekey = program
    .command('rekey')
    .description('re-encrypt every secret under a new key (new vault iv and sentinel), crash-safe')
    .option(
      '--new-password',
      `a new password: asked twice on a terminal, else from --new-password-file or $${NEW_PASSWORD_ENV}`,
    )
    .option('--new-password-file <path>', 'read the new password from a file')
    .option('--new-key <path>', 'a new random key, written to this key file')
    .option(
      '--kms <key-id>',
      'a new random key, wrapped under this KMS key (repeatable: failover order)',
      collect,
      [],
    )
    .option(
      '--context <name=value>',
      'with --kms: an encryption context pair (repeatable)',
      collect,
      [],
    )
    .option(
      '--kms-file <path>',
      'with --kms: the wrapped key file (default: the -k wrapped key file, else <store>.kms.json)',
    )
    .addOption(new Option('--no-vcs', 'do not add new key files to .gitignore'));
  bind(rekey, async (_o: unknown, cmd: Command) => {
    await (await actions()).runRekey(ctx, cmd.optsWithGlobals<RekeyOptions>());
  });
}
