/**
 * How many rounds a long harness (a crash or fuzz test of real processes) runs. `n` by default,
 * which is what `npm test` runs; `SSCLIENT_TEST_ROUNDS` (a fraction in (0, 1]) scales it down,
 * never below `min`. `.ci/run` sets it for the extra runs on Node 22 and 24, so the whole suite
 * runs there while the full counts (the ones the issues ask for) run on Node 20.
 */
export function rounds(n: number, min = 4): number {
  const raw = process.env.SSCLIENT_TEST_ROUNDS;
  if (raw === undefined || raw === '') return n;
  const scale = Number(raw);
  if (!(scale > 0 && scale <= 1)) {
    throw new Error(`SSCLIENT_TEST_ROUNDS must be a number in (0, 1], not ${JSON.stringify(raw)}`);
  }
  return Math.max(Math.min(min, n), Math.round(n * scale));
}
