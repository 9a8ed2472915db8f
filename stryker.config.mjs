// Mutation testing of the core (issue 14 item 18): `npm run mutate`, not part of `npm test`.
// Survivors that are equivalent mutants are listed, with the reason, in test/README.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // live: each result to reports/mutation/live.jsonl as it comes (test/helpers/stryker-live-reporter.mjs).
  plugins: ['@stryker-mutator/vitest-runner', './test/helpers/stryker-live-reporter.mjs'],
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  mutate: ['src/crypto/**/*.ts', 'src/format/**/*.ts', 'src/vault/**/*.ts'],
  coverageAnalysis: 'perTest',
  // The machine is shared: one test runner at a time (override with --concurrency; two runs over
  // different parts side by side need their own tempDirName and report files, test/README.md).
  concurrency: 1,
  // Added to 1.5 × a test's time before a mutant counts as timed out (one that loops forever).
  timeoutMS: 10_000,
  // A static mutant (a module-level constant) reruns every test: ignored, and counted as such.
  ignoreStatic: true,
  reporters: ['clear-text', 'progress', 'html', 'json', 'live'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 95, low: 90, break: null },
};
