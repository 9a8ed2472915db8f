// spec/format.md §3 (blob encryption: HMAC-SHA1 over iv ‖ ciphertext, checked before decrypting) and §4 (sentinel).
/**
 * Flipping any single bit of any blob's iv, hmac or payload makes that secret fail with
 * ERR_INTEGRITY (never a wrong plaintext) while every other secret still reads correctly; a
 * flipped bit in the sentinel makes the vault refuse the key (ERR_WRONG_KEY).
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseVault } from '../../src/format/vault-codec.js';
import { KeySource, SecretsManager } from '../../src/index.js';
import { codeOfSync } from '../helpers/errors.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 0xff);
const key = (): KeySource => KeySource.fromKey(KEY);
const VALUES: Record<string, string | Uint8Array> = {
  empty: '',
  short: 'hunter2',
  block: 'exactly16bytes!!',
  long: 'a longer value that spans several AES blocks: ' + 'x'.repeat(70),
  binary: Uint8Array.from({ length: 33 }, (_, i) => i * 7),
};
const FIELDS = ['iv', 'hmac', 'payload'] as const;
let text: string;

beforeAll(async () => {
  const vault = await SecretsManager.create(key(), { seal: false });
  for (const [name, value] of Object.entries(VALUES)) vault.set(name, value);
  text = vault.toJSON();
  vault.close();
});

/** The vault text with bit `bit` of one blob field flipped (same base64 length). */
function flip(target: string, field: (typeof FIELDS)[number], bit: number): string {
  const doc = parseVault(Buffer.from(text), 'v');
  const blob = target === '(sentinel)' ? doc.sentinel! : doc.secrets.get(target)!;
  const bytes = Buffer.from(blob[field], 'base64');
  const i = bit % (bytes.length * 8);
  bytes[i >> 3]! ^= 1 << (i & 7);
  const flipped = bytes.toString('base64');
  expect(flipped).not.toBe(blob[field]);
  const out = text.replace(`"${field}": "${blob[field]}"`, `"${field}": "${flipped}"`);
  expect(out).not.toBe(text);
  return out;
}

const plain = (v: string | Uint8Array): Buffer =>
  typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);

describe('any single flipped bit', () => {
  it('in a secret: that secret fails with ERR_INTEGRITY, the others still read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(VALUES)),
        fc.constantFrom(...FIELDS),
        fc.nat(),
        async (target, field, bit) => {
          const vault = await SecretsManager.fromJSON(flip(target, field, bit), key());
          expect(codeOfSync(() => vault.getBytes(target))).toBe('ERR_INTEGRITY');
          expect(codeOfSync(() => vault.get(target))).toBe('ERR_INTEGRITY');
          expect(codeOfSync(() => vault.getAllBytes())).toBe('ERR_INTEGRITY');
          for (const [name, value] of Object.entries(VALUES)) {
            if (name !== target)
              expect(Buffer.from(vault.getBytes(name)!).equals(plain(value))).toBe(true);
          }
          vault.close();
        },
      ),
      { numRuns: 400 },
    );
  });

  it('every bit of one secret’s iv, hmac and payload, exhaustively', async () => {
    const doc = parseVault(Buffer.from(text), 'v');
    const blob = doc.secrets.get('short')!;
    for (const field of FIELDS) {
      const bits = Buffer.from(blob[field], 'base64').length * 8;
      for (let bit = 0; bit < bits; bit++) {
        const vault = await SecretsManager.fromJSON(flip('short', field, bit), key());
        expect(
          codeOfSync(() => vault.getBytes('short')),
          `${field} bit ${bit}`,
        ).toBe('ERR_INTEGRITY');
        vault.close();
      }
    }
  });

  it('in the sentinel: the vault refuses the key (ERR_WRONG_KEY) before anything is read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), fc.nat(), async (field, bit) => {
        await expect(
          SecretsManager.fromJSON(flip('(sentinel)', field, bit), key()),
        ).rejects.toMatchObject({ code: 'ERR_WRONG_KEY' });
      }),
      { numRuns: 100 },
    );
  });
});

describe('a blob with a valid MAC but malformed PKCS#7 padding', () => {
  /** Encrypts `block` (whole blocks, no padding added) and MACs it with the vault key. */
  function forge(plain: Buffer): { iv: string; hmac: string; payload: string } {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', KEY.subarray(0, 16), iv).setAutoPadding(false);
    const payload = Buffer.concat([cipher.update(plain), cipher.final()]);
    const hmac = createHmac('sha1', KEY.subarray(16, 32)).update(iv).update(payload).digest();
    return {
      iv: iv.toString('base64'),
      hmac: hmac.toString('base64'),
      payload: payload.toString('base64'),
    };
  }

  it.each([
    ['last byte 0x00', Buffer.concat([Buffer.alloc(15, 0x41), Buffer.from([0x00])])],
    ['last byte 0x11 (over 16)', Buffer.concat([Buffer.alloc(15, 0x41), Buffer.from([0x11])])],
    [
      'last byte 0x05 but the bytes before it differ',
      Buffer.concat([Buffer.alloc(12, 0x41), Buffer.from([4, 5, 5, 5])]),
    ],
    ['two blocks, last byte 0x20', Buffer.concat([Buffer.alloc(31, 0x41), Buffer.from([0x20])])],
  ])('%s: ERR_INTEGRITY from get, getBytes and getAllBytes, never bytes', async (_label, plain) => {
    const blob = forge(plain);
    const doc = parseVault(Buffer.from(text), 'v');
    const old = doc.secrets.get('short')!;
    const forged = text
      .replace(old.iv, blob.iv)
      .replace(old.hmac, blob.hmac)
      .replace(old.payload, blob.payload);
    const vault = await SecretsManager.fromJSON(forged, key());
    expect(codeOfSync(() => vault.get('short'))).toBe('ERR_INTEGRITY');
    expect(codeOfSync(() => vault.getBytes('short'))).toBe('ERR_INTEGRITY');
    expect(codeOfSync(() => vault.getAllBytes())).toBe('ERR_INTEGRITY');
    expect(vault.get('block')).toBe(VALUES.block);
    vault.close();
  });

  it('a forged blob with correct padding decrypts (the forging above is sound)', async () => {
    const blob = forge(Buffer.concat([Buffer.from('forged'), Buffer.alloc(10, 10)]));
    const doc = parseVault(Buffer.from(text), 'v');
    const old = doc.secrets.get('short')!;
    const forged = text
      .replace(old.iv, blob.iv)
      .replace(old.hmac, blob.hmac)
      .replace(old.payload, blob.payload);
    const vault = await SecretsManager.fromJSON(forged, key());
    expect(vault.get('short')).toBe('forged');
    expect(Buffer.from(vault.getAllBytes().get('short')!).toString()).toBe('forged');
    vault.close();
  });
});
