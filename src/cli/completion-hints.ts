/**
 * What shell completion offers as the value of an option, where commander does not know it:
 * an option checked by its command's body (`get --format`, whose message lists the formats)
 * rather than by commander's `.choices()`. A leaf shared by a registration and the completion
 * body (actions/completion.ts), so neither copies the list. Options with `.choices()` need
 * nothing here: their `argChoices` are read directly.
 */
import type { Option } from 'commander';

const hints = new WeakMap<Option, readonly string[]>();

/** Marks `option` as taking one of `values` for completion only; returns the option. */
export function completeValues(option: Option, values: readonly string[]): Option {
  hints.set(option, values);
  return option;
}

/** The values completion offers for `option`: its hint, else its choices, else none. */
export function completionValuesOf(option: Option): readonly string[] | undefined {
  return hints.get(option) ?? option.argChoices;
}
