// spec/seal.md §5, §6, §8 through SecretsManager: sealed vaults are checked on open, every save
// re-seals with the next generation, unsealed vaults stay as the reference writes them until
// sealed, and the seal can be required.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVault, serializeVault } from '../../src/format/vault-codec.js';
import { KeySource, SecretsManager, SecureStoreError } from '../../src/index.js';
import { openVaultAfterMerge, openVaultForOneSecret } from '../../src/vault/secrets-manager.js';
import { readSeal, sealGeneration } from '../../src/vault/seal.js';
import { verifyVault } from '../../src/workflow/verify.js';
import { tempDir } from '../helpers/vaults.js';
import { ATTACKS, isReplay, scenarioArb } from '../helpers/seal-attacks.js';
import { cloneDoc, lineOf, putSecret } from '../helpers/sealed-docs.js';
import { VECTORS } from '../helpers/vaults.js';

const t = tempDir('ss-seal-');
afterAll(() => t.cleanup());
let counter = 0;
const fresh = (name = 'v.json'): string => join(t.dir, `${counter++}-${name}`);
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 1);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SecureStoreError) return err.code;
    throw err;
  }
  return undefined;
}

async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

async function sealedFile(secrets: [string, string][]): Promise<string> {
  const path = fresh();
  const vault = await SecretsManager.create({ key: KEY }, { seal: true });
  for (const [n, v] of secrets) vault.set(n, v);
  await vault.saveAs(path);
  vault.close();
  return path;
}

