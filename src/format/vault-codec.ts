/**
 * The vault document: strict parsing and canonical serialisation. Pure and synchronous; knows
 * nothing of keys. `serializeVault(parseVault(bytes))` gives back the same bytes for every vault
 * the reference implementation writes. spec/format.md §5 (layout) and §7 (what is rejected).
 */
import { fail } from '../errors.js';
import { decodedLength, hasCanonicalPadding, isCanonicalBase64 } from './base64.js';
import type { Blob } from './blob.js';
import { type JsonNode, JsonReader, JsonSyntaxError, writeJson } from './json.js';
import { BLOCK_BYTES, HMAC_BYTES, IV_BYTES } from './sizes.js';
import { hasLoneSurrogate } from './text.js';

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
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses and validates vault bytes. `source` names the vault in error messages.
 * @throws SecureStoreError ERR_VAULT_FORMAT or ERR_VAULT_VERSION.
 */
export function parseVault(bytes: Uint8Array, source: string): VaultDocument {
  return parseVaultText(decodeVaultBytes(bytes, source), source);
}

/**
 * The text of a vault file: refuses files over the size cap, empty files, a byte-order mark and
 * invalid UTF-8 (spec/format.md §7). Split from {@link parseVault} so that a caller holding the
 * only reference to a large file's bytes can let them go before the parse allocates the blobs.
 */
export function decodeVaultBytes(bytes: Uint8Array, source: string): string {
  if (bytes.length > MAX_VAULT_BYTES) {
    fail('ERR_VAULT_FORMAT', `${source} is larger than the ${MAX_VAULT_BYTES >> 20} MiB limit`);
  }
  if (bytes.length === 0) fail('ERR_VAULT_FORMAT', `${source} is empty, not a vault`);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    fail('ERR_VAULT_FORMAT', `${source} starts with a byte-order mark; vaults are plain UTF-8`);
  }
  try {
    return utf8.decode(bytes);
  } catch (err) {
    fail('ERR_VAULT_FORMAT', `${source} is not valid UTF-8`, err);
  }
}

/**
 * Like {@link parseVault}, from text that is already decoded. The `secrets` object, which is
 * nearly all of a vault, is read straight into blobs; everything else goes through the generic
 * tree and {@link documentFromNode}, so both paths apply the same rules.
 */
export function parseVaultText(text: string, source: string): VaultDocument {
  const bad = (what: string): never => fail('ERR_VAULT_FORMAT', `${source}: ${what}`);
  const reader = new JsonReader(text);
  const entries: [string, JsonNode][] = [];
  const seen = new Set<string>();
  let secrets: Map<string, Blob> | null = null;
  try {
    if (reader.peek() !== 0x7b) {
      reader.parseValue(0); // a syntax error is reported as such
      reader.finish();
      bad('the top level is not a JSON object');
    }
    reader.pos++;
    if (reader.peek() === 0x7d) {
      reader.pos++;
    } else {
      for (;;) {
        reader.skipWhitespace();
        if (reader.peek() !== 0x22) reader.error('expected a quoted name');
        const keyAt = reader.pos;
        const key = reader.parseString();
        if (seen.has(key)) reader.error(`duplicate name ${JSON.stringify(key)}`, keyAt);
        seen.add(key);
        reader.expect(':', '":"');
        if (key === 'secrets' && reader.peek() === 0x7b) {
          secrets = readSecrets(reader, bad);
          entries.push([key, { kind: 'object', entries: [] }]);
        } else if (key === 'seal' && reader.peek() === 0x7b) {
          entries.push([key, readSealMember(reader)]);
        } else {
          reader.skipWhitespace();
          entries.push([key, reader.parseValue(1)]);
        }
        const c = reader.peek();
        reader.pos++;
        if (c === 0x7d) break;
        if (c !== 0x2c) reader.error('expected "," or "}"', reader.pos - 1);
      }
    }
    reader.finish();
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      fail('ERR_VAULT_FORMAT', `${source} is not valid JSON: ${err.message}`, err);
    }
    throw err;
  }
  const doc = documentFromNode({ kind: 'object', entries }, source);
  return secrets === null ? doc : { ...doc, secrets };
}

