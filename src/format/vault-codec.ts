/**
 * The vault document: strict parsing and canonical serialisation. Pure and synchronous; knows
 * nothing of keys. `serializeVault(parseVault(bytes))` gives back the same bytes for every vault
 * the reference implementation writes. spec/format.md §5 (layout) and §7 (what is rejected).
 */
import type { Blob } from '../crypto/blob.js';
import { BLOCK_BYTES, HMAC_BYTES, IV_BYTES } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import { decodedLength, isCanonicalBase64 } from './base64.js';
import { type JsonNode, JsonSyntaxError, parseJson, writeJson } from './json.js';

/** spec/format.md §7.1: larger files are refused before they are read into memory. */
export const MAX_VAULT_BYTES = 256 * 1024 * 1024;

export interface VaultDocument {
  /** The vault iv (base64, 16 bytes): the PBKDF2 salt. Never changes after creation. */
  readonly iv: string;
  /** The key check; `null` when the file has none (spec/format.md §4.2). */
  sentinel: Blob | null;
  /** Secrets in file order. */
  readonly secrets: Map<string, Blob>;
  /** Unknown top-level fields, in file order, written back after `secrets` (spec/format.md §5.5). */
  readonly extras: [string, JsonNode][];
}

const KNOWN_FIELDS = new Set(['version', 'iv', 'sentinel', 'secrets']);
const BLOB_FIELDS = ['iv', 'hmac', 'payload'] as const;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses and validates vault bytes. `source` names the vault in error messages.
 * @throws SecureStoreError ERR_VAULT_FORMAT or ERR_VAULT_VERSION.
 */
export function parseVault(bytes: Uint8Array, source: string): VaultDocument {
  if (bytes.length > MAX_VAULT_BYTES) {
    fail('ERR_VAULT_FORMAT', `${source} is larger than the ${MAX_VAULT_BYTES >> 20} MiB limit`);
  }
  if (bytes.length === 0) fail('ERR_VAULT_FORMAT', `${source} is empty, not a vault`);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    fail('ERR_VAULT_FORMAT', `${source} starts with a byte-order mark; vaults are plain UTF-8`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (err) {
    fail('ERR_VAULT_FORMAT', `${source} is not valid UTF-8`, err);
  }
  return parseVaultText(text, source);
}

/** Like {@link parseVault}, from text that is already decoded. */
export function parseVaultText(text: string, source: string): VaultDocument {
  let root: JsonNode;
  try {
    root = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      fail('ERR_VAULT_FORMAT', `${source} is not valid JSON: ${err.message}`, err);
    }
    throw err;
  }
  return documentFromNode(root, source);
}

/** Validates a parsed JSON tree as a vault. */
export function documentFromNode(root: JsonNode, source: string): VaultDocument {
  const bad = (what: string): never => fail('ERR_VAULT_FORMAT', `${source}: ${what}`);
  if (root.kind !== 'object') return bad('the top level is not a JSON object');
  const fields = new Map(root.entries);

  const version = fields.get('version');
  if (version === undefined) bad('"version" is missing');
  if (version?.kind !== 'number' || version.raw !== '3') {
    const shown = version?.kind === 'number' ? version.raw : JSON.stringify(describe(version));
    fail(
      'ERR_VAULT_VERSION',
      `${source} has version ${shown}; only SecureStore version 3 (the number 3) is supported`,
    );
  }

  const iv = fields.get('iv');
  if (iv === undefined) bad('"iv" is missing');
  const ivText = expectBase64(iv!, IV_BYTES, '"iv"', bad);

  const sentinelNode = fields.get('sentinel');
  const sentinel =
    sentinelNode === undefined || (sentinelNode.kind === 'literal' && sentinelNode.value === null)
      ? null
      : readBlob(sentinelNode, '"sentinel"', bad);

  const secretsNode = fields.get('secrets');
  if (secretsNode === undefined) bad('"secrets" is missing');
  if (secretsNode!.kind !== 'object') bad('"secrets" is not an object');
  const secrets = new Map<string, Blob>();
  for (const [name, node] of (secretsNode as { entries: [string, JsonNode][] }).entries) {
    if (LONE_SURROGATE.test(name)) bad(`a secret name contains an unpaired surrogate escape`);
    secrets.set(name, readBlob(node, `secret ${JSON.stringify(name)}`, bad));
  }

  const extras = root.entries.filter(([key]) => !KNOWN_FIELDS.has(key));
  return { iv: ivText, sentinel, secrets, extras };
}

