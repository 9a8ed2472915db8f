// `node --import ./trace-loads.mjs …`: every module the process loads, by `import` or by
// `require`, is listed in $TRACE_LOADS_FILE (when set), one URL a line; and the packages named
// in $BLOCK_PACKAGES (comma-separated) cannot be loaded either way: loading one throws
// "blocked <name>" (test/cli/lazy-loading.test.ts, test/cli/entry.test.ts). bin/ssclient.js
// loads the CLI as one CommonJS file, which `require`s some packages and `import`s others.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { blockedBy } from './trace-loads-hooks.mjs';

register('./trace-loads-hooks.mjs', import.meta.url);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const blocked = blockedBy(request);
  if (blocked !== null) throw new Error(`blocked ${blocked}`);
  const file = resolveFilename.call(this, request, ...rest);
  if (process.env.TRACE_LOADS_FILE) {
    const url = file.startsWith('node:') || !file.startsWith('/') ? file : pathToFileURL(file).href;
    appendFileSync(process.env.TRACE_LOADS_FILE, `${url}\n`);
  }
  return file;
};
