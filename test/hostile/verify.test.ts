/**
 * `ssclient verify` over the hostile-input corpus (fixtures/hostile): every malformed vault is one
 * line naming it and exit 1, with and without a key; vaults that are well-formed but damaged pass
 * the structure-only check and fail the keyed one; bad key files are one error line. No secret in
 * any output, no file changed. In-process for the whole corpus, as a real process for a sample.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../helpers/cli.js';
import { FIXTURES, tempDir } from '../helpers/vaults.js';

const HOSTILE = join(FIXTURES, 'hostile');
const corpus = JSON.parse(readFileSync(join(HOSTILE, 'cases.json'), 'utf8')) as {
  valid: string;
  key: string;
  secrets: Record<string, string>;
  cases: { kind: 'vault' | 'key'; file: string; code: string; what: string; generated?: string }[];
};
const KEY_B64 = readFileSync(join(HOSTILE, corpus.key), 'utf8').split('\n')[1]!;
const SECRETS = [...Object.values(corpus.secrets), KEY_B64];
const STRUCTURAL = new Set(['ERR_VAULT_FORMAT', 'ERR_VAULT_VERSION']);

let t = { dir: '', cleanup: () => {} };
beforeAll(() => {
  t = tempDir('ssclient-verify-hostile-');
  copyFileSync(join(HOSTILE, corpus.key), join(t.dir, 'k.key'));
  copyFileSync(join(HOSTILE, corpus.valid), join(t.dir, 'valid.json'));
});
afterAll(() => t.cleanup());

const vaults = corpus.cases.filter((c) => c.kind === 'vault' && c.generated === undefined);
const keys = corpus.cases.filter((c) => c.kind === 'key' && c.generated === undefined);

function expectClean(out: string): void {
  for (const s of SECRETS) expect(out).not.toContain(s);
  expect(out).not.toMatch(/\n\s+at /);
}

describe('verify over the hostile vaults', () => {
  it('the valid vault of the corpus passes', async () => {
    const r = await runCli(['-s', 'valid.json', '-k', 'k.key', 'verify'], { cwd: t.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^valid\.json: ok \(\d+ secrets; the key opens it and every value decrypts\)\n$/,
    );
  });

  it.each(vaults.map((c) => [basename(c.file), c] as const))('%s', async (name, c) => {
    copyFileSync(join(HOSTILE, c.file), join(t.dir, name));
    const before = readFileSync(join(t.dir, name));
    const structural = STRUCTURAL.has(c.code);
    for (const argv of [['verify'], ['-k', 'k.key', 'verify']]) {
      const r = await runCli(['-s', name, ...argv], { cwd: t.dir });
      const keyed = argv.length > 1;
      expectClean(r.stdout + r.stderr);
      if (!structural && !keyed) {
        expect(r.code, c.what).toBe(0);
        continue;
      }
      expect(r.code, c.what).toBe(1);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith(name)).toBe(true);
      // One line per problem: a malformed file is one problem.
      if (structural) expect(r.stdout.split('\n')).toHaveLength(2);
    }
    expect(readFileSync(join(t.dir, name)).equals(before)).toBe(true);
  });
});

describe('verify with the hostile key files', () => {
  it.each(keys.map((c) => [basename(c.file), c] as const))('%s', async (name, c) => {
    copyFileSync(join(HOSTILE, c.file), join(t.dir, name));
    const r = await runCli(['-s', 'valid.json', '-k', name, 'verify'], { cwd: t.dir });
    expect(r.code, c.what).toBe(1);
    expectClean(r.stdout + r.stderr);
    const lines = (r.stdout + r.stderr).split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
  });
});

describe('verify over the hostile corpus as a real process', () => {
  const sample = [
    ...vaults.filter((c) => STRUCTURAL.has(c.code)).slice(0, 6),
    ...vaults.filter((c) => !STRUCTURAL.has(c.code)),
  ];
  it('gives the same answers as in-process', async () => {
    for (const c of sample) {
      const name = basename(c.file);
      copyFileSync(join(HOSTILE, c.file), join(t.dir, name));
      const argv = ['-s', name, '-k', 'k.key', 'verify'];
      const real = runProcess(argv, { cwd: t.dir });
      const inProcess = await runCli(argv, { cwd: t.dir });
      expect([real.code, real.stdout, real.stderr], c.what).toEqual([
        inProcess.code,
        inProcess.stdout,
        inProcess.stderr,
      ]);
      expect(real.code).toBe(1);
    }
  });
});
