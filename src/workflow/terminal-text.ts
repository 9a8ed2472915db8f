/**
 * Text a person reads on a terminal: names and paths come from files anyone who can write the
 * vault may have written, so the characters a terminal would act on are shown as escapes.
 * Used by the CLI's messages and lists (cli/output.ts) and by the git drivers' text forms
 * (git/fingerprint.ts), so both escape the same set.
 */

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC, NUL, newline…), DEL, C1
 * controls (U+009B is a one-character CSI), the line and paragraph separators, and the
 * directional marks, embeddings, overrides and isolates that reorder what is shown.
 */
const TERMINAL_CONTROL_CHARS =
  '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const TERMINAL_CONTROL = new RegExp(`[${TERMINAL_CONTROL_CHARS}]`);
const TERMINAL_CONTROLS = new RegExp(`[${TERMINAL_CONTROL_CHARS}]`, 'g');

/** Whether `text` holds a character a terminal would act on. */
export function hasTerminalControl(text: string): boolean {
  return TERMINAL_CONTROL.test(text);
}

/**
 * `text` with every terminal control character written `\uXXXX`: for text already JSON-quoted,
 * those JSON.stringify leaves as they are (DEL, C1, bidi marks); for a whole message, any.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(
    TERMINAL_CONTROLS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
