/**
 * The vault seal (spec/seal.md): binds every secret's name to its blob and the whole vault to a
 * generation number, under keys derived from the vault key. Pure and synchronous: a document in,
 * a seal out; the checks say what failed and never throw for a seal that merely does not verify.
 */
import type { Blob } from '../format/blob.js';
import { hkdfSha256, hmacSha256, SHA256_BYTES, startHmacSha256 } from '../crypto/hmac-sha256.js';
import { constantTimeEqual, type CryptoKey, importKey, zeroize } from '../crypto/primitives.js';
import { fail } from '../errors.js';
import { decodeBase64, decodedLength, encodeBase64, isCanonicalBase64 } from '../format/base64.js';
import type { JsonNode } from '../format/json.js';
import { compareCodePoints } from '../format/text.js';
import { sealLinesText, type VaultDocument } from '../format/vault-codec.js';

/** The vault's top-level member that holds the seal (spec/seal.md §3). */
export const SEAL_FIELD = 'seal';
/** The only seal format this version reads and writes. */
export const SEAL_FORMAT = 1;

/** One secret's line: the generation that wrote it, its tag, and the MAC of that save. */
export interface SealLine {
  readonly generation: number;
  readonly tag: string;
  readonly mac: string;
}

/** A parsed seal (spec/seal.md §3). `lines` follow the file order of `names`. */
export interface Seal {
  /** The head's generation: that of the last save that set no secret, or of the sealing. */
  readonly generation: number;
  readonly mac: string;
  readonly lines: ReadonlyMap<string, SealLine>;
}

/** The two keys of spec/seal.md §2, imported once. */
export interface SealKeys {
  readonly tag: CryptoKey;
  readonly vault: CryptoKey;
}

/** The verdict of {@link checkSeal}. */
export type SealCheck =
  | { readonly ok: true; readonly generation: number }
  | {
      readonly ok: false;
      readonly generation: number;
      /** `merge`: carriers of the newest generation disagree (a textual merge, §7.1). */
      readonly reason: 'mismatch' | 'merge';
    };

const utf8 = new TextEncoder();
const TAG_INFO = utf8.encode('securestore-kms seal v1 tag');
const VAULT_INFO = utf8.encode('securestore-kms seal v1 vault');
const NO_SALT = new Uint8Array(0);
const HEAD_FIELDS = ['format', 'generation', 'mac', 'names'] as const;
const LINE_FIELDS = ['generation', 'tag', 'mac'] as const;
type JsonEntry = [string, JsonNode];
/** spec/seal.md §3: plain decimal digits, no leading zero, positive. */
const GENERATION = /^[1-9][0-9]{0,15}$/;

/**
 * The seal keys from the 32-byte vault key (spec/seal.md §2). The vault key is not kept; the
 * derived bytes are zeroed once imported.
 */
export function deriveSealKeys(vaultKey: Uint8Array): SealKeys {
  const tagBytes = hkdfSha256(vaultKey, NO_SALT, TAG_INFO, SHA256_BYTES);
  const vaultBytes = hkdfSha256(vaultKey, NO_SALT, VAULT_INFO, SHA256_BYTES);
  try {
    return { tag: importKey(tagBytes), vault: importKey(vaultBytes) };
  } finally {
    zeroize(tagBytes);
    zeroize(vaultBytes);
  }
}

// ---------------------------------------------------------------- encoding (spec/seal.md §4.1)

/** The number of UTF-8 bytes of `text` (well-formed: names with lone surrogates are refused). */
function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** One netstring of text whose characters are ASCII (base64, digits, our labels). */
function ascii(text: string): string {
  return `${text.length}:${text},`;
}

/** One netstring of any text (a name). */
function text(value: string): string {
  return `${utf8Length(value)}:${value},`;
}

function blobFields(blob: Blob): string {
  return ascii(blob.iv) + ascii(blob.hmac) + ascii(blob.payload);
}

/**
 * spec/seal.md §4.2: the tag binding `name` to `blob` in the vault whose iv is `vaultIv`, as
 * canonical base64.
 */
