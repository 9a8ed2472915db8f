/**
 * `git install` without `--command` (issue 15, item 2): the drivers it writes must run from where
 * this ssclient is installed, also when `ssclient` is on no PATH (a project-local install run
 * with npx) or PATH's `ssclient` is another program. Real repositories, the real git, and git
 * run with a PATH that holds git (and, where said, node) but no ssclient of ours.
 */
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shellWord } from '../../src/git/install.js';
import { BIN } from '../helpers/cli.js';
import { createVault, makeRepo, type Repo, setSecrets } from '../helpers/git-repo.js';

let repo: Repo;
let bin: string;
beforeEach(() => {
  repo = makeRepo();
  // A PATH of its own: git only (git runs drivers with /bin/sh, which needs no PATH entry).
  bin = join(repo.dir, '.test-bin');
  mkdirSync(bin);
  symlinkSync(realpathSync('/usr/bin/git'), join(bin, 'git'));
});
afterEach(() => repo.cleanup());

const ABSOLUTE = `${shellWord(process.execPath)} ${shellWord(realpathSync(BIN))}`;

function commitAll(message: string, env: Record<string, string>): void {
  repo.git(['add', '-A'], { env });
  repo.git(['commit', '-qm', message], { env });
}

/** git diff shows the textconv'd vault, and a merge of two added secrets succeeds by name. */
async function diffAndMergeWork(env: Record<string, string>): Promise<void> {
  await setSecrets(repo, { A: 'a2' });
  const diff = repo.git(['diff', 'secrets.json'], { env });
  expect(diff.stderr).toBe('');
  expect(diff.stdout).toMatch(/\n-A = hmac:[0-9a-f]{12}\n\+A = hmac:[0-9a-f]{12}\n$/);
  commitAll('change A', env);
  repo.git(['checkout', '-qb', 'side'], { env });
  await setSecrets(repo, { B: 'b' });
  commitAll('add B', env);
  repo.git(['checkout', '-q', 'main'], { env });
  await setSecrets(repo, { C: 'c' });
  commitAll('add C', env);
  const merge = repo.git(['merge', '-q', '--no-edit', 'side'], { env, allowFailure: true });
  expect(merge.stderr).toBe('');
  expect(merge.code).toBe(0);
  expect(await repo.values('secrets.key')).toEqual(
    new Map([
      ['A', 'a2'],
      ['B', 'b'],
      ['C', 'c'],
    ]),
  );
}

describe('git install without --command', () => {
  it('ssclient on no PATH: writes node and this bin by absolute path, and git diff and merge work', async () => {
    await createVault(repo, { A: 'a1' });
    const env = { PATH: bin };
    const r = repo.ss(['git', 'install'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `note: ssclient is not on PATH, so git will run this one by absolute path: ${ABSOLUTE} (install again after moving it or changing Node, or give --command)\n` +
        'Added "secrets.json" to .gitattributes and set the securestore merge and diff drivers in .git/config; commit .gitattributes.\n',
    );
    expect(repo.git(['config', '--get', 'diff.securestore.textconv']).stdout).toBe(
      `${ABSOLUTE} git diff-text\n`,
    );
    expect(repo.git(['config', '--get', 'merge.securestore.driver']).stdout).toBe(
      `${ABSOLUTE} git merge-driver %O %A %B %P\n`,
    );
    commitAll('base', env);
    await diffAndMergeWork(env);
  });

  it('another ssclient first on PATH (the reference one, say): not used', async () => {
    await createVault(repo, { A: 'a1' });
    writeFileSync(join(bin, 'ssclient'), '#!/bin/sh\necho "reference ssclient" >&2\nexit 1\n');
    chmodSync(join(bin, 'ssclient'), 0o755);
    const env = { PATH: bin };
    const r = repo.ss(['git', 'install'], { env });
    expect(r.stderr.split('\n')[0]).toBe(
      `note: the ssclient on PATH (${join(bin, 'ssclient')}) is another program, so git will run this one by absolute path: ${ABSOLUTE} (install again after moving it or changing Node, or give --command)`,
    );
    commitAll('base', env);
    await diffAndMergeWork(env);
  });

  it('this ssclient on PATH (a global install): plain "ssclient", no note', async () => {
    await createVault(repo, { A: 'a1' });
    symlinkSync(BIN, join(bin, 'ssclient'));
    symlinkSync(process.execPath, join(bin, 'node')); // for the bin's #!/usr/bin/env node
    const env = { PATH: bin };
    const r = repo.ss(['git', 'install'], { env });
    expect(r.stderr).toBe(
      'Added "secrets.json" to .gitattributes and set the securestore merge and diff drivers in .git/config; commit .gitattributes.\n',
    );
    expect(repo.git(['config', '--get', 'diff.securestore.textconv']).stdout).toBe(
      'ssclient git diff-text\n',
    );
    commitAll('base', env);
    await diffAndMergeWork(env);
  });

  it('shellWord quotes what the shell would split or expand', () => {
    expect(shellWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(shellWord("/opt/my node's/bin/node")).toBe(`'/opt/my node'\\''s/bin/node'`);
    expect(shellWord('/a/$HOME/`x`')).toBe(`'/a/$HOME/\`x\`'`);
  });
});
