// spec/format.md §7 (what a reader must reject), §8 (no file changes on failure).
/**
 * The git drivers against the hostile-vault corpus (fixtures/hostile): git hands them whatever is
 * in the repository. The merge driver, given a malformed vault as any of its three inputs, gives
 * one error line naming the problem, a non-zero exit and no stack trace, and leaves %A (the file
 * git keeps) exactly as it was; the one exception is an empty base, which is how git says there
 * is no common ancestor (docs/git.md). The textconv driver must not break `git diff`: it prints
 * one `# not a SecureStore vault: …` line and then the file as it is, and exits 0.
 */
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-repo.js';
import { FIXTURES, tempDir } from '../helpers/vaults.js';

const HOSTILE = join(FIXTURES, 'hostile');
const corpus = JSON.parse(readFileSync(join(HOSTILE, 'cases.json'), 'utf8')) as {
  valid: string;
  cases: { kind: 'vault' | 'key'; file: string; code: string; what: string; generated?: string }[];
};
// The structurally bad vaults: the drivers read no key, so a tampered or foreign blob is not
// theirs to notice (a merge compares blobs as bytes). Sparse cases are made at test time by
// test/hostile (files over the size cap); the rest are in the corpus.
const vaults = corpus.cases.filter(
  (c) =>
    c.kind === 'vault' &&
    c.generated === undefined &&
    (c.code === 'ERR_VAULT_FORMAT' || c.code === 'ERR_VAULT_VERSION'),
);
const scratch = tempDir('hostile-git-');
afterAll(() => scratch.cleanup());

let counter = 0;
function place(source: string): string {
  counter += 1;
  const path = join(scratch.dir, `${counter}.json`);
  copyFileSync(join(HOSTILE, source), path);
  return path;
}

function oneErrorLine(stderr: string): void {
  expect(stderr).toMatch(/^error: [^\n]+\n/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('merge-driver and diff-text on hostile vaults', () => {
  it('has a corpus to run on', () => {
    expect(vaults.length).toBeGreaterThan(60);
  });

  it.each(vaults.map((c) => [c.what, c.file] as const))(
    'merge-driver refuses %s in any position and leaves %A as it was',
    async (_name, file) => {
      for (const position of [0, 1, 2]) {
        // An empty base is "no common ancestor": the merge goes ahead (docs/git.md).
        if (position === 0 && statSync(join(HOSTILE, file)).size === 0) continue;
        const paths = [0, 1, 2].map((i) => place(i === position ? file : corpus.valid));
        const ours = paths[1]!;
        const before = readFileSync(ours);
        const mode = statSync(ours).mode;
        const result = await runCli(['git', 'merge-driver', ...paths, 'secrets.json'], {
          cwd: scratch.dir,
        });
        expect(result.code, `${file} as input ${position}: ${result.stderr}`).not.toBe(0);
        oneErrorLine(result.stderr);
        expect(result.stdout).toBe('');
        expect(readFileSync(ours).equals(before)).toBe(true);
        expect(statSync(ours).mode).toBe(mode);
      }
    },
  );

  it.each(vaults.map((c) => [c.what, c.file] as const))(
    'diff-text shows %s as it is, under one line saying why, and exits 0',
    async (_name, file) => {
      const path = place(file);
      const before = readFileSync(path);
      const result = await runCli(['git', 'diff-text', path], { cwd: scratch.dir });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      if (before.length === 0) {
        expect(result.stdout).toBe('');
      } else {
        const header = `# not a SecureStore vault: `;
        expect(result.stdout.startsWith(header)).toBe(true);
        const firstLine = result.stdout.slice(0, result.stdout.indexOf('\n') + 1);
        expect(firstLine).toContain(path);
        const text = before.toString('utf8');
        expect(result.stdout).toBe(`${firstLine}${text}${text.endsWith('\n') ? '' : '\n'}`);
      }
      expect(readFileSync(path).equals(before)).toBe(true);
    },
  );
});

/**
 * `git check-staged` (docs/git.md "Pre-commit guard") with each hostile vault staged as the store:
 * git's index is what it reads, so whatever is staged must give one problem line naming the file,
 * exit 1, no stack trace, and leave the index and the work tree as they were.
 */
describe('check-staged on hostile vaults', () => {
  it('refuses each one staged as the store, in one line naming it', async () => {
    const repo = makeRepo();
    try {
      for (const c of vaults) {
        copyFileSync(join(HOSTILE, c.file), join(repo.dir, 'secrets.json'));
        repo.git(['add', 'secrets.json']);
        const index = repo.git(['ls-files', '-s', 'secrets.json']).stdout;
        const result = await runCli(['git', 'check-staged'], { cwd: repo.dir });
        expect(result.code, `${c.file}: ${result.stderr}`).toBe(1);
        expect(result.stdout, c.file).toMatch(/^secrets\.json[: ][^\n]+\n$/);
        expect(result.stderr).toBe(
          'error: a staged file must not be committed as it is (git restore --staged FILE unstages one; git commit --no-verify skips this check)\n',
        );
        expect(repo.git(['ls-files', '-s', 'secrets.json']).stdout).toBe(index);
        expect(
          readFileSync(join(repo.dir, 'secrets.json')).equals(readFileSync(join(HOSTILE, c.file))),
        ).toBe(true);
      }
    } finally {
      repo.cleanup();
    }
  });
});