export function computeTag(keys: SealKeys, vaultIv: string, name: string, blob: Blob): string {
  const input = ascii('tag') + ascii(vaultIv) + text(name) + blobFields(blob);
  return encodeBase64(hmacSha256(keys.tag, utf8.encode(input)));
}

/**
 * spec/seal.md §4.3: the vault MAC at generation `generation`, over the document with the given
 * lines (their generation and tag) and head generation. Every secret must have a line.
 */
export function computeVaultMac(
  keys: SealKeys,
  doc: VaultDocument,
  lines: ReadonlyMap<string, Pick<SealLine, 'generation' | 'tag'>>,
  headGeneration: number,
  generation: number,
): Uint8Array {
  const parts: string[] = [ascii('vault'), ascii('3'), ascii(doc.iv)];
  parts.push(
    doc.sentinel === null ? ascii('no sentinel') : ascii('sentinel') + blobFields(doc.sentinel),
  );
  parts.push(ascii(String(generation)), ascii(String(headGeneration)));
  parts.push(ascii(String(doc.secrets.size)));
  // One template per secret, the same netstrings as text(name) + blobFields(blob) + …, hashed
  // in batches of 64 secrets so that no string outlives its batch: a third less CPU time than
  // one string of the whole input (a sealed open computes this once; docs/benchmarks.md).
  const mac = startHmacSha256(keys.vault);
  let lineGeneration = -1;
  let generationField = '';
  // forEach, not for…of: a Map's entry iterator makes an array per secret, and in code run
  // once, cold, the loop costs twice as much (docs/benchmarks.md). For the same reason the
  // name's UTF-8 length is Node's (Buffer.byteLength), not utf8Length's loop.
  doc.secrets.forEach((blob, name) => {
    const line = lines.get(name);
    if (line === undefined) throw new Error(`internal: no seal line for ${JSON.stringify(name)}`);
    if (line.generation !== lineGeneration) {
      lineGeneration = line.generation;
      generationField = ascii(String(lineGeneration));
    }
    const { iv, hmac, payload } = blob;
    const { tag } = line;
    parts.push(
      `${Buffer.byteLength(name, 'utf8')}:${name},${iv.length}:${iv},${hmac.length}:${hmac},${payload.length}:${payload},${generationField}${tag.length}:${tag},`,
    );
    if (parts.length === MAC_BATCH) {
      mac.update(utf8.encode(parts.join('')));
      parts.length = 0;
    }
  });
  mac.update(utf8.encode(parts.join('')));
  return mac.digest();
}

/** Secrets per piece of the vault MAC's input (see {@link computeVaultMac}). */
const MAC_BATCH = 64;

// ---------------------------------------------------------------- reading (spec/seal.md §3, §5)

/** The seal member of a document, or undefined when it has none. */
function sealNode(doc: VaultDocument): JsonNode | undefined {
  for (const [key, value] of doc.extras) if (key === SEAL_FIELD) return value;
  return undefined;
}

/**
 * Puts the seal's lines in UTF-8 byte order of their names, the order in which every sealed
 * vault is written (spec/format.md §5.2): for a document made from a parsed object, whose
 * `JSON.parse` moved integer-like names first. Changes nothing else; a malformed seal is left
 * for {@link readSeal} to refuse.
 */
export function sortSealLines(doc: VaultDocument): void {
  const node = sealNode(doc);
  if (node?.kind !== 'object') return;
  for (const [key, names] of node.entries) {
    if (key === 'names' && names.kind === 'object') {
      names.entries.sort((a, b) => compareCodePoints(a[0], b[0]));
    }
  }
}

/** True when the document has a seal member (well-formed or not). */
export function hasSeal(doc: VaultDocument): boolean {
  return sealNode(doc) !== undefined;
}

/**
 * The document's seal, checked for structure (spec/seal.md §3), or `null` when it has none.
 * Does not need the key and does not check any MAC.
 * @throws SecureStoreError ERR_SEAL when the seal is malformed, of a newer format, or its names
 *   are not exactly the vault's secrets.
 */
