/**
 * `ssclient edit` (docs/workflow.md "Edit"): the secrets as a text to edit, read back, and what
 * the edit changed. Pure: the CLI body (cli/actions/edit.ts) runs the editor and writes.
 *
 * The text is written by our export writers and read by our import readers, so that every value
 * round-trips exactly and an untouched secret compares equal (it is then not written again: its
 * blob, and the git diff, stay). A value that is not UTF-8 text, holds a NUL byte (which editors
 * and variables mangle), or is text starting with `base64:` is shown as `base64:` and its
 * base64; any value written `base64:…` is read back as the bytes it encodes.
 */
import { fail } from '../errors.js';
import { decodeBase64, encodeBase64, isCanonicalBase64 } from '../format/base64.js';
import { type JsonNode, writeJson } from '../format/json.js';
import type { SecretsManager } from '../vault/secrets-manager.js';
import { decodeText, type NamedBytes } from './env-values.js';
import { dotenvQuote, formatYaml, shellQuote } from './export-formats.js';
import { parseImport } from './import-formats.js';
import { applyImport, planImport } from './import.js';

/** The formats `edit` shows the secrets in. */
export type EditFormat = 'dotenv' | 'json' | 'yaml';

/** The file name extension for each format (editors pick their syntax by it). */
export const EDIT_EXTENSIONS: Readonly<Record<EditFormat, string>> = {
  dotenv: 'env',
  json: 'json',
  yaml: 'yaml',
};

const BASE64 = 'base64:';
const encoder = new TextEncoder();

/** What an edit does to a vault. Every list is in the order of the vault, then the file. */
export interface EditPlan {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly unchanged: string[];
}

/** The text a value is shown as (see the module comment). */
export function editableValue(bytes: Uint8Array): string {
  const text = decodeText(bytes);
  if (text !== null && !text.includes('\0') && !text.startsWith(BASE64)) return text;
  return `${BASE64}${encodeBase64(bytes)}`;
}

/** The bytes an edited value stands for (see the module comment). */
export function valueFromEdited(text: string, name: string, label: string): Uint8Array {
  if (!text.startsWith(BASE64)) return encoder.encode(text);
  const b64 = text.slice(BASE64.length);
  if (!isCanonicalBase64(b64)) {
    fail(
      'ERR_IMPORT',
      `${label}: the value of ${JSON.stringify(name)} starts with ${BASE64} but the rest is not base64 (standard alphabet, = padding)`,
    );
  }
  return Uint8Array.from(decodeBase64(b64));
}

/**
 * The first line of the dotenv text: what editing it does. It also keeps the text of an empty
 * vault from being empty, so that an empty file always means something went wrong.
 */
export const DOTENV_HEADER =
  "# ssclient edit: NAME='value' per line; a line removed removes its secret; base64:… is bytes\n";

/** A name the dotenv reader reads back (import-formats.ts, `parseDotenv`). */
const DOTENV_NAME = /^[A-Za-z_][A-Za-z0-9_.\-:/]*$/;

/**
 * The secrets, in the order given, as the text to edit. dotenv lines use the quoting of our
 * dotenv export where it applies, else the shell export's (`'it'\''s'`), which the dotenv reader
 * also reads back exactly.
 * @throws SecureStoreError ERR_EXPORT for dotenv, naming secrets whose names a dotenv line
 *   cannot hold.
 */
export async function formatEditable(
  format: EditFormat,
  secrets: readonly NamedBytes[],
): Promise<string> {
  const shown = secrets.map((s) => ({ name: s.name, value: editableValue(s.bytes) }));
  switch (format) {
    case 'dotenv': {
      const bad = shown.filter((s) => !DOTENV_NAME.test(s.name)).map((s) => JSON.stringify(s.name));
      if (bad.length > 0) {
        fail(
          'ERR_EXPORT',
          `${bad.length === 1 ? 'the name' : 'the names'} ${bad.join(', ')} cannot be written in a dotenv file: edit with --format json or --format yaml`,
        );
      }
      return `${DOTENV_HEADER}${shown
        .map(({ name, value }) => {
          const quoted = dotenvQuote(value);
          return `${name}=${typeof quoted === 'string' ? quoted : shellQuote(value)}\n`;
        })
        .join('')}`;
    }
    case 'json': {
      const node: JsonNode = {
        kind: 'object',
        entries: shown.map(({ name, value }) => [name, { kind: 'string', value }]),
      };
      return `${writeJson(node, '')}\n`;
    }
    case 'yaml':
      return formatYaml(shown.map(({ name, value }) => ({ name, bytes: encoder.encode(value) })));
  }
}