/**
 * One secret entry in the usual layout, matched by the regular-expression engine (native code):
 * an unescaped name, then iv, hmac and payload in that order with base64 of the right shape,
 * then "," or "}". Anything else (escapes, other field orders, errors) takes the general path.
 * A CLI process runs this once, cold, so per-character JavaScript loops would dominate.
 *
 * The base64 fields are matched with `[\w+/]`, which is the alphabet plus `_` (`\w` is exactly
 * `[A-Za-z0-9_]` without the `u` and `i` flags); {@link hasUnderscore} then refuses the `_`. Irregexp
 * tests `\w` with a table and the five ranges of `[A-Za-z0-9+/]` one by one: the whole scan of a
 * 10 000-secret vault takes 2.6 ms instead of 7.4 ms.
 */
const FAST_ENTRY =
  /[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*\{[ \t\n\r]*"iv"[ \t\n\r]*:[ \t\n\r]*"([\w+/]{21}[AQgw]==)"[ \t\n\r]*,[ \t\n\r]*"hmac"[ \t\n\r]*:[ \t\n\r]*"([\w+/]{26}[AEIMQUYcgkosw048]=)"[ \t\n\r]*,[ \t\n\r]*"payload"[ \t\n\r]*:[ \t\n\r]*"([\w+/]*={0,2})"[ \t\n\r]*\}[ \t\n\r]*([,}])/y;

/** True when one of the fields FAST_ENTRY matched holds `_`, which its `\w` lets through. */
function hasUnderscore(iv: string, hmac: string, payload: string): boolean {
  return iv.includes('_') || hmac.includes('_') || payload.includes('_');
}

/** Reads the `secrets` object: `"name": { "iv": …, "hmac": …, "payload": … }, …`. */
function readSecrets(reader: JsonReader, bad: (what: string) => never): Map<string, Blob> {
  const secrets = new Map<string, Blob>();
  reader.pos++; // {
  if (reader.peek() === 0x7d) {
    reader.pos++;
    return secrets;
  }
  for (;;) {
    FAST_ENTRY.lastIndex = reader.pos;
    const m = FAST_ENTRY.exec(reader.text);
    // The pattern checks the alphabet but for `_`; `_`, the payload's length and its padding
    // bits are checked here.
    const n =
      m === null || !hasCanonicalPadding(m[4]!) || hasUnderscore(m[2]!, m[3]!, m[4]!)
        ? 0
        : decodedLength(m[4]!);
    if (m !== null && n !== 0 && n % BLOCK_BYTES === 0) {
      const before = secrets.size;
      secrets.set(m[1]!, { iv: m[2]!, hmac: m[3]!, payload: m[4]! });
      if (secrets.size > before) {
        reader.pos = FAST_ENTRY.lastIndex;
        if (m[5] === '}') return secrets;
        continue;
      }
      // A duplicate name (one lookup fewer per secret than asking first): the path below
      // reports it, and the overwritten entry is never used.
    }
    if (reader.peek() !== 0x22) reader.error('expected a quoted name');
    const nameAt = reader.pos;
    const name = reader.parseString();
    if (secrets.has(name)) reader.error(`duplicate name ${JSON.stringify(name)}`, nameAt);
    if (hasLoneSurrogate(name)) bad('a secret name contains an unpaired surrogate escape');
    reader.expect(':', '":"');
    // Built only when there is something to report: JSON.stringify per secret is not free.
    const what = { toString: () => `secret ${JSON.stringify(name)}` };
    if (reader.peek() !== 0x7b) bad(`${what} is not an object`);
    reader.pos++;
    let iv: string | undefined;
    let hmac: string | undefined;
    let payload: string | undefined;
    if (reader.peek() !== 0x7d) {
      for (;;) {
        if (reader.peek() !== 0x22) reader.error('expected a quoted name');
        const fieldAt = reader.pos;
        const field = reader.parseString();
        reader.expect(':', '":"');
        if (reader.peek() !== 0x22) {
          if (field === 'iv' || field === 'hmac' || field === 'payload')
            bad(`${what} ${field} is not a string`);
          bad(`${what} has an unknown field "${field}"`);
        }
        const value = reader.parseString();
        if (field === 'iv' && iv === undefined) iv = value;
        else if (field === 'hmac' && hmac === undefined) hmac = value;
        else if (field === 'payload' && payload === undefined) payload = value;
        else if (field === 'iv' || field === 'hmac' || field === 'payload') {
          reader.error(`duplicate name ${JSON.stringify(field)}`, fieldAt);
        } else bad(`${what} has an unknown field "${field}"`);
        const c = reader.peek();
        reader.pos++;
        if (c === 0x7d) break;
        if (c !== 0x2c) reader.error('expected "," or "}"', reader.pos - 1);
      }
    } else {
      reader.pos++;
    }
    secrets.set(name, checkBlob(what, iv, hmac, payload, bad));
    const c = reader.peek();
    reader.pos++;
    if (c === 0x7d) return secrets;
    if (c !== 0x2c) reader.error('expected "," or "}"', reader.pos - 1);
  }
}

