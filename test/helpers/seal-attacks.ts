/**
 * Random histories of a sealed vault and the attacks of issue 13 on its newest version, shared by
 * the property tests of the seal module, SecretsManager and the CLI (spec/seal.md §1.1).
 */
import fc from 'fast-check';
import { compareCodePoints } from '../../src/format/text.js';
import { serializeVault, type VaultDocument } from '../../src/format/vault-codec.js';
import { nameArb } from '../helpers/arbitraries.js';
import {
  cloneDoc,
  lineOf,
  newKey,
  putRawSeal,
  putSecret,
  rawSeal,
  sealedVault,
  sealedWrite,
  type TestKey,
} from './sealed-docs.js';

/** A vault's history: versions written by its owner, oldest first, and another vault. */
export interface Scenario {
  key: TestKey;
  versions: VaultDocument[];
  /** Another vault made with the same key (so another vault iv and sentinel). */
  other: VaultDocument;
  /** Every value written under each name, in any version. */
  written: Map<string, Set<string>>;
}

const opArb = fc.oneof(
  fc.record({ set: nameArb, value: fc.string({ maxLength: 12 }) }),
  fc.record({ delete: nameArb }),
);

export const scenarioArb = fc
  .record({
    initial: fc.uniqueArray(fc.tuple(nameArb, fc.string({ maxLength: 12 })), {
      minLength: 0,
      maxLength: 6,
      selector: ([name]) => name,
    }),
    saves: fc.array(fc.array(opArb, { minLength: 1, maxLength: 3 }), { maxLength: 4 }),
    other: fc.uniqueArray(fc.tuple(nameArb, fc.string({ maxLength: 12 })), {
      minLength: 1,
      maxLength: 3,
      selector: ([name]) => name,
    }),
  })
  .map(({ initial, saves, other }): Scenario => {
    const key = newKey();
    const written = new Map<string, Set<string>>();
    const note = (name: string, value: string): void => {
      if (!written.has(name)) written.set(name, new Set());
      written.get(name)!.add(value);
    };
    initial.forEach(([n, v]) => note(n, v));
    const versions = [sealedVault(key, initial)];
    for (const ops of saves) {
      for (const op of ops) if ('set' in op) note(op.set, op.value);
      // Ops on names that exist, or sets: a delete of a missing name is no write.
      const last = versions[versions.length - 1]!;
      const real = ops.filter((op) => 'set' in op || last.secrets.has(op.delete));
      if (real.length > 0) versions.push(sealedWrite(key, last, real));
    }
    return { key, versions, other: sealedVault(key, other), written };
  });

export type Attack = (s: Scenario, pick: number[]) => VaultDocument | null;

const at = <T>(items: readonly T[], i: number): T => items[i % items.length]!;
const sortDoc = (doc: VaultDocument): VaultDocument => {
  const entries = [...doc.secrets].sort((a, b) => compareCodePoints(a[0], b[0]));
  doc.secrets.clear();
  for (const [n, b] of entries) doc.secrets.set(n, b);
  return doc;
};