function describe(node: JsonNode | undefined): string {
  if (node === undefined) return 'missing';
  if (node.kind === 'string') return node.value;
  return node.kind;
}

function readBlob(node: JsonNode, what: string, bad: (what: string) => never): Blob {
  if (node.kind !== 'object') bad(`${what} is not an object`);
  const entries = (node as { entries: [string, JsonNode][] }).entries;
  const fields = new Map(entries);
  for (const [key] of entries) {
    if (!(BLOB_FIELDS as readonly string[]).includes(key))
      bad(`${what} has an unknown field "${key}"`);
  }
  for (const key of BLOB_FIELDS) {
    if (!fields.has(key)) bad(`${what} is missing "${key}"`);
  }
  const iv = expectBase64(fields.get('iv')!, IV_BYTES, `${what} iv`, bad);
  const hmac = expectBase64(fields.get('hmac')!, HMAC_BYTES, `${what} hmac`, bad);
  const payload = expectBase64(fields.get('payload')!, null, `${what} payload`, bad);
  const n = decodedLength(payload);
  if (n === 0 || n % BLOCK_BYTES !== 0) {
    bad(`${what} payload is ${n} bytes, not a whole number of 16-byte blocks`);
  }
  return { iv, hmac, payload };
}

function expectBase64(
  node: JsonNode,
  bytes: number | null,
  what: string,
  bad: (what: string) => never,
): string {
  if (node.kind !== 'string') return bad(`${what} is not a string`);
  const text = node.value;
  if (!isCanonicalBase64(text)) return bad(`${what} is not canonical padded base64`);
  if (bytes !== null && decodedLength(text) !== bytes) {
    return bad(`${what} is ${decodedLength(text)} bytes, expected ${bytes}`);
  }
  return text;
}

/**
 * Compares two strings by Unicode code point, which is the UTF-8 byte order the reference
 * writes names in (spec/format.md §5.2). JavaScript's `<` compares UTF-16 code units, which
 * puts U+1F600 (a surrogate pair) before U+FF5E; this fixes that up.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Move surrogates (D800–DFFF) above E000–FFFF, keeping each group's own order.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** True when the names are already in code point order. */
export function isSorted(names: Iterable<string>): boolean {
  let previous: string | undefined;
  for (const name of names) {
    if (previous !== undefined && compareCodePoints(previous, name) >= 0) return false;
    previous = name;
  }
  return true;
}

/**
 * The canonical bytes (as text) of a vault: spec/format.md §5. Secrets must already be in code
 * point order (the caller sorts). No trailing newline.
 */
export function serializeVault(doc: VaultDocument): string {
  const parts: string[] = [`{\n  "version": 3,\n  "iv": "${doc.iv}",\n`];
  if (doc.sentinel !== null) parts.push(`  "sentinel": ${writeBlob(doc.sentinel, '  ')},\n`);
  if (doc.secrets.size === 0) {
    parts.push('  "secrets": {}');
  } else {
    parts.push('  "secrets": {\n');
    let first = true;
    for (const [name, blob] of doc.secrets) {
      parts.push(first ? '    ' : ',\n    ', JSON.stringify(name), ': ', writeBlob(blob, '    '));
      first = false;
    }
    parts.push('\n  }');
  }
  for (const [key, value] of doc.extras) {
    parts.push(',\n  ', JSON.stringify(key), ': ', writeJson(value, '  '));
  }
  parts.push('\n}');
  return parts.join('');
}

function writeBlob(blob: Blob, indent: string): string {
  return (
    `{\n${indent}  "iv": "${blob.iv}",\n${indent}  "hmac": "${blob.hmac}",\n` +
    `${indent}  "payload": "${blob.payload}"\n${indent}}`
  );
}