/** Whitespace, as JSON has it. */
const WS = '[ \\t\\n\\r]*';
/** A JSON string without escapes or control characters: the general reader's fast case. */
const PLAIN_STRING = '"([^"\\\\\\x00-\\x1f]*)"';
/** A JSON number in its plain form (what the general reader keeps as `raw`). */
const PLAIN_NUMBER = '(0|[1-9][0-9]{0,15})';

/**
 * The head of the seal member (spec/seal.md §3) in the layout we write, up to the `{` of its
 * `names`: `{ "format": N, "generation": N, "mac": "…", "names": {`.
 */
const FAST_SEAL_HEAD = new RegExp(
  `\\{${WS}"format"${WS}:${WS}${PLAIN_NUMBER}${WS},${WS}"generation"${WS}:${WS}${PLAIN_NUMBER}${WS},` +
    `${WS}"mac"${WS}:${WS}${PLAIN_STRING}${WS},${WS}"names"${WS}:${WS}\\{${WS}`,
  'y',
);

/**
 * One line of the seal's `names` (spec/seal.md §3) in the layout we write:
 * `"NAME": { "generation": N, "tag": "…", "mac": "…" }` then `,` or `}`.
 */
const FAST_SEAL_LINE = new RegExp(
  `${PLAIN_STRING}${WS}:${WS}\\{${WS}"generation"${WS}:${WS}${PLAIN_NUMBER}${WS},${WS}"tag"${WS}:` +
    `${WS}${PLAIN_STRING}${WS},${WS}"mac"${WS}:${WS}${PLAIN_STRING}${WS}\\}${WS}([,}])${WS}`,
  'y',
);

/** The end of the seal member after its `names`: `}`. */
const FAST_SEAL_END = new RegExp(`${WS}\\}`, 'y');

/**
 * Reads the value of the top-level `seal` member (spec/seal.md §3) into the same tree the
 * general reader builds, with one regular-expression match per line instead of a walk of every
 * character: in a sealed vault the seal is the second largest part, after `secrets`, and the
 * general reader made a sealed 10 000-secret vault open several times slower than an unsealed
 * one (docs/benchmarks.md). The member is parsed as plain JSON here; what a seal must hold is
 * checked by the reader of seals. Anything not in the usual layout (escapes, other member order
 * or number forms, a name given twice, an error) is read again, from the start of the member,
 * by the general reader, which then gives exactly its usual tree or error.
 */
function readSealMember(reader: JsonReader): JsonNode {
  const start = reader.pos;
  const text = reader.text;
  FAST_SEAL_HEAD.lastIndex = start;
  const head = FAST_SEAL_HEAD.exec(text);
  if (head !== null) {
    const names: string[] = [];
    const generations: string[] = [];
    const tags: string[] = [];
    const macs: string[] = [];
    // Names in ascending order are distinct, which is all the reader must know: we write them
    // sorted (spec/format.md §5.2), so the set of names is made only for names out of order.
    let seen: Set<string> | null = null;
    let previous: string | null = null;
    // Every line of one save has the same generation and mac: one string for consecutive lines.
    let generation = '';
    let mac = '';
    let pos = FAST_SEAL_HEAD.lastIndex;
    let closed = text.charCodeAt(pos) === 0x7d; // "names": {}
    if (closed) pos++;
    while (!closed) {
      FAST_SEAL_LINE.lastIndex = pos;
      const m = FAST_SEAL_LINE.exec(text);
      if (m === null) break;
      const name = m[1]!;
      if (seen === null && previous !== null && !(previous < name)) seen = new Set(names);
      if (seen !== null) {
        const before = seen.size;
        seen.add(name);
        if (seen.size === before) break; // a duplicate: the general reader reports it
      }
      previous = name;
      if (m[2] !== generation) generation = m[2]!;
      if (m[4] !== mac) mac = m[4]!;
      names.push(name);
      generations.push(generation);
      tags.push(m[3]!);
      macs.push(mac);
      pos = FAST_SEAL_LINE.lastIndex;
      closed = m[5] === '}';
    }
    if (closed) {
      FAST_SEAL_END.lastIndex = pos;
      if (FAST_SEAL_END.test(text)) {
        reader.pos = FAST_SEAL_END.lastIndex;
        return {
          kind: 'object',
          entries: [
            ['format', { kind: 'number', raw: head[1]! }],
            ['generation', { kind: 'number', raw: head[2]! }],
            ['mac', { kind: 'string', value: head[3]! }],
            ['names', sealNamesNode({ names, generations, tags, macs })],
          ],
        };
      }
    }
  }
  reader.pos = start;
  return reader.parseValue(1);
}

