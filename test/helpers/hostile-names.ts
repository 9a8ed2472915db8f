/**
 * Secret names a terminal would act on, and how a person is shown each (docs/cli.md): as a JSON
 * string with every terminal control as a `\uXXXX` escape. Shared by the real-process tests of
 * names in lists and messages (test/hostile/cli-arguments.test.ts) and on a real terminal
 * (test/pty/names.test.ts).
 */
export const HOSTILE_NAMES: readonly string[] = [
  'plain',
  'esc\x1b[2J\x1b[31mred',
  'nul\x00byte',
  'new\nline',
  'c1\u009b31m',
  'bidi\u202etxt.exe',
  'del\x7f',
];

const SHOWN: readonly string[] = [
  'plain',
  '"esc\\u001b[2J\\u001b[31mred"',
  '"nul\\u0000byte"',
  '"new\\nline"',
  '"c1\\u009b31m"',
  '"bidi\\u202etxt.exe"',
  '"del\\u007f"',
];

/** How `name`, one of {@link HOSTILE_NAMES}, is shown to a person. */
export const shownOf = (name: string): string => SHOWN[HOSTILE_NAMES.indexOf(name)]!;

/** The names in UTF-8 byte order, as `list` and `get --all` print them. */
export const HOSTILE_NAMES_SORTED: readonly string[] = [...HOSTILE_NAMES].sort((a, b) =>
  Buffer.compare(Buffer.from(a), Buffer.from(b)),
);
