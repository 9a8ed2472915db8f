/**
 * The KMS test server at the wire level (plain fetch, exact bodies): hostile and malformed
 * requests, the error shapes, and closing with requests in flight. A private server per file.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsControlAt, type KmsControl } from '../helpers/kms.js';
import { ACCOUNT_ID, startKmsServer, type KmsServer } from './server.js';

let server: KmsServer;
let control: KmsControl;

beforeAll(async () => {
  server = await startKmsServer();
  control = kmsControlAt(server.url);
});

afterAll(async () => {
  await server.close();
});

/** An Authorization header with an access key the server does not verify. */
function authorization(region = 'us-east-1'): string {
  return `AWS4-HMAC-SHA256 Credential=AKIDWIRETEST/20261123/${region}/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
}

interface Reply {
  status: number;
  contentType: string | null;
  body: string;
}

async function call(
  operation: string,
  body: string | object,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${server.url}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `TrentService.${operation}`,
      'X-Amz-Date': '20261123T120000Z',
      Authorization: authorization(),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

const error = (type: string, message?: string): Reply => ({
  status: 400,
  contentType: 'application/x-amz-json-1.1',
  body: JSON.stringify(message === undefined ? { __type: type } : { __type: type, message }),
});

const b64 = (bytes: number[]): string => Buffer.from(bytes).toString('base64');

describe('request validation', () => {
  it('answers exact AWS-shaped errors for malformed requests', async () => {
    const cases: [string, string | object, Reply][] = [
      [
        'Encrypt',
        '{not json',
        error('SerializationException', 'Unable to parse the request body as JSON'),
      ],
      [
        'Encrypt',
        '[1,2]',
        error('SerializationException', 'Start of structure or map found where not expected.'),
      ],
      [
        'Encrypt',
        { Plaintext: b64([1]) },
        error(
          'ValidationException',
          "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
        ),
      ],
      [
        'Encrypt',
        { KeyId: 42, Plaintext: b64([1]) },
        error('SerializationException', 'Start of structure or map found where not expected.'),
      ],
      [
        'Encrypt',
        { KeyId: 'alias/securestore-test-1', Plaintext: '***' },
        error('SerializationException', 'Invalid base64 value'),
      ],
      [
        'Encrypt',
        { KeyId: 'alias/securestore-test-1', Plaintext: b64(new Array<number>(4097).fill(1)) },
        error(
          'ValidationException',
          "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096",
        ),
      ],
      [
        'Encrypt',
        { KeyId: 'alias/securestore-test-1', Plaintext: b64([1]), EncryptionContext: { a: 1 } },
        error('SerializationException', 'Start of structure or map found where not expected.'),
      ],
      [
        'Encrypt',
        {
          KeyId: 'alias/securestore-test-1',
          Plaintext: b64([1]),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        },
        error(
          'InvalidKeyUsageException',
          'You cannot use the encryption algorithm RSAES_OAEP_SHA_256 with a symmetric encryption KMS key.',
        ),
      ],
      [
        'Encrypt',
        { KeyId: 'not-a-key', Plaintext: b64([1]) },
        error('NotFoundException', 'Invalid keyId not-a-key'),
      ],
      ['Decrypt', { CiphertextBlob: b64([1, 2, 3]) }, error('InvalidCiphertextException')],
      [
        'Decrypt',
        { CiphertextBlob: b64(new Array<number>(60).fill(1)) },
        error('InvalidCiphertextException'),
      ],
      [
        'GenerateDataKey',
        { KeyId: 'alias/securestore-test-1', KeySpec: 'AES_256', NumberOfBytes: 32 },
        error('ValidationException', 'Please specify either number of bytes or key spec.'),
      ],
      [
        'GenerateDataKey',
        { KeyId: 'alias/securestore-test-1', NumberOfBytes: 1025 },
        error(
          'ValidationException',
          "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024",
        ),
      ],
      [
        'CreateAlias',
        { AliasName: 'alias/aws/mine', TargetKeyId: 'alias/securestore-test-1' },
        error(
          'InvalidAliasNameException',
          `Alias arn:aws:kms:us-east-1:${ACCOUNT_ID}:alias/aws/mine cannot begin with alias/aws/.`,
        ),
      ],
      [
        'CreateAlias',
        { AliasName: 'alias/x', TargetKeyId: 'alias/securestore-test-1' },
        error('ValidationException', 'Aliases must refer to keys. Not aliases'),
      ],
      ['ListKeys', {}, error('UnknownOperationException')],
    ];
    for (const [operation, body, expected] of cases) {
      expect(await call(operation, body), `${operation} ${JSON.stringify(body)}`).toEqual(expected);
    }
  });

  it('refuses a credential scope that is not a region and kms', async () => {
    for (const scope of [
      'AWS4-HMAC-SHA256 Credential=AKID/20261123/nowhere/kms/aws4_request, SignedHeaders=host, Signature=' +
        '0'.repeat(64),
      'AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=' +
        '0'.repeat(64),
    ]) {
      expect(
        await call('DescribeKey', { KeyId: 'alias/securestore-test-1' }, { Authorization: scope }),
      ).toEqual(
        error(
          'InvalidSignatureException',
          "Credential should be scoped to a valid region and to the service 'kms'.",
        ),
      );
    }
  });

  it('answers 404 off the KMS path and names a bad control action', async () => {
    const off = await fetch(`${server.url}/other`, { method: 'POST', body: '{}' });
    expect([off.status, await off.json()]).toEqual([404, { message: 'Not Found' }]);
    const bad = await fetch(`${server.url}/__control/explode`, { method: 'POST', body: '{}' });
    expect([bad.status, await bad.json()]).toEqual([
      400,
      { error: 'unknown control action explode' },
    ]);
    const get = await fetch(`${server.url}/__control/counts`);
    expect([get.status, await get.json()]).toEqual([405, { error: 'use POST' }]);
  });

  it('counts requests per operation, including refused ones', async () => {
    await control.resetCounts();
    await call('DescribeKey', { KeyId: 'alias/securestore-test-1' });
    await call('DescribeKey', { KeyId: 'alias/nope' });
    await call('Decrypt', { CiphertextBlob: b64([1]) }, { Authorization: '' });
    expect(await control.counts()).toEqual({ DescribeKey: 2, Decrypt: 1 });
    expect(await control.counts({ key: 'alias/securestore-test-1' })).toEqual({ DescribeKey: 1 });
  });

  it('treats wire names such as "__proto__" and "constructor" as plain names', async () => {
    // Raw JSON: a JS object literal would turn "__proto__" into a prototype.
    const encrypted = await call(
      'Encrypt',
      `{"KeyId":"alias/securestore-test-1","Plaintext":"AQ==","EncryptionContext":{"__proto__":"x"}}`,
    );
    expect(encrypted.status).toBe(200);
    const blob = (JSON.parse(encrypted.body) as { CiphertextBlob: string }).CiphertextBlob;
    expect(await call('Decrypt', { CiphertextBlob: blob })).toEqual(
      error('InvalidCiphertextException'),
    );
    const decrypted = await call(
      'Decrypt',
      `{"CiphertextBlob":"${blob}","EncryptionContext":{"__proto__":"x"}}`,
    );
    expect(decrypted.status).toBe(200);
    expect((JSON.parse(decrypted.body) as { Plaintext: string }).Plaintext).toBe('AQ==');

    await control.resetCounts();
    expect(await call('constructor', {})).toEqual(error('UnknownOperationException'));
    expect(await call('__proto__', {})).toEqual(error('UnknownOperationException'));
    const counts = await fetch(`${server.url}/__control/counts`, { method: 'POST', body: '{}' });
    expect(await counts.text()).toBe('{"constructor":1,"__proto__":1}');
  });

  it('answers an injected error with the given message, then serves the request', async () => {
    const { arn } = await control.createKey({ alias: 'alias/wire-fault' });
    await control.fault({
      key: 'alias/wire-fault',
      error: 'LimitExceededException',
      message: 'too many',
      times: 1,
    });
    expect(await call('DescribeKey', { KeyId: arn })).toEqual(
      error('LimitExceededException', 'too many'),
    );
    const served = await call('DescribeKey', { KeyId: arn });
    expect(served.status).toBe(200);
    expect((JSON.parse(served.body) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn).toBe(arn);
  });
});

describe('hostile input (properties)', () => {
  const OPERATIONS = [
    'Encrypt',
    'Decrypt',
    'GenerateDataKey',
    'GenerateDataKeyWithoutPlaintext',
    'ReEncrypt',
    'DescribeKey',
    'CreateAlias',
    'ListAliases',
  ];
  const field = fc.oneof(
    fc.constantFrom('KeyId', 'Plaintext', 'CiphertextBlob', 'EncryptionContext', 'KeySpec'),
    fc.constantFrom('NumberOfBytes', 'DestinationKeyId', 'SourceKeyId', 'AliasName', 'TargetKeyId'),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('alias/securestore-test-1', 'AES_256', 'AQID', '', 'alias/aws/x'),
    fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')),
  );

  it('answers any JSON body with 200 or an AWS-shaped 4xx error, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...OPERATIONS),
        fc.dictionary(field, value, { maxKeys: 5 }),
        async (operation, body) => {
          const reply = await call(operation, body);
          expect(reply.contentType).toBe('application/x-amz-json-1.1');
          if (reply.status === 200) return;
          expect(reply.status).toBe(400);
          const parsed = JSON.parse(reply.body) as Record<string, unknown>;
          expect(Object.keys(parsed).filter((k) => k !== 'message')).toEqual(['__type']);
          expect(parsed['__type']).toMatch(/^[A-Za-z]+Exception$/);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers any random ciphertext blob with InvalidCiphertextException', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (blob) => {
        expect(
          await call('Decrypt', { CiphertextBlob: Buffer.from(blob).toString('base64') }),
        ).toEqual(error('InvalidCiphertextException'));
      }),
      { numRuns: 100 },
    );
  });
});

describe('closing', () => {
  it('closes promptly with a request held by a delay fault; the client sees the connection end', async () => {
    const doomed = await startKmsServer();
    const doomedControl = kmsControlAt(doomed.url);
    await doomedControl.fault({ delayMs: 600_000 });
    const pending = fetch(`${doomed.url}/`, {
      method: 'POST',
      headers: {
        'X-Amz-Target': 'TrentService.DescribeKey',
        Authorization: authorization(),
      },
      body: JSON.stringify({ KeyId: 'alias/securestore-test-1' }),
      signal: AbortSignal.timeout(30_000),
    }).then(
      () => 'answered',
      (e: unknown) => (e instanceof Error ? e.name : 'rejected'),
    );
    while (((await doomedControl.counts())['DescribeKey'] ?? 0) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await doomed.close();
    expect(await pending).toBe('TypeError');
  });
});
