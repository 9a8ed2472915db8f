/**
 * Vitest globalSetup: starts one KMS test server for the whole run and gives its URL to the test
 * workers in `SECURESTORE_KMS_LOCAL_ENDPOINT`. Nothing starts when `SECURESTORE_TEST_KMS_ENDPOINT`
 * names an external KMS-compatible endpoint (see docs/kms-test-server.md); then the two test keys
 * must be named too, and the run stops at once if they are not.
 */
import { startKmsServer } from './server.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env['SECURESTORE_TEST_KMS_ENDPOINT']) {
    const missing = ['SECURESTORE_TEST_KMS_KEY', 'SECURESTORE_TEST_KMS_KEY2'].filter(
      (name) => !process.env[name],
    );
    if (missing.length > 0) {
      throw new Error(
        `SECURESTORE_TEST_KMS_ENDPOINT is set but ${missing.join(' and ')} is not: name two existing symmetric KMS keys (see docs/kms-test-server.md)`,
      );
    }
    return undefined;
  }
  const server = await startKmsServer();
  process.env['SECURESTORE_KMS_LOCAL_ENDPOINT'] = server.url;
  return async () => {
    delete process.env['SECURESTORE_KMS_LOCAL_ENDPOINT'];
    await server.close();
  };
}
