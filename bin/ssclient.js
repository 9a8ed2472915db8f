#!/usr/bin/env node
// The ssclient command: all logic lives in src/cli (compiled to dist/cli).
import { run } from '../dist/cli/entry.js';

process.exitCode = await run();
