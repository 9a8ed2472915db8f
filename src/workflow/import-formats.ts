/**
 * Reading secrets to import (`ssclient import FILE`, docs/workflow.md "Import"): every export
 * format of ours (dotenv, shell, json, yaml, csv) read back exactly, and what other tools write:
 * credstash `getall` (a JSON object of names to values), a decrypted sops file (YAML or JSON; the
 * top-level `sops` metadata is skipped; nested mappings become dotted names), a decrypted dotenvx
 * file (its `DOTENV_PUBLIC_KEY*` entries are skipped). Values are never put in a message: errors
 * name the file, the line and the secret.
 *
 * - `dotenv` reads the dotenv dialect the dotenv libraries share, and our shell export: `export`
 *   prefixes, `#` comments, single quotes (literal), double quotes (with `\n`, `\r`, `\t`, `\\`,
 *   `\"`, `\$` and backtick escapes), unquoted text (trailing spaces and ` #` comments dropped),
 *   and shell-style concatenation such as `'it'\''s'`. Nothing is expanded (`$VAR` stays).
 * - `json`: our `get --all --format json` array of `{ "key", "value" }` (binary values as arrays
 *   of byte numbers), or an object of names to values.
 * - `yaml`: a mapping; `!!binary` values are bytes.
 * - `csv`: a `name,value` header then one record per secret (RFC 4180, via csv-parse).
 */
import { fail } from '../errors.js';
import { type JsonNode, JsonSyntaxError, parseJson } from '../format/json.js';
import type { NamedBytes } from './env-values.js';

import { IMPORT_FORMATS, type ImportFormat } from './import-format-names.js';

export { IMPORT_FORMATS, type ImportFormat } from './import-format-names.js';

export function isImportFormat(format: string): format is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(format);
}

/** The format a file name suggests: `.env`, `.env.*`, `*.env`, `*.dotenv`, `*.sh` are dotenv. */
export function guessImportFormat(path: string): ImportFormat | null {
  const base = path.split('/').pop() ?? path;
  const lower = base.toLowerCase();
  if (lower === '.env' || lower.startsWith('.env.') || lower.endsWith('.env')) return 'dotenv';
  if (lower.endsWith('.sh') || lower.endsWith('.dotenv')) return 'dotenv';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.csv')) return 'csv';
  return null;
}

export interface ParsedImport {
  /** In file order. */
  readonly secrets: NamedBytes[];
  /** What was skipped, for a note on stderr (sops metadata, dotenvx public keys). */
  readonly skipped: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const encoder = new TextEncoder();

/**
 * Parses `bytes` (the contents of `label`) as `format`. With `verbatim` (`ssclient edit`, which
 * reads back what it wrote from the vault itself) every entry is kept as written: no dotenvx
 * public key is skipped and no value is refused for looking encrypted by sops or dotenvx.
 * @throws SecureStoreError ERR_IMPORT naming the file, the line or secret, and what is wrong.
 */
export async function parseImport(
  format: ImportFormat,
  bytes: Uint8Array,
  label: string,
  options: { readonly verbatim?: boolean } = {},
): Promise<ParsedImport> {
  const verbatim = options.verbatim === true;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    fail('ERR_IMPORT', `${label} is not UTF-8 text`);
  }
  let entries: [string, string | Uint8Array][];
  const skipped: string[] = [];
  switch (format) {
    case 'dotenv':
    case 'shell':
      entries = parseDotenv(text, label);
      break;
    case 'json':
      entries = parseJsonImport(text, label, skipped);
      break;
    case 'yaml':
      entries = await parseYamlImport(text, label, skipped);
      break;
    case 'csv':
      entries = await parseCsvImport(text, label);
      break;
  }
  if (!verbatim && (format === 'dotenv' || format === 'shell')) {
    entries = entries.filter(([name]) => {
      if (!name.startsWith('DOTENV_PUBLIC_KEY')) return true;
      skipped.push(`${name} (dotenvx's public key, not a secret)`);
      return false;
    });
  }
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    if (seen.has(name)) fail('ERR_IMPORT', `${label} sets ${JSON.stringify(name)} more than once`);
    seen.add(name);
    if (!verbatim && typeof value === 'string') refuseEncrypted(name, value, label);
  }
  return {
    secrets: entries.map(([name, value]) => ({
      name,
      bytes: typeof value === 'string' ? encoder.encode(value) : value,
    })),
    skipped,
  };
}

