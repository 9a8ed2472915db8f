/** The three-way merge table (src/git/merge.ts): examples for each row, then properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Blob } from '../../src/format/blob.js';
import { isSecureStoreError } from '../../src/errors.js';
import { compareCodePoints } from '../../src/format/text.js';
import { parseVault, serializeVault, type VaultDocument } from '../../src/format/vault-codec.js';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { checkSameKey, type ConflictKind, mergeVaults, sameBlob } from '../../src/git/merge.js';

const blob = (n: number): Blob => ({
  iv: `${String.fromCharCode(65 + n).repeat(21)}A==`,
  hmac: `${String.fromCharCode(97 + n).repeat(27)}=`,
  payload: `${String(n).repeat(22)}==`,
});
const SENTINEL = blob(9);
const IV = 'QUJDREVGR0hJSktMTU5PUA==';

function doc(secrets: Record<string, number>, extra: Partial<VaultDocument> = {}): VaultDocument {
  return {
    iv: IV,
    sentinel: SENTINEL,
    secrets: new Map(Object.entries(secrets).map(([k, v]) => [k, blob(v)])),
    extras: [],
    ...extra,
  };
}

/** A merge result as `{ name: blob number }`, for readable expectations. */
function numbers(d: VaultDocument): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, b] of d.secrets) out[name] = Number(b.payload[0]);
  return out;
}

describe('merge table, row by row', () => {
  const rows: [
    string,
    number | null,
    number | null,
    number | null,
    number | null,
    ConflictKind | null,
  ][] = [
    // name, base, ours, theirs, result, conflict
    ['unchanged', 1, 1, 1, 1, null],
    ['ours changed', 1, 2, 1, 2, null],
    ['theirs changed', 1, 1, 2, 2, null],
    ['both changed alike', 1, 2, 2, 2, null],
    ['both changed differently', 1, 2, 3, 2, 'both-changed'],
    ['ours deleted', 1, null, 1, null, null],
    ['theirs deleted', 1, 1, null, null, null],
    ['both deleted', 1, null, null, null, null],
    ['ours added', null, 1, null, 1, null],
    ['theirs added', null, null, 1, 1, null],
    ['both added alike', null, 1, 1, 1, null],
    ['both added differently', null, 1, 2, 1, 'both-added'],
    ['ours changed, theirs deleted', 1, 2, null, 2, 'changed-deleted'],
    ['ours deleted, theirs changed', 1, null, 2, null, 'deleted-changed'],
  ];
  for (const [what, b, o, t, result, conflict] of rows) {
    it(what, () => {
      const side = (n: number | null) => doc(n === null ? {} : { x: n });
      const outcome = mergeVaults({ base: side(b), ours: side(o), theirs: side(t) });
      expect(numbers(outcome.doc)).toEqual(result === null ? {} : { x: result });
      expect(outcome.conflicts).toEqual(conflict === null ? [] : [{ name: 'x', kind: conflict }]);
    });
  }

  it('without a common ancestor, names compare as added on both sides', () => {
    const outcome = mergeVaults({
      base: null,
      ours: doc({ a: 1, b: 2 }),
      theirs: doc({ b: 3, c: 4 }),
    });
    expect(numbers(outcome.doc)).toEqual({ a: 1, b: 2, c: 4 });
    expect(outcome.conflicts).toEqual([{ name: 'b', kind: 'both-added' }]);
  });

  it('writes names in code point order, not UTF-16 order', () => {
    const outcome = mergeVaults({
      base: doc({}),
      ours: doc({ '\u{1F600}': 1, b: 2 }),
      theirs: doc({ '\uFF5E': 3, '10': 4, '2': 5 }),
    });
    expect([...outcome.doc.secrets.keys()]).toEqual(['10', '2', 'b', '\uFF5E', '\u{1F600}']);
  });

  it('merges unknown top-level fields by the same table, reporting clashes', () => {
    const field = (v: string): [string, { kind: 'string'; value: string }] => [
      'note',
      { kind: 'string', value: v },
    ];
    const same = mergeVaults({
      base: doc({}, { extras: [field('a')] }),
      ours: doc({}, { extras: [field('a')] }),
      theirs: doc({}, { extras: [field('b')] }),
    });
    expect(same.doc.extras).toEqual([field('b')]);
    expect(same.fieldConflicts).toEqual([]);
    const clash = mergeVaults({
      base: doc({}, { extras: [field('a')] }),
      ours: doc({}, { extras: [field('b')] }),
      theirs: doc({}, { extras: [field('c')] }),
    });
    expect(clash.doc.extras).toEqual([field('b')]);
    expect(clash.fieldConflicts).toEqual(['note']);
  });
});

