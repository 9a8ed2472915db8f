// spec/format.md §5 (JSON layout: §5.2 UTF-8 byte order, §5.6 escaping) and §3 (blob encryption), by property.
/**
 * Any set of names (full Unicode, astral, __proto__, integer-like, empty) and values (text and
 * bytes, empty and 1 MiB) survives save and reopen exactly, and the file lists names in UTF-8
 * byte order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVault } from '../../src/format/vault-codec.js';
import { KeySource, SecretsManager } from '../../src/index.js';
import { bigValueArb, nameArb, utf8Sorted, type Value, valueArb } from '../helpers/arbitraries.js';
import { tempDir } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-prop-');
afterAll(() => tmp.cleanup());
let counter = 0;
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + 7) & 0xff);
const key = (): KeySource => KeySource.fromKey(KEY);

/** Writes `entries` to a new vault file, reopens it, and checks everything came back. */
async function roundTrip(entries: [string, Value][]): Promise<void> {
  const path = join(tmp.dir, `${counter++}.json`);
  const vault = await SecretsManager.create(key());
  for (const [name, v] of entries) vault.set(name, v.kind === 'text' ? v.text : v.bytes);
  await vault.saveAs(path);
  vault.close();

  const expectedOrder = utf8Sorted(entries.map(([name]) => name));
  const expectedNames = new Set(expectedOrder);
  const doc = parseVault(readFileSync(path), path);
  expect([...doc.secrets.keys()]).toEqual(expectedOrder);

  const reopened = await SecretsManager.fromFile(path, key());
  expect(reopened.keys()).toEqual(expectedOrder);
  for (const [name, v] of entries) {
    expect(reopened.has(name)).toBe(true);
    if (v.kind === 'text') {
      expect(reopened.get(name)).toBe(v.text);
      expect(Buffer.from(reopened.getBytes(name)!).equals(Buffer.from(v.text, 'utf8'))).toBe(true);
    } else {
      expect(Buffer.from(reopened.getBytes(name)!).equals(Buffer.from(v.bytes))).toBe(true);
    }
  }
  // getAllBytes (one batch) agrees with getBytes (one at a time).
  const all = reopened.getAllBytes();
  expect([...all.keys()]).toEqual(expectedOrder);
  for (const [name, bytes] of all) {
    expect(Buffer.from(bytes).equals(Buffer.from(reopened.getBytes(name)!))).toBe(true);
  }
  // Saving the reopened vault unchanged gives the same bytes.
  const text = readFileSync(path, 'utf8');
  expect(reopened.toJSON()).toBe(text);
  reopened.close();
  // So does opening it from JSON.parse's object, which moves integer-like names first and
  // holds __proto__ as an own property.
  // Node 24's V8 can decode an escaped key wrongly once its key cache holds a `\\` key
  // (nodejs/node#63785: "\u0001" reads back as "\\"); when JSON.parse itself lost a name, there
  // is nothing of ours to test in this leg. Our readers never use JSON.parse.
  const parsed = JSON.parse(text) as { secrets: Record<string, unknown> };
  const parsedNames = Object.keys(parsed.secrets);
  if (
    parsedNames.length === expectedOrder.length &&
    parsedNames.every((n) => expectedNames.has(n))
  ) {
    const viaObject = await SecretsManager.fromObject(parsed, key());
    expect(viaObject.keys()).toEqual(expectedOrder);
    expect(viaObject.toJSON()).toBe(text);
    viaObject.close();
  }
}

const entriesArb = (value: fc.Arbitrary<Value>, minLength: number, maxLength: number) =>
  fc.uniqueArray(fc.tuple(nameArb, value), { selector: ([name]) => name, minLength, maxLength });

describe('round trip through save and open', () => {
  it('random names and small values', async () => {
    await fc.assert(fc.asyncProperty(entriesArb(valueArb, 0, 25), roundTrip), { numRuns: 150 });
  });

  it('1 MiB values (text and bytes)', async () => {
    let bytes = 0;
    await fc.assert(
      fc.asyncProperty(entriesArb(bigValueArb, 1, 2), async (entries) => {
        for (const [, v] of entries) {
          const n = v.kind === 'text' ? Buffer.byteLength(v.text) : v.bytes.length;
          expect(n).toBeGreaterThanOrEqual(1024 * 1024);
          bytes += n;
        }
        await roundTrip(entries);
      }),
      { numRuns: 6 },
    );
    expect(bytes).toBeGreaterThanOrEqual(6 * 1024 * 1024);
  });

  it('the last write of a name wins, and a deleted name is gone after reopening', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(nameArb, valueArb, fc.boolean()), { maxLength: 30 }),
        async (ops) => {
          const vault = await SecretsManager.create(key());
          const model = new Map<string, Value>();
          for (const [name, value, remove] of ops) {
            if (remove) {
              expect(vault.delete(name)).toBe(model.delete(name));
            } else {
              vault.set(name, value.kind === 'text' ? value.text : value.bytes);
              model.set(name, value);
            }
          }
          const reopened = await SecretsManager.fromJSON(vault.toJSON(), key());
          vault.close();
          expect(reopened.keys()).toEqual(utf8Sorted(model.keys()));
          for (const [name, v] of model) {
            const want = v.kind === 'text' ? Buffer.from(v.text, 'utf8') : Buffer.from(v.bytes);
            expect(Buffer.from(reopened.getBytes(name)!).equals(want)).toBe(true);
          }
          reopened.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});
