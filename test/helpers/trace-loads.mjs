// `node --import ./trace-loads.mjs …` with TRACE_LOADS_FILE set: every module the process
// resolves is listed in that file, one URL a line (test/cli/lazy-loading.test.ts).
import { register } from 'node:module';

register('./trace-loads-hooks.mjs', import.meta.url);