export function readSeal(doc: VaultDocument, source: string): Seal | null {
  const node = sealNode(doc);
  if (node === undefined) return null;
  const bad = (what: string): never =>
    fail(
      'ERR_SEAL',
      // What to do, as for every seal failure (spec/seal.md §5.2): neither `seal` nor `seal
      // --after-merge` reads a malformed seal, so the way back is to drop it and seal again.
      `${source}: the seal is malformed (${what}); the vault was changed without its key: see what changed with \`git log -p\` on it, and if you trust it, remove its "seal" member and run \`ssclient seal\``,
    );
  const fields = objectFields(node, 'the seal', HEAD_FIELDS, bad);
  const format = fields.get('format')!;
  if (format.kind !== 'number') return bad('"format" is not a number');
  if (format.raw !== String(SEAL_FORMAT)) {
    return fail(
      'ERR_SEAL',
      `${source} has a seal of format ${format.raw.slice(0, 20)}, made by a newer version of this tool; upgrade to check it`,
    );
  }
  const generation = readGeneration(fields.get('generation')!, () => 'the seal', bad);
  const mac = readMac(fields.get('mac')!, () => 'the seal "mac"', bad);
  const names = fields.get('names')!;
  if (names.kind !== 'object') return bad('"names" is not an object');
  const lines = new Map<string, SealLine>();
  // The generation and mac last checked: every line one save wrote shares them, so most lines
  // repeat the line before (a sealed open reads every line once, cold).
  let checkedRaw: string | null = null;
  let checkedGeneration = 0;
  let checkedMac: string | null = null;
  const compact = sealLinesText(names);
  if (compact !== null) {
    // The lines as the vault reader's fast path read them (every line in the §3 layout: a
    // number, then two strings): the same checks as below, in the same order, without the tree.
    for (let i = 0; i < compact.names.length; i++) {
      const name = compact.names[i]!;
      const what = (): string => `the line of ${JSON.stringify(name)}`;
      const raw = compact.generations[i]!;
      if (raw !== checkedRaw) {
        checkedGeneration = readGeneration({ kind: 'number', raw }, what, bad);
        checkedRaw = raw;
      }
      const tag = compact.tags[i]!;
      if (!MAC_BASE64.test(tag))
        readMac({ kind: 'string', value: tag }, () => `${what()} "tag"`, bad);
      const lineMac = compact.macs[i]!;
      if (lineMac !== checkedMac) {
        checkedMac = readMac({ kind: 'string', value: lineMac }, () => `${what()} "mac"`, bad);
      }
      const before = lines.size;
      lines.set(name, { generation: checkedGeneration, tag, mac: checkedMac });
      if (lines.size === before) bad(`the line of ${JSON.stringify(name)} appears twice`);
    }
  }
  const entries = compact === null ? names.entries : [];
  for (let i = 0; i < entries.length; i++) {
    // Indexed, not destructured: destructuring walks an iterator, costly in code run once, cold.
    const entry = entries[i]!;
    const name = entry[0];
    const lineNode = entry[1];
    // One pass per line, messages built only on failure: a vault may hold 100 000 lines.
    let lineGeneration: JsonNode | undefined;
    let tag: JsonNode | undefined;
    let lineMac: JsonNode | undefined;
    if (lineNode.kind === 'object' && lineNode.entries.length === 3) {
      const members = lineNode.entries as [JsonEntry, JsonEntry, JsonEntry];
      if (members[0][0] === 'generation' && members[1][0] === 'tag' && members[2][0] === 'mac') {
        // The order spec/seal.md §3 writes.
        lineGeneration = members[0][1];
        tag = members[1][1];
        lineMac = members[2][1];
      } else {
        for (const [key, value] of lineNode.entries) {
          if (key === 'generation') lineGeneration = value;
          else if (key === 'tag') tag = value;
          else if (key === 'mac') lineMac = value;
        }
      }
    }
    if (lineGeneration === undefined || tag === undefined || lineMac === undefined) {
      objectFields(lineNode, `the line of ${JSON.stringify(name)}`, LINE_FIELDS, bad);
      // objectFields accepted it: only a member given twice is left (the reader refuses that).
      bad(`the line of ${JSON.stringify(name)} has a member twice`);
    }
    const what = (): string => `the line of ${JSON.stringify(name)}`;
    if (lineGeneration!.kind !== 'number' || lineGeneration!.raw !== checkedRaw) {
      checkedGeneration = readGeneration(lineGeneration!, what, bad);
      checkedRaw = (lineGeneration as { raw: string }).raw;
    }
    const tagValue = isMac(tag!) ? tag.value : readMac(tag!, () => `${what()} "tag"`, bad);
    if (lineMac!.kind !== 'string' || lineMac!.value !== checkedMac) {
      checkedMac = readMac(lineMac!, () => `${what()} "mac"`, bad);
    }
    const line: SealLine = { generation: checkedGeneration, tag: tagValue, mac: checkedMac };
    const before = lines.size;
    lines.set(name, line);
    if (lines.size === before) bad(`the line of ${JSON.stringify(name)} appears twice`);
  }
  for (const name of doc.secrets.keys()) {
    if (!lines.has(name)) bad(`secret ${JSON.stringify(name)} has no line`);
  }
  if (lines.size !== doc.secrets.size) {
    for (const name of lines.keys()) {
      if (!doc.secrets.has(name)) bad(`a line names ${JSON.stringify(name)}, which is no secret`);
    }
  }
  return { generation, mac, lines };
}

