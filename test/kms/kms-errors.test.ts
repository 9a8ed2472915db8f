/**
 * KMS failures → error codes, messages and exit codes. The only tests with a stand-in KMS client
 * (KmsOptions.client): every case here is also reachable over HTTP, and test/kms/kms-*.test.ts
 * tests run the real SDK against the local KMS server.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import type { KmsClientLike } from '../../src/kms/options.js';
import {
  forgetUnwrappedKeys,
  unwrapKeyFileCached,
  unwrapWrappedKey,
} from '../../src/kms/unwrap.js';
import { wrapKey as wrapAny } from '../../src/kms/wrap.js';
import { KeySource } from '../../src/auth.js';
import {
  formatWrappedKeyFile,
  makeWrappedKeyFile,
  removeWrapping,
  type WrappedKeyFile,
} from '../../src/kms/wrapped-key-file.js';
import { kmsFailure, kmsOnly } from '../helpers/kms.js';

/** wrapKey, its result typed as KMS wrappings only (it is checked to be). */
const wrapKey = async (...args: Parameters<typeof wrapAny>) => kmsOnly(await wrapAny(...args));

const ARN1 = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const ARN2 = 'arn:aws:kms:eu-west-1:111122223333:key/22222222-2222-2222-2222-222222222222';
const KEY = new Uint8Array(32).fill(9);

const FILE: WrappedKeyFile = makeWrappedKeyFile([
  {
    provider: 'aws-kms',
    keyArn: ARN1,
    region: 'us-east-1',
    context: { purpose: 'securestore-vault-key' },
    ciphertext: 'AQID',
  },
  {
    provider: 'aws-kms',
    keyArn: ARN2,
    region: 'eu-west-1',
    context: { purpose: 'securestore-vault-key' },
    ciphertext: 'BAUG',
  },
]);

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

/** A client whose `send` answers from `reply` and records what it was sent. */
function fakeClient(reply: (sent: Sent) => unknown): KmsClientLike & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    async send(command: unknown) {
      const c = command as { constructor: { name: string }; input: Record<string, unknown> };
      const s = { command: c.constructor.name, input: c.input };
      sent.push(s);
      return reply(s);
    },
  };
}

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  const err = new Error(`${name} from KMS`);
  err.name = name;
  Object.assign(err, extra);
  return err;
}

const ONE = makeWrappedKeyFile([FILE.wrappings[0]!]);