/** A value still encrypted by sops or dotenvx is refused: importing it would store ciphertext. */
function refuseEncrypted(name: string, value: string, label: string): void {
  if (/^ENC\[[A-Z0-9_]+,data:/.test(value)) {
    fail(
      'ERR_IMPORT',
      `${JSON.stringify(name)} in ${label} is still encrypted by sops: import the output of "sops -d"`,
    );
  }
  if (value.startsWith('encrypted:')) {
    fail(
      'ERR_IMPORT',
      `${JSON.stringify(name)} in ${label} is still encrypted by dotenvx: import the output of "dotenvx decrypt --stdout"`,
    );
  }
}

// ------------------------------------------------------------------ dotenv

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_.\-:/]/;
const DOUBLE_ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  '"': '"',
  $: '$',
  '`': '`',
};
/** Outside quotes, a backslash escapes these (shell style, as in `'it'\''s'`); else it is kept. */
const UNQUOTED_ESCAPED = new Set(["'", '"', '\\', '$', '`', ' ', '#']);

/** `NAME=value` entries of a dotenv (or our shell export) text, in file order. */
export function parseDotenv(text: string, label: string): [string, string][] {
  const out: [string, string][] = [];
  let pos = text.startsWith('\ufeff') ? 1 : 0;
  let line = 1;
  const at = (): string => `${label} line ${line}`;
  const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
  const atLineEnd = (p: number) =>
    p >= text.length || text[p] === '\n' || (text[p] === '\r' && text[p + 1] === '\n');

  while (pos < text.length) {
    const c = text[pos]!;
    if (c === '\n') {
      line++;
      pos++;
      continue;
    }
    if (isBlank(c) || c === '\r') {
      pos++;
      continue;
    }
    if (c === '#') {
      while (pos < text.length && text[pos] !== '\n') pos++;
      continue;
    }
    if (text.startsWith('export', pos) && isBlank(text[pos + 6])) {
      pos += 6;
      while (isBlank(text[pos])) pos++;
    }
    const start = pos;
    if (!NAME_START.test(text[pos] ?? '')) fail('ERR_IMPORT', `${at()}: expected NAME=value`);
    while (pos < text.length && NAME_CHAR.test(text[pos]!)) pos++;
    const name = text.slice(start, pos);
    while (isBlank(text[pos])) pos++;
    // The word is not quoted back: a line without `=` is as likely a value (a password pasted
    // alone on a line, the next line of an unquoted PEM) as a name.
    if (text[pos] !== '=') {
      fail(
        'ERR_IMPORT',
        `${at()}: expected NAME=value, found no = after the first word (not shown: it may be a value)`,
      );
    }
    pos++;
    while (isBlank(text[pos])) pos++;

    let value = '';
    let quoted = false;
    for (;;) {
      const ch = text[pos];
      if (ch === undefined || atLineEnd(pos)) break;
      if (ch === "'") {
        const end = text.indexOf("'", pos + 1);
        if (end < 0) fail('ERR_IMPORT', `${at()}: the value of ${name} has no closing '`);
        const part = text.slice(pos + 1, end);
        line += countNewlines(part);
        value += part;
        pos = end + 1;
        quoted = true;
        continue;
      }
      if (ch === '"') {
        pos++;
        for (;;) {
          const d = text[pos];
          if (d === undefined) fail('ERR_IMPORT', `${at()}: the value of ${name} has no closing "`);
          if (d === '"') break;
          if (d === '\\' && pos + 1 < text.length) {
            const e = text[pos + 1]!;
            const decoded = DOUBLE_ESCAPES[e];
            value += decoded ?? `\\${e}`;
            if (decoded === undefined && e === '\n') line++;
            pos += 2;
            continue;
          }
          if (d === '\n') line++;
          value += d;
          pos++;
        }
        pos++;
        quoted = true;
        continue;
      }
      if (isBlank(ch)) {
        // Blanks end a quoted word; in unquoted text they are kept unless a comment or the end
        // of the line follows.
        let q = pos;
        while (isBlank(text[q])) q++;
        if (atLineEnd(q) || text[q] === '#' || quoted) {
          pos = q;
          break;
        }
        value += text.slice(pos, q);
        pos = q;
        continue;
      }
      if (ch === '\\' && UNQUOTED_ESCAPED.has(text[pos + 1] ?? '')) {
        value += text[pos + 1];
        pos += 2;
        continue;
      }
      if (ch === '#' && value === '' && !quoted) {
        break; // NAME=#comment: an empty value
      }
      value += ch;
      pos++;
    }
    while (isBlank(text[pos])) pos++;
    if (text[pos] === '#') {
      while (pos < text.length && text[pos] !== '\n') pos++;
    }
    if (!atLineEnd(pos)) {
      fail('ERR_IMPORT', `${at()}: unexpected text after the value of ${name}`);
    }
    out.push([name, value]);
  }
  return out;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

// ------------------------------------------------------------------ json

function parseJsonImport(
  text: string,
  label: string,
  skipped: string[],
): [string, string | Uint8Array][] {
  let root: JsonNode;
  try {
    root = parseJson(text.startsWith('\ufeff') ? text.slice(1) : text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      // The reason may quote the character found, which may be part of a value: left out.
      const reason = err.reason.replace(/\s*"(?:[^"\\]|\\.)*"/g, '');
      fail(
        'ERR_IMPORT',
        `${label} is not JSON: ${reason} at line ${err.line}, column ${err.column}`,
      );
    }
    throw err;
  }
  if (root.kind === 'array') return ourJsonArray(root.items, label);
  if (root.kind !== 'object') {
    fail('ERR_IMPORT', `${label}: expected an object of names to values, or our get --all array`);
  }
  const out: [string, string | Uint8Array][] = [];
  flattenJson(root.entries, '', label, out, skipped);
  return out;
}