function objectFields(
  node: JsonNode,
  what: string,
  expected: readonly string[],
  bad: (what: string) => never,
): Map<string, JsonNode> {
  if (node.kind !== 'object') return bad(`${what} is not an object`);
  const fields = new Map<string, JsonNode>();
  for (const [key, value] of node.entries) {
    if (!expected.includes(key)) bad(`${what} has an unknown member ${JSON.stringify(key)}`);
    fields.set(key, value);
  }
  for (const key of expected) if (!fields.has(key)) bad(`${what} has no "${key}"`);
  return fields;
}

/** `what` names the member in a message, built only when there is one to give. */
function readGeneration(node: JsonNode, what: () => string, bad: (what: string) => never): number {
  if (node.kind !== 'number' || !GENERATION.test(node.raw)) {
    return bad(`${what()} has a generation that is not a positive whole number`);
  }
  const value = Number(node.raw);
  if (!Number.isSafeInteger(value)) bad(`${what()} has a generation above 2^53 - 1`);
  return value;
}

/**
 * Canonical padded base64 of exactly 32 bytes (SHA256_BYTES): 42 characters, one whose low two
 * bits are zero, then `=`. The same verdict as isCanonicalBase64 and a decoded length of 32, in
 * one native match instead of a loop over 44 characters, which costs more in code run once, cold
 * (a sealed open checks one tag per secret).
 */
const MAC_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** What {@link readMac} accepts, as a test (no message to build). */
function isMac(node: JsonNode): node is { kind: 'string'; value: string } {
  return node.kind === 'string' && MAC_BASE64.test(node.value);
}

function readMac(node: JsonNode, what: () => string, bad: (what: string) => never): string {
  if (node.kind !== 'string') return bad(`${what()} is not a string`);
  if (!isCanonicalBase64(node.value) || decodedLength(node.value) !== SHA256_BYTES) {
    bad(`${what()} is not 32 bytes of canonical base64`);
  }
  return node.value;
}

/** Constant-time equality of two MACs in canonical base64. */
function sameMac(a: string, b: string): boolean {
  return constantTimeEqual(decodeBase64(a), decodeBase64(b));
}

/** spec/seal.md §5.1: the vault's generation, the greatest in the seal. */
export function sealGeneration(seal: Seal): number {
  let max = seal.generation;
  for (const line of seal.lines.values()) if (line.generation > max) max = line.generation;
  return max;
}

