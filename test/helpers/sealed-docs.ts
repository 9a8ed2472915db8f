/**
 * Sealed vault documents built in memory, and the attacks of issue 13 on them, for the seal's
 * unit and property tests (spec/seal.md). An attacker here can edit every byte of the file but
 * has no key: it moves blobs and seal lines around, and copies them from other files made with
 * the same key (an earlier version, another vault).
 */
import type { Blob } from '../../src/format/blob.js';
import { decryptBlob, encryptBlob, splitKey, type VaultKeys } from '../../src/vault/blob-cipher.js';
import { randomBytes } from '../../src/crypto/primitives.js';
import { encodeBase64 } from '../../src/format/base64.js';
import type { JsonNode } from '../../src/format/json.js';
import { compareCodePoints } from '../../src/format/text.js';
import type { VaultDocument } from '../../src/format/vault-codec.js';
import {
  deriveSealKeys,
  readSeal,
  resealAfterWrite,
  type Seal,
  type SealKeys,
  type SealLine,
  sealAll,
  setSeal,
} from '../../src/vault/seal.js';

/**
 * What the seal of an empty vault (spec/seal.md §3) adds to the reference's 256 bytes: `ssclient
 * create` seals, so a fresh vault is the reference's 256 bytes less the final `\n}`, then this.
 */
export const SEALED_EMPTY_EXTRA =
  ',\n  "seal": {\n    "format": 1,\n    "generation": 1,\n    "mac": "",\n    "names": {}\n  }'
    .length + 44;

export interface TestKey {
  /** The 32-byte vault key. */
  readonly bytes: Uint8Array;
  readonly keys: VaultKeys;
  readonly seal: SealKeys;
}

export function newKey(bytes: Uint8Array = randomBytes(32)): TestKey {
  return { bytes, keys: splitKey(bytes), seal: deriveSealKeys(bytes) };
}

export function cloneDoc(doc: VaultDocument): VaultDocument {
  return {
    iv: doc.iv,
    sentinel: doc.sentinel,
    secrets: new Map(doc.secrets),
    extras: doc.extras.map(([k, v]) => [k, v]),
  };
}

function sortSecrets(doc: VaultDocument): void {
  const entries = [...doc.secrets].sort((a, b) => compareCodePoints(a[0], b[0]));
  doc.secrets.clear();
  for (const [name, blob] of entries) doc.secrets.set(name, blob);
}

const bytesOf = (value: string): Uint8Array => new TextEncoder().encode(value);

/** A new vault under `key` holding `secrets`, sealed at generation 1 (as `create` then `set`s). */
export function sealedVault(key: TestKey, secrets: Iterable<[string, string]>): VaultDocument {
  const doc: VaultDocument = {
    iv: encodeBase64(randomBytes(16)),
    sentinel: encryptBlob(key.keys, randomBytes(32)),
    secrets: new Map(),
    extras: [],
  };
  for (const [name, value] of secrets) doc.secrets.set(name, encryptBlob(key.keys, bytesOf(value)));
  sortSecrets(doc);
  setSeal(doc, sealAll(key.seal, doc, 1));
  return doc;
}

/** One sealed save (spec/seal.md §6.1): sets and deletes applied to a copy of `doc`. */
export function sealedWrite(
  key: TestKey,
  doc: VaultDocument,
  ops: readonly ({ set: string; value: string } | { delete: string })[],
): VaultDocument {
  const out = cloneDoc(doc);
  const previous = readSeal(out, 'test')!;
  const changed = new Set<string>();
  for (const op of ops) {
    if ('set' in op) {
      out.secrets.set(op.set, encryptBlob(key.keys, bytesOf(op.value)));
      changed.add(op.set);
    } else {
      out.secrets.delete(op.delete);
    }
  }
  sortSecrets(out);
  setSeal(out, resealAfterWrite(key.seal, out, previous, changed));
  return out;
}

/** The plaintext of every secret, by name. */
export function valuesOf(key: TestKey, doc: VaultDocument): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [name, blob] of doc.secrets) {
    const plain = decryptBlob(key.keys, blob);
    out.set(name, plain === null ? null : new TextDecoder().decode(plain));
  }
  return out;
}

// ---------------------------------------------------------------- the attacker's tools

/** The seal as an editable structure: head members and lines in file order. */
export interface RawSeal {
  head: [string, JsonNode][];
  lines: [string, JsonNode][];
}

export function rawSeal(doc: VaultDocument): RawSeal {
  // A deep copy: the attacker's edits must not reach the document it was copied from.
  const node = structuredClone(doc.extras.find(([k]) => k === 'seal')![1]);
  if (node.kind !== 'object') throw new Error('not a seal');
  const head = node.entries.filter(([k]) => k !== 'names');
  const names = node.entries.find(([k]) => k === 'names')![1];
  if (names.kind !== 'object') throw new Error('not a seal');
  return { head: head.map(([k, v]) => [k, v]), lines: names.entries.map(([k, v]) => [k, v]) };
}

export function putRawSeal(doc: VaultDocument, raw: RawSeal): void {
  const node: JsonNode = {
    kind: 'object',
    entries: [...raw.head, ['names', { kind: 'object', entries: raw.lines }]],
  };
  const at = doc.extras.findIndex(([k]) => k === 'seal');
  doc.extras[at] = ['seal', node];
}

export function lineOf(doc: VaultDocument, name: string): JsonNode | undefined {
  return rawSeal(doc).lines.find(([k]) => k === name)?.[1];
}

/** Sets (or removes, with `undefined`) a secret and its seal line; inserted names go last. */
export function putSecret(
  doc: VaultDocument,
  name: string,
  blob: Blob | undefined,
  line: JsonNode | undefined,
): void {
  if (blob === undefined) doc.secrets.delete(name);
  else doc.secrets.set(name, blob);
  const raw = rawSeal(doc);
  const at = raw.lines.findIndex(([k]) => k === name);
  if (line === undefined) {
    if (at >= 0) raw.lines.splice(at, 1);
  } else if (at >= 0) raw.lines[at] = [name, line];
  else raw.lines.push([name, line]);
  putRawSeal(doc, raw);
}

export type { Seal, SealLine };
