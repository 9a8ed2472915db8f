/**
 * The KMS test server's rate limit (throttle.ts) on a clock the test moves: the token bucket per
 * region, which operations it covers, its counters; and on the wire, the answer the real SDK sees.
 */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsControlAt } from '../helpers/kms.js';
import { type KmsServer, startKmsServer, TEST_CREDENTIALS } from './server.js';
import { parseThrottleOptions, RequestThrottle } from './throttle.js';

describe('RequestThrottle: a token bucket per region', () => {
  it('a full bucket of `burst`, then `rate` per second', () => {
    let now = 0;
    const throttle = new RequestThrottle({ rate: 10, burst: 3 }, () => now);
    const admitted = () => throttle.admit('Decrypt', 'us-east-1');
    expect([admitted(), admitted(), admitted(), admitted()]).toEqual([true, true, true, false]);
    now = 99; // 0.99 of a token
    expect(admitted()).toBe(false);
    now = 100;
    expect([admitted(), admitted()]).toEqual([true, false]);
    now = 10_000; // refilled, never beyond the burst
    expect([admitted(), admitted(), admitted(), admitted()]).toEqual([true, true, true, false]);
    expect(throttle.stats()).toEqual({
      limit: { rate: 10, burst: 3, regions: null },
      decrypt: 11,
      decryptThrottled: 4,
      throttled: 4,
      decryptAnswered: 0,
      regions: {
        'us-east-1': { decrypt: 11, decryptThrottled: 4, throttled: 4, decryptAnswered: 0 },
      },
    });
  });

  it('the cryptographic operations share the bucket; others are neither limited nor counted', () => {
    const throttle = new RequestThrottle({ rate: 0.001, burst: 2 }, () => 0);
    expect(throttle.admit('Encrypt', 'us-east-1')).toBe(true);
    expect(throttle.admit('GenerateDataKey', 'us-east-1')).toBe(true);
    expect(throttle.admit('Decrypt', 'us-east-1')).toBe(false);
    expect(throttle.admit('ReEncrypt', 'us-east-1')).toBe(false);
    expect(throttle.admit('DescribeKey', 'us-east-1')).toBe(true);
    expect(throttle.admit('CreateKey', 'us-east-1')).toBe(true);
    expect(throttle.stats()).toMatchObject({ decrypt: 1, decryptThrottled: 1, throttled: 2 });
  });

  it('each region has its own bucket; `regions` limits only those', () => {
    const throttle = new RequestThrottle(
      { rate: 0.001, burst: 1, regions: ['us-east-1'] },
      () => 0,
    );
    expect(throttle.admit('Decrypt', 'us-east-1')).toBe(true);
    expect(throttle.admit('Decrypt', 'us-east-1')).toBe(false);
    for (let i = 0; i < 5; i++) expect(throttle.admit('Decrypt', 'eu-west-1')).toBe(true);
    throttle.answered('Decrypt', 'eu-west-1');
    throttle.answered('Encrypt', 'eu-west-1');
    expect(throttle.stats().regions).toEqual({
      'us-east-1': { decrypt: 2, decryptThrottled: 1, throttled: 1, decryptAnswered: 0 },
      'eu-west-1': { decrypt: 5, decryptThrottled: 0, throttled: 0, decryptAnswered: 1 },
    });
    const everywhere = new RequestThrottle({ rate: 0.001, burst: 1 }, () => 0);
    expect(
      ['us-east-1', 'eu-west-1', 'us-east-1'].map((r) => everywhere.admit('Decrypt', r)),
    ).toEqual([true, true, false]);
  });

  it('clear lifts the limit and keeps the counters; resetStats zeroes them', () => {
    const throttle = new RequestThrottle({ rate: 0.001, burst: 1 }, () => 0);
    throttle.admit('Decrypt', 'us-east-1');
    expect(throttle.admit('Decrypt', 'us-east-1')).toBe(false);
    throttle.clear();
    expect(throttle.admit('Decrypt', 'us-east-1')).toBe(true);
    expect(throttle.stats()).toMatchObject({ limit: null, decrypt: 3, decryptThrottled: 1 });
    throttle.resetStats();
    expect(throttle.stats()).toEqual({
      limit: null,
      decrypt: 0,
      decryptThrottled: 0,
      throttled: 0,
      decryptAnswered: 0,
      regions: {},
    });
  });

  it('bad limits are refused naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'rate: expected a positive number of requests per second'],
      [{ rate: 0 }, 'rate: expected a positive number of requests per second'],
      [{ rate: '5' }, 'rate: expected a positive number of requests per second'],
      [{ rate: 5, burst: 0.5 }, 'burst: expected a number of requests, at least 1'],
      [{ rate: 5, regions: 'us-east-1' }, 'regions: expected an array of region names'],
      [{ rate: 5, per: 'minute' }, 'per: not a throttle option (rate, burst, regions)'],
    ];
    for (const [value, message] of cases) {
      expect(() => parseThrottleOptions(value)).toThrow(new Error(message));
    }
  });
});

describe('on the wire: what the real SDK sees when the bucket is empty', () => {
  let server: KmsServer;
  beforeAll(async () => {
    server = await startKmsServer({ throttle: { rate: 0.001, burst: 2 } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('HTTP 400 {"__type":"ThrottlingException","message":"Rate exceeded"}, classified as throttling', async () => {
    const client = new KMSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const { CiphertextBlob } = await client.send(
        new EncryptCommand({ KeyId: 'alias/securestore-test-1', Plaintext: new Uint8Array(32) }),
      );
      await client.send(new DecryptCommand({ CiphertextBlob }));
      const err = await client.send(new DecryptCommand({ CiphertextBlob })).then(
        () => undefined,
        (e: unknown) => e as { name: string; message: string; $metadata: object; $fault: string },
      );
      expect([err?.name, err?.message, err?.$fault]).toEqual([
        'ThrottlingException',
        'Rate exceeded',
        'client',
      ]);
      expect(err?.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
    } finally {
      client.destroy();
    }
    const raw = await fetch(server.url, { method: 'POST', body: '{}' });
    expect(raw.status).toBe(400); // unsigned: refused before the limit is even looked at
    expect(await kmsControlAt(server.url).throttleStats()).toMatchObject({
      decrypt: 2,
      decryptThrottled: 1,
      decryptAnswered: 1,
      throttled: 1,
    });
  });
});
