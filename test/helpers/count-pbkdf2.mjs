// `node --import ./count-pbkdf2.mjs …` with COUNT_PBKDF2_FILE set: every PBKDF2 call the process
// makes (node:crypto pbkdf2 or pbkdf2Sync) appends one line to that file, so a test can show how
// many key derivations a command did by counting, not timing (test/workflow/import.test.ts).
import crypto from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const file = process.env.COUNT_PBKDF2_FILE;
if (file) {
  for (const name of ['pbkdf2', 'pbkdf2Sync']) {
    const original = crypto[name];
    crypto[name] = function (...args) {
      appendFileSync(file, `${name}\n`);
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}
