// spec/format.md §7 (what a reader must reject).
/**
 * fast-check: the library's readers given anything at all (any JSON value, any object shaped
 * roughly like a vault with fields of any type, any string, any bytes) either open a vault or
 * throw a SecureStoreError with a format code: never a TypeError, a RangeError or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeySource, SecretsManager, SecureStoreError } from '../../src/index.js';

const key = KeySource.fromKey(new Uint8Array(32).fill(3));
const READER_CODES = ['ERR_VAULT_FORMAT', 'ERR_VAULT_VERSION', 'ERR_WRONG_KEY', 'ERR_INTEGRITY'];

async function opensOrRefuses(open: () => Promise<SecretsManager>): Promise<void> {
  try {
    const vault = await open();
    vault.close();
  } catch (err) {
    expect(err).toBeInstanceOf(SecureStoreError);
    expect(READER_CODES).toContain((err as SecureStoreError).code);
  }
}

const vaultish = fc.record(
  {
    version: fc.oneof(fc.constant(3), fc.anything()),
    iv: fc.oneof(fc.constant('AAAAAAAAAAAAAAAAAAAAAA=='), fc.anything()),
    sentinel: fc.anything(),
    secrets: fc.oneof(
      fc.anything(),
      fc.dictionary(
        fc.string(),
        fc.oneof(
          fc.anything(),
          fc.record({ iv: fc.anything(), hmac: fc.anything(), payload: fc.anything() }),
        ),
      ),
    ),
  },
  { requiredKeys: [] },
);

describe('readers on arbitrary input', () => {
  it('fromObject: any value, and any vault-shaped object, opens or gives a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), vaultish), (obj) =>
        opensOrRefuses(() => SecretsManager.fromObject(obj, key)),
      ),
      { numRuns: 1000 },
    );
  });

  it('fromJSON: any JSON text, any string, any bytes open or give a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.uint8Array(),
          vaultish.map((v) => JSON.stringify(v)),
        ),
        (input) => opensOrRefuses(() => SecretsManager.fromJSON(input, key)),
      ),
      { numRuns: 1000 },
    );
  });
});