describe('each KMS failure of Decrypt: its own code, one line naming the key, exit 4', () => {
  const cases: [string, Error, string, string][] = [
    [
      'AccessDeniedException',
      sdkError('AccessDeniedException'),
      'ERR_KMS_ACCESS_DENIED',
      `KMS key ${ARN1}: access denied to kms:Decrypt in us-east-1; grant this AWS identity kms:Decrypt on the key (with the encryption context in the file)`,
    ],
    [
      'UnrecognizedClientException',
      sdkError('UnrecognizedClientException'),
      'ERR_KMS_ACCESS_DENIED',
      `KMS key ${ARN1}: KMS in us-east-1 rejected the AWS credentials (UnrecognizedClientException); check the profile, the keys or the session token`,
    ],
    [
      'NotFoundException',
      sdkError('NotFoundException'),
      'ERR_KMS_NOT_FOUND',
      `KMS key ${ARN1} was not found in us-east-1; check the key id or alias, the region (KmsOptions.region) and the AWS account`,
    ],
    [
      'DisabledException',
      sdkError('DisabledException'),
      'ERR_KMS_DISABLED',
      `KMS key ${ARN1} is disabled; enable it in KMS in us-east-1, or use another wrapping`,
    ],
    [
      'KMSInvalidStateException',
      sdkError('KMSInvalidStateException'),
      'ERR_KMS_DISABLED',
      `KMS key ${ARN1} is pending deletion or not usable in its current state; cancel the deletion in KMS in us-east-1, or use another wrapping`,
    ],
    [
      'InvalidCiphertextException',
      sdkError('InvalidCiphertextException'),
      'ERR_KMS_CIPHERTEXT',
      `KMS key ${ARN1} cannot decrypt the wrapped key in v.kms.json: its encryption context or ciphertext was changed; restore the file from version control`,
    ],
    [
      'IncorrectKeyException',
      sdkError('IncorrectKeyException'),
      'ERR_KMS_WRONG_KEY',
      `KMS key ${ARN1}: the wrapped key recorded for it in v.kms.json was made under another KMS key; restore the file from version control`,
    ],
    [
      'ThrottlingException',
      sdkError('ThrottlingException', { $metadata: { attempts: 3 } }),
      'ERR_KMS_THROTTLED',
      // N: how long it tried, in seconds with one decimal (the test normalises the number).
      `KMS key ${ARN1}: KMS in us-east-1 is throttling requests (still after 3 attempts over N s); retry later or raise the KMS request quota`,
    ],
    [
      'ECONNREFUSED',
      sdkError('Error', { code: 'ECONNREFUSED' }),
      'ERR_KMS_UNREACHABLE',
      `KMS key ${ARN1}: cannot reach KMS in us-east-1 (ECONNREFUSED); check the network, the region and the endpoint (KmsOptions.endpoint, AWS_ENDPOINT_URL_KMS)`,
    ],
    [
      'a reset connection, which the SDK names TimeoutError',
      sdkError('TimeoutError', { code: 'ECONNRESET' }),
      'ERR_KMS_UNREACHABLE',
      `KMS key ${ARN1}: cannot reach KMS in us-east-1 (ECONNRESET); check the network, the region and the endpoint (KmsOptions.endpoint, AWS_ENDPOINT_URL_KMS)`,
    ],
    [
      'KMSInternalException',
      sdkError('KMSInternalException'),
      'ERR_KMS_UNREACHABLE',
      `KMS key ${ARN1}: KMS in us-east-1 is unavailable (KMSInternalException); retry later`,
    ],
    [
      'CredentialsProviderError',
      sdkError('CredentialsProviderError'),
      'ERR_KMS_NO_CREDENTIALS',
      `KMS key ${ARN1}: no AWS credentials found; use KmsOptions.profile or AWS_PROFILE, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role`,
    ],
    [
      'Region is missing',
      new Error('Region is missing'),
      'ERR_KMS_NO_REGION',
      `KMS key ${ARN1}: no AWS region; give KmsOptions.region, set AWS_REGION, or name the key by its ARN`,
    ],
    [
      'an HTML 502 page from a proxy, which the SDK cannot parse (issue 14 item 17)',
      sdkError('SyntaxError', { $metadata: { httpStatusCode: 502, attempts: 3 } }),
      'ERR_KMS_UNREACHABLE',
      `KMS key ${ARN1}: KMS in us-east-1 answered HTTP 502 without a KMS reply (a proxy or gateway in between?); retry later, or check the network and the endpoint (KmsOptions.endpoint, AWS_ENDPOINT_URL_KMS)`,
    ],
    [
      'an HTML 403 page: not a server error, so the generic code, with its status',
      sdkError('SyntaxError', { $metadata: { httpStatusCode: 403 } }),
      'ERR_KMS',
      `KMS key ${ARN1}: kms:Decrypt in us-east-1 failed (SyntaxError, HTTP 403); the error's cause has the details`,
    ],
    [
      'an unknown exception',
      sdkError('SomethingNewException'),
      'ERR_KMS',
      `KMS key ${ARN1}: kms:Decrypt in us-east-1 failed (SomethingNewException); the error's cause has the details`,
    ],
  ];

  it.each(cases)('%s', async (_name, thrown, code, message) => {
    const client = fakeClient(() => {
      throw thrown;
    });
    const err = await kmsFailure(unwrapWrappedKey(ONE, 'v.kms.json', { client }));
    expect(err.code).toBe(code);
    expect(err.message.replace(/ over \d+\.\d s\)/, ' over N s)')).toBe(message);
    expect(err.kmsKey).toBe(ARN1);
    expect(err.cause).toBe(thrown);
    expect(exitCodeFor(err)).toBe(EXIT.KMS);
    expect(err.message).not.toContain('\n');
    // A library message names no CLI flag (issue 14 item 17): the CLI adds its own hints.
    expect(err.message).not.toMatch(/(^|[\s(])--?[a-z]/);
  });

  it('sends Decrypt naming the recorded key, with its context', async () => {
    const client = fakeClient(() => ({ KeyId: ARN1, Plaintext: Uint8Array.from(KEY) }));
    const key = await unwrapWrappedKey(ONE, 'v.kms.json', { client });
    expect(key).toEqual(KEY);
    expect(client.sent).toEqual([
      {
        command: 'DecryptCommand',
        input: {
          KeyId: ARN1,
          CiphertextBlob: Buffer.from('AQID', 'base64'),
          EncryptionContext: { purpose: 'securestore-vault-key' },
        },
      },
    ]);
  });
});