describe('checkSameKey', () => {
  const labels = { base: 'base', ours: 'ours', theirs: 'theirs' };
  const refused = (input: Parameters<typeof checkSameKey>[0]): string => {
    try {
      checkSameKey(input, labels);
    } catch (err) {
      if (isSecureStoreError(err, 'ERR_MERGE')) return err.message;
      throw err;
    }
    return 'accepted';
  };

  it('refuses a different vault iv or sentinel on any side, naming it', () => {
    const other = doc({}, { iv: 'AAAAAAAAAAAAAAAAAAAAAA==' });
    expect(refused({ base: doc({}), ours: doc({}), theirs: other })).toBe(
      'theirs has a different vault iv from ours: one of them was re-keyed or re-created, so their secrets are under different keys and cannot be merged by name',
    );
    expect(refused({ base: other, ours: doc({}), theirs: doc({}) })).toMatch(
      /^base has a different vault iv/,
    );
    expect(refused({ base: doc({}), ours: doc({}), theirs: doc({}, { sentinel: blob(8) }) })).toBe(
      'theirs has a different sentinel from ours: one of them was re-keyed, so their secrets are under different keys and cannot be merged by name',
    );
  });

  it('accepts a sentinel added on one side to a sentinel-less vault', () => {
    expect(
      refused({
        base: doc({}, { sentinel: null }),
        ours: doc({}, { sentinel: null }),
        theirs: doc({}),
      }),
    ).toBe('accepted');
    const outcome = mergeVaults({
      base: doc({}, { sentinel: null }),
      ours: doc({}, { sentinel: null }),
      theirs: doc({}),
    });
    expect(outcome.doc.sentinel).toEqual(SENTINEL);
  });
});

describe('merge table properties', () => {
  const names = fc.constantFrom('a', 'b', 'c', 'd', 'é', '\u{1F600}');
  const side = fc
    .dictionary(names, fc.integer({ min: 0, max: 3 }), { maxKeys: 6 })
    .map((d) => doc(d));
  const triple = fc.tuple(side, side, side);
  const conflictNames = (base: VaultDocument, a: VaultDocument, b: VaultDocument) =>
    mergeVaults({ base, ours: a, theirs: b }).conflicts.map((c) => c.name);
  const mirror: Record<ConflictKind, ConflictKind> = {
    'both-changed': 'both-changed',
    'both-added': 'both-added',
    'changed-deleted': 'deleted-changed',
    'deleted-changed': 'changed-deleted',
  };

  it('merge(base, a, a) = a', () => {
    fc.assert(
      fc.property(side, side, (base, a) => {
        const outcome = mergeVaults({ base, ours: a, theirs: a });
        expect(outcome.conflicts).toEqual([]);
        expect(numbers(outcome.doc)).toEqual(numbers(a));
      }),
    );
  });

  it('merge(base, base, b) = b and merge(base, a, base) = a', () => {
    fc.assert(
      fc.property(side, side, (base, x) => {
        const theirs = mergeVaults({ base, ours: base, theirs: x });
        const ours = mergeVaults({ base, ours: x, theirs: base });
        expect(theirs.conflicts).toEqual([]);
        expect(ours.conflicts).toEqual([]);
        expect(numbers(theirs.doc)).toEqual(numbers(x));
        expect(numbers(ours.doc)).toEqual(numbers(x));
      }),
    );
  });

  it('conflicts are symmetric (the same names, kinds mirrored), and so is a clean merge', () => {
    fc.assert(
      fc.property(triple, ([base, a, b]) => {
        const ab = mergeVaults({ base, ours: a, theirs: b });
        const ba = mergeVaults({ base, ours: b, theirs: a });
        expect(conflictNames(base, a, b)).toEqual(conflictNames(base, b, a));
        expect(ba.conflicts).toEqual(ab.conflicts.map((c) => ({ ...c, kind: mirror[c.kind] })));
        const clean = (d: VaultDocument, conflicts: string[]) =>
          Object.fromEntries(Object.entries(numbers(d)).filter(([n]) => !conflicts.includes(n)));
        const names = ab.conflicts.map((c) => c.name);
        expect(clean(ab.doc, names)).toEqual(clean(ba.doc, names));
      }),
    );
  });

  it('every name outside a conflict comes from the side that changed it; conflicts keep ours', () => {
    fc.assert(
      fc.property(triple, ([base, a, b]) => {
        const outcome = mergeVaults({ base, ours: a, theirs: b });
        const result = numbers(outcome.doc);
        const [bn, an, tn] = [numbers(base), numbers(a), numbers(b)];
        const conflicted = new Set(outcome.conflicts.map((c) => c.name));
        for (const name of new Set([...Object.keys(bn), ...Object.keys(an), ...Object.keys(tn)])) {
          const expected = conflicted.has(name) || an[name] !== bn[name] ? an[name] : tn[name];
          expect(result[name]).toBe(expected);
          if (conflicted.has(name)) {
            expect(an[name] !== bn[name] && tn[name] !== bn[name] && an[name] !== tn[name]).toBe(
              true,
            );
          }
        }
        const keys = [...outcome.doc.secrets.keys()];
        expect(keys).toEqual([...keys].sort(compareCodePoints));
      }),
    );
  });
});

