/**
 * `git install` without `--command` (issue 15, item 2): the drivers it writes must run from where
 * this ssclient is installed, also when `ssclient` is on no PATH (a project-local install run
 * with npx) or PATH's `ssclient` is another program. Real repositories, the real git, and git
 * run with a PATH that holds git (and, where said, node) but no ssclient of ours.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preCommitHook, shellWord } from '../../src/git/install.js';
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

/**
 * `git install --pre-commit` (issue 15, item 11): the hook runs `git check-staged` before each
 * commit, from where this ssclient is installed, with git's PATH holding git only.
 */
describe('git install --pre-commit', () => {
  const KEY_LINE =
    'secrets.key: a plain key file: it opens the vault without anything else, so keep it out of git (git rm --cached, and ignore it); commit a wrapped key file instead\n';
  const hookPath = () => join(repo.dir, '.git', 'hooks', 'pre-commit');

  it('blocks a commit of a key file; --no-verify still commits; installing again changes nothing', async () => {
    await createVault(repo, { A: 'a-long-secret-value' });
    const env = { PATH: bin };
    commitAll('base', env);
    const r = repo.ss(['git', 'install', '--pre-commit'], { env });
    expect(r).toMatchObject({
      code: 0,
      stdout: '',
      stderr:
        `note: ssclient is not on PATH, so git will run this one by absolute path: ${ABSOLUTE} (install again after moving it or changing Node, or give --command)\n` +
        'Installed the pre-commit hook .git/hooks/pre-commit: each commit runs "ssclient git check-staged" (git commit --no-verify skips it).\n',
    });
    expect(readFileSync(hookPath(), 'utf8')).toBe(preCommitHook(ABSOLUTE));
    expect(statSync(hookPath()).mode & 0o777).toBe(0o755);
    expect(existsSync(join(repo.dir, '.gitattributes'))).toBe(false); // the drivers are another step

    repo.git(['add', '-f', 'secrets.key'], { env });
    const blocked = repo.git(['commit', '-qm', 'oops'], { env, allowFailure: true });
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toBe(''); // git sends a hook's stdout to its stderr
    expect(blocked.stderr).toBe(
      KEY_LINE +
        'error: a staged file must not be committed as it is (git restore --staged FILE unstages one; git commit --no-verify skips this check)\n',
    );
    expect(repo.git(['rev-list', '--count', 'HEAD'], { env }).stdout).toBe('1\n');
    repo.git(['commit', '-qm', 'on purpose', '--no-verify'], { env });
    expect(repo.git(['rev-list', '--count', 'HEAD'], { env }).stdout).toBe('2\n');

    const again = repo.ss(['git', 'install', '--pre-commit', '--command', ABSOLUTE], { env });
    expect(again.stderr).toBe(
      'Updated the pre-commit hook .git/hooks/pre-commit: each commit runs "ssclient git check-staged" (git commit --no-verify skips it).\n',
    );
    expect(readFileSync(hookPath(), 'utf8')).toBe(preCommitHook(ABSOLUTE));
    expect(existsSync(`${hookPath()}.local`)).toBe(false);

    expect(repo.ss(['git', 'uninstall', '--pre-commit'], { env }).stderr).toBe(
      'Removed the ssclient pre-commit hook .git/hooks/pre-commit.\n',
    );
    expect(existsSync(hookPath())).toBe(false);
  });

  it('keeps an existing hook working: it runs first, its failure still stops the commit, uninstall puts it back', async () => {
    await createVault(repo, { A: 'a-long-secret-value' });
    const env = { PATH: bin };
    commitAll('base', env);
    const own = '#!/bin/sh\necho "own hook ran" >&2\n[ ! -e STOP ] || exit 3\n';
    mkdirSync(join(repo.dir, '.git', 'hooks'), { recursive: true });
    writeFileSync(hookPath(), own, { mode: 0o755 });
    const r = repo.ss(['git', 'install', '--pre-commit', '--command', ABSOLUTE], { env });
    expect(r.stderr).toBe(
      'Installed the pre-commit hook .git/hooks/pre-commit: each commit runs "ssclient git check-staged" (git commit --no-verify skips it). It runs the existing hook first, kept as .git/hooks/pre-commit.local.\n',
    );
    expect(readFileSync(`${hookPath()}.local`, 'utf8')).toBe(own);

    repo.write('notes.md', 'harmless\n');
    repo.git(['add', 'notes.md'], { env });
    const ok = repo.git(['commit', '-qm', 'notes'], { env });
    expect(ok.stderr).toBe('own hook ran\n');

    repo.write('STOP', '');
    repo.write('notes.md', 'harmless, again\n');
    repo.git(['add', 'notes.md'], { env });
    const stopped = repo.git(['commit', '-qm', 'stopped'], { env, allowFailure: true });
    expect(stopped).toMatchObject({ code: 1, stdout: '', stderr: 'own hook ran\n' });

    // Installing again keeps the chained hook as it is.
    repo.ss(['git', 'install', '--pre-commit', '--command', ABSOLUTE], { env });
    expect(readFileSync(`${hookPath()}.local`, 'utf8')).toBe(own);

    expect(repo.ss(['git', 'uninstall', '--pre-commit'], { env }).stderr).toBe(
      'Removed the ssclient pre-commit hook; the hook it ran first is .git/hooks/pre-commit again.\n',
    );
    expect(readFileSync(hookPath(), 'utf8')).toBe(own);
    expect(existsSync(`${hookPath()}.local`)).toBe(false);
    expect(repo.ss(['git', 'uninstall', '--pre-commit'], { env }).stderr).toBe(
      '.git/hooks/pre-commit is not the ssclient hook: left as it is.\n',
    );
  });

  it('checks what git commit PATH commits (a temporary index), with the key from the environment', async () => {
    await createVault(repo, { A: 'a-long-secret-value' });
    repo.write('notes.md', 'harmless\n');
    const env = { PATH: bin, SSCLIENT_KEY: 'secrets.key' };
    commitAll('base', env);
    repo.ss(['git', 'install', '--pre-commit', '--command', ABSOLUTE], { env });
    repo.write('notes.md', 'A=a-long-secret-value\n');
    // Nothing is staged in the index itself: `git commit notes.md` commits through another one.
    const blocked = repo.git(['commit', '-qm', 'notes', 'notes.md'], { env, allowFailure: true });
    expect(blocked).toMatchObject({ code: 1, stdout: '' });
    expect(blocked.stderr).toBe(
      'notes.md: holds the plaintext value of secret A of secrets.json (an export? values are not shown)\n' +
        'error: a staged file must not be committed as it is (git restore --staged FILE unstages one; git commit --no-verify skips this check)\n',
    );
  });

  it('honours core.hooksPath, and refuses to choose between two hooks of the user', async () => {
    await createVault(repo, { A: 'a-long-secret-value' });
    const env = { PATH: bin };
    repo.git(['config', 'core.hooksPath', '.githooks']);
    const r = repo.ss(['git', 'install', '--pre-commit', '--command', ABSOLUTE], { env });
    expect(r.stderr).toBe(
      'Installed the pre-commit hook .githooks/pre-commit: each commit runs "ssclient git check-staged" (git commit --no-verify skips it).\n',
    );
    repo.git(['add', '-f', 'secrets.key', 'secrets.json'], { env });
    const blocked = repo.git(['commit', '-qm', 'oops'], { env, allowFailure: true });
    expect(blocked).toMatchObject({ code: 1, stdout: '' });
    expect(blocked.stderr.startsWith(KEY_LINE)).toBe(true);

    writeFileSync(join(repo.dir, '.githooks', 'pre-commit'), '#!/bin/sh\nexit 0\n');
    writeFileSync(join(repo.dir, '.githooks', 'pre-commit.local'), '#!/bin/sh\nexit 0\n');
    const refused = repo.ss(['git', 'install', '--pre-commit', '--command', ABSOLUTE], { env });
    expect(refused).toMatchObject({
      code: 1,
      stderr:
        'error: cannot install the pre-commit hook: .githooks/pre-commit is another hook and .githooks/pre-commit.local exists too; merge them into pre-commit.local and remove .githooks/pre-commit, then run this again\n',
    });
    expect(readFileSync(join(repo.dir, '.githooks', 'pre-commit'), 'utf8')).toBe(
      '#!/bin/sh\nexit 0\n',
    );
  });
});
