/** Protocol tests: the real @aws-sdk/client-kms over HTTP against test/kms-server/server.ts. */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { kmsTarget } from '../helpers/kms.js';

function client(): KMSClient {
  const t = kmsTarget();
  return new KMSClient({
    endpoint: t.endpoint,
    region: t.region,
    credentials: {
      accessKeyId: t.env['AWS_ACCESS_KEY_ID'] ?? '',
      secretAccessKey: t.env['AWS_SECRET_ACCESS_KEY'] ?? '',
    },
  });
}

describe('Encrypt / Decrypt', () => {
  it('round-trips bytes under the encryption context', async () => {
    const kms = client();
    const plaintext = new Uint8Array([1, 2, 3]);
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: kmsTarget().key1,
        Plaintext: plaintext,
        EncryptionContext: { a: 'b' },
      }),
    );
    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'b' } }),
    );
    expect(dec.Plaintext).toEqual(plaintext);
    expect(dec.KeyId).toBe(enc.KeyId);
  });
});
