/**
 * Key files the CLI writes are kept out of git (spec/cli.md §3): a rooted `/name` rule under a
 * comment in the `.gitignore` of the key file's own directory, when the key lies inside a git
 * work tree, unless a rule already covers it; `--no-vcs` skips this. Checked against real git
 * repositories (`git init`, `git check-ignore`). Key files are written with mode 0600.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli, runProcess, spawnCommand } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/files.js';
import { tempDir } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const COMMENT = '# SecureStore key file: never commit it\n';

function dir(): string {
  const t = tempDir('ssclient-git-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function gitRepo(): string {
  const d = dir();
  execFileSync('git', ['init', '-q', d]);
  return d;
}

/** True when git itself says `path` (relative to `repo`) is ignored. */
function ignoredByGit(repo: string, path: string): boolean {
  try {
    execFileSync('git', ['-C', repo, 'check-ignore', '-q', '--', path]);
    return true;
  } catch {
    return false;
  }
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

const PW = ['-p', 'a password here'];

describe('.gitignore for key files', () => {
  it('create -k NEW inside a repo adds a rooted rule; git then ignores the key', () => {
    const repo = gitRepo();
    const r = runProcess(['create', '-k', 'new.key'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`Added new.key to ${join(repo, '.gitignore')}\n`);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(`${COMMENT}/new.key\n`);
    expect(ignoredByGit(repo, 'new.key')).toBe(true);
    expect(ignoredByGit(repo, 'secrets.json')).toBe(false); // the vault itself is committed
    expect(mode(join(repo, 'new.key'))).toBe(0o600);
    expect(statSync(join(repo, 'new.key')).size).toBe(99);
  });

  it('outside any repo, no .gitignore is written', async () => {
    const d = dir();
    const r = await runCli(['create', '-k', 'new.key'], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(join(d, '.gitignore'))).toBe(false);
    expect(mode(join(d, 'new.key'))).toBe(0o600);
  });

  it('the rule goes into the key file’s own directory (a subdirectory), rooted there', () => {
    const repo = gitRepo();
    mkdirSync(join(repo, 'config', 'keys'), { recursive: true });
    writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
    const r = runProcess(['create', 'config/v.json', '-k', 'config/keys/prod.key'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(readFileSync(join(repo, 'config', 'keys', '.gitignore'), 'utf8')).toBe(
      `${COMMENT}/prod.key\n`,
    );
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('node_modules/\n');
    expect(ignoredByGit(repo, 'config/keys/prod.key')).toBe(true);
    expect(ignoredByGit(repo, 'config/v.json')).toBe(false);
  });

  it('a key in a subdirectory of the repo given by an absolute path', async () => {
    const repo = gitRepo();
    mkdirSync(join(repo, 'sub'));
    const elsewhere = dir();
    const key = join(repo, 'sub', 'abs.key');
    const r = await runCli(['create', join(elsewhere, 'v.json'), '-k', key], { cwd: elsewhere });
    expect(r.code).toBe(0);
    expect(readFileSync(join(repo, 'sub', '.gitignore'), 'utf8')).toBe(`${COMMENT}/abs.key\n`);
    expect(ignoredByGit(repo, 'sub/abs.key')).toBe(true);
  });

  it.each([
    ['the bare name', 'new.key\n'],
    ['the rooted name', 'dist/\n/new.key\n'],
    ['a *.key rule', '*.key\n'],
    ['a *.key rule with trailing spaces and CRLF', 'a\r\n*.key  \r\n'],
    ['a rooted /*.key rule', '/*.key\n'],
  ])('an existing rule (%s) is left alone', (_label, content) => {
    const repo = gitRepo();
    writeFileSync(join(repo, '.gitignore'), content);
    const before = snapshotDir(repo);
    const r = runProcess(['create', '-k', 'new.key'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(content);
    expect(snapshotDir(repo)['.gitignore']).toEqual(before['.gitignore']);
    expect(ignoredByGit(repo, 'new.key')).toBe(true);
  });

  it('a rule with leading spaces does not count (git reads it as another name): ours is added', () => {
    const repo = gitRepo();
    writeFileSync(join(repo, '.gitignore'), '  new.key\n');
    expect(runProcess(['create', '-k', 'new.key'], { cwd: repo }).code).toBe(0);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(`  new.key\n${COMMENT}/new.key\n`);
    expect(ignoredByGit(repo, 'new.key')).toBe(true);
  });

  it('a .gitignore without a final newline gets one before the comment', () => {
    const repo = gitRepo();
    writeFileSync(join(repo, '.gitignore'), 'node_modules/\n*.log');
    chmodSync(join(repo, '.gitignore'), 0o664);
    const r = runProcess(['create', ...PW, '--export-key', 'exported.key'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(
      `node_modules/\n*.log\n${COMMENT}/exported.key\n`,
    );
    expect(ignoredByGit(repo, 'exported.key')).toBe(true);
    expect(ignoredByGit(repo, 'x.log')).toBe(true); // the old last rule still works
    expect(mode(join(repo, '.gitignore'))).toBe(0o664); // its mode is kept
    expect(mode(join(repo, 'exported.key'))).toBe(0o600);
  });

  it('--no-vcs skips the rule (create -k, create --export-key, export-key)', async () => {
    const repo = gitRepo();
    expect((await runCli(['create', '-k', 'a.key', '--no-vcs'], { cwd: repo })).code).toBe(0);
    expect(
      (
        await runCli(['create', 'b.json', ...PW, '--export-key', 'b.key', '--no-vcs'], {
          cwd: repo,
        })
      ).code,
    ).toBe(0);
    expect(
      (await runCli(['-k', 'a.key', 'export-key', 'c.key', '--no-vcs'], { cwd: repo })).code,
    ).toBe(0);
    expect(existsSync(join(repo, '.gitignore'))).toBe(false);
    for (const k of ['a.key', 'b.key', 'c.key']) expect(mode(join(repo, k))).toBe(0o600);
    expect(ignoredByGit(repo, 'a.key')).toBe(false);
  });

  it('export-key adds the rule once, even when run twice', async () => {
    const repo = gitRepo();
    expect((await runCli(['create', '-k', 'k.key', '--no-vcs'], { cwd: repo })).code).toBe(0);
    const first = await runCli(['-k', 'k.key', 'export-key', 'copy.key'], { cwd: repo });
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(`Added copy.key to ${join(repo, '.gitignore')}\n`);
    writeFileSync(join(repo, 'copy.key'), ''); // an empty file is simply overwritten
    const second = await runCli(['-k', 'k.key', 'export-key', 'copy.key'], { cwd: repo });
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(`${COMMENT}/copy.key\n`);
    expect(readFileSync(join(repo, 'copy.key'))).toEqual(readFileSync(join(repo, 'k.key')));
    expect(mode(join(repo, 'copy.key'))).toBe(0o600);
  });

  it('create -k with an existing key uses it and writes no rule', async () => {
    const repo = gitRepo();
    expect(
      (await runCli(['create', 'a.json', '-k', 'k.key', '--no-vcs'], { cwd: repo })).code,
    ).toBe(0);
    const key = readFileSync(join(repo, 'k.key'));
    const r = await runCli(['create', 'b.json', '-k', 'k.key'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(existsSync(join(repo, '.gitignore'))).toBe(false);
    expect(readFileSync(join(repo, 'k.key'))).toEqual(key);
  });

  it('names with gitignore glob characters are escaped so the rule matches exactly', () => {
    const repo = gitRepo();
    for (const name of [
      'a[1].key',
      'star*.pem',
      'q?.bin',
      'back\\slash.k',
      '#hash.key',
      '!bang.key',
    ]) {
      const r = runProcess(['create', `${name}.json`, '-k', name], { cwd: repo });
      expect(r.code, name).toBe(0);
      expect(ignoredByGit(repo, name), name).toBe(true);
    }
    // the escaped rules match only their own files
    writeFileSync(join(repo, 'a1.key'), 'x');
    writeFileSync(join(repo, 'starX.pem'), 'x');
    expect(ignoredByGit(repo, 'a1.key')).toBe(false);
    expect(ignoredByGit(repo, 'starX.pem')).toBe(false);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toContain('\n/a\\[1].key\n');
  });

  it('key files are 0600 whatever the umask (the vault follows the umask, as the reference)', async () => {
    const d = dir();
    const r = await spawnCommand(
      'sh',
      [
        '-c',
        'umask 000 && exec "$0" "$1" create -k new.key --export-key copy.key',
        process.execPath,
        BIN,
      ],
      { cwd: d, input: null },
    );
    expect(r.code).toBe(0);
    expect(mode(join(d, 'new.key'))).toBe(0o600);
    expect(mode(join(d, 'copy.key'))).toBe(0o600);
    expect(mode(join(d, 'secrets.json'))).toBe(0o666);
  });

  it('inside a repo found through a parent directory several levels up', () => {
    const repo = gitRepo();
    const deep = join(repo, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    const r = runProcess(['create', '-k', 'deep.key'], { cwd: deep });
    expect(r.code).toBe(0);
    expect(readFileSync(join(deep, '.gitignore'), 'utf8')).toBe(`${COMMENT}/deep.key\n`);
    expect(ignoredByGit(repo, 'a/b/c/deep.key')).toBe(true);
  });
});
