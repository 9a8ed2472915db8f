/**
 * What `get` prints, byte for byte as the reference ssclient does (spec/cli.md §2): values that
 * are not UTF-8 print as `base64:<b64>` in text, and as arrays of byte numbers in JSON. The
 * `get NAME` and `get --all` of commands/get.ts and of the fast path (entry.ts) both print
 * through {@link formatSecret} and {@link formatAllSecrets}.
 */
import type { SecretsManager } from '../vault/secrets-manager.js';
import { escapeForTerminal, hasTerminalControl } from '../workflow/terminal-text.js';
import { CliError, EXIT } from './exit-codes.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A decrypted secret: its text, or its bytes when they are not UTF-8. */
export type SecretValue = { name: string; text: string } | { name: string; bytes: Uint8Array };

export function toSecretValue(name: string, bytes: Uint8Array): SecretValue {
  try {
    return { name, text: utf8.decode(bytes) };
  } catch {
    return { name, bytes };
  }
}

/** `get NAME`: the value and a newline. */
export function formatValue(value: SecretValue): string {
  return `${'text' in value ? value.text : `base64:${Buffer.from(value.bytes).toString('base64')}`}\n`;
}

/**
 * A secret name as a person may safely see it on a terminal: as it is, unless it holds a
 * character a terminal would act on; then as a JSON string with those characters as `\uXXXX`
 * escapes, as error messages quote names. `list` prints names so, and `get --all --format text`
 * on a terminal; `--format json`, the export formats and `--format text` into a pipe or a file
 * (the reference's bytes) stay exact.
 */
export function nameForTerminal(name: string): string {
  return hasTerminalControl(name) ? escapeForTerminal(JSON.stringify(name)) : name;
}

/**
 * `get --all --format text`: `name: value` lines. Into a pipe or a file they are the reference's
 * bytes, which scripts read. On a terminal (`terminal`) each name is shown as `list` shows it:
 * a name is not authenticated in a vault without a seal, so anyone who can write the file could
 * otherwise send the terminal control sequences. Values are printed as they are either way: only
 * the key's holder can write them.
 */
export function formatText(values: readonly SecretValue[], terminal: boolean): string {
  const shown = terminal ? nameForTerminal : (name: string): string => name;
  return values.map((v) => `${shown(v.name)}: ${formatValue(v)}`).join('');
}

/** `get --all --format json`: serde_json's pretty array of `{ "key", "value" }`, newline-terminated. */
export function formatJson(values: readonly SecretValue[]): string {
  if (values.length === 0) return '[]\n';
  const items = values.map((v) => {
    const value =
      'text' in v
        ? JSON.stringify(v.text)
        : v.bytes.length === 0
          ? '[]'
          : `[\n${Array.from(v.bytes, (b) => `      ${b}`).join(',\n')}\n    ]`;
    return `  {\n    "key": ${JSON.stringify(v.name)},\n    "value": ${value}\n  }`;
  });
  return `[\n${items.join(',\n')}\n]\n`;
}

/** The error for a secret `name` that the vault `store` does not hold (`get`, `delete`). */
export function noSecretNamed(name: string, store: string): CliError {
  return new CliError(EXIT.FAILURE, `no secret named ${JSON.stringify(name)} in ${store}`);
}

/**
 * What `get NAME` prints: the value of `name` in `vault`.
 * @throws CliError (exit 1) when there is no such secret; `store` names the vault in the message
 */
export function formatSecret(
  vault: Pick<SecretsManager, 'getBytes'>,
  name: string,
  store: string,
): string {
  const bytes = vault.getBytes(name);
  if (bytes === null) throw noSecretNamed(name, store);
  return formatValue(toSecretValue(name, bytes));
}

/**
 * What `get --all` prints: `text` lines (names escaped when `terminal`), else the JSON array.
 * Every secret is decrypted before anything is formatted, so a damaged secret prints nothing.
 */
export function formatAllSecrets(vault: SecretsManager, format: string, terminal: boolean): string {
  const values = [...vault.getAllBytes()].map(([n, bytes]) => toSecretValue(n, bytes));
  return format === 'text' ? formatText(values, terminal) : formatJson(values);
}