/** `get --all --format json`: `[{ "key": NAME, "value": TEXT | [bytes…] }, …]`. */
function ourJsonArray(items: readonly JsonNode[], label: string): [string, string | Uint8Array][] {
  return items.map((item, i) => {
    const where = `${label}: item ${i + 1}`;
    if (item.kind !== 'object') fail('ERR_IMPORT', `${where} is not a { "key", "value" } object`);
    const key = item.entries.find(([k]) => k === 'key')?.[1];
    const value = item.entries.find(([k]) => k === 'value')?.[1];
    if (item.entries.length !== 2 || key?.kind !== 'string' || value === undefined) {
      fail('ERR_IMPORT', `${where} is not a { "key", "value" } object`);
    }
    const name = key.value;
    if (value.kind === 'string') return [name, value.value];
    if (value.kind === 'array') {
      const bytes = value.items.map((b) =>
        b.kind === 'number' && /^(?:0|[1-9]\d{0,2})$/.test(b.raw) && Number(b.raw) <= 255
          ? Number(b.raw)
          : -1,
      );
      if (bytes.every((b) => b >= 0)) return [name, Uint8Array.from(bytes)];
    }
    fail(
      'ERR_IMPORT',
      `${where}: the value of ${JSON.stringify(name)} is neither a string nor an array of bytes`,
    );
  });
}

function flattenJson(
  entries: readonly [string, JsonNode][],
  prefix: string,
  label: string,
  out: [string, string | Uint8Array][],
  skipped: string[],
): void {
  for (const [key, node] of entries) {
    const name = `${prefix}${key}`;
    if (prefix === '' && key === 'sops' && node.kind === 'object') {
      skipped.push('sops (the metadata of a sops file)');
      continue;
    }
    switch (node.kind) {
      case 'string':
        out.push([name, node.value]);
        break;
      case 'number':
        out.push([name, node.raw]);
        break;
      case 'literal':
        if (node.value === null) {
          fail('ERR_IMPORT', `${label}: ${JSON.stringify(name)} is null, not a value`);
        }
        out.push([name, String(node.value)]);
        break;
      case 'object':
        flattenJson(node.entries, `${name}.`, label, out, skipped);
        break;
      case 'array':
        fail('ERR_IMPORT', `${label}: ${JSON.stringify(name)} is a list, not a value`);
    }
  }
}

