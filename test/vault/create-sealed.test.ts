// spec/seal.md §6.2: a vault the library creates is sealed unless `{ seal: false }`, and every
// way it then travels (saveAs, fromFile, fromJSON, fromObject, rekey) keeps the seal state
// spec/seal.md gives it. Separate from secrets-manager-seal.test.ts, which tests sealing itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVault } from '../../src/format/vault-codec.js';
import { KeySource, SecretsManager } from '../../src/index.js';
import { rekeyVault } from '../../src/rekey/rekey.js';
import { readSeal, sealGeneration } from '../../src/vault/seal.js';
import { codeOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/vaults.js';

const t = tempDir('ss-create-sealed-');
afterAll(() => t.cleanup());
let counter = 0;
const fresh = (name = 'v.json'): string => join(t.dir, `${counter++}-${name}`);
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 5) & 0xff);
const key = (): KeySource => KeySource.fromKey(KEY);

/** The generation of the seal in the file at `path`, or null when it has none. */
function generationOnDisk(path: string): number | null {
  const seal = readSeal(parseVault(readFileSync(path), path), path);
  return seal === null ? null : sealGeneration(seal);
}

describe('SecretsManager.create seals by default (spec/seal.md §6.2)', () => {
  it('a new vault is sealed at generation 1, and opens with the seal required', async () => {
    const vault = await SecretsManager.create(key());
    expect(vault.sealed).toBe(true);
    expect(vault.generation).toBe(1);
    vault.set('API_KEY', 's3cret');
    const path = fresh();
    await vault.saveAs(path);
    vault.close();
    expect(generationOnDisk(path)).toBe(1);
    const reopened = await SecretsManager.fromFile(path, key(), { requireSeal: true });
    expect(reopened.sealed).toBe(true);
    expect(reopened.generation).toBe(1);
    expect(reopened.get('API_KEY')).toBe('s3cret');
    reopened.close();
  });

  it('{ seal: false } writes the reference layout: no seal member, refused where required', async () => {
    const vault = await SecretsManager.create(key(), { seal: false });
    expect(vault.sealed).toBe(false);
    expect(vault.generation).toBeNull();
    const path = fresh();
    await vault.saveAs(path);
    vault.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('"seal"');
    expect(Buffer.byteLength(text)).toBe(256);
    expect(await codeOf(() => SecretsManager.fromFile(path, key(), { requireSeal: true }))).toBe(
      'ERR_SEAL',
    );
    const opened = await SecretsManager.fromFile(path, key());
    expect(opened.sealed).toBe(false);
    opened.close();
  });

  it('{ seal: true } is the default spelled out; anything but a boolean is ERR_ARGUMENT', async () => {
    const a = await SecretsManager.create(key(), { seal: true });
    expect(a.sealed).toBe(true);
    a.close();
    for (const seal of [1, 'false', null, {}]) {
      expect(
        await codeOf(() => SecretsManager.create(key(), { seal } as unknown as { seal: boolean })),
        String(seal),
      ).toBe('ERR_ARGUMENT');
    }
  });
});