describe('spec §7.3: the key id KMS reports must be the recorded one', () => {
  it('another key id: ERR_KMS_WRONG_KEY, and the plaintext KMS returned is zeroed', async () => {
    const returned = Uint8Array.from(KEY);
    const client = fakeClient(() => ({ KeyId: ARN2, Plaintext: returned }));
    const err = await kmsFailure(unwrapWrappedKey(ONE, 'v.kms.json', { client }));
    expect(err.code).toBe('ERR_KMS_WRONG_KEY');
    expect(err.message).toBe(
      `KMS key ${ARN1}: KMS decrypted the wrapped key in v.kms.json with ${ARN2} instead; restore the file from version control`,
    );
    expect(returned.every((b) => b === 0)).toBe(true);
  });

  it('a plaintext that is not 32 bytes is refused and zeroed', async () => {
    const returned = new Uint8Array(16).fill(5);
    const client = fakeClient(() => ({ KeyId: ARN1, Plaintext: returned }));
    const err = await kmsFailure(unwrapWrappedKey(ONE, 'v.kms.json', { client }));
    expect(err.code).toBe('ERR_KMS_KEY_FILE');
    expect(exitCodeFor(err)).toBe(EXIT.FAILURE);
    expect(returned.every((b) => b === 0)).toBe(true);
  });
});

describe('failover (spec §7.1, §7.4)', () => {
  it('a failing first wrapping falls over to the second', async () => {
    const client = fakeClient((s) => {
      if (s.input.KeyId === ARN1) throw sdkError('Error', { code: 'ECONNRESET' });
      return { KeyId: ARN2, Plaintext: Uint8Array.from(KEY) };
    });
    expect(await unwrapWrappedKey(FILE, 'v.kms.json', { client })).toEqual(KEY);
    expect(client.sent.map((s) => s.input.KeyId)).toEqual([ARN1, ARN2]);
  });

  it('--region puts the wrappings in that region first', async () => {
    const client = fakeClient((s) => ({ KeyId: s.input.KeyId, Plaintext: Uint8Array.from(KEY) }));
    await unwrapWrappedKey(FILE, 'v.kms.json', { client, region: 'eu-west-1' });
    expect(client.sent.map((s) => s.input.KeyId)).toEqual([ARN2]);
  });

  it('all failing: one error listing each failure; the common code, or ERR_KMS when they differ', async () => {
    const denied = fakeClient(() => {
      throw sdkError('AccessDeniedException');
    });
    const same = await kmsFailure(unwrapWrappedKey(FILE, 'v.kms.json', { client: denied }));
    expect(same.code).toBe('ERR_KMS_ACCESS_DENIED');
    expect(same.failures.map((f) => f.kmsKey)).toEqual([ARN1, ARN2]);

    const mixed = fakeClient((s) => {
      throw s.input.KeyId === ARN1 ? sdkError('DisabledException') : sdkError('NotFoundException');
    });
    const err = await kmsFailure(unwrapWrappedKey(FILE, 'v.kms.json', { client: mixed }));
    expect(err.code).toBe('ERR_KMS');
    expect(err.message).toBe(
      `cannot unwrap the key in v.kms.json: none of its 2 wrappings worked: (1) KMS key ${ARN1} is disabled; enable it in KMS in us-east-1, or use another wrapping; (2) KMS key ${ARN2} was not found in eu-west-1; check the key id or alias, the region (KmsOptions.region) and the AWS account`,
    );
    expect(exitCodeFor(err)).toBe(EXIT.KMS);
  });

  it('a cancelled call stops the search (ERR_KMS_ABORTED), the second wrapping is not tried', async () => {
    const controller = new AbortController();
    controller.abort();
    const client = fakeClient(() => ({ KeyId: ARN1, Plaintext: Uint8Array.from(KEY) }));
    const err = await kmsFailure(
      unwrapWrappedKey(FILE, 'v.kms.json', { client, signal: controller.signal }),
    );
    expect(err.code).toBe('ERR_KMS_ABORTED');
    expect(err.message).toBe(`KMS key ${ARN1}: the kms:Decrypt call was cancelled`);
    expect(client.sent).toEqual([]);
  });

  it('a call that outlives timeoutMs: ERR_KMS_TIMEOUT', async () => {
    const client: KmsClientLike = {
      send: (_c, options) =>
        new Promise((_resolve, reject) => {
          options?.abortSignal?.addEventListener('abort', () => reject(sdkError('AbortError')));
        }),
    };
    const err = await kmsFailure(unwrapWrappedKey(ONE, 'v.kms.json', { client, timeoutMs: 50 }));
    expect(err.code).toBe('ERR_KMS_TIMEOUT');
    expect(err.message).toBe(
      `KMS key ${ARN1}: KMS in us-east-1 did not answer within 50 ms; check the network and the endpoint`,
    );
  });
});

