import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One local KMS test server for the run (test/kms-server/server.ts).
    globalSetup: ['test/kms-server/global-setup.ts'],
  },
});
