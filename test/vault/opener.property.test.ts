/**
 * spec/format.md §4.2, the write rule for a vault without a sentinel (issue 14 item 10): a key
 * right in its HMAC half and random in its AES half (a key file damaged in its first 16 bytes)
 * passes every MAC and each secret's padding one time in 255; such a key once took writes, and
 * the sentinel it added locked the right key out. Now no such key ever gets a sentinel written,
 * and the right key always still opens the vault with every value intact.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeySource, SecretsManager, SecureStoreError } from '../../src/index.js';
import { rekeyVault } from '../../src/rekey/rekey.js';

/** The document of a vault under `key` holding `values`, without its sentinel. */
async function sentinelLess(key: Uint8Array, values: readonly Uint8Array[]): Promise<object> {
  const vault = await SecretsManager.create(KeySource.fromKey(key), { seal: false });
  values.forEach((value, i) => vault.set(`s${String(i).padStart(2, '0')}`, value));
  const doc = JSON.parse(vault.toJSON()) as Record<string, unknown>;
  vault.close();
  delete doc['sentinel'];
  return doc;
}

/** `key` with its AES half (bytes 0-15) replaced by `aes`. */
function withAesHalf(key: Uint8Array, aes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(key);
  out.set(aes.subarray(0, 16), 0);
  return out;
}

/** Whether reads accept `key` (spec §4.2's read rule), so that only the write rule is left. */
async function readsAccept(doc: object, key: Uint8Array): Promise<boolean> {
  const vault = await SecretsManager.fromObject(doc, KeySource.fromKey(key));
  try {
    vault.getAllBytes();
    return true;
  } catch (err) {
    if (err instanceof SecureStoreError && err.code === 'ERR_WRONG_KEY') return false;
    throw err;
  } finally {
    vault.close();
  }
}

/**
 * A key with `key`'s HMAC half and another AES half that reads accept (about one in 255 for a
 * one-secret vault), searched from `start`.
 */
async function acceptedAesHalf(doc: object, key: Uint8Array, start: number): Promise<Uint8Array> {
  for (let i = start; i < start + 5_000; i++) {
    const aes = new Uint8Array(16);
    new DataView(aes.buffer).setUint32(0, i);
    aes[15] = 0xa5;
    const candidate = withAesHalf(key, aes);
    if (Buffer.from(candidate).equals(Buffer.from(key))) continue;
    if (await readsAccept(doc, candidate)) return candidate;
  }
  throw new Error('no accepted AES half among 5 000 (expected one in about 255)');
}

/** Every way a vault takes a write, tried under `key`: each must be refused, nothing changed. */
async function expectNoWrite(doc: object, key: Uint8Array): Promise<void> {
  const names = Object.keys((doc as { secrets: object }).secrets);
  const writes: ((v: SecretsManager) => unknown)[] = [
    (v) => v.set('new', 'value'),
    (v) => v.set(names[0]!, 'replaced'),
    (v) => v.delete(names[0]!),
  ];
  for (const write of writes) {
    const vault = await SecretsManager.fromObject(doc, KeySource.fromKey(key));
    const before = vault.toJSON();
    expect(() => write(vault)).toThrow(expect.objectContaining({ code: 'ERR_WRONG_KEY' }));
    expect(vault.dirty).toBe(false);
    expect(vault.toJSON()).toBe(before);
    expect(JSON.parse(vault.toJSON())).not.toHaveProperty('sentinel');
    vault.close();
  }
}

/** The right key opens `doc` and reads exactly `values` (as s00, s01…), and `extra` as "new". */
async function expectOpens(
  doc: object,
  key: Uint8Array,
  values: readonly Uint8Array[],
  extra?: string,
): Promise<void> {
  const vault = await SecretsManager.fromObject(doc, KeySource.fromKey(key));
  const all = vault.getAllBytes();
  expect(vault.get('new')).toBe(extra ?? null);
  all.delete('new');
  expect([...all.values()].map((v) => Buffer.from(v).toString('hex'))).toEqual(
    values.map((v) => Buffer.from(v).toString('hex')),
  );
  vault.close();
}

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const value = fc.uint8Array({ maxLength: 40 });

describe('spec/format.md §4.2: a key right only in its HMAC half never writes a sentinel', () => {
  it('one secret, AES halves searched until reads accept them (the case that locked vaults out)', async () => {
    await fc.assert(
      fc.asyncProperty(key32, value, fc.nat(), async (key, secret, start) => {
        const doc = await sentinelLess(key, [secret]);
        const bad = await acceptedAesHalf(doc, key, start);
        await expectNoWrite(doc, bad);
        await expectOpens(doc, key, [secret]);
      }),
      { numRuns: 6 },
    );
  });

  it('any number of secrets, any random AES half: no write, and the right key still opens', async () => {
    await fc.assert(
      fc.asyncProperty(
        key32,
        fc.array(value, { minLength: 1, maxLength: 20 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (key, values, aes) => {
          const bad = withAesHalf(key, aes);
          fc.pre(!Buffer.from(bad).equals(Buffer.from(key)));
          const doc = await sentinelLess(key, values);
          await expectNoWrite(doc, bad);
          await expectOpens(doc, key, values);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('spec/format.md §4.2: the right key', () => {
  it('a key source other than a password writes once 16 secrets prove it, adding a sentinel', async () => {
    await fc.assert(
      fc.asyncProperty(
        key32,
        fc.array(value, { minLength: 16, maxLength: 24 }),
        async (key, values) => {
          const doc = await sentinelLess(key, values);
          const vault = await SecretsManager.fromObject(doc, KeySource.fromKey(key));
          vault.set('new', 'value');
          const written = JSON.parse(vault.toJSON()) as object;
          vault.close();
          expect(written).toHaveProperty('sentinel');
          await expectOpens(written, key, values, 'value');
        },
      ),
      { numRuns: 10 },
    );
  });

  it('with fewer than 16 secrets it writes only after addSentinel(), which vouches for it', async () => {
    await fc.assert(
      fc.asyncProperty(
        key32,
        fc.array(value, { minLength: 1, maxLength: 15 }),
        async (key, values) => {
          const doc = await sentinelLess(key, values);
          await expectNoWrite(doc, key);
          const vault = await SecretsManager.fromObject(doc, KeySource.fromKey(key));
          vault.addSentinel();
          vault.set('new', 'value');
          const written = JSON.parse(vault.toJSON()) as object;
          vault.close();
          expect(written).toHaveProperty('sentinel');
          await expectOpens(written, key, values, 'value');
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe('spec/format.md §4.2: rekey, which writes every secret again, follows the write rule', () => {
  it('a key file damaged in its AES half that reads accept cannot rekey; the vault is untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opener-rekey-'));
    try {
      const key = Uint8Array.from({ length: 32 }, (_, i) => i * 3 + 1);
      const doc = await sentinelLess(key, [new TextEncoder().encode('hunter2')]);
      const bad = await acceptedAesHalf(doc, key, 0);
      const path = join(dir, 'vault.json');
      writeFileSync(path, JSON.stringify(doc, null, 2));
      const before = readFileSync(path);
      const err = await rekeyVault(path, KeySource.fromKey(bad), {
        kind: 'password',
        password: 'new password',
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_WRONG_KEY' });
      expect((err as Error).message).toMatch(/has no sentinel and only 1 secret to prove the key/);
      expect(readFileSync(path)).toEqual(before);
      await expectOpens(JSON.parse(readFileSync(path, 'utf8')) as object, key, [
        new TextEncoder().encode('hunter2'),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