/**
 * spec/seal.md §5.1: whether the seal verifies over `doc`: some carrier (the head or a line of
 * the newest generation) holds the vault MAC of the document. One HMAC over the document.
 */
export function checkSeal(keys: SealKeys, doc: VaultDocument, seal: Seal): SealCheck {
  const generation = sealGeneration(seal);
  const carriers = new Set<string>();
  if (seal.generation === generation) carriers.add(seal.mac);
  let added: string | null = null; // most lines repeat the mac of the line before
  for (const line of seal.lines.values()) {
    if (line.generation === generation && line.mac !== added) {
      carriers.add(line.mac);
      added = line.mac;
    }
  }
  const expected = computeVaultMac(keys, doc, seal.lines, seal.generation, generation);
  let ok = false;
  for (const mac of carriers) {
    // Every carrier is compared, in constant time, whatever the earlier ones gave.
    if (constantTimeEqual(decodeBase64(mac), expected)) ok = true;
  }
  if (ok) return { ok, generation };
  return { ok, generation, reason: carriers.size > 1 ? 'merge' : 'mismatch' };
}

/**
 * The names whose line does not bind their blob (spec/seal.md §7.2): their tag fails. The seal
 * must have passed {@link readSeal} (every secret has a line).
 */
export function namesFailingTags(keys: SealKeys, doc: VaultDocument, seal: Seal): string[] {
  const failing: string[] = [];
  for (const [name, blob] of doc.secrets) {
    const line = seal.lines.get(name);
    if (line === undefined || !sameMac(line.tag, computeTag(keys, doc.iv, name, blob))) {
      failing.push(name);
    }
  }
  return failing;
}

/**
 * The one-line message for a seal that does not verify, or is missing where required
 * (spec/seal.md §5.2, §8).
 */
export function sealFailureMessage(source: string, check: SealCheck | 'missing'): string {
  if (check === 'missing') {
    return `${source} has no seal, and the seal is required: it was written by a tool that does not seal, or the seal was removed; check it with \`git log -p ${source}\`, then run \`ssclient seal\` if you trust it`;
  }
  const what =
    !check.ok && check.reason === 'merge'
      ? 'two seals of generation ' +
        String(check.generation) +
        ' disagree, as after a merge of the file as text'
      : 'names, values or their order no longer match its seal';
  return `${source} was changed without its key (${what}); see what changed with \`git log -p ${source}\`, and run \`ssclient seal --after-merge\` only if you trust the change`;
}

/**
 * Checks a document's seal under `keys`: nothing when it verifies (or the vault has none and
 * none is required). Returns the seal read.
 * @throws SecureStoreError ERR_SEAL when it is malformed, does not verify, or is missing while
 *   `required`.
 */
export function assertSeal(
  keys: SealKeys,
  doc: VaultDocument,
  source: string,
  required: boolean,
): Seal | null {
  const seal = readSeal(doc, source);
  if (seal === null) {
    if (required) fail('ERR_SEAL', sealFailureMessage(source, 'missing'));
    return null;
  }
  const check = checkSeal(keys, doc, seal);
  if (!check.ok) fail('ERR_SEAL', sealFailureMessage(source, check));
  return seal;
}

// ---------------------------------------------------------------- writing (spec/seal.md §6)

/** Fills in the MAC of the lines written at `generation` and, when it carries, of the head. */
function finish(
  keys: SealKeys,
  doc: VaultDocument,
  lines: Map<string, Omit<SealLine, 'mac'> & { mac: string | null }>,
  head: { generation: number; mac: string | null },
  generation: number,
): Seal {
  const mac = encodeBase64(computeVaultMac(keys, doc, lines, head.generation, generation));
  const out = new Map<string, SealLine>();
  for (const [name, line] of lines) out.set(name, { ...line, mac: line.mac ?? mac });
  return { generation: head.generation, mac: head.mac ?? mac, lines: out };
}

/**
 * spec/seal.md §6.2: a seal of generation `generation` with every line and the head written.
 * The caller has checked every secret's MAC under the key.
 */