// ------------------------------------------------------------------ yaml

async function parseYamlImport(
  text: string,
  label: string,
  skipped: string[],
): Promise<[string, string | Uint8Array][]> {
  const { parseDocument, isMap, isScalar, isSeq } = await import('yaml');
  const doc = parseDocument(text, { customTags: ['binary'], uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem !== undefined) {
    // Only the first line of yaml's message: the rest quotes the file, which may hold values.
    const first = problem.message.split('\n')[0]!.replace(/:$/, '');
    fail('ERR_IMPORT', `${label} is not YAML: ${first}`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) fail('ERR_IMPORT', `${label}: expected a mapping of names to values`);
  const out: [string, string | Uint8Array][] = [];
  const walk = (map: typeof root, prefix: string): void => {
    for (const pair of map.items) {
      const key = pair.key;
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        fail('ERR_IMPORT', `${label}: a key under ${JSON.stringify(prefix)} is not a plain name`);
      }
      const name = `${prefix}${key.source ?? String(key.value)}`;
      const node = pair.value;
      if (prefix === '' && name === 'sops' && isMap(node)) {
        skipped.push('sops (the metadata of a sops file)');
        continue;
      }
      if (isMap(node)) {
        walk(node, `${name}.`);
        continue;
      }
      if (isSeq(node))
        fail('ERR_IMPORT', `${label}: ${JSON.stringify(name)} is a list, not a value`);
      if (!isScalar(node) || node.value === null || node.value === undefined) {
        fail('ERR_IMPORT', `${label}: ${JSON.stringify(name)} has no value (null, or an alias)`);
      }
      const v: unknown = node.value;
      if (v instanceof Uint8Array) out.push([name, Uint8Array.from(v)]);
      else if (typeof v === 'string') out.push([name, v]);
      // Numbers and booleans keep their text as written (0x1F stays 0x1F, 1.0 stays 1.0).
      else out.push([name, node.source ?? String(v)]);
    }
  };
  walk(root, '');
  return out;
}

// ------------------------------------------------------------------ csv

/** csv-parse's error codes for faults in the text, in words. */
const CSV_FAULTS: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a quote inside a quoted field is not doubled',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows the closing quote of a field',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a record has another number of fields than the first',
};

async function parseCsvImport(text: string, label: string): Promise<[string, string][]> {
  // csv-parse, loaded only here: RFC 4180 quoting, CRLF or LF, a BOM.
  const { parse } = await import('csv-parse/sync');
  let rows: string[][];
  try {
    const records: unknown = parse(text, { bom: true, relax_column_count: false });
    rows = records as string[][];
  } catch (err) {
    // csv-parse's own message quotes the text around the fault, which may be a value: only its
    // code is used, said in words where it is one a hand-edited file meets.
    const e = err as { code?: string; lines?: number };
    const why = (e.code !== undefined ? CSV_FAULTS[e.code] : undefined) ?? e.code ?? 'parse error';
    fail(
      'ERR_IMPORT',
      `${label} is not CSV${e.lines !== undefined ? ` (line ${e.lines})` : ''}: ${why}`,
    );
  }
  const header = rows[0];
  if (header === undefined) return [];
  if (header.length !== 2 || !['name', 'key'].includes(header[0]!) || header[1] !== 'value') {
    fail('ERR_IMPORT', `${label}: the first row must be the header name,value`);
  }
  return rows.slice(1).map((row, i) => {
    if (row.length !== 2) fail('ERR_IMPORT', `${label}: record ${i + 1} does not have 2 fields`);
    return [row[0]!, row[1]!];
  });
}
