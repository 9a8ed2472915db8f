#!/usr/bin/env node
// The ssclient command: all logic lives in src/cli, bundled into one file at build time
// (scripts/bundle-cli.js). V8's compile cache, where this Node has one (22.1 and later), spares
// compiling it on every run; a password's key derivation starts before most of it loads
// (src/cli/process-main.ts, src/cli/early-key.ts).
import module from 'node:module';

module.enableCompileCache?.();
const { runProcess } = module.createRequire(import.meta.url)('../dist/cli/ssclient.cjs');
process.exitCode = await runProcess();