describe('wrapKey', () => {
  it('sends Encrypt with the default context plus the given pairs, records the ARN KMS reports', async () => {
    const client = fakeClient((s) => ({
      KeyId: s.input.KeyId === 'alias/a' ? ARN1 : ARN2,
      CiphertextBlob: new Uint8Array([1, 2, 3]),
    }));
    const file = await wrapKey(KEY, {
      keyIds: ['alias/a', 'alias/b'],
      context: { vault: 'x' },
      client,
    });
    expect(client.sent[0]).toEqual({
      command: 'EncryptCommand',
      input: {
        KeyId: 'alias/a',
        Plaintext: KEY,
        EncryptionContext: { purpose: 'securestore-vault-key', vault: 'x' },
      },
    });
    expect(file.wrappings.map((w) => [w.keyArn, w.region, w.ciphertext])).toEqual([
      [ARN1, 'us-east-1', 'AQID'],
      [ARN2, 'eu-west-1', 'AQID'],
    ]);
  });

  it('two ids naming the same KMS key are refused', async () => {
    const client = fakeClient(() => ({ KeyId: ARN1, CiphertextBlob: new Uint8Array([1]) }));
    await expect(wrapKey(KEY, { keyIds: ['alias/a', ARN1], client })).rejects.toThrow(
      `keyIds: ${ARN1} is the same KMS key as another one given (${ARN1})`,
    );
  });

  it('refuses a key that is not 32 bytes and an empty key list, before any KMS call', async () => {
    const client = fakeClient(() => ({}));
    await expect(wrapKey(new Uint8Array(31), { keyIds: ['a'], client })).rejects.toThrow(
      'key: expected a Uint8Array of 32 bytes, got 31 bytes',
    );
    await expect(wrapKey(KEY, { keyIds: [], client })).rejects.toThrow(
      'keyIds: expected at least one KMS key id',
    );
    expect(client.sent).toEqual([]);
  });

  it('a KMS failure names the key as given', async () => {
    const client = fakeClient(() => {
      throw sdkError('NotFoundException');
    });
    const err = await kmsFailure(
      wrapKey(KEY, { keyIds: ['alias/missing'], client, region: 'us-west-2' }),
    );
    expect(err.code).toBe('ERR_KMS_NOT_FOUND');
    expect(err.message).toBe(
      'KMS key alias/missing was not found in us-west-2; check the key id or alias, the region (KmsOptions.region) and the AWS account',
    );
  });
});

