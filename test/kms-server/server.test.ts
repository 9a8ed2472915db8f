/**
 * Protocol tests: the real `@aws-sdk/client-kms` over HTTP against test/kms-server/server.ts.
 *
 * Locally every test here starts its own private server (`startKmsServer`), so that its faults and
 * request counts never meet those of other test files using the shared server. With
 * SECURESTORE_TEST_KMS_ENDPOINT set, the tests that need no control API run against that endpoint
 * (`SECURESTORE_TEST_KMS_KEY` / `SECURESTORE_TEST_KMS_KEY2`) and the rest are skipped.
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisabledException,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  type KMSClientConfig,
  KMSInvalidStateException,
  KMSServiceException,
  ListAliasesCommand,
  NotFoundException,
  ReEncryptCommand,
  AlreadyExistsException,
  ScheduleKeyDeletionCommand,
  CancelKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsControlAt, kmsTarget, type KmsControl } from '../helpers/kms.js';
import { ACCOUNT_ID, startKmsServer, TEST_CREDENTIALS, type KmsServer } from './server.js';

const target = kmsTarget();
const local = target.local;
const ARN_RE = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):key\/([0-9a-f-]{36})$/;

/** Where this file's requests go: a private server locally, else the external endpoint. */
let server: KmsServer | undefined;
let endpoint = target.endpoint;
let control: KmsControl;

beforeAll(async () => {
  if (local) {
    server = await startKmsServer();
    endpoint = server.url;
    control = kmsControlAt(server.url);
  }
});

afterAll(async () => {
  await server?.close();
});

