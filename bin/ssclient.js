#!/usr/bin/env node
// The ssclient command: all logic lives in src/cli (compiled to dist/cli). A password's key
// derivation starts before the rest loads (src/cli/early-key.ts).
import { endEarlyKey, startEarlyKey } from '../dist/cli/early-key.js';

startEarlyKey(process.argv.slice(2));
const { run } = await import('../dist/cli/entry.js');
process.exitCode = await run();
endEarlyKey();
