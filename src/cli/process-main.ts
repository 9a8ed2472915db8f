/**
 * What bin/ssclient.js runs: the whole CLI is bundled from this module into one file,
 * dist/cli/ssclient.cjs (scripts/bundle-cli.js), so that a command loads one file instead of the
 * thirty-odd modules its fast path imports (docs/benchmarks.md, "The CLI").
 *
 * Only early-key.ts and what it imports run before the password's key derivation starts; the
 * rest of the CLI (entry.ts and, lazily, everything behind it) is imported after it, as its own
 * part of the bundle, so the derivation runs while that loads.
 */
import { endEarlyKey, startEarlyKey } from './early-key.js';

/** Runs the command line of this process: its exit code. */
export async function runProcess(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  void startEarlyKey(argv);
  try {
    const { run } = await import('./entry.js');
    return await run(argv);
  } finally {
    endEarlyKey();
  }
}
