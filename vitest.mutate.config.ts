/**
 * The tests `npm run mutate` runs against each mutant (stryker.config.mjs): the unit, vector and
 * property tests of src/crypto, src/format and src/vault. No KMS server, no CLI processes.
 * `fast-check` is aliased to test/helpers/fast-check-mutate.ts, which caps every property's
 * runs, and a setup file answers a PBKDF2 derivation made before from a cache on disk
 * (test/README.md, "Mutation testing", says why and what it costs).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^fast-check$/,
        replacement: fileURLToPath(new URL('./test/helpers/fast-check-mutate.ts', import.meta.url)),
      },
    ],
  },
  test: {
    // MUTATE_FORMAT_TESTS=1: only the tests of the codecs themselves, for a run over src/format
    // (test/README.md says why and what it leaves out).
    include:
      process.env.MUTATE_FORMAT_TESTS === '1'
        ? [
            'test/crypto/**/*.test.ts',
            'test/format/**/*.test.ts',
            'test/vectors/reference-vectors.test.ts',
            'test/vault/fuzz.property.test.ts',
            'test/vault/arbitrary-input.property.test.ts',
            'test/vault/round-trip.property.test.ts',
            // format/vault-index.ts through its one user, openVaultForOneSecret, against fromFile.
            'test/vault/secrets-manager-one-secret.property.test.ts',
          ]
        : [
            'test/crypto/**/*.test.ts',
            'test/format/**/*.test.ts',
            'test/vault/**/*.test.ts',
            'test/vectors/**/*.test.ts',
          ],
    // MUTATE_SKIP_CLI_VECTORS=1 leaves out the CLI's output vectors (test/README.md says when).
    exclude:
      process.env.MUTATE_SKIP_CLI_VECTORS === '1'
        ? ['**/node_modules/**', 'test/vectors/cli-output.test.ts']
        : ['**/node_modules/**'],
    setupFiles: ['test/helpers/pbkdf2-cache-mutate.ts'],
    // Read by the few tests too slow under Stryker's instrumentation to run for each mutant (a
    // 256 MiB scan); `npm test` runs them (test/README.md, "Mutation testing").
    env: { SECURESTORE_MUTATION_RUN: '1' },
    // Each test file loads the vault code once per worker, not once per file: Stryker reruns a
    // mutant's covering files, and re-importing the code for each of them was half of a run.
    // The mutant switch is read at run time, so it needs no fresh module.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
