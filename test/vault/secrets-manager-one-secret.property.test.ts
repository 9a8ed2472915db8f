// spec/format.md §4 (the key check), §5 (the layout), §7 (what a reader rejects); spec/seal.md §5.
/**
 * openVaultForOneSecret (src/vault/secrets-manager.ts, for `ssclient get NAME`) against
 * SecretsManager.fromFile: real vault files (unsealed, sealed, without a sentinel), changed in
 * hostile ways, opened with the right key or a wrong one, with and without `requireSeal`: the
 * same secret bytes, or the same error code and message.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySource, SecretsManager, SecureStoreError } from '../../src/index.js';
import { openVaultForOneSecret, type OneSecretVault } from '../../src/vault/secrets-manager.js';
import { applyVaultEdit, nameArb, vaultEditArb } from '../helpers/arbitraries.js';
import { tempDir } from '../helpers/vaults.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 0xff);
const WRONG = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 0xff);
const NAMES = ['a', 'b', 'db:password', 'ünï 😀', 'binary', '__proto__', 'x'.repeat(40)];

type Outcome =
  | { has: boolean; bytes: Uint8Array | null }
  | { code: string; message: string }
  | { other: string };

async function outcomeOf(open: () => Promise<OneSecretVault>, name: string): Promise<Outcome> {
  try {
    const vault = await open();
    try {
      return { has: vault.has(name), bytes: vault.getBytes(name) };
    } finally {
      vault.close();
    }
  } catch (err) {
    if (err instanceof SecureStoreError) return { code: err.code, message: err.message };
    return { other: String(err) };
  }
}

describe('openVaultForOneSecret: what fromFile gives, for one secret', () => {
  let dir = '';
  let cleanup = (): void => {};
  const bases: Record<string, Buffer> = {};

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('ssclient-one-secret-'));
    for (const seal of [false, true]) {
      const vault = await SecretsManager.create(KeySource.fromKey(KEY), { seal });
      for (const name of NAMES) vault.set(name, `the value of ${name}`);
      vault.set('binary', Uint8Array.from([0xff, 0x00, 0xfe]));
      const path = join(dir, seal ? 'sealed.json' : 'plain.json');
      await vault.saveAs(path);
      vault.close();
      bases[seal ? 'sealed' : 'plain'] = readFileSync(path);
    }
    // Without a sentinel (spec/format.md §4.2): judged by its secrets.
    const text = bases.plain!.toString();
    const from = text.indexOf('  "sentinel"');
    bases.noSentinel = Buffer.from(text.slice(0, from) + text.slice(text.indexOf('"secrets"') - 2));
    bases.empty = Buffer.from(
      text.slice(0, text.indexOf('"secrets"') - 2) + '  "secrets": {}\n}',
      'utf8',
    );
  });
  afterAll(() => cleanup());

  it('the same bytes, or the same error code and message', async () => {
    const path = join(dir, 'case.json');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('plain', 'plain', 'sealed', 'noSentinel', 'empty'),
        fc.oneof(fc.constant([]), fc.array(vaultEditArb, { minLength: 1, maxLength: 2 })),
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, nameArb),
        fc.boolean(),
        fc.boolean(),
        async (base, edits, name, rightKey, requireSeal) => {
          writeFileSync(path, edits.reduce(applyVaultEdit, bases[base]!));
          const key = KeySource.fromKey(rightKey ? KEY : WRONG);
          const options = { requireSeal };
          const one = await outcomeOf(() => openVaultForOneSecret(path, key, name, options), name);
          const full = await outcomeOf(() => SecretsManager.fromFile(path, key, options), name);
          expect(one).toEqual(full);
          expect(one).not.toHaveProperty('other');
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads an unsealed vault in our layout without its other secrets; any other vault whole', async () => {
    const key = KeySource.fromKey(KEY);
    const plain = await openVaultForOneSecret(join(dir, 'plain.json'), key, 'a');
    expect(plain.get('a')).toBe('the value of a');
    expect(plain.has('b')).toBe(false); // not read: the one-secret reader
    plain.close();
    // A seal's MAC covers every line (spec/seal.md §4): the sealed vault is read whole.
    const sealed = await openVaultForOneSecret(join(dir, 'sealed.json'), key, 'a');
    expect(sealed.get('a')).toBe('the value of a');
    expect(sealed.has('b')).toBe(true);
    sealed.close();
  });

  it('a missing seal is refused when required, with the message fromFile gives', async () => {
    const key = KeySource.fromKey(KEY);
    const path = join(dir, 'plain.json');
    const options = { requireSeal: true };
    const one = await outcomeOf(() => openVaultForOneSecret(path, key, 'a', options), 'a');
    expect(one).toEqual(await outcomeOf(() => SecretsManager.fromFile(path, key, options), 'a'));
    expect(one).toMatchObject({ code: 'ERR_SEAL' });
    expect((one as { message: string }).message).toContain(path);
  });
});
