#!/usr/bin/env node
/**
 * `node bench/seal-open.js` (after `npm run build`): the cost of the seal check on open
 * (spec/seal.md §5.2). Opens, gets one secret and closes, in one warm process, for: the
 * reference vector fixtures/vectors/09-thousand-secrets.json (unsealed, as the reference wrote
 * it), a generated 10 000-secret vault without a seal, and the same vault sealed. Prints the
 * median and the minimum of interleaved runs. Not a test: it asserts nothing.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

if (typeof globalThis.gc !== 'function') {
  v8.setFlagsFromString('--expose-gc');
  globalThis.gc = vm.runInNewContext('gc');
}

const { SecretsManager } = await import('../dist/index.js');
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 25;

const dir = mkdtempSync(join(os.tmpdir(), 'seal-bench-'));
try {
  const vectorKey = here('../fixtures/vectors/09-thousand-secrets.key');
  const vector = join(dir, '09.json');
  copyFileSync(here('../fixtures/vectors/09-thousand-secrets.json'), vector);

  const key = join(dir, 'k.key');
  const plain = join(dir, 'plain.json');
  const sealed = join(dir, 'sealed.json');
  const vault = await SecretsManager.create({ keyFile: vectorKey }, { seal: true });
  for (let i = 0; i < 10_000; i++) vault.set(`SECRET_${String(i).padStart(5, '0')}`, `value ${i}`);
  await vault.exportKey(key);
  if (typeof vault.seal === 'function') {
    await vault.saveAs(sealed);
    const doc = JSON.parse(readFileSync(sealed, 'utf8'));
    delete doc.seal;
    // The same vault as the reference would write it: no seal member (spec/format.md §5.1).
    writeFileSync(plain, JSON.stringify(doc, null, 2));
  } else {
    await vault.saveAs(plain);
  }
  vault.close();

  const cases = [
    ['09-thousand-secrets (1 000, unsealed)', vector, vectorKey, 'name0500'],
    ['generated 10 000, unsealed', plain, key, 'SECRET_05000'],
  ];
  if (typeof vault.seal === 'function') {
    cases.push(['generated 10 000, sealed', sealed, key, 'SECRET_05000']);
  }
  const names = JSON.parse(readFileSync(vector, 'utf8')).secrets;
  cases[0][3] = Object.keys(names)[500];

  const times = cases.map(() => []);
  for (let run = 0; run < RUNS + 3; run++) {
    for (const [i, [, path, keyFile, name]] of cases.entries()) {
      globalThis.gc();
      const t0 = performance.now();
      const v = await SecretsManager.fromFile(path, { keyFile });
      v.get(name);
      v.close();
      const ms = performance.now() - t0;
      if (run >= 3) times[i].push(ms);
    }
  }
  for (const [i, [label]] of cases.entries()) {
    const sorted = times[i].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `${label.padEnd(40)} open + get one: median ${median.toFixed(2)} ms, min ${sorted[0].toFixed(2)} ms (${sorted.length} runs)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
