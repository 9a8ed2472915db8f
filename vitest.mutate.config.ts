/**
 * The tests `npm run mutate` runs against each mutant (stryker.config.mjs): the unit, vector and
 * property tests of src/crypto, src/format and src/vault. No KMS server, no CLI processes.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/vectors/**/*.test.ts',
      'test/property/**/*.test.ts',
      'test/crypto/**/*.test.ts',
      'test/format/**/*.test.ts',
      'test/vault/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