function client(config: Partial<KMSClientConfig> = {}): KMSClient {
  return new KMSClient({
    endpoint,
    region: target.region,
    credentials: {
      accessKeyId: target.env['AWS_ACCESS_KEY_ID'] ?? TEST_CREDENTIALS.accessKeyId,
      secretAccessKey: target.env['AWS_SECRET_ACCESS_KEY'] ?? TEST_CREDENTIALS.secretAccessKey,
    },
    ...config,
  });
}

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function keyArn(kms: KMSClient, keyId: string): Promise<string> {
  const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
  return KeyMetadata?.Arn ?? '';
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('Encrypt / Decrypt', () => {
  it('round-trips the plaintext and names the key by its ARN', async () => {
    const kms = client();
    const arn = await keyArn(kms, target.key1);
    expect(arn).toMatch(ARN_RE);
    const plaintext = bytes(0, 1, 2, 253, 254, 255);
    const context = { purpose: 'securestore-test', vault: 'secrets.json' };
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: target.key1, Plaintext: plaintext, EncryptionContext: context }),
    );
    expect(encrypted.KeyId).toBe(arn);
    expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    expect(encrypted.CiphertextBlob).toBeInstanceOf(Uint8Array);
    expect(encrypted.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // Encryption is randomised: the same plaintext and context give another blob.
    const again = await kms.send(
      new EncryptCommand({ KeyId: target.key1, Plaintext: plaintext, EncryptionContext: context }),
    );
    expect(
      Buffer.from(again.CiphertextBlob ?? []).equals(Buffer.from(encrypted.CiphertextBlob ?? [])),
    ).toBe(false);

    // Without KeyId: the blob names its key. Context pairs in another order are the same context.
    const decrypted = await kms.send(
      new DecryptCommand({
        CiphertextBlob: encrypted.CiphertextBlob,
        EncryptionContext: { vault: 'secrets.json', purpose: 'securestore-test' },
      }),
    );
    expect(decrypted.Plaintext).toEqual(plaintext);
    expect(decrypted.KeyId).toBe(arn);
    expect(decrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
  });

  it('accepts the key as alias name, alias ARN, key id and key ARN', async () => {
    const kms = client();
    const arn = await keyArn(kms, target.key1);
    const [, region, account, keyId] = ARN_RE.exec(arn) ?? [];
    expect(region).toBe(target.region);
    const forms = [arn, keyId ?? ''];
    if (target.key1.startsWith('alias/')) {
      forms.push(target.key1, `arn:aws:kms:${region}:${account}:${target.key1}`);
    }
    for (const form of forms) {
      const encrypted = await kms.send(new EncryptCommand({ KeyId: form, Plaintext: bytes(7) }));
      expect(encrypted.KeyId).toBe(arn);
      const decrypted = await kms.send(
        new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: form }),
      );
      expect(decrypted.Plaintext).toEqual(bytes(7));
      expect(decrypted.KeyId).toBe(arn);
    }
  });

  it('round-trips any plaintext of 1..4096 bytes under any context (property)', async () => {
    const kms = client();
    const contextArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string(), {
      maxKeys: 4,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 4096 }),
        contextArb,
        async (plaintext, context) => {
          const encrypted = await kms.send(
            new EncryptCommand({
              KeyId: target.key1,
              Plaintext: plaintext,
              EncryptionContext: context,
            }),
          );
          const reversed = Object.fromEntries(Object.entries(context).reverse());
          const decrypted = await kms.send(
            new DecryptCommand({
              CiphertextBlob: encrypted.CiphertextBlob,
              EncryptionContext: reversed,
            }),
          );
          expect(decrypted.Plaintext).toEqual(plaintext);
        },
      ),
      { numRuns: local ? 40 : 5 },
    );
  });

  it('refuses a missing, extra or changed context pair with InvalidCiphertextException', async () => {
    const kms = client();
    const context = { purpose: 'securestore-test', vault: 'a.json' };
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({
        KeyId: target.key1,
        Plaintext: bytes(1, 2),
        EncryptionContext: context,
      }),
    );
    const wrongContexts = [
      undefined,
      {},
      { purpose: 'securestore-test' },
      { ...context, extra: 'x' },
      { ...context, vault: 'b.json' },
      { purpose: 'securestore-test', VAULT: 'a.json' },
    ];
    for (const wrong of wrongContexts) {
      const error = await rejection(
        kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: wrong })),
      );
      expect(error).toBeInstanceOf(InvalidCiphertextException);
      expect((error as InvalidCiphertextException).name).toBe('InvalidCiphertextException');
      expect((error as InvalidCiphertextException).$metadata.httpStatusCode).toBe(400);
    }
  });

  it('refuses a ciphertext with any byte changed, never returning other plaintext', async () => {
    const kms = client();
    const { CiphertextBlob = new Uint8Array() } = await kms.send(
      new EncryptCommand({ KeyId: target.key1, Plaintext: bytes(9, 8, 7, 6) }),
    );
    const positions = local
      ? CiphertextBlob.map((_, i) => i)
      : [0, CiphertextBlob.length >> 1, CiphertextBlob.length - 1];
    for (const position of positions) {
      const tampered = Uint8Array.from(CiphertextBlob);
      tampered[position] = (tampered[position] ?? 0) ^ 0x01;
      const error = await rejection(kms.send(new DecryptCommand({ CiphertextBlob: tampered })));
      expect(error, `byte ${position}`).toBeInstanceOf(InvalidCiphertextException);
    }
  });

  it('answers IncorrectKeyException when KeyId names another key than the blob', async () => {
    const kms = client();
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: target.key1, Plaintext: bytes(5) }),
    );
    const error = await rejection(
      kms.send(new DecryptCommand({ CiphertextBlob, KeyId: target.key2 })),
    );
    expect(error).toBeInstanceOf(IncorrectKeyException);
    expect((error as IncorrectKeyException).name).toBe('IncorrectKeyException');
  });

  it('answers NotFoundException for an unknown alias or key, naming it', async () => {
    const kms = client();
    const alias = await rejection(
      kms.send(
        new EncryptCommand({ KeyId: 'alias/securestore-no-such-alias', Plaintext: bytes(1) }),
      ),
    );
    expect(alias).toBeInstanceOf(NotFoundException);
    if (local) {
      expect((alias as Error).message).toBe(
        `Alias arn:aws:kms:us-east-1:${ACCOUNT_ID}:alias/securestore-no-such-alias is not found.`,
      );
      const id = '00000000-0000-4000-8000-000000000000';
      const key = await rejection(kms.send(new EncryptCommand({ KeyId: id, Plaintext: bytes(1) })));
      expect(key).toBeInstanceOf(NotFoundException);
      expect((key as Error).message).toBe(
        `Key 'arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/${id}' does not exist`,
      );
    }
  });
});

