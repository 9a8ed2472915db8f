/** The real process's entry point, used by bin/ssclient.js. */
import { processIo } from './io.js';
import { main } from './main.js';

export function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return main(argv, processIo());
}