/**
 * Reads an edited text back: the secrets it holds, in file order.
 * @throws SecureStoreError ERR_IMPORT naming the file, the line or secret, and what is wrong
 *   (never a value); an empty file is one too (see docs/workflow.md "Edit").
 */
export async function parseEditable(
  format: EditFormat,
  bytes: Uint8Array,
  label: string,
): Promise<NamedBytes[]> {
  if (bytes.length === 0) {
    fail(
      'ERR_IMPORT',
      `${label} is empty (to remove every secret, leave ${format === 'dotenv' ? 'a # comment line' : '{}'} in it)`,
    );
  }
  const parsed = await parseImport(format, bytes, label, { verbatim: true });
  return parsed.secrets.map(({ name, bytes: value }) => {
    const text = decodeText(value);
    if (text === null || !text.startsWith(BASE64)) return { name, bytes: value };
    value.fill(0);
    return { name, bytes: valueFromEdited(text, name, label) };
  });
}

/** Compares what the vault held with what the edited file holds. */
export function planEdit(original: readonly NamedBytes[], edited: readonly NamedBytes[]): EditPlan {
  const before = new Map(original.map((s) => [s.name, s.bytes]));
  const plan = planImport(
    {
      // planImport zeroes what it is given: a copy.
      getBytes: (name) => {
        const bytes = before.get(name);
        return bytes === undefined ? null : Uint8Array.from(bytes);
      },
    },
    edited,
    'overwrite',
  );
  const kept = new Set(edited.map((s) => s.name));
  return {
    added: plan.added,
    changed: plan.changed,
    removed: original.map((s) => s.name).filter((name) => !kept.has(name)),
    unchanged: plan.unchanged,
  };
}

/** True when the edit changes nothing. */
export function isEmptyEdit(plan: EditPlan): boolean {
  return plan.added.length + plan.changed.length + plan.removed.length === 0;
}

/** The names an edit writes (added, changed or removed). */
export function editedNames(plan: EditPlan): string[] {
  return [...plan.changed, ...plan.added, ...plan.removed];
}

/**
 * The names whose value in `current` (the vault as it is on disk now) differs from `original`
 * (as it was when the editor opened): present in one and not the other, or with other bytes.
 */
export function namesChangedSince(
  original: readonly NamedBytes[],
  current: ReadonlyMap<string, Uint8Array>,
): string[] {
  const out: string[] = [];
  const before = new Map(original.map((s) => [s.name, s.bytes]));
  for (const [name, bytes] of before) {
    const now = current.get(name);
    if (now === undefined || !sameBytes(now, bytes)) out.push(name);
  }
  for (const name of current.keys()) if (!before.has(name)) out.push(name);
  return out;
}

/**
 * Applies `plan` to `vault`: sets the added and changed secrets of `edited`, deletes the removed
 * ones; every other secret (and its blob) is left as it is.
 */
export function applyEdit(
  vault: Pick<SecretsManager, 'set' | 'delete'>,
  edited: readonly NamedBytes[],
  plan: EditPlan,
): void {
  applyImport(vault, edited, { ...plan, skipped: [] });
  for (const name of plan.removed) vault.delete(name);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Both values are the caller's (the edited file and the opened vault): no need for constant time.
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** "1 changed, 2 added, 0 removed". */
export function describeEdit(plan: EditPlan): string {
  return `${plan.changed.length} changed, ${plan.added.length} added, ${plan.removed.length} removed`;
}
