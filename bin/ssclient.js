#!/usr/bin/env node
// The ssclient command: all logic lives in src/cli (compiled to dist/cli). V8's compile cache,
// where this Node has one (22.1 and later), spares compiling the same modules on every run; a
// password's key derivation starts before the rest loads (src/cli/early-key.ts).
import module from 'node:module';

module.enableCompileCache?.();
const { endEarlyKey, startEarlyKey } = await import('../dist/cli/early-key.js');
startEarlyKey(process.argv.slice(2));
const { run } = await import('../dist/cli/entry.js');
process.exitCode = await run();
endEarlyKey();
