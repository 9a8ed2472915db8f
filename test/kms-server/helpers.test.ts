/**
 * test/helpers/kms.ts and the shared server started by global-setup.ts: what `kmsTarget()` gives,
 * that its `env` is enough for a child process using the SDK's default chains, and `kmsControl`.
 * Faults and counts here are scoped to keys this file creates (other files share the server).
 */
import {
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  KMSServiceException,
} from '@aws-sdk/client-kms';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kmsControl, kmsTarget } from '../helpers/kms.js';
import { TEST_CREDENTIALS } from './server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const target = kmsTarget();

function client(): KMSClient {
  return new KMSClient({
    endpoint: target.endpoint,
    region: target.region,
    credentials: {
      accessKeyId: target.env['AWS_ACCESS_KEY_ID'] ?? '',
      secretAccessKey: target.env['AWS_SECRET_ACCESS_KEY'] ?? '',
    },
  });
}

/** A child process that finds endpoint, region and credentials only through the environment. */
const CHILD = `
import { KMSClient, EncryptCommand, DecryptCommand } from '@aws-sdk/client-kms';
const kms = new KMSClient({});
const enc = await kms.send(new EncryptCommand({ KeyId: process.argv[1], Plaintext: Buffer.from('child') }));
const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
console.log(enc.KeyId, Buffer.from(dec.Plaintext).toString());
`;

describe('kmsTarget', () => {
  it.skipIf(!target.local)('names the shared local server', () => {
    const endpoint = process.env['SECURESTORE_KMS_LOCAL_ENDPOINT'] ?? '';
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(target).toEqual({
      endpoint,
      region: 'us-east-1',
      key1: 'alias/securestore-test-1',
      key2: 'alias/securestore-test-2',
      local: true,
      env: {
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_KMS: endpoint,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_CONFIG_FILE: expect.stringContaining('securestore-test-no-aws-config-file'),
        AWS_SHARED_CREDENTIALS_FILE: expect.stringContaining('securestore-test-no-aws-config-file'),
      },
    });
  });

  it('gives child processes all they need through env (SDK default chains), and a quiet stderr', async () => {
    const { KeyMetadata } = await client().send(new DescribeKeyCommand({ KeyId: target.key1 }));
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, target.key1], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...target.env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({
      status: 0,
      stdout: `${KeyMetadata?.Arn ?? ''} child\n`,
      stderr: '',
    });
  });
});

describe.skipIf(!target.local)('kmsControl on the shared server', () => {
  it('creates a key, scopes a fault and the counts to it', async () => {
    const kms = client();
    // A fresh alias each run: in watch mode the shared server outlives a run of this file.
    const alias = `alias/helpers-test-${randomUUID()}`;
    const { keyId, arn } = await kmsControl.createKey({ alias });
    expect(arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    await kmsControl.fault({
      key: arn,
      operation: 'Encrypt',
      error: 'AccessDeniedException',
      times: 1,
    });
    const denied = await kms
      .send(new EncryptCommand({ KeyId: alias, Plaintext: new Uint8Array([1]) }))
      .catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(KMSServiceException);
    expect((denied as KMSServiceException).name).toBe('AccessDeniedException');
    const ok = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array([1]) }));
    expect(ok.KeyId).toBe(arn);
    expect(await kmsControl.counts({ key: alias })).toEqual({ Encrypt: 2 });

    await kmsControl.setKeyState(arn, 'Disabled');
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: arn }));
    expect(KeyMetadata?.KeyState).toBe('Disabled');
    await kmsControl.setKeyState(arn, 'Enabled');
    expect(await kmsControl.counts({ key: arn })).toEqual({ Encrypt: 2, DescribeKey: 1 });
  });
});