describe('GenerateDataKey and ReEncrypt', () => {
  it('generates a 32-byte data key that Decrypt gives back', async () => {
    const kms = client();
    const arn = await keyArn(kms, target.key1);
    const context = { purpose: 'data-key' };
    const generated = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: target.key1,
        KeySpec: 'AES_256',
        EncryptionContext: context,
      }),
    );
    expect(generated.KeyId).toBe(arn);
    expect(generated.Plaintext?.length).toBe(32);
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }),
    );
    expect(decrypted.Plaintext).toEqual(generated.Plaintext);

    const sized = await kms.send(
      new GenerateDataKeyCommand({ KeyId: target.key1, NumberOfBytes: 64 }),
    );
    expect(sized.Plaintext?.length).toBe(64);

    const withoutPlaintext = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: target.key1, KeySpec: 'AES_128' }),
    );
    expect(withoutPlaintext).not.toHaveProperty('Plaintext');
    const opened = await kms.send(
      new DecryptCommand({ CiphertextBlob: withoutPlaintext.CiphertextBlob }),
    );
    expect(opened.Plaintext?.length).toBe(16);
  });

  it('refuses GenerateDataKey without KeySpec or NumberOfBytes (ValidationException)', async () => {
    const error = await rejection(
      client().send(new GenerateDataKeyCommand({ KeyId: target.key1 })),
    );
    expect(error).toBeInstanceOf(KMSServiceException);
    expect((error as KMSServiceException).name).toBe('ValidationException');
    expect((error as KMSServiceException).$metadata.httpStatusCode).toBe(400);
  });

  it('re-encrypts under another key and context', async () => {
    const kms = client();
    const [arn1, arn2] = [await keyArn(kms, target.key1), await keyArn(kms, target.key2)];
    expect(arn1).not.toBe(arn2);
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({
        KeyId: target.key1,
        Plaintext: bytes(4, 2),
        EncryptionContext: { a: '1' },
      }),
    );
    const moved = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob,
        SourceEncryptionContext: { a: '1' },
        DestinationKeyId: target.key2,
        DestinationEncryptionContext: { b: '2' },
      }),
    );
    expect(moved.SourceKeyId).toBe(arn1);
    expect(moved.KeyId).toBe(arn2);
    expect(moved.SourceEncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    expect(moved.DestinationEncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { b: '2' } }),
    );
    expect(decrypted.Plaintext).toEqual(bytes(4, 2));
    expect(decrypted.KeyId).toBe(arn2);
    const oldContext = await rejection(
      kms.send(
        new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { a: '1' } }),
      ),
    );
    expect(oldContext).toBeInstanceOf(InvalidCiphertextException);
    const wrongSource = await rejection(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob,
          SourceKeyId: target.key2,
          SourceEncryptionContext: { a: '1' },
          DestinationKeyId: target.key2,
        }),
      ),
    );
    expect(wrongSource).toBeInstanceOf(IncorrectKeyException);
  });
});

