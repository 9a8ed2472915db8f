/**
 * Vitest globalSetup: starts one KMS test server for the whole run and gives its URL to the test
 * workers in `SECURESTORE_KMS_LOCAL_ENDPOINT`. Nothing starts when `SECURESTORE_TEST_KMS_ENDPOINT`
 * names an external KMS-compatible endpoint (see docs/kms-test-server.md).
 */
import { startKmsServer } from './server.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env['SECURESTORE_TEST_KMS_ENDPOINT']) return undefined;
  const server = await startKmsServer();
  process.env['SECURESTORE_KMS_LOCAL_ENDPOINT'] = server.url;
  return async () => {
    delete process.env['SECURESTORE_KMS_LOCAL_ENDPOINT'];
    await server.close();
  };
}
