/**
 * What the command registrations share: the type of the binder main.ts passes them, commander's
 * collector for repeatable options, and the variable-name options of `get` and `run`. A leaf:
 * no registration imports a command body except through a dynamic import in its action.
 */
import { type Command, Option } from 'commander';

/** Attaches an async action to a command (main.ts turns its errors into exit codes). */
export type Action = (...args: never[]) => Promise<void>;
export type Register = (cmd: Command, action: Action) => void;

/** Commander's collector for repeatable options (`--kms A --kms B`, `--only P --only Q`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--env-name-style`, `--prefix` and `--binary`, of `get` (exports) and `run`. */
export function nameOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--env-name-style <style>', 'how names become variables')
        .choices(['upper', 'keep'])
        .default('upper'),
    )
    .option('--prefix <prefix>', 'put this in front of every variable name')
    .addOption(
      new Option('--binary <mode>', 'binary values: refuse, or pass them base64-encoded')
        .choices(['refuse', 'base64'])
        .default('refuse'),
    );
}
