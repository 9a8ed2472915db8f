/**
 * `fast-check` as the mutation run sees it (vitest.mutate.config.ts aliases `fast-check` here;
 * `npm test` never loads this file). Every property runs at most {@link MUTATE_NUM_RUNS} cases:
 * Stryker reruns each mutant's covering tests, and the suite's 1 000–5 000-run properties made a
 * run take hours. `fc.configureGlobal` cannot do this, since a property's own `numRuns` wins over
 * the global one. What the lower count costs is listed in test/README.md ("Mutation testing").
 */
import * as real from '../../node_modules/fast-check/lib/fast-check.js';

/** Cases per property in the mutation run (fast-check's default is 100). */
export const MUTATE_NUM_RUNS = 20;

type Assert = typeof real.assert;

const assert = ((property: Parameters<Assert>[0], params?: Parameters<Assert>[1]) =>
  real.assert(property, {
    ...params,
    numRuns: Math.min(params?.numRuns ?? 100, MUTATE_NUM_RUNS),
  })) as Assert;

export * from '../../node_modules/fast-check/lib/fast-check.js';
export { assert };
const fc: typeof real = { ...real, assert };
export default fc;