/**
 * The lines of a seal's `names` object as {@link readSealMember} read them, in file order: line i
 * is `names[i]: { "generation": generations[i], "tag": "tags[i]", "mac": "macs[i]" }`, the
 * generation as its digits (spec/seal.md §3). Consecutive equal generations and macs are one
 * string.
 */
export interface SealLinesText {
  readonly names: readonly string[];
  readonly generations: readonly string[];
  readonly tags: readonly string[];
  readonly macs: readonly string[];
}

const SEAL_LINES = new WeakMap<JsonNode, SealLinesText>();

/**
 * The lines of a seal's `names` node as the reader's fast path read them, or null for a node it
 * did not make: the reader of seals checks them from these arrays, without the tree.
 */
export function sealLinesText(node: JsonNode): SealLinesText | null {
  return SEAL_LINES.get(node) ?? null;
}

/**
 * A `names` node whose entries (the same tree the general reader builds) are made only when
 * something asks for them: opening a sealed vault reads its lines from {@link sealLinesText},
 * and a tree of a few objects per line was most of what the open allocated for its seal.
 */
function sealNamesNode(lines: SealLinesText): JsonNode {
  let entries: [string, JsonNode][] | null = null;
  const node = {
    kind: 'object' as const,
    get entries(): [string, JsonNode][] {
      entries ??= treeOfSealLines(lines);
      return entries;
    },
  };
  SEAL_LINES.set(node, lines);
  return node;
}

function treeOfSealLines({ names, generations, tags, macs }: SealLinesText): [string, JsonNode][] {
  const out: [string, JsonNode][] = [];
  // Consecutive lines that repeat a generation or mac share that member (the tree is read,
  // never changed, by its users).
  let generation: [string, JsonNode] | null = null;
  let mac: [string, JsonNode] | null = null;
  for (let i = 0; i < names.length; i++) {
    if (generation === null || generations[i] !== generations[i - 1]) {
      generation = ['generation', { kind: 'number', raw: generations[i]! }];
    }
    if (mac === null || macs[i] !== macs[i - 1]) mac = ['mac', { kind: 'string', value: macs[i]! }];
    out.push([
      names[i]!,
      { kind: 'object', entries: [generation, ['tag', { kind: 'string', value: tags[i]! }], mac] },
    ]);
  }
  return out;
}

