/**
 * src/keys/password.ts: what its callers cannot see from outside, with node:crypto wrapped (not
 * replaced) so that the bytes handed to OpenSSL can be inspected afterwards.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const seen = vi.hoisted(() => ({ passwords: [] as Buffer[] }));

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    pbkdf2: ((password: Buffer, ...rest: unknown[]) => {
      seen.passwords.push(password);
      return (real.pbkdf2 as (...args: unknown[]) => void)(password, ...rest);
    }) as typeof real.pbkdf2,
  };
});

const { derivePasswordKey } = await import('../../src/keys/password.js');
const { PBKDF2_ITERATIONS } = await import('../../src/format/sizes.js');
const { pbkdf2Sync } = await vi.importActual<typeof import('node:crypto')>('node:crypto');

beforeEach(() => {
  seen.passwords.length = 0;
});

describe('derivePasswordKey (spec/format.md §1)', () => {
  it('zeroes the UTF-8 bytes of the password once the key is derived (issue 14 item 11)', async () => {
    const salt = new Uint8Array(16).fill(7);
    const key = await derivePasswordKey('pässwörd-🔑', salt);
    expect(Buffer.from(key)).toEqual(
      pbkdf2Sync(Buffer.from('pässwörd-🔑', 'utf8'), salt, PBKDF2_ITERATIONS, 32, 'sha1'),
    );
    expect(seen.passwords).toHaveLength(1);
    const given = seen.passwords[0]!;
    expect(given.length).toBe(Buffer.byteLength('pässwörd-🔑', 'utf8'));
    expect([...given].every((b) => b === 0)).toBe(true);
  });

  it('zeroes them when the derivation fails too', async () => {
    // A salt that is not bytes makes pbkdf2 throw, after it was handed the password.
    await expect(derivePasswordKey('hunter2', {} as Uint8Array)).rejects.toThrow(TypeError);
    expect(seen.passwords.map((p) => [...p])).toEqual([[0, 0, 0, 0, 0, 0, 0]]);
  });
});
