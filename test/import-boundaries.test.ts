/**
 * The import-boundary check (.dependency-cruiser.cjs, run by `npm run lint`): it passes on the
 * tree, and it fails on a copy of the tree with a wrong-way import (keys/ naming a kms/ type,
 * which the layout forbids) and with an import cycle. Runs the real depcruise CLI.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Runs the check in `dir`: its exit code and its report. */
function check(dir: string): { code: number; out: string } {
  try {
    const out = execFileSync(
      process.execPath,
      [DEPCRUISE, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

describe('import boundaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'boundaries-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pass on the tree', { timeout: 120_000 }, () => {
    const res = check(ROOT);
    expect(res.out).toContain('no dependency violations found');
    expect(res.code).toBe(0);
  });

  it('fail on a wrong-way import and on a cycle', { timeout: 120_000 }, () => {
    for (const name of ['src', 'tsconfig.json', '.dependency-cruiser.cjs']) {
      cpSync(join(ROOT, name), join(dir, name), { recursive: true });
    }
    // keys/ may not name kms/, not even a type.
    writeFileSync(
      join(dir, 'src/keys/wrong-way.ts'),
      "import type { KmsOptions } from '../kms/options.js';\nexport type X = KmsOptions;\n",
    );
    // Two format/ modules that import each other.
    writeFileSync(
      join(dir, 'src/format/cycle-a.ts'),
      "import { b } from './cycle-b.js';\nexport const a = (): number => b() + 1;\n",
    );
    writeFileSync(
      join(dir, 'src/format/cycle-b.ts'),
      "import { a } from './cycle-a.js';\nexport const b = (): number => a() - 1;\n",
    );
    const res = check(dir);
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/error keys: src\/keys\/wrong-way\.ts → src\/kms\/options\.ts/);
    expect(res.out).toMatch(/error no-circular: src\/format\/cycle-[ab]\.ts →/);
    expect(res.out).toContain('2 dependency violations');
  });
});