describe.skipIf(!local)('key management (local server)', () => {
  it('describes a key as AWS does', async () => {
    const kms = client();
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: target.key2 }));
    const [, region, account, keyId] = ARN_RE.exec(KeyMetadata?.Arn ?? '') ?? [];
    expect([region, account]).toEqual(['us-east-1', ACCOUNT_ID]);
    expect(KeyMetadata).toEqual({
      AWSAccountId: ACCOUNT_ID,
      KeyId: keyId,
      Arn: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/${keyId}`,
      CreationDate: expect.any(Date),
      Enabled: true,
      Description: 'securestore test key alias/securestore-test-2',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    });
  });

  it('creates keys and aliases, lists aliases, refuses a duplicate alias', async () => {
    const kms = client();
    const created = await kms.send(new CreateKeyCommand({ Description: 'made by a test' }));
    const arn = created.KeyMetadata?.Arn ?? '';
    const keyId = created.KeyMetadata?.KeyId ?? '';
    expect(arn).toBe(`arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/${keyId}`);
    expect(created.KeyMetadata?.Description).toBe('made by a test');

    await kms.send(new CreateAliasCommand({ AliasName: 'alias/made-by-test', TargetKeyId: keyId }));
    const viaAliasArn = await kms.send(
      new EncryptCommand({
        KeyId: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:alias/made-by-test`,
        Plaintext: bytes(3),
      }),
    );
    expect(viaAliasArn.KeyId).toBe(arn);

    const listed = await kms.send(new ListAliasesCommand({ KeyId: arn }));
    expect(listed.Aliases?.map((a) => [a.AliasName, a.AliasArn, a.TargetKeyId])).toEqual([
      ['alias/made-by-test', `arn:aws:kms:us-east-1:${ACCOUNT_ID}:alias/made-by-test`, keyId],
    ]);
    const all = await kms.send(new ListAliasesCommand({}));
    expect(all.Aliases?.map((a) => a.AliasName)).toEqual([
      'alias/made-by-test',
      'alias/securestore-test-1',
      'alias/securestore-test-2',
    ]);

    const duplicate = await rejection(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/made-by-test', TargetKeyId: arn })),
    );
    expect(duplicate).toBeInstanceOf(AlreadyExistsException);
    expect((duplicate as Error).message).toBe(
      `An alias with the name arn:aws:kms:us-east-1:${ACCOUNT_ID}:alias/made-by-test already exists`,
    );
  });

  it('refuses a disabled key (DisabledException) and a key pending deletion (KMSInvalidStateException)', async () => {
    const kms = client();
    const { arn } = await control.createKey({ alias: 'alias/state-test' });
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: 'alias/state-test', Plaintext: bytes(1) }),
    );

    await control.setKeyState('alias/state-test', 'Disabled');
    for (const request of [
      kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) })),
      kms.send(new DecryptCommand({ CiphertextBlob })),
    ]) {
      const error = await rejection(request);
      expect(error).toBeInstanceOf(DisabledException);
      expect((error as Error).message).toBe(`${arn} is disabled.`);
    }
    const disabled = await kms.send(new DescribeKeyCommand({ KeyId: arn }));
    expect([disabled.KeyMetadata?.KeyState, disabled.KeyMetadata?.Enabled]).toEqual([
      'Disabled',
      false,
    ]);

    await control.setKeyState(arn, 'PendingDeletion');
    const pending = await rejection(kms.send(new DecryptCommand({ CiphertextBlob })));
    expect(pending).toBeInstanceOf(KMSInvalidStateException);
    expect((pending as Error).message).toBe(`${arn} is pending deletion.`);
    const described = await kms.send(new DescribeKeyCommand({ KeyId: arn }));
    expect(described.KeyMetadata?.KeyState).toBe('PendingDeletion');
    expect(described.KeyMetadata?.DeletionDate).toBeInstanceOf(Date);

    await control.setKeyState(arn, 'Enabled');
    const again = await kms.send(new DecryptCommand({ CiphertextBlob }));
    expect(again.Plaintext).toEqual(bytes(1));

    // The same through the KMS API itself.
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    expect(await rejection(kms.send(new DecryptCommand({ CiphertextBlob })))).toBeInstanceOf(
      DisabledException,
    );
    await kms.send(new EnableKeyCommand({ KeyId: arn }));
    expect((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext).toEqual(bytes(1));
  });

  it('follows the AWS key-state machine under any sequence of state calls (model-based)', async () => {
    type State = 'Enabled' | 'Disabled' | 'PendingDeletion';
    interface Model {
      state: State;
    }
    interface Real {
      kms: KMSClient;
      arn: string;
    }
    /** The error name a call must give, or undefined for success, and the state after it. */
    type Rule = (state: State) => [string | undefined, State];
    const pendingRefused =
      (next: State): Rule =>
      (state) =>
        state === 'PendingDeletion' ? ['KMSInvalidStateException', state] : [undefined, next];
    const RULES: Record<string, Rule> = {
      DisableKey: pendingRefused('Disabled'),
      EnableKey: pendingRefused('Enabled'),
      ScheduleKeyDeletion: pendingRefused('PendingDeletion'),
      CancelKeyDeletion: (state) =>
        state === 'PendingDeletion' ? [undefined, 'Disabled'] : ['KMSInvalidStateException', state],
      Encrypt: (state) =>
        state === 'Enabled'
          ? [undefined, state]
          : [state === 'Disabled' ? 'DisabledException' : 'KMSInvalidStateException', state],
    };
    const send = (real: Real, operation: string): Promise<unknown> => {
      const KeyId = real.arn;
      switch (operation) {
        case 'DisableKey':
          return real.kms.send(new DisableKeyCommand({ KeyId }));
        case 'EnableKey':
          return real.kms.send(new EnableKeyCommand({ KeyId }));
        case 'ScheduleKeyDeletion':
          return real.kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
        case 'CancelKeyDeletion':
          return real.kms.send(new CancelKeyDeletionCommand({ KeyId }));
        default:
          return real.kms.send(new EncryptCommand({ KeyId, Plaintext: bytes(1) }));
      }
    };
    class Call implements fc.AsyncCommand<Model, Real> {
      constructor(readonly operation: string) {}
      check(): boolean {
        return true;
      }
      async run(model: Model, real: Real): Promise<void> {
        const [expectedError, next] = RULES[this.operation]?.(model.state) ?? ['?', model.state];
        const error = await send(real, this.operation).then(
          () => undefined,
          (e: unknown) => (e as Error).name,
        );
        expect(error, `${this.operation} in ${model.state}`).toBe(expectedError);
        model.state = next;
        const { KeyMetadata } = await real.kms.send(new DescribeKeyCommand({ KeyId: real.arn }));
        expect(KeyMetadata?.KeyState).toBe(next);
        expect(KeyMetadata?.Enabled).toBe(next === 'Enabled');
        expect(KeyMetadata?.DeletionDate !== undefined).toBe(next === 'PendingDeletion');
      }
      toString(): string {
        return this.operation;
      }
    }
    const kms = client();
    await fc.assert(
      fc.asyncProperty(
        fc.commands(
          Object.keys(RULES).map((operation) => fc.constant(new Call(operation))),
          { maxCommands: 12 },
        ),
        async (commands) => {
          const { arn } = await control.createKey();
          await fc.asyncModelRun(
            () => ({ model: { state: 'Enabled' as State }, real: { kms, arn } }),
            commands,
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps regions apart: keys, aliases and ciphertexts', async () => {
    const east = client({ region: 'us-east-1' });
    const west = client({ region: 'eu-west-1' });
    const eastArn = await keyArn(east, 'alias/securestore-test-1');
    const westArn = await keyArn(west, 'alias/securestore-test-1');
    expect(eastArn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
    expect(westArn).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\//);
    expect(eastArn.split('/')[1]).not.toBe(westArn.split('/')[1]);

    const { CiphertextBlob } = await east.send(
      new EncryptCommand({ KeyId: 'alias/securestore-test-1', Plaintext: bytes(6) }),
    );
    const elsewhere = await rejection(west.send(new DecryptCommand({ CiphertextBlob })));
    expect(elsewhere).toBeInstanceOf(InvalidCiphertextException);
    const foreignArn = await rejection(
      west.send(new EncryptCommand({ KeyId: eastArn, Plaintext: bytes(6) })),
    );
    expect(foreignArn).toBeInstanceOf(NotFoundException);

    const { arn } = await control.createKey({ region: 'eu-west-1', alias: 'alias/west-only' });
    expect(arn).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\//);
    expect(
      (await west.send(new EncryptCommand({ KeyId: 'alias/west-only', Plaintext: bytes(1) })))
        .KeyId,
    ).toBe(arn);
    expect(
      await rejection(
        east.send(new EncryptCommand({ KeyId: 'alias/west-only', Plaintext: bytes(1) })),
      ),
    ).toBeInstanceOf(NotFoundException);
  });
});

describe.skipIf(!local)('faults and counts (local server)', () => {
  it('retries ThrottlingException and then succeeds; counts every attempt', async () => {
    const kms = client();
    const { arn } = await control.createKey();
    await control.resetCounts();
    await control.fault({ operation: 'Encrypt', key: arn, error: 'ThrottlingException', times: 2 });
    const result = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }));
    expect(result.KeyId).toBe(arn);
    expect(result.$metadata.attempts).toBe(3);
    expect(await control.counts()).toEqual({ Encrypt: 3 });
    expect(await control.counts({ key: arn })).toEqual({ Encrypt: 3 });
  });

  it('reports ThrottlingException when the retries run out', async () => {
    const kms = client({ maxAttempts: 2 });
    const { arn } = await control.createKey();
    await control.fault({ key: arn, error: 'ThrottlingException' });
    const error = await rejection(
      kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) })),
    );
    expect(error).toBeInstanceOf(KMSServiceException);
    expect((error as KMSServiceException).name).toBe('ThrottlingException');
    expect((error as KMSServiceException).message).toBe(
      'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
    );
    expect((error as KMSServiceException).$metadata.httpStatusCode).toBe(400);
    expect((error as KMSServiceException).$metadata.attempts).toBe(2);
    expect(await control.counts({ key: arn })).toEqual({ Encrypt: 2 });
  });

  it('does not retry AccessDeniedException, and a fault scoped to one key spares the others', async () => {
    const kms = client();
    const denied = await control.createKey();
    const other = await control.createKey();
    await control.fault({ operation: 'Decrypt', key: denied.arn, error: 'AccessDeniedException' });
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: denied.arn, Plaintext: bytes(2) }),
    );
    const error = await rejection(kms.send(new DecryptCommand({ CiphertextBlob })));
    expect(error).toBeInstanceOf(KMSServiceException);
    expect((error as KMSServiceException).name).toBe('AccessDeniedException');
    expect((error as KMSServiceException).message).toBe(
      `User: arn:aws:iam::${ACCOUNT_ID}:user/securestore-test is not authorized to perform: kms:Decrypt on resource: ${denied.arn} because no identity-based policy allows the kms:Decrypt action`,
    );
    expect((error as KMSServiceException).$metadata.attempts).toBe(1);
    expect(await control.counts({ key: denied.arn })).toEqual({ Encrypt: 1, Decrypt: 1 });

    const fine = await kms.send(new EncryptCommand({ KeyId: other.arn, Plaintext: bytes(2) }));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: fine.CiphertextBlob }));
    expect(opened.Plaintext).toEqual(bytes(2));
    await control.clearFaults();
    expect((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext).toEqual(bytes(2));
  });

  it('holds a request for delayMs: the SDK request timeout fires', async () => {
    // requestTimeout alone only logs a warning in this SDK: throwOnRequestTimeout makes it an error.
    const kms = client({
      maxAttempts: 1,
      // Long enough for the request to reach the server on a loaded machine.
      requestHandler: { requestTimeout: 1_000, throwOnRequestTimeout: true },
    });
    const { arn } = await control.createKey();
    await control.fault({ key: arn, delayMs: 60_000, times: 1 });
    const error = await rejection(
      // The abort signal only bounds the test if the timeout never fires.
      kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }), {
        abortSignal: AbortSignal.timeout(20_000),
      }),
    );
    expect((error as Error).name).toBe('TimeoutError');
    expect(await control.counts({ key: arn })).toEqual({ Encrypt: 1 });
    // The fault was used up: the next request is served (by a client without the short timeout).
    const ok = await client().send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }));
    expect(ok.KeyId).toBe(arn);
  });

  it('holds a request for delayMs: an AbortSignal cancels it', async () => {
    const kms = client();
    const { arn } = await control.createKey();
    await control.fault({ key: arn, delayMs: 60_000 });
    const abort = new AbortController();
    const pending = kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }), {
      abortSignal: abort.signal,
    });
    // Abort once the server holds the request (not after a guessed time).
    while ((await control.counts({ key: arn }))['Encrypt'] !== 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    abort.abort();
    const error = await rejection(pending);
    expect((error as Error).name).toBe('AbortError');
    expect(await control.counts({ key: arn })).toEqual({ Encrypt: 1 });
  });

  it('drops the connection: the SDK retries the reset and succeeds', async () => {
    const kms = client();
    const { arn } = await control.createKey();
    await control.fault({ key: arn, dropConnection: true, times: 1 });
    const result = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }));
    expect(result.$metadata.attempts).toBe(2);
    expect(await control.counts({ key: arn })).toEqual({ Encrypt: 2 });
  });

  it('injects KMSInternalException as HTTP 500 and the SDK retries it', async () => {
    const kms = client();
    const { arn } = await control.createKey();
    await control.fault({ key: arn, error: 'KMSInternalException', times: 1 });
    const result = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }));
    expect(result.$metadata.attempts).toBe(2);
  });

  it('answers a non-KMS body (a proxy page): retried on 502, reported as a SyntaxError with its status on 403', async () => {
    const kms = client();
    const { arn } = await control.createKey();
    await control.fault({ key: arn, rawBody: '<html>Bad Gateway</html>', times: 1 });
    const retried = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }));
    expect(retried.$metadata.attempts).toBe(2);

    await control.fault({ key: arn, rawBody: '<html>Forbidden</html>', status: 403 });
    const error = await rejection(
      kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) })),
    );
    // Not JSON: the SDK throws a SyntaxError carrying $metadata, not a KMS exception.
    expect(error).not.toBeInstanceOf(KMSServiceException);
    expect((error as Error).name).toBe('SyntaxError');
    expect((error as KMSServiceException).$metadata.httpStatusCode).toBe(403);
    expect((error as KMSServiceException).$metadata.attempts).toBe(1);
    expect(await control.counts({ key: arn })).toEqual({ Encrypt: 3 });
  });

  it('gives an injected error the status asked for (429 is retried as throttling)', async () => {
    const kms = client();
    const { arn } = await control.createKey();
    await control.fault({ key: arn, error: 'TooManyRequestsException', status: 429, times: 1 });
    const result = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: bytes(1) }));
    expect(result.$metadata.attempts).toBe(2);
  });

  it('serves many concurrent requests', async () => {
    const kms = client();
    const plaintexts = Array.from({ length: 40 }, (_, i) => bytes(i, i + 1, i + 2));
    const blobs = await Promise.all(
      plaintexts.map((Plaintext, i) =>
        kms.send(
          new EncryptCommand({
            KeyId: i % 2 === 0 ? target.key1 : target.key2,
            Plaintext,
            EncryptionContext: { i: String(i) },
          }),
        ),
      ),
    );
    const opened = await Promise.all(
      blobs.map((b, i) =>
        kms.send(
          new DecryptCommand({
            CiphertextBlob: b.CiphertextBlob,
            EncryptionContext: { i: String(i) },
          }),
        ),
      ),
    );
    expect(opened.map((o) => o.Plaintext)).toEqual(plaintexts);
  });

  it('reset clears faults, counts and key states', async () => {
    const kms = client();
    const { arn } = await control.createKey();
    await control.setKeyState(arn, 'Disabled');
    await control.fault({ operation: 'DescribeKey', error: 'AccessDeniedException' });
    await control.reset();
    expect(await control.counts()).toEqual({});
    const described = await kms.send(new DescribeKeyCommand({ KeyId: arn }));
    expect(described.KeyMetadata?.KeyState).toBe('Enabled');
    expect(await control.counts()).toEqual({ DescribeKey: 1 });
  });

  it('cannot be reached once closed (ECONNREFUSED, not a KMS exception)', async () => {
    const doomed = await startKmsServer();
    const config = { endpoint: doomed.url, region: 'us-east-1', credentials: TEST_CREDENTIALS };
    const before = new KMSClient(config);
    const first = await before.send(new DescribeKeyCommand({ KeyId: 'alias/securestore-test-1' }));
    expect(first.KeyMetadata?.KeyState).toBe('Enabled');
    await doomed.close();
    // A fresh client: the connection is refused. (A client that had a kept-alive connection may
    // first see ECONNRESET, which the SDK retries, then ECONNREFUSED.)
    const after = new KMSClient({ ...config, maxAttempts: 1 });
    const refused = await rejection(
      after.send(new DescribeKeyCommand({ KeyId: 'alias/securestore-test-1' })),
    );
    expect(refused).not.toBeInstanceOf(KMSServiceException);
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const retried = await rejection(
      before.send(new DescribeKeyCommand({ KeyId: 'alias/securestore-test-1' })),
    );
    expect((retried as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('refuses bad control requests with a message', async () => {
    const response = await fetch(`${endpoint}/__control/fault`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'Encrpyt', error: 'ThrottlingException' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'operation: unknown operation Encrpyt' });
    await expect(control.setKeyState('alias/nope', 'Disabled')).rejects.toThrow(
      'kmsControl.key-state: key: alias/nope not found in us-east-1',
    );
  });
});

describe.skipIf(!local)('authentication (local server)', () => {
  const body = JSON.stringify({ KeyId: 'alias/securestore-test-1' });
  const headers = {
    'Content-Type': 'application/x-amz-json-1.1',
    'X-Amz-Target': 'TrentService.DescribeKey',
  };

  it('refuses a request without a SigV4 Authorization header', async () => {
    const response = await fetch(`${endpoint}/`, { method: 'POST', headers, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('refuses a malformed Authorization header', async () => {
    const response = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: { ...headers, Authorization: 'Bearer abc' },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'IncompleteSignatureException',
      message:
        "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=Bearer",
    });
  });

  it('checks signatures made with the test credentials', async () => {
    const kms = client({
      credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' },
    });
    const error = await rejection(kms.send(new DescribeKeyCommand({ KeyId: target.key1 })));
    expect(error).toBeInstanceOf(KMSServiceException);
    expect((error as Error).name).toBe('InvalidSignatureException');
  });

  it('verifies the payload: a body changed after signing is refused', async () => {
    const kms = client();
    // After signing, swap "-1" for "-2" in the body (same length, so Content-Length still fits).
    type Handler = (args: { request: { body: Uint8Array } }) => Promise<unknown>;
    const tamper =
      (next: Handler): Handler =>
      async (args) => {
        const { buffer, byteOffset, byteLength } = args.request.body;
        const text = Buffer.from(buffer, byteOffset, byteLength).toString('utf8');
        args.request.body = Buffer.from(text.replace('securestore-test-1', 'securestore-test-2'));
        return next(args);
      };
    kms.middlewareStack.addRelativeTo(
      // The SDK's middleware types live in @smithy/types, which is not our dependency.
      tamper as unknown as Parameters<KMSClient['middlewareStack']['addRelativeTo']>[0],
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamperAfterSigning' },
    );
    const error = await rejection(
      kms.send(new DescribeKeyCommand({ KeyId: 'alias/securestore-test-1' })),
    );
    expect((error as Error).name).toBe('InvalidSignatureException');
    expect((error as Error).message).toBe(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  });

  it('verifies signatures that include a session token', async () => {
    const kms = client({ credentials: { ...TEST_CREDENTIALS, sessionToken: 'session-token' } });
    const described = await kms.send(new DescribeKeyCommand({ KeyId: target.key1 }));
    expect(described.KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('refuses access keys starting with AKIDINVALID and accepts other dummy keys', async () => {
    const invalid = client({
      credentials: { accessKeyId: 'AKIDINVALIDEXAMPLE', secretAccessKey: 'x' },
    });
    const error = await rejection(invalid.send(new DescribeKeyCommand({ KeyId: target.key1 })));
    expect((error as Error).name).toBe('UnrecognizedClientException');
    expect((error as Error).message).toBe('The security token included in the request is invalid.');
    const dummy = client({ credentials: { accessKeyId: 'AKIDANY', secretAccessKey: 'any' } });
    const described = await dummy.send(new DescribeKeyCommand({ KeyId: target.key1 }));
    expect(described.KeyMetadata?.KeyState).toBe('Enabled');
  });
});
