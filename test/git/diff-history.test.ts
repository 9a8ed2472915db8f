/**
 * The textconv diff driver through `git diff` / `git log -p`, `history`, and `get --rev`, in a
 * real repository with the real git and `node bin/ssclient.js`.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../src/format/base64.js';
import { parseVault } from '../../src/format/vault-codec.js';
import {
  createVault,
  makeRepo,
  type Repo,
  setSecrets,
  SSCLIENT_COMMAND,
} from '../helpers/git-repo.js';

let repo: Repo;
beforeEach(() => {
  repo = makeRepo();
});
afterEach(() => repo.cleanup());

/** What diff-text shows for a secret: the first 6 bytes of its stored HMAC, in hex. */
function fp(bytes: Uint8Array, name: string): string {
  const blob = parseVault(bytes, 'test').secrets.get(name)!;
  return decodeBase64(blob.hmac).subarray(0, 6).toString('hex');
}
function keyCheck(bytes: Uint8Array): string {
  return decodeBase64(parseVault(bytes, 'test').sentinel!.hmac).subarray(0, 6).toString('hex');
}

/** Commits with a fixed author and date, so that history lines are exact. */
function commit(message: string, who: string, date: string): void {
  repo.git(['add', '-A']);
  repo.git(['commit', '-qm', message], {
    env: {
      GIT_AUTHOR_NAME: who,
      GIT_AUTHOR_EMAIL: `${who.toLowerCase()}@example.com`,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
}

describe('diff-text as the textconv driver', () => {
  it('git diff and git log -p show names and fingerprints, never values', async () => {
    await createVault(repo, { API_TOKEN: 'tok-AAAA-first', DB_PASSWORD: 'pw-BBBB-first' });
    expect(repo.ss(['git', 'install', '--command', SSCLIENT_COMMAND]).code).toBe(0);
    commit('base', 'Ada', '2026-01-01T10:00:00Z');
    const before = repo.read('secrets.json');
    await setSecrets(repo, { DB_PASSWORD: 'pw-CCCC-second', NEW_ONE: 'new-DDDD', API_TOKEN: null });
    const after = repo.read('secrets.json');

    const diff = repo.git(['diff', 'secrets.json']);
    const hunk = diff.stdout.slice(diff.stdout.indexOf('@@'));
    expect(hunk).toBe(
      `@@ -1,3 +1,3 @@\n` +
        ` # SecureStore vault; key check ${keyCheck(before)}\n` +
        `-API_TOKEN = hmac:${fp(before, 'API_TOKEN')}\n` +
        `-DB_PASSWORD = hmac:${fp(before, 'DB_PASSWORD')}\n` +
        `+DB_PASSWORD = hmac:${fp(after, 'DB_PASSWORD')}\n` +
        `+NEW_ONE = hmac:${fp(after, 'NEW_ONE')}\n`,
    );
    commit('rotate', 'Ada', '2026-01-02T10:00:00Z');
    const log = repo.git(['log', '-p', '--format=%s', '--', 'secrets.json']).stdout;
    expect(log).toContain(`+NEW_ONE = hmac:${fp(after, 'NEW_ONE')}\n`);
    expect(log).toContain(`+API_TOKEN = hmac:${fp(before, 'API_TOKEN')}\n`);
    for (const value of ['tok-AAAA', 'pw-BBBB', 'pw-CCCC', 'new-DDDD']) {
      expect(diff.stdout).not.toContain(value);
      expect(log).not.toContain(value);
    }
    // The raw file is not what git shows: no base64 payloads in the diff.
    expect(log).not.toContain('"payload"');
  });

  it('--reveal shows values only with a key that opens the version', async () => {
    await createVault(repo, { b: 'two\nlines', a: 'one' });
    const shown = repo.ss(['-k', 'secrets.key', 'git', 'diff-text', '--reveal', 'secrets.json']);
    const bytes = repo.read('secrets.json');
    expect(shown).toMatchObject({
      code: 0,
      stdout: `# SecureStore vault; key check ${keyCheck(bytes)}\na = "one"\nb = "two\\nlines"\n`,
    });
    repo.write(
      'other.key',
      `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(43)}=\n-----END PRIVATE KEY-----\n`,
    );
    const wrong = repo.ss(['-k', 'other.key', 'git', 'diff-text', '--reveal', 'secrets.json']);
    expect(wrong.stdout).toBe(
      `# the given key does not open this version: fingerprints only\n` +
        `# SecureStore vault; key check ${keyCheck(bytes)}\na = hmac:${fp(bytes, 'a')}\nb = hmac:${fp(bytes, 'b')}\n`,
    );
    expect(repo.ss(['git', 'diff-text', 'secrets.json']).stdout).not.toContain('one');
  });

  it('shows a file that is not a vault as it is, with the reason, and an empty file as nothing', () => {
    repo.write('broken.json', '{"version": 2}');
    const r = repo.ss(['git', 'diff-text', 'broken.json']);
    expect(r).toMatchObject({
      code: 0,
      stdout:
        '# not a SecureStore vault: broken.json has version 2; only SecureStore version 3 (the number 3) is supported\n{"version": 2}\n',
    });
    repo.write('empty.json', '');
    expect(repo.ss(['git', 'diff-text', 'empty.json'])).toMatchObject({ code: 0, stdout: '' });
    const missing = repo.ss(['git', 'diff-text', 'nope.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*nope\.json does not exist\n$/);
  });
});

describe('history and get --rev', () => {
  async function threeVersions(): Promise<string[]> {
    await createVault(repo, { TOKEN: 'v1', OTHER: 'x' });
    commit('add the token', 'Ada', '2026-03-01T09:00:00Z');
    await setSecrets(repo, { OTHER: 'y' });
    commit('change only OTHER', 'Bob', '2026-03-02T09:00:00Z');
    await setSecrets(repo, { TOKEN: 'v2' });
    commit('rotate the token', 'Bob', '2026-03-03T09:00:00Z');
    repo.write('README', 'unrelated\n');
    commit('unrelated file', 'Ada', '2026-03-04T09:00:00Z');
    await setSecrets(repo, { TOKEN: 'v3' });
    commit('rotate again', 'Cy', '2026-03-05T09:00:00Z');
    await setSecrets(repo, { TOKEN: null });
    commit('drop the token', 'Ada', '2026-03-06T09:00:00Z');
    return repo
      .git(['log', '--format=%H'])
      .stdout.trim()
      .split('\n')
      .map((h) => h.slice(0, 10));
  }

  it('lists the commits that added, changed and removed a secret, newest first', async () => {
    const [drop, again, , rotate, , add] = await threeVersions();
    const r = repo.ss(['history', 'TOKEN']);
    expect(r).toMatchObject({
      code: 0,
      stderr: '',
      stdout:
        `${drop}  2026-03-06T09:00:00+00:00  Ada <ada@example.com>  removed  drop the token\n` +
        `${again}  2026-03-05T09:00:00+00:00  Cy <cy@example.com>  changed  rotate again\n` +
        `${rotate}  2026-03-03T09:00:00+00:00  Bob <bob@example.com>  changed  rotate the token\n` +
        `${add}  2026-03-01T09:00:00+00:00  Ada <ada@example.com>  added  add the token\n`,
    });
    const reveal = repo.ss(['-k', 'secrets.key', 'history', 'TOKEN', '--reveal']);
    expect(reveal.stdout.split('\n').filter((l) => l.startsWith('    '))).toEqual([
      '    (removed)',
      '    "v3"',
      '    "v2"',
      '    "v1"',
    ]);
    const none = repo.ss(['history', 'NEVER']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      'error: no commit adds, changes or removes a secret named "NEVER" in secrets.json\n',
    );
  });

  it('skips a version that is not a valid vault, says so, and compares across it', async () => {
    await createVault(repo, { TOKEN: 'v1' });
    commit('add the token', 'Ada', '2026-05-01T09:00:00Z');
    const good = repo.read('secrets.json');
    repo.write('secrets.json', '{"version": 3, <<<<<<< HEAD\n');
    commit('commit a conflict by mistake', 'Bob', '2026-05-02T09:00:00Z');
    repo.write('secrets.json', good);
    await setSecrets(repo, { TOKEN: 'v2' });
    commit('repair and rotate', 'Bob', '2026-05-03T09:00:00Z');
    const [repair, broken, add] = repo
      .git(['log', '--format=%H'])
      .stdout.trim()
      .split('\n')
      .map((h) => h.slice(0, 10));
    const r = repo.ss(['-k', 'secrets.key', 'history', 'TOKEN', '--reveal']);
    expect(r).toMatchObject({
      code: 0,
      stdout:
        `${repair}  2026-05-03T09:00:00+00:00  Bob <bob@example.com>  changed  repair and rotate\n    "v2"\n` +
        `${add}  2026-05-01T09:00:00+00:00  Ada <ada@example.com>  added  add the token\n    "v1"\n`,
      stderr: `note: skipped a version of secrets.json that is not a valid vault (${broken}); changes are compared across it\n`,
    });
  });

  it('lists a secret once across a merge, at the commit that changed it', async () => {
    await createVault(repo, { TOKEN: 'v1' });
    expect(repo.ss(['git', 'install', '--command', SSCLIENT_COMMAND]).code).toBe(0);
    commit('base', 'Ada', '2026-04-01T09:00:00Z');
    repo.git(['checkout', '-qb', 'side']);
    await setSecrets(repo, { TOKEN: 'v2' });
    commit('side change', 'Bob', '2026-04-02T09:00:00Z');
    repo.git(['checkout', '-q', 'main']);
    await setSecrets(repo, { OTHER: 'o' });
    commit('main change', 'Ada', '2026-04-03T09:00:00Z');
    repo.git(['merge', '-q', '--no-edit', 'side'], {
      env: { GIT_AUTHOR_DATE: '2026-04-04T09:00:00Z', GIT_COMMITTER_DATE: '2026-04-04T09:00:00Z' },
    });
    const subjects = repo
      .ss(['history', 'TOKEN'])
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => l.split('  ').slice(2).join('  '));
    expect(subjects).toEqual([
      'Bob <bob@example.com>  changed  side change',
      'Ada <ada@example.com>  added  base',
    ]);
  });

  it('lists a deletion made while resolving a merge (issue 15 item 4)', async () => {
    await createVault(repo, { TOKEN: 'v1', OTHER: 'o1' });
    expect(repo.ss(['git', 'install', '--command', SSCLIENT_COMMAND]).code).toBe(0);
    commit('base', 'Ada', '2026-04-01T09:00:00Z');
    repo.git(['checkout', '-qb', 'side']);
    repo.git(['checkout', '-q', 'main']);
    await setSecrets(repo, { TOKEN: null });
    commit('drop the token', 'Ada', '2026-04-02T09:00:00Z');
    repo.git(['checkout', '-q', 'side']);
    await setSecrets(repo, { TOKEN: 'v2', OTHER: 'o2' });
    commit('rotate both', 'Bob', '2026-04-03T09:00:00Z');
    repo.git(['checkout', '-q', 'main']);
    // The merge keeps main's deletion and takes side's OTHER: the file differs from both parents.
    const at = {
      GIT_AUTHOR_DATE: '2026-04-04T09:00:00Z',
      GIT_COMMITTER_DATE: '2026-04-04T09:00:00Z',
    };
    repo.git(['merge', '-q', '--no-commit', '-s', 'ours', 'side'], { env: at });
    await setSecrets(repo, { OTHER: 'o2' });
    repo.git(['add', 'secrets.json']);
    repo.git(['commit', '-qm', 'merge side, keeping the token dropped'], { env: at });
    expect(await repo.values('secrets.key')).toEqual(new Map([['OTHER', 'o2']]));
    const lines = (name: string) =>
      repo
        .ss(['history', name])
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.split('  ').slice(2).join('  '));
    expect(lines('TOKEN')).toEqual([
      'Ada Lovelace <ada@example.com>  removed  merge side, keeping the token dropped',
      'Bob <bob@example.com>  changed  rotate both',
      'Ada <ada@example.com>  removed  drop the token',
      'Ada <ada@example.com>  added  base',
    ]);
    // OTHER was set again while resolving, so its blob is neither parent's: history compares
    // blobs (it needs no key), and lists the merge too.
    expect(lines('OTHER')).toEqual([
      'Ada Lovelace <ada@example.com>  changed  merge side, keeping the token dropped',
      'Bob <bob@example.com>  changed  rotate both',
      'Ada <ada@example.com>  added  base',
    ]);
  });

  it('works from a subdirectory, for a vault in another directory, and sees the vault removed', async () => {
    mkdirSync(join(repo.dir, 'app', 'config'), { recursive: true });
    mkdirSync(join(repo.dir, 'src'));
    await createVault(repo, { TOKEN: 'v1' });
    renameSync(join(repo.dir, 'secrets.json'), join(repo.dir, 'app', 'config', 'vault.json'));
    commit('add', 'Ada', '2026-06-01T09:00:00Z');
    repo.git(['rm', '-q', 'app/config/vault.json']);
    commit('remove the vault', 'Bob', '2026-06-02T09:00:00Z');
    const r = repo.ss(['-s', '../app/config/vault.json', 'history', 'TOKEN'], { cwd: 'src' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.split('  ').slice(3).join('  '))).toEqual([
      'removed  remove the vault',
      'added  add',
      '',
    ]);
    const got = repo.ss(
      ['-s', '../app/config/vault.json', '-k', '../secrets.key', 'get', 'TOKEN', '--rev', 'HEAD~1'],
      { cwd: 'src' },
    );
    expect(got.stdout).toBe('v1\n');
  });

  it('get --rev reads old versions through git without touching the work tree', async () => {
    await threeVersions();
    const status = repo.git(['status', '--porcelain']).stdout;
    const head = repo.read('secrets.json');
    const get = (...args: string[]) => repo.ss(['-k', 'secrets.key', 'get', ...args]);
    expect(get('TOKEN', '--rev', 'HEAD~1').stdout).toBe('v3\n');
    expect(get('TOKEN', '--rev', 'HEAD~3').stdout).toBe('v2\n');
    expect(get('TOKEN', '--rev', 'HEAD~5').stdout).toBe('v1\n');
    expect(get('--all', '--format', 'text', '--rev', 'HEAD~5').stdout).toBe(
      'OTHER: x\nTOKEN: v1\n',
    );
    const gone = get('TOKEN', '--rev', 'HEAD');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('error: no secret named "TOKEN" in secrets.json\n');
    const unknown = get('TOKEN', '--rev', 'no-such-branch');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: unknown revision "no-such-branch" in \/.*\n$/);
    expect(repo.read('secrets.json').equals(head)).toBe(true);
    expect(repo.git(['status', '--porcelain']).stdout).toBe(status);
  });

  it('get --rev: a vault missing at that revision, and a revision that needs the old key', async () => {
    repo.write('README', 'x\n');
    commit('readme only', 'Ada', '2026-05-01T09:00:00Z');
    await createVault(repo, { TOKEN: 'v1' });
    commit('vault', 'Ada', '2026-05-02T09:00:00Z');
    const before = repo.ss(['-k', 'secrets.key', 'get', 'TOKEN', '--rev', 'HEAD~1']);
    expect(before.code).toBe(1);
    expect(before.stderr).toBe('error: secrets.json does not exist at revision HEAD~1\n');
    expect(repo.ss(['-k', 'secrets.key', 'rekey', '--new-key', 'new.key']).code).toBe(0);
    commit('rekey', 'Ada', '2026-05-03T09:00:00Z');
    const old = repo.ss(['-k', 'new.key', 'get', 'TOKEN', '--rev', 'HEAD~1']);
    expect(old.code).toBe(1);
    expect(old.stderr).toBe(
      'error: the key file ' +
        `${repo.dir}/new.key does not open secrets.json at HEAD~1 (if the vault was re-keyed since, that revision needs the old key); the key came from -k ("ssclient config" shows where each setting comes from)\n`,
    );
    expect(repo.ss(['-k', 'secrets.key', 'get', 'TOKEN', '--rev', 'HEAD~1']).stdout).toBe('v1\n');
  });
});
