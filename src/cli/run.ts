/** The real process's entry point, used by bin/ssclient.js. */
import { processIo } from './io.js';
import { main } from './main.js';

export function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  // The AWS SDK warns on stderr that its 2027 releases will need Node 22: not something a user of
  // ssclient can act on, and it would break "one line per error". Library users still see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return main(argv, processIo());
}
