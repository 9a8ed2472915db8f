/**
 * `get --all --format dotenv|shell|yaml|csv` (docs/workflow.md "Export formats"). Each format is
 * written so that its consumer reads back exactly the stored value:
 *
 * - `shell`: `export NAME='value'` lines for POSIX shells (sh, bash, dash, zsh). Inside single
 *   quotes nothing is special, and a `'` is written `'\''`, so any text round-trips.
 * - `dotenv`: `NAME='value'` lines that four readers all read back exactly: POSIX shells
 *   (`set -a; . ./.env`), npm `dotenv`, python-dotenv (with its default `${VAR}` interpolation)
 *   and docker compose's `env_file` (see {@link dotenvQuote}). A value that cannot be written so
 *   is refused, naming its secret, never written in a form one of them misreads.
 * - `yaml`: a mapping of names to double-quoted strings (no YAML 1.1 "yes"/"no" surprises),
 *   binary values as `!!binary`, written by the `yaml` library.
 * - `csv`: RFC 4180, a `name,value` header, every field quoted, CRLF line ends. With
 *   `escapeFormulas`, a field starting with `=`, `+`, `-`, `@`, tab or carriage return gets a
 *   leading `'` so that spreadsheets show it as text instead of running it (this changes the value).
 */
import { fail } from '../errors.js';
import type { EnvNameOptions } from './env-names.js';
import {
  type BinaryMode,
  decodeText,
  type EnvValue,
  type NamedBytes,
  textValues,
  toEnvValues,
} from './env-values.js';

import { EXPORT_FORMATS, type ExportFormat } from './export-format-names.js';

export { EXPORT_FORMATS, type ExportFormat } from './export-format-names.js';

export interface ExportOptions extends EnvNameOptions {
  /** dotenv, shell, csv: what to do with binary values (default: refuse). yaml uses `!!binary`. */
  readonly binary?: BinaryMode;
  /** csv: neutralise spreadsheet formulas (see the module comment). */
  readonly escapeFormulas?: boolean;
}

export function isExportFormat(format: string): format is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(format);
}

/**
 * Writes `secrets` (in the order given) in `format`.
 * @throws SecureStoreError ERR_ARGUMENT (names that are no variables), ERR_NOT_UTF8 (binary).
 */
export async function formatExport(
  format: ExportFormat,
  secrets: readonly NamedBytes[],
  options: ExportOptions = {},
): Promise<string> {
  switch (format) {
    case 'shell':
      return formatShell(toEnvValues(secrets, options));
    case 'dotenv':
      return formatDotenv(toEnvValues(secrets, options));
    case 'yaml':
      return formatYaml(secrets);
    case 'csv':
      return formatCsv(secrets, options);
  }
}

/** A POSIX-shell single-quoted word for any text. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function formatShell(values: readonly EnvValue[]): string {
  return values.map((v) => `export ${v.variable}=${shellQuote(v.value)}\n`).join('');
}

export function formatDotenv(values: readonly EnvValue[]): string {
  const lines: string[] = [];
  const refused: string[] = [];
  for (const v of values) {
    const quoted = dotenvQuote(v.value);
    if (typeof quoted === 'string') lines.push(`${v.variable}=${quoted}\n`);
    else refused.push(`${JSON.stringify(v.name)} (${quoted.problem})`);
  }
  if (refused.length > 0) {
    fail(
      'ERR_EXPORT',
      `${refused.length === 1 ? 'secret' : 'secrets'} ${refused.join(', ')} cannot be written in --format dotenv so that shells, npm dotenv, python-dotenv and docker compose all read ${refused.length === 1 ? 'it' : 'them'} back exactly: --format shell writes any value for sh/bash (source, eval), --format json or yaml for programs; or leave ${refused.length === 1 ? 'it' : 'them'} out with --only`,
    );
  }
  return lines.join('');
}

/** python-dotenv expands this in every value, quoted or not, and has no escape for it. */
const PYTHON_DOTENV_VARIABLE = /\$\{[^}:]*(?::-[^}]*)?\}/;

/**
 * The dotenv form of `value` that POSIX shells, npm `dotenv`, python-dotenv and docker compose's
 * `env_file` all read back as `value`, or why there is none (docs/workflow.md "dotenv quoting").
 *
 * - Single quotes, when the value has no `'`: nothing inside is special to a shell, to npm dotenv
 *   or to compose ("used literally"), and newlines may stand in them. Not with a carriage return
 *   (npm dotenv and python's text-mode read turn it into a newline), with `\\` (python-dotenv
 *   unescapes it to one backslash) or with a trailing `\` (python-dotenv and compose take `\'`
 *   for an escaped quote).
 * - Double quotes, when the value has a `'` but none of `"`, `\`, `$`, backtick (special to
 *   shells; compose expands `$`) or carriage return.
 * - Nothing else: unquoted text is read differently by shells, and every other escape is read
 *   differently by at least one of them. A value holding `${…}` is expanded by python-dotenv in
 *   any form.
 */
export function dotenvQuote(value: string): string | { problem: string } {
  if (PYTHON_DOTENV_VARIABLE.test(value)) {
    return { problem: 'python-dotenv would expand its ${…}' };
  }
  if (value.includes('\r')) return { problem: 'it holds a carriage return' };
  if (!value.includes("'")) {
    if (/\\\\|\\$/.test(value)) {
      return {
        problem:
          'it holds two backslashes in a row or ends in one, which python-dotenv or compose read differently',
      };
    }
    return `'${value}'`;
  }
  if (!/["\\$`]/.test(value)) return `"${value}"`;
  return { problem: 'it holds \' together with ", \\, $ or a backtick' };
}

/** YAML via the `yaml` library, loaded only here: it costs more to load than `get` takes. */
export async function formatYaml(secrets: readonly NamedBytes[]): Promise<string> {
  if (secrets.length === 0) return '{}\n';
  const { stringify: stringifyYaml } = await import('yaml');
  // A Map, not an object: a secret may be called "__proto__".
  const doc = new Map<string, string | Uint8Array>();
  for (const s of secrets) doc.set(s.name, decodeText(s.bytes) ?? Uint8Array.from(s.bytes));
  return stringifyYaml(doc, {
    customTags: ['binary'],
    defaultKeyType: 'QUOTE_DOUBLE',
    defaultStringType: 'QUOTE_DOUBLE',
    lineWidth: 0,
  });
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function formatCsv(
  secrets: readonly NamedBytes[],
  options: { binary?: BinaryMode; escapeFormulas?: boolean } = {},
): string {
  const field = (text: string): string => {
    const safe = options.escapeFormulas && FORMULA_START.test(text) ? `'${text}` : text;
    return `"${safe.replaceAll('"', '""')}"`;
  };
  const values = textValues(secrets, {
    binary: options.binary,
    nulIsBinary: false,
    refusal: (binary) =>
      `${binary.map((n) => JSON.stringify(n)).join(', ')} ${binary.length === 1 ? 'is' : 'are'} binary (not UTF-8 text): add --binary base64 to write base64, or leave ${binary.length === 1 ? 'it' : 'them'} out with --only`,
  });
  const rows = secrets.map((s, i) => `${field(s.name)},${field(values[i]!)}\r\n`);
  return ['name,value\r\n', ...rows].join('');
}
