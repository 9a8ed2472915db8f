/**
 * KMS clients live as long as one operation (src/kms/aws-kms.ts, KmsSession): the calls of one
 * wrap or one unwrap share a client per region, and every client is destroyed when its operation
 * ends, so no client (nor the credentials it resolved) serves another operation. Counted by
 * wrapping the SDK's KMSClient; the calls go to the KMS test server as in kms-library.test.ts.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../../src/crypto/primitives.js';
import { addWrapping, unwrapWrappedKey, wrapKey } from '../../src/index.js';
import type { KmsOptions } from '../../src/kms/options.js';
import { kmsTarget } from '../helpers/kms.js';

const clients = vi.hoisted(() => ({ made: [] as string[], destroyed: 0 }));

vi.mock('@aws-sdk/client-kms', async (importOriginal) => {
  const sdk = await importOriginal<typeof import('@aws-sdk/client-kms')>();
  class CountedKMSClient extends sdk.KMSClient {
    constructor(...args: ConstructorParameters<typeof sdk.KMSClient>) {
      super(...args);
      clients.made.push(JSON.stringify(args[0]));
    }
    override destroy(): void {
      clients.destroyed++;
      super.destroy();
    }
  }
  return { ...sdk, KMSClient: CountedKMSClient };
});

const target = kmsTarget();
const kms: KmsOptions = { endpoint: target.endpoint, region: target.region };

beforeAll(() => {
  Object.assign(process.env, target.env);
});

beforeEach(() => {
  clients.made.length = 0;
  clients.destroyed = 0;
});

describe('one KMS client per region and operation', () => {
  it('wrapping under two keys in one region makes one client, destroyed at the end', async () => {
    const file = await wrapKey(randomBytes(32), { keyIds: [target.key1, target.key2], ...kms });
    expect(file.wrappings).toHaveLength(2);
    expect(clients.made).toHaveLength(1);
    expect(clients.destroyed).toBe(1);
  });

  it('an unwrap that fails over to a second wrapping in the same region uses one client', async () => {
    const key = randomBytes(32);
    const file = await wrapKey(key, { keyIds: [target.key1, target.key2], ...kms });
    const [a, b] = file.wrappings;
    // The first wrapping holds the second's ciphertext: KMS refuses it, the second opens.
    const damaged = { ...file, wrappings: [{ ...a!, ciphertext: b!.ciphertext }, b!] };
    clients.made.length = 0;
    clients.destroyed = 0;
    expect(await unwrapWrappedKey(damaged, 'k.kms.json', kms)).toEqual(key);
    expect(clients.made).toHaveLength(1);
    expect(clients.destroyed).toBe(1);
  });

  it('operations never share a client: each has its own, made with its own options', async () => {
    const key = randomBytes(32);
    const file = await wrapKey(key, { keyIds: [target.key1], ...kms });
    expect(await unwrapWrappedKey(file, 'k.kms.json', { ...kms, timeoutMs: 5_000 })).toEqual(key);
    await addWrapping(file, key, { keyId: target.key2, endpoint: `${target.endpoint}/` });
    // Every client also gets our retry strategy (src/kms/retry.ts) and its attempt count.
    const retry = { maxAttempts: 8, retryStrategy: { mode: 'standard' } };
    expect(clients.made).toEqual([
      JSON.stringify({ ...retry, region: target.region, endpoint: target.endpoint }),
      JSON.stringify({ ...retry, region: target.region, endpoint: target.endpoint }),
      // addWrapping proves the key by unwrapping the file (in its wrapping's region), then
      // wraps in the SDK's default region: two clients of its own operation.
      JSON.stringify({ ...retry, region: target.region, endpoint: `${target.endpoint}/` }),
      JSON.stringify({ ...retry, endpoint: `${target.endpoint}/` }),
    ]);
    expect(clients.destroyed).toBe(4);
  });
});