/** Each attack on the newest version; null when it does not apply (too few secrets). */
export const ATTACKS: Record<string, Attack> = {
  'swap two blobs': (s, [i = 0, j = 1]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const names = [...doc.secrets.keys()];
    if (names.length < 2) return null;
    const a = at(names, i);
    const b = at(names, i + 1 + (j % (names.length - 1)));
    const [ba, bb] = [doc.secrets.get(a)!, doc.secrets.get(b)!];
    doc.secrets.set(a, bb);
    doc.secrets.set(b, ba);
    return doc;
  },
  'swap two blobs with their seal lines': (s, [i = 0, j = 1]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const names = [...doc.secrets.keys()];
    if (names.length < 2) return null;
    const a = at(names, i);
    const b = at(names, i + 1 + (j % (names.length - 1)));
    const [ba, bb, la, lb] = [
      doc.secrets.get(a)!,
      doc.secrets.get(b)!,
      lineOf(doc, a),
      lineOf(doc, b),
    ];
    putSecret(doc, a, bb, lb);
    putSecret(doc, b, ba, la);
    return doc;
  },
  'copy a blob (and line) over another name': (s, [i = 0, j = 1]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const names = [...doc.secrets.keys()];
    if (names.length < 2) return null;
    const a = at(names, i);
    const b = at(names, i + 1 + (j % (names.length - 1)));
    putSecret(doc, b, doc.secrets.get(a), lineOf(doc, a));
    return doc;
  },
  'copy a blob (and line) to a new name': (s, [i = 0]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const names = [...doc.secrets.keys()];
    if (names.length < 1) return null;
    const a = at(names, i);
    putSecret(doc, `${a}-copy`, doc.secrets.get(a), lineOf(doc, a));
    return sortDoc(doc);
  },
  'rename a secret (blob and line)': (s, [i = 0]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const names = [...doc.secrets.keys()];
    if (names.length < 1) return null;
    const a = at(names, i);
    const [blob, line] = [doc.secrets.get(a), lineOf(doc, a)];
    putSecret(doc, a, undefined, undefined);
    putSecret(doc, `${a}-renamed`, blob, line);
    return sortDoc(doc);
  },
  'delete a secret and its line': (s, [i = 0]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const names = [...doc.secrets.keys()];
    if (names.length < 1) return null;
    putSecret(doc, at(names, i), undefined, undefined);
    return doc;
  },
  'insert a blob and line from another vault under the same key': (s, [i = 0]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const names = [...s.other.secrets.keys()];
    const n = at(names, i);
    putSecret(doc, n, s.other.secrets.get(n), lineOf(s.other, n));
    return sortDoc(doc);
  },
  'put back a blob (and line) from an earlier version': (s, [v = 0, i = 0]) => {
    if (s.versions.length < 2) return null;
    const old = at(s.versions.slice(0, -1), v);
    const doc = cloneDoc(s.versions.at(-1)!);
    const candidates = [...old.secrets.keys()].filter(
      (n) => !doc.secrets.has(n) || doc.secrets.get(n)!.iv !== old.secrets.get(n)!.iv,
    );
    if (candidates.length === 0) return null;
    const n = at(candidates, i);
    putSecret(doc, n, old.secrets.get(n), lineOf(old, n));
    return sortDoc(doc);
  },
  'reorder the secrets': (s) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    if (doc.secrets.size < 2) return null;
    const reversed = [...doc.secrets].reverse();
    doc.secrets.clear();
    for (const [n, b] of reversed) doc.secrets.set(n, b);
    return doc;
  },
  "replace the sentinel with another vault's (same key)": (s) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    doc.sentinel = s.other.sentinel;
    return doc;
  },
  'remove the sentinel': (s) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    doc.sentinel = null;
    return doc;
  },
  'change a generation': (s, [i = 0, d = 0]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const raw = rawSeal(doc);
    const delta = at([1, -1, 2, 1000], d);
    const targets = [
      raw.head,
      ...raw.lines.map(([, l]) => (l as unknown as { entries: [string, never][] }).entries),
    ];
    const entries = at(targets, i) as [string, { kind: string; raw?: string }][];
    const g = entries.find(([k]) => k === 'generation')!;
    const next = Number(g[1].raw) + delta;
    if (next < 1) return null;
    g[1] = { kind: 'number', raw: String(next) };
    putRawSeal(doc, raw);
    return doc;
  },
  'remove a generation': (s, [i = 0]) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    const raw = rawSeal(doc);
    if (i % 2 === 0 || raw.lines.length === 0)
      raw.head = raw.head.filter(([k]) => k !== 'generation');
    else {
      const line = at(raw.lines, i)[1] as { entries: [string, unknown][] };
      line.entries.splice(
        line.entries.findIndex(([k]) => k === 'generation'),
        1,
      );
    }
    putRawSeal(doc, raw);
    return doc;
  },
  'copy the seal of an earlier version': (s, [v = 0]) => {
    if (s.versions.length < 2) return null;
    const doc = cloneDoc(s.versions.at(-1)!);
    const old = at(s.versions.slice(0, -1), v);
    doc.extras.splice(0, doc.extras.length, ...old.extras);
    return doc;
  },
  'remove the seal (required)': (s) => {
    const doc = cloneDoc(s.versions.at(-1)!);
    doc.extras.splice(0, doc.extras.length);
    return doc;
  },
};

/** True when `doc` is byte for byte one of the versions: a whole-file replay (spec/seal.md §1.2). */
export function isReplay(s: Scenario, doc: VaultDocument): boolean {
  const text = serializeVault(doc);
  return s.versions.some((v) => serializeVault(v) === text);
}
