import type { Command } from 'commander';

/** Attaches an async action to a command (main.ts turns its errors into exit codes). */
export type Action = (...args: never[]) => Promise<void>;
export type Register = (cmd: Command, action: Action) => void;

/** Commander's collector for repeatable options (`--kms A --kms B`, `--only P --only Q`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