export function sealAll(keys: SealKeys, doc: VaultDocument, generation: number): Seal {
  const lines = new Map<string, { generation: number; tag: string; mac: string | null }>();
  for (const [name, blob] of doc.secrets) {
    lines.set(name, { generation, tag: computeTag(keys, doc.iv, name, blob), mac: null });
  }
  return finish(keys, doc, lines, { generation, mac: null }, generation);
}

/**
 * spec/seal.md §6.1: the seal after a save of a sealed vault: `changed` names (set since the
 * last save) get new lines of generation G + 1, and the head carries when no line was written.
 * Lines of names not in `doc` are dropped; other lines are kept as they are.
 */
export function resealAfterWrite(
  keys: SealKeys,
  doc: VaultDocument,
  previous: Seal,
  changed: ReadonlySet<string>,
): Seal {
  const generation = sealGeneration(previous) + 1;
  const lines = new Map<string, { generation: number; tag: string; mac: string | null }>();
  let wroteLine = false;
  for (const [name, blob] of doc.secrets) {
    const old = previous.lines.get(name);
    if (old === undefined || changed.has(name)) {
      lines.set(name, { generation, tag: computeTag(keys, doc.iv, name, blob), mac: null });
      wroteLine = true;
    } else {
      lines.set(name, old);
    }
  }
  const head = wroteLine
    ? { generation: previous.generation, mac: previous.mac }
    : { generation, mac: null };
  return finish(keys, doc, lines, head, generation);
}

/**
 * spec/seal.md §7.2 and §9.3: the seal with generation `generation` on the head and the lines
 * kept where their tag binds their blob (written anew otherwise, or when missing).
 */
export function resealHead(
  keys: SealKeys,
  doc: VaultDocument,
  lines: ReadonlyMap<string, SealLine>,
  generation: number,
): Seal {
  const out = new Map<string, { generation: number; tag: string; mac: string | null }>();
  for (const [name, blob] of doc.secrets) {
    const tag = computeTag(keys, doc.iv, name, blob);
    const old = lines.get(name);
    if (old !== undefined && sameMac(old.tag, tag) && old.generation < generation) {
      out.set(name, old);
    } else {
      out.set(name, { generation, tag, mac: null });
    }
  }
  return finish(keys, doc, out, { generation, mac: null }, generation);
}

/** The seal as the JSON member written after `secrets` (spec/seal.md §3), lines in `doc` order. */
export function sealToNode(seal: Seal, doc: VaultDocument): JsonNode {
  const num = (n: number): JsonNode => ({ kind: 'number', raw: String(n) });
  const str = (value: string): JsonNode => ({ kind: 'string', value });
  const names: [string, JsonNode][] = [];
  for (const name of doc.secrets.keys()) {
    const line = seal.lines.get(name);
    if (line === undefined) throw new Error(`internal: no seal line for ${JSON.stringify(name)}`);
    names.push([
      name,
      {
        kind: 'object',
        entries: [
          ['generation', num(line.generation)],
          ['tag', str(line.tag)],
          ['mac', str(line.mac)],
        ],
      },
    ]);
  }
  return {
    kind: 'object',
    entries: [
      ['format', num(SEAL_FORMAT)],
      ['generation', num(seal.generation)],
      ['mac', str(seal.mac)],
      ['names', { kind: 'object', entries: names }],
    ],
  };
}

/**
 * Puts `seal` into the document's unknown members (in place of an existing seal, else last), or
 * removes the seal when `seal` is null. The secrets must be in their final order.
 */
export function setSeal(doc: VaultDocument, seal: Seal | null): void {
  const at = doc.extras.findIndex(([key]) => key === SEAL_FIELD);
  if (seal === null) {
    if (at >= 0) doc.extras.splice(at, 1);
    return;
  }
  const node = sealToNode(seal, doc);
  if (at >= 0) doc.extras[at] = [SEAL_FIELD, node];
  else doc.extras.push([SEAL_FIELD, node]);
}