describe('a new in-memory vault keeps its seal state on every path', () => {
  it('saveAs twice, then fromFile + save: generations 1, 2, 3', async () => {
    const vault = await SecretsManager.create(key());
    vault.set('a', '1');
    const path = fresh();
    await vault.saveAs(path);
    expect(generationOnDisk(path)).toBe(1);
    vault.set('b', '2');
    await vault.saveAs(path);
    expect(vault.generation).toBe(2);
    expect(generationOnDisk(path)).toBe(2);
    vault.close();
    const reopened = await SecretsManager.fromFile(path, key());
    expect(reopened.generation).toBe(2);
    reopened.delete('a');
    await reopened.save();
    reopened.close();
    expect(generationOnDisk(path)).toBe(3);
    const last = await SecretsManager.fromFile(path, key(), { requireSeal: true });
    expect(last.keys()).toEqual(['b']);
    last.close();
  });

  it('its unsaved text opened with fromJSON and saved elsewhere stays sealed, byte for byte', async () => {
    const vault = await SecretsManager.create(key());
    vault.set('x', 'y');
    const text = vault.toJSON();
    vault.close();
    const copy = await SecretsManager.fromJSON(text, key(), { requireSeal: true });
    expect(copy.sealed).toBe(true);
    expect(copy.generation).toBe(1);
    const path = fresh();
    await copy.saveAs(path);
    copy.close();
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('an unsealed vault opened from JSON and saved stays unsealed (spec/seal.md §6.2)', async () => {
    const vault = await SecretsManager.create(key(), { seal: false });
    vault.set('x', 'y');
    const text = vault.toJSON();
    vault.close();
    const copy = await SecretsManager.fromJSON(text, key());
    copy.set('z', 'w');
    const path = fresh();
    await copy.saveAs(path);
    copy.close();
    expect(copy.sealed).toBe(false);
    expect(readFileSync(path, 'utf8')).not.toContain('"seal"');
  });

  it('fromObject(JSON.parse(text)) opens a sealed vault whose names JSON.parse reorders', async () => {
    // JSON.parse puts integer-like names first; the seal covers the file's (UTF-8) order.
    const vault = await SecretsManager.create(key());
    for (const name of ['', 'a', '0', '10', '2']) vault.set(name, `value ${name}`);
    const text = vault.toJSON();
    vault.close();
    const parsed = JSON.parse(text) as { secrets: object; seal: { names: object } };
    expect(Object.keys(parsed.secrets)).toEqual(['0', '2', '10', '', 'a']);
    expect(Object.keys(parsed.seal.names)).toEqual(['0', '2', '10', '', 'a']);
    const viaObject = await SecretsManager.fromObject(parsed, key(), { requireSeal: true });
    expect(viaObject.keys()).toEqual(['', '0', '10', '2', 'a']);
    expect(viaObject.get('10')).toBe('value 10');
    expect(viaObject.toJSON()).toBe(text);
    viaObject.close();
  });

  it('fromObject still refuses a swap of two blobs (the reordering is only of order)', async () => {
    const vault = await SecretsManager.create(key());
    vault.set('1', 'one');
    vault.set('b', 'bee');
    const parsed = JSON.parse(vault.toJSON()) as { secrets: Record<string, unknown> };
    vault.close();
    const one = parsed.secrets['1'];
    parsed.secrets['1'] = parsed.secrets['b'];
    parsed.secrets['b'] = one;
    expect(await codeOf(() => SecretsManager.fromObject(parsed, key()))).toBe('ERR_SEAL');
  });
});

describe('rekey keeps the seal state (spec/seal.md §2)', () => {
  it('a created (sealed) vault is sealed again under the new key with the next generation', async () => {
    const vault = await SecretsManager.create(key());
    vault.set('a', '1');
    const path = fresh('secrets.json');
    await vault.saveAs(path);
    vault.close();
    await rekeyVault(path, key(), { kind: 'password', password: 'new pw' });
    expect(generationOnDisk(path)).toBe(2);
    const reopened = await SecretsManager.fromFile(
      path,
      { password: 'new pw' },
      { requireSeal: true },
    );
    expect(reopened.get('a')).toBe('1');
    expect(reopened.generation).toBe(2);
    reopened.close();
  });

  it('a vault created with { seal: false } stays unsealed', async () => {
    const vault = await SecretsManager.create(key(), { seal: false });
    vault.set('a', '1');
    const path = fresh('secrets.json');
    await vault.saveAs(path);
    vault.close();
    await rekeyVault(path, key(), { kind: 'password', password: 'new pw' });
    expect(readFileSync(path, 'utf8')).not.toContain('"seal"');
    const reopened = await SecretsManager.fromFile(path, { password: 'new pw' });
    expect(reopened.sealed).toBe(false);
    expect(reopened.get('a')).toBe('1');
    reopened.close();
  });
});