describe('hostile arguments to the public functions: ERR_ARGUMENT naming the argument, no KMS call', () => {
  const client = fakeClient(() => ({}));
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      'wrapKey(null)',
      () => wrapKey(null as never, { keyIds: ['a'], client }),
      'key: expected a Uint8Array of 32 bytes, got object',
    ],
    [
      'wrapKey(string)',
      () => wrapKey('k'.repeat(32) as never, { keyIds: ['a'], client }),
      'key: expected a Uint8Array of 32 bytes, got string',
    ],
    [
      'keyIds as a string',
      () => wrapKey(KEY, { keyIds: 'alias/a' as never, client }),
      'keyIds: expected at least one KMS key id',
    ],
    [
      '17 keyIds',
      () => wrapKey(KEY, { keyIds: Array.from({ length: 17 }, (_, i) => `k${i}`), client }),
      'keyIds: at most 16 KMS keys',
    ],
    [
      'a key id with spaces',
      () => wrapKey(KEY, { keyIds: [' alias/a'], client }),
      'KMS key id " alias/a": expected a key id, ARN or alias',
    ],
    [
      'a key id that is a number',
      () => wrapKey(KEY, { keyIds: [5 as never], client }),
      'KMS key id 5: expected a key id, ARN or alias',
    ],
    [
      'a context value that is a number',
      () => wrapKey(KEY, { keyIds: ['a'], context: { n: 1 as never }, client }),
      'context: "n" must be a string, got 1',
    ],
    [
      'a context that is an array',
      () => wrapKey(KEY, { keyIds: ['a'], context: ['x'] as never, client }),
      'context: expected an object of string values',
    ],
    [
      'timeoutMs NaN',
      () => wrapKey(KEY, { keyIds: ['a'], timeoutMs: Number.NaN, client }),
      'timeoutMs: expected a positive number of milliseconds, got NaN',
    ],
    [
      'timeoutMs 0',
      () => unwrapWrappedKey(ONE, 'v', { timeoutMs: 0, client }),
      'timeoutMs: expected a positive number of milliseconds, got 0',
    ],
  ];
  it.each(cases)('%s', async (_name, call, message) => {
    let caught: unknown;
    try {
      await call();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect([(caught as { code?: string }).code, (caught as Error).message]).toEqual([
      'ERR_ARGUMENT',
      message,
    ]);
    expect(client.sent).toEqual([]);
  });

  it('formatWrappedKeyFile and removeWrapping refuse what is not a file or a wrapping', () => {
    expect(() => formatWrappedKeyFile(null as never)).toThrow(
      'wrapped key file: expected a JSON object, got null',
    );
    expect(() => formatWrappedKeyFile({} as never)).toThrow(
      'wrapped key file: no "type": "securestore-kms-wrapped-key" member',
    );
    for (const which of [0, -1, 1.5, 3, '']) {
      expect(() => removeWrapping(FILE, which)).toThrow(
        /^(there is no wrapping number|no wrapping under KMS key)/,
      );
    }
    expect(() => KeySource.fromKmsFile('')).toThrow('path: expected a wrapped key file path');
  });
});

describe('the per-process cache (spec §7.5)', () => {
  it('one Decrypt for concurrent and later unwraps of one file; release forgets the key', async () => {
    const bytes = new TextEncoder().encode(formatWrappedKeyFile(ONE));
    const client = fakeClient(() => ({ KeyId: ARN1, Plaintext: Uint8Array.from(KEY) }));
    const [a, b] = await Promise.all([
      unwrapKeyFileCached(bytes, 'v', { client }),
      unwrapKeyFileCached(bytes, 'v', { client }),
    ]);
    const c = await unwrapKeyFileCached(bytes, 'v', { client });
    expect([a.key, b.key, c.key]).toEqual([KEY, KEY, KEY]);
    expect(client.sent).toHaveLength(1);
    a.key.fill(0); // each caller owns its copy
    expect(c.key).toEqual(KEY);
    a.release();
    await unwrapKeyFileCached(bytes, 'v', { client });
    expect(client.sent).toHaveLength(2);
    forgetUnwrappedKeys();
  });

  it('a caller that joined an unwrap another caller cancelled unwraps again for itself', async () => {
    const bytes = new TextEncoder().encode(
      formatWrappedKeyFile(makeWrappedKeyFile([{ ...ONE.wrappings[0]!, ciphertext: 'BwcH' }])),
    );
    let calls = 0;
    let sent: () => void = () => {};
    const firstSent = new Promise<void>((resolve) => (sent = resolve));
    const client: KmsClientLike = {
      send: (_c, options) => {
        calls++;
        sent();
        if (calls > 1) return Promise.resolve({ KeyId: ARN1, Plaintext: Uint8Array.from(KEY) });
        return new Promise((_resolve, reject) => {
          options?.abortSignal?.addEventListener('abort', () => reject(sdkError('AbortError')));
        });
      },
    };
    const controller = new AbortController();
    const first = unwrapKeyFileCached(bytes, 'v', { client, signal: controller.signal });
    const second = unwrapKeyFileCached(bytes, 'v', { client });
    await firstSent;
    controller.abort();
    expect((await kmsFailure(first)).code).toBe('ERR_KMS_ABORTED');
    expect((await second).key).toEqual(KEY);
    expect(calls).toBe(2);
    forgetUnwrappedKeys();
  });
});