describe('merging real vaults (model-based)', () => {
  type Ops = [string, string | null][];
  const op = fc.tuple(
    fc.constantFrom('a', 'b', 'c', 'd', 'ë'),
    fc.option(fc.string({ maxLength: 8 })),
  );
  const ops = fc.array(op, { maxLength: 6 });

  it('the merged document opens with the key, is canonical, and holds the model merge', async () => {
    const key = KeySource.generate();
    // mergeVaults merges the reference's layout; sealing merges is seal-merge.ts (spec/seal.md §9.3).
    const seed = await SecretsManager.create(key, { seal: false });
    seed.set('a', 'base-a');
    seed.set('b', 'base-b');
    const baseJson = seed.toJSON();
    seed.close();
    const apply = async (changes: Ops) => {
      const v = await SecretsManager.fromJSON(baseJson, key);
      const model = new Map(v.getAll());
      for (const [name, value] of changes) {
        if (value === null) {
          v.delete(name);
          model.delete(name);
        } else {
          v.set(name, value);
          model.set(name, value);
        }
      }
      const json = v.toJSON();
      v.close();
      return { json, model };
    };
    await fc.assert(
      fc.asyncProperty(ops, ops, async (oursOps, theirsOps) => {
        const ours = await apply(oursOps);
        const theirs = await apply(theirsOps);
        const base = parseVault(Buffer.from(baseJson), 'base');
        const outcome = mergeVaults({
          base,
          ours: parseVault(Buffer.from(ours.json), 'ours'),
          theirs: parseVault(Buffer.from(theirs.json), 'theirs'),
        });
        const text = serializeVault(outcome.doc);
        expect(serializeVault(parseVault(Buffer.from(text), 'merged'))).toBe(text);
        const merged = await SecretsManager.fromJSON(text, key);
        const values = merged.getAll();
        merged.close();
        // A name neither side changed keeps the base's value; a name one side changed holds that
        // side's value; a conflicting name (changed on both) holds ours.
        const oursDoc = parseVault(Buffer.from(ours.json), 'ours');
        const theirsDoc = parseVault(Buffer.from(theirs.json), 'theirs');
        const changed = (d: VaultDocument, n: string) =>
          !sameBlob(d.secrets.get(n), base.secrets.get(n));
        const conflicted = new Set(outcome.conflicts.map((c) => c.name));
        for (const name of ['a', 'b', 'c', 'd', 'ë']) {
          const expected = changed(oursDoc, name)
            ? ours.model.get(name)
            : changed(theirsDoc, name)
              ? theirs.model.get(name)
              : base.secrets.has(name)
                ? `base-${name}`
                : undefined;
          expect(values.get(name), name).toBe(expected);
          expect(conflicted.has(name), name).toBe(
            changed(oursDoc, name) &&
              changed(theirsDoc, name) &&
              !sameBlob(oursDoc.secrets.get(name), theirsDoc.secrets.get(name)),
          );
        }
      }),
      { numRuns: 40 },
    );
    key.dispose();
  });
});