describe('sealed vaults through SecretsManager', () => {
  it('create({ seal: true }) writes generation 1; each save adds one; reopening verifies', async () => {
    const path = await sealedFile([['a', '1']]);
    let vault = await SecretsManager.fromFile(path, { key: KEY });
    expect([vault.sealed, vault.generation]).toEqual([true, 1]);
    vault.set('b', '2');
    expect(vault.generation).toBe(1); // as read, until saved
    await vault.save();
    expect(vault.generation).toBe(2);
    vault.delete('a');
    await vault.save();
    expect(vault.generation).toBe(3);
    vault.close();
    vault = await SecretsManager.fromFile(path, { key: KEY }, { requireSeal: true });
    expect([vault.generation, vault.keys(), vault.get('b')]).toEqual([3, ['b'], '2']);
    vault.close();
    const seal = readSeal(parseVault(readFileSync(path), 'v'), 'v')!;
    expect([seal.generation, sealGeneration(seal), seal.lines.get('b')!.generation]).toEqual([
      3, 3, 2,
    ]);
  });

  it('update() re-seals too, and toJSON() shows what save() writes', async () => {
    const path = await sealedFile([['a', '1']]);
    await SecretsManager.update(path, { key: KEY }, (v) => v.set('a', 'x'), { requireSeal: true });
    const vault = await SecretsManager.fromFile(path, { key: KEY });
    expect(vault.generation).toBe(2);
    expect(vault.toJSON()).toBe(readFileSync(path, 'utf8'));
    vault.close();
  });

  it('swapping two blobs in the file is ERR_SEAL on open, with one line saying what to do', async () => {
    const path = await sealedFile([
      ['baz', 'B'],
      ['foo', 'F'],
    ]);
    const doc = parseVault(readFileSync(path), 'v');
    const [a, b] = [doc.secrets.get('baz')!, doc.secrets.get('foo')!];
    doc.secrets.set('baz', b);
    doc.secrets.set('foo', a);
    writeFileSync(path, serializeVault(doc));
    const before = readFileSync(path);
    expect(await messageOf(SecretsManager.fromFile(path, { key: KEY }))).toBe(
      `${path} was changed without its key (names, values or their order no longer match its seal); see what changed with \`git log -p ${path}\`, and run \`ssclient seal --after-merge\` only if you trust the change`,
    );
    expect(await codeOf(SecretsManager.update(path, { key: KEY }, (v) => v.set('x', '1')))).toBe(
      'ERR_SEAL',
    );
    expect(readFileSync(path)).toEqual(before); // untouched
  });

  it('a wrong key is still ERR_WRONG_KEY, not ERR_SEAL', async () => {
    const path = await sealedFile([['a', '1']]);
    expect(await codeOf(SecretsManager.fromFile(path, { key: new Uint8Array(32) }))).toBe(
      'ERR_WRONG_KEY',
    );
  });

  it('property: every attack of issue 13 is ERR_SEAL from fromJSON, or a whole earlier file', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArb,
        fc.constantFrom(...Object.keys(ATTACKS)),
        fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }),
        async (s, attackName, pick) => {
          const doc = ATTACKS[attackName]!(s, pick);
          fc.pre(doc !== null);
          const text = serializeVault(doc!);
          fc.pre(text !== serializeVault(s.versions.at(-1)!));
          const key = { key: s.key.bytes };
          let vault: SecretsManager | null = null;
          try {
            vault = await SecretsManager.fromJSON(text, key, { requireSeal: true });
          } catch (err) {
            expect((err as SecureStoreError).code).toBe('ERR_SEAL');
          }
          if (vault !== null) {
            expect(isReplay(s, doc!)).toBe(true);
            for (const [name, value] of vault.getAll()) {
              expect(s.written.get(name)?.has(value)).toBe(true);
            }
            vault.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('verify against the attacks (spec/seal.md §9)', () => {
  it('property: verify reports a problem for every attack that is not a whole earlier file', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArb,
        fc.constantFrom(...Object.keys(ATTACKS)),
        fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }),
        async (s, attackName, pick) => {
          const doc = ATTACKS[attackName]!(s, pick);
          fc.pre(doc !== null);
          const text = serializeVault(doc!);
          fc.pre(text !== serializeVault(s.versions.at(-1)!) && !isReplay(s, doc!));
          const path = fresh();
          writeFileSync(path, text);
          const source = KeySource.fromKey(s.key.bytes);
          const result = await verifyVault(path, 'v.json', source, { requireSeal: true });
          source.dispose();
          expect(result.problems.length, attackName).toBeGreaterThan(0);
          // Every honest version, by contrast, verifies and says it is sealed.
          writeFileSync(path, serializeVault(s.versions.at(-1)!));
          const honest = await verifyVault(path, 'v.json', KeySource.fromKey(s.key.bytes));
          expect(honest.problems).toEqual([]);
          expect(honest.seal).toEqual({
            sealed: true,
            generation: s.versions.length,
            checked: true,
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('rekey of a sealed vault', () => {
  it('is sealed again under the new key with the next generation', async () => {
    const path = await sealedFile([
      ['a', '1'],
      ['b', '2'],
    ]);
    const keyFile = fresh('new.key');
    const { rekeyVault } = await import('../../src/rekey/rekey.js');
    await rekeyVault(path, KeySource.fromKey(KEY), { kind: 'key', path: keyFile });
    const vault = await SecretsManager.fromFile(path, { keyFile }, { requireSeal: true });
    expect([vault.generation, vault.getAll()]).toEqual([
      2,
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    ]);
    vault.close();
  });
});

describe('unsealed vaults (spec/seal.md §6.2, §8)', () => {
  const vector = (): string => {
    const path = fresh('03.json');
    copyFileSync(join(VECTORS, '03-key-only.json'), path);
    return path;
  };
  const keyFile = { keyFile: join(VECTORS, '03-key-only.key') };

  it('open as before, stay unsealed on writes, and are refused when the seal is required', async () => {
    const path = vector();
    const vault = await SecretsManager.fromFile(path, keyFile);
    expect([vault.sealed, vault.generation]).toEqual([false, null]);
    vault.set('new', 'value');
    await vault.save();
    vault.close();
    expect(readFileSync(path, 'utf8')).not.toContain('"seal"');
    expect(await messageOf(SecretsManager.fromFile(path, keyFile, { requireSeal: true }))).toBe(
      `${path} has no seal, and the seal is required: it was written by a tool that does not seal, or the seal was removed; check it with \`git log -p ${path}\`, then run \`ssclient seal\` if you trust it`,
    );
  });

  it('seal() seals after checking every secret; the values and other fields are unchanged', async () => {
    const path = vector();
    const before = readFileSync(path, 'utf8');
    const vault = await SecretsManager.fromFile(path, keyFile);
    const values = vault.getAll();
    vault.seal();
    expect([vault.sealed, vault.generation, vault.dirty]).toEqual([true, 1, true]);
    await vault.save();
    vault.close();
    const after = readFileSync(path, 'utf8');
    // Every member the reference knows is byte for byte as it was; the seal comes after them.
    expect(after.startsWith(before.slice(0, -2))).toBe(true);
    expect(after.slice(before.length - 2)).toMatch(/^,\n {2}"seal": \{\n/);
    const again = await SecretsManager.fromFile(path, keyFile, { requireSeal: true });
    expect([again.generation, again.getAll()]).toEqual([1, values]);
    again.close();
  });

  it('seal({ generation }) starts at that generation; seal() of a sealed vault changes nothing', async () => {
    const path = vector();
    const vault = await SecretsManager.fromFile(path, keyFile);
    vault.seal({ generation: 12 });
    await vault.save();
    vault.seal({ generation: 40 });
    expect([vault.generation, vault.dirty]).toEqual([12, false]);
    expect(() => vault.seal({ generation: 0 })).toThrow(
      'generation: expected a positive whole number',
    );
    vault.close();
  });

  it('seal() refuses a vault with a damaged secret and leaves the file as it was', async () => {
    const path = vector();
    const doc = parseVault(readFileSync(path), 'v');
    const [name, blob] = [...doc.secrets][0]!;
    const flipped = (blob.payload[0] === 'A' ? 'B' : 'A') + blob.payload.slice(1);
    doc.secrets.set(name, { ...blob, payload: flipped });
    writeFileSync(path, serializeVault(doc));
    const before = readFileSync(path);
    const vault = await SecretsManager.fromFile(path, keyFile);
    expect(() => vault.seal()).toThrow(
      `secret ${JSON.stringify(name)} in ${path} fails its integrity check: the vault was modified or damaged`,
    );
    expect([vault.sealed, vault.dirty]).toEqual([false, false]);
    vault.close();
    expect(readFileSync(path)).toEqual(before);
  });

  it('create({ seal: false }) is the reference layout and stays unsealed', async () => {
    const vault = await SecretsManager.create({ key: KEY }, { seal: false });
    expect(vault.sealed).toBe(false);
    expect(Buffer.byteLength(vault.toJSON())).toBe(256);
    vault.close();
  });
});

/**
 * A sealed vault {a, m} changed on two sides (b added on one, z on the other, each sealed at
 * generation 2) and merged as text: its file, whose two carriers of generation 2 disagree.
 */
async function mergedAsText(): Promise<string> {
  const base = await sealedFile([
    ['a', '1'],
    ['m', '2'],
  ]);
  const side = async (name: string): Promise<ReturnType<typeof parseVault>> => {
    const path = fresh();
    copyFileSync(base, path);
    await SecretsManager.update(path, { key: KEY }, (v) => v.set(name, name));
    return parseVault(readFileSync(path), 'v');
  };
  const [x, y] = [await side('b'), await side('z')];
  const merged = cloneDoc(x);
  putSecret(merged, 'z', y.secrets.get('z'), lineOf(y, 'z'));
  const path = fresh();
  writeFileSync(path, serializeVault(merged));
  return path;
}

describe('re-sealing after a textual merge (spec/seal.md §7.2)', () => {
  it('two carriers of one generation: refused on open, accepted after-merge, head at max + 1', async () => {
    const path = await mergedAsText();
    expect(await messageOf(SecretsManager.fromFile(path, { key: KEY }))).toContain(
      'two seals of generation 2 disagree, as after a merge of the file as text',
    );
    const vault = await openVaultAfterMerge(path, { key: KEY });
    expect([vault.dirty, vault.generation]).toEqual([true, 2]);
    await vault.save();
    expect(vault.generation).toBe(3);
    vault.close();
    const again = await SecretsManager.fromFile(path, { key: KEY }, { requireSeal: true });
    expect(again.getAll()).toEqual(
      new Map([
        ['a', '1'],
        ['b', 'b'],
        ['m', '2'],
        ['z', 'z'],
      ]),
    );
    again.close();
  });

  it('after-merge refuses swapped blobs, naming them, and changes nothing', async () => {
    const path = await sealedFile([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
    const doc = parseVault(readFileSync(path), 'v');
    const [a, b] = [doc.secrets.get('a')!, doc.secrets.get('b')!];
    doc.secrets.set('a', b);
    doc.secrets.set('b', a);
    writeFileSync(path, serializeVault(doc));
    const before = readFileSync(path);
    expect(await messageOf(openVaultAfterMerge(path, { key: KEY }))).toBe(
      `${path}: secrets "a", "b" are not bound to their names (moved, copied or from another vault); not re-sealed`,
    );
    expect(readFileSync(path)).toEqual(before);
  });
});

// What the mutation run (npm run mutate, test/README.md) found untested: the singular message.
describe('after-merge names one unbound secret in the singular', () => {
  it('a blob copied over one other name', async () => {
    const path = await sealedFile([
      ['a', '1'],
      ['b', '2'],
    ]);
    const doc = parseVault(readFileSync(path), 'v');
    doc.secrets.set('a', doc.secrets.get('b')!);
    writeFileSync(path, serializeVault(doc));
    const before = readFileSync(path);
    expect(await messageOf(openVaultAfterMerge(path, { key: KEY }))).toBe(
      `${path}: secret "a" is not bound to its name (moved, copied or from another vault); not re-sealed`,
    );
    expect(readFileSync(path)).toEqual(before);
  });
});

// A survivor of the mutation run (issue 14 item 18): the code of the after-merge refusal.
describe('after-merge refuses an unbound secret with ERR_SEAL', () => {
  it('a blob copied over one other name', async () => {
    const path = await sealedFile([
      ['a', '1'],
      ['b', '2'],
    ]);
    const doc = parseVault(readFileSync(path), 'v');
    doc.secrets.set('a', doc.secrets.get('b')!);
    writeFileSync(path, serializeVault(doc));
    expect(await codeOf(openVaultAfterMerge(path, { key: KEY }))).toBe('ERR_SEAL');
  });
});

// A survivor of the mutation run (issue 14 item 18): a change made after an after-merge open.
describe('after-merge, a secret set before the save: the head carries the new generation', () => {
  it('the head is written at max + 1 with the changed line, not kept from before', async () => {
    const path = await mergedAsText();
    const vault = await openVaultAfterMerge(path, { key: KEY });
    vault.set('a', 'changed');
    await vault.save();
    vault.close();
    const seal = readSeal(parseVault(readFileSync(path), 'v'), 'v')!;
    expect(seal.generation).toBe(3);
    expect([...seal.lines].map(([n, l]) => [n, l.generation])).toEqual([
      ['a', 3],
      ['b', 2],
      ['m', 1],
      ['z', 2],
    ]);
    const again = await SecretsManager.fromFile(path, { key: KEY }, { requireSeal: true });
    expect(again.get('a')).toBe('changed');
    again.close();
  });
});

// A survivor of the mutation run (issue 14 item 18): `get NAME`'s opener is never after-merge.
describe('openVaultForOneSecret refuses a merged seal as fromFile does', () => {
  it("two carriers of one generation: ERR_SEAL with fromFile's message, never opened", async () => {
    const path = await mergedAsText();
    const message = await messageOf(SecretsManager.fromFile(path, { key: KEY }));
    expect(message).toContain(
      'two seals of generation 2 disagree, as after a merge of the file as text',
    );
    for (const name of ['a', 'z']) {
      expect(await codeOf(openVaultForOneSecret(path, { key: KEY }, name))).toBe('ERR_SEAL');
      expect(await messageOf(openVaultForOneSecret(path, { key: KEY }, name))).toBe(message);
    }
  });
});