/** Validates a parsed JSON tree as a vault. */
export function documentFromNode(root: JsonNode, source: string): VaultDocument {
  const bad = (what: string): never => fail('ERR_VAULT_FORMAT', `${source}: ${what}`);
  if (root.kind !== 'object') return bad('the top level is not a JSON object');
  const fields = new Map(root.entries);

  const version = fields.get('version');
  if (version === undefined) bad('"version" is missing');
  if (version?.kind !== 'number' || version.raw !== '3') {
    fail(
      'ERR_VAULT_VERSION',
      `${source} has version ${describeVersion(version!)}; only SecureStore version 3 (the number 3) is supported`,
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
    if (hasLoneSurrogate(name)) bad(`a secret name contains an unpaired surrogate escape`);
    secrets.set(name, readBlob(node, `secret ${JSON.stringify(name)}`, bad));
  }

  const extras = root.entries.filter(([key]) => !KNOWN_FIELDS.has(key));
  return { iv: ivText, sentinel, secrets, extras };
}

/** The version as written, shortened: a hostile file must not fill the terminal. */
function describeVersion(node: JsonNode): string {
  const shorten = (text: string): string =>
    text.length > 24 ? `${text.slice(0, 20)}… (${text.length} characters)` : text;
  switch (node.kind) {
    case 'number':
      return shorten(node.raw);
    case 'string':
      return `${shorten(JSON.stringify(node.value))} (a string)`;
    case 'literal':
      return String(node.value);
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
  }
}

function readBlob(node: JsonNode, what: string, bad: (what: string) => never): Blob {
  if (node.kind !== 'object') bad(`${what} is not an object`);
  const fields: Partial<Record<(typeof BLOB_FIELDS)[number], string>> = {};
  for (const [key, value] of (node as { entries: [string, JsonNode][] }).entries) {
    if (!(BLOB_FIELDS as readonly string[]).includes(key))
      bad(`${what} has an unknown field "${key}"`);
    if (value.kind !== 'string') bad(`${what} ${key} is not a string`);
    fields[key as (typeof BLOB_FIELDS)[number]] = (value as { value: string }).value;
  }
  return checkBlob(what, fields.iv, fields.hmac, fields.payload, bad);
}

/** spec/format.md §7: every field present, canonical base64, exact lengths, whole blocks. */
function checkBlob(
  what: string | { toString(): string },
  iv: string | undefined,
  hmac: string | undefined,
  payload: string | undefined,
  bad: (what: string) => never,
): Blob {
  if (iv === undefined) return bad(`${what} is missing "iv"`);
  if (hmac === undefined) return bad(`${what} is missing "hmac"`);
  if (payload === undefined) return bad(`${what} is missing "payload"`);
  checkBase64(iv, IV_BYTES, { toString: () => `${what} iv` }, bad);
  checkBase64(hmac, HMAC_BYTES, { toString: () => `${what} hmac` }, bad);
  checkBase64(payload, null, { toString: () => `${what} payload` }, bad);
  const n = decodedLength(payload);
  if (n === 0 || n % BLOCK_BYTES !== 0) {
    bad(`${what} payload is ${n} bytes, not a whole number of 16-byte blocks`);
  }
  return { iv, hmac, payload };
}

function checkBase64(
  text: string,
  bytes: number | null,
  what: string | { toString(): string },
  bad: (what: string) => never,
): void {
  if (!isCanonicalBase64(text)) bad(`${what} is not canonical padded base64`);
  if (bytes !== null && decodedLength(text) !== bytes) {
    bad(`${what} is ${decodedLength(text)} bytes, expected ${bytes}`);
  }
}

function expectBase64(
  node: JsonNode,
  bytes: number | null,
  what: string,
  bad: (what: string) => never,
): string {
  if (node.kind !== 'string') return bad(`${what} is not a string`);
  checkBase64(node.value, bytes, what, bad);
  return node.value;
}

/**
 * The canonical bytes (as text) of a vault: spec/format.md §5. Secrets must already be in code
 * point order (the caller sorts). No trailing newline.
 */
export function serializeVault(doc: VaultDocument): string {
  let out = `{\n  "version": 3,\n  "iv": "${doc.iv}",\n`;
  if (doc.sentinel !== null) out += `  "sentinel": ${writeBlob(doc.sentinel, '  ')},\n`;
  if (doc.secrets.size === 0) {
    out += '  "secrets": {}';
  } else {
    // One template per secret (a CLI serialises once, cold: fewer operations is faster).
    const parts: string[] = [];
    for (const [name, blob] of doc.secrets) {
      const quoted = PLAIN_NAME.test(name) ? `"${name}"` : JSON.stringify(name);
      parts.push(
        `    ${quoted}: {\n      "iv": "${blob.iv}",\n      "hmac": "${blob.hmac}",\n      "payload": "${blob.payload}"\n    }`,
      );
    }
    out += `  "secrets": {\n${parts.join(',\n')}\n  }`;
  }
  for (const [key, value] of doc.extras) {
    out += `,\n  ${JSON.stringify(key)}: ${writeJson(value, '  ')}`;
  }
  return `${out}\n}`;
}

/** Names that JSON writes as they are, between quotes (spec/format.md §5.6). */
const PLAIN_NAME = /^[^"\\\x00-\x1f]*$/;

function writeBlob(blob: Blob, indent: string): string {
  return (
    `{\n${indent}  "iv": "${blob.iv}",\n${indent}  "hmac": "${blob.hmac}",\n` +
    `${indent}  "payload": "${blob.payload}"\n${indent}}`
  );
}
