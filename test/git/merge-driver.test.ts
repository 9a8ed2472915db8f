/**
 * The merge driver in real repositories: `ssclient git install`, then `git merge` runs
 * `node bin/ssclient.js git merge-driver %O %A %B %P`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseVault, serializeVault } from '../../src/format/vault-codec.js';
import {
  createVault,
  makeRepo,
  type Repo,
  setSecrets,
  SSCLIENT_COMMAND,
} from '../helpers/git-repo.js';

let repo: Repo;
beforeEach(async () => {
  repo = makeRepo();
  await createVault(repo, { shared: 'base value', gone: 'to be deleted' });
  const install = repo.ss(['git', 'install', '--command', SSCLIENT_COMMAND]);
  expect(install.code).toBe(0);
  repo.git(['add', '.']);
  repo.git(['commit', '-qm', 'base']);
});
afterEach(() => repo.cleanup());

/** Blob of a secret in a vault's bytes. */
function blobOf(bytes: Uint8Array, name: string) {
  return parseVault(bytes, 'test').secrets.get(name);
}

/** The vault bytes at a revision. */
function at(rev: string): Buffer {
  return repo.git(['show', `${rev}:secrets.json`]).stdoutBytes;
}

async function branches(
  ours: Record<string, string | null>,
  theirs: Record<string, string | null>,
): Promise<void> {
  repo.git(['checkout', '-qb', 'feature']);
  await setSecrets(repo, theirs);
  repo.git(['commit', '-qam', 'theirs']);
  repo.git(['checkout', '-q', 'main']);
  await setSecrets(repo, ours);
  repo.git(['commit', '-qam', 'ours']);
}

describe('merge driver', () => {
  it('merges two branches that add different secrets, canonically', async () => {
    await branches({ 'main-only': 'from main' }, { 'feature-only': 'from feature' });
    const merge = repo.git(['merge', '--no-edit', 'feature'], { allowFailure: true });
    expect(merge.code, merge.stdout + merge.stderr).toBe(0);
    expect(merge.stdout).toContain('Auto-merging secrets.json');
    const bytes = repo.read('secrets.json');
    expect(await repo.values('secrets.key')).toEqual(
      new Map([
        ['feature-only', 'from feature'],
        ['gone', 'to be deleted'],
        ['main-only', 'from main'],
        ['shared', 'base value'],
      ]),
    );
    // Canonical bytes: exactly what the codec writes, names in order, no trailing newline.
    expect(bytes.toString('utf8')).toBe(serializeVault(parseVault(bytes, 'merged')));
    expect([...parseVault(bytes, 'merged').secrets.keys()]).toEqual([
      'feature-only',
      'gone',
      'main-only',
      'shared',
    ]);
    // Every blob is the byte-identical blob from the side that wrote it.
    expect(blobOf(bytes, 'feature-only')).toEqual(blobOf(at('feature'), 'feature-only'));
    expect(blobOf(bytes, 'main-only')).toEqual(blobOf(at('HEAD^1'), 'main-only'));
    expect(blobOf(bytes, 'shared')).toEqual(blobOf(at('HEAD^1^'), 'shared'));
    expect(repo.git(['status', '--porcelain']).stdout).toBe('');
    // The ssclient CLI opens the merged vault.
    const all = repo.ss(['-k', 'secrets.key', 'get', '--all', '--format', 'text']);
    expect(all.stdout).toBe(
      'feature-only: from feature\ngone: to be deleted\nmain-only: from main\nshared: base value\n',
    );
  });

  it('rebases and cherry-picks through the driver too', async () => {
    await branches({ 'main-only': 'm' }, { 'feature-only': 'f' });
    repo.git(['checkout', '-q', 'feature']);
    const rebase = repo.git(['rebase', 'main'], { allowFailure: true });
    expect(rebase.code, rebase.stderr).toBe(0);
    expect([...(await repo.values('secrets.key')).keys()]).toEqual([
      'feature-only',
      'gone',
      'main-only',
      'shared',
    ]);
    repo.git(['checkout', '-q', 'main']);
    await setSecrets(repo, { 'main-only': 'm2' });
    repo.git(['commit', '-qam', 'main again']);
    repo.git(['checkout', '-q', 'feature']);
    const pick = repo.git(['cherry-pick', 'main'], { allowFailure: true });
    expect(pick.code, pick.stderr).toBe(0);
    expect((await repo.values('secrets.key')).get('main-only')).toBe('m2');
    expect((await repo.values('secrets.key')).get('feature-only')).toBe('f');
  });

  it('takes a change made on one side only, and a deletion on one side only', async () => {
    await branches({ shared: 'changed on main' }, { gone: null });
    expect(repo.git(['merge', '--no-edit', 'feature'], { allowFailure: true }).code).toBe(0);
    expect(await repo.values('secrets.key')).toEqual(new Map([['shared', 'changed on main']]));
  });

  it('reports a true conflict by name and leaves a valid vault with our side', async () => {
    await branches({ shared: 'ours', 'main-only': 'm' }, { shared: 'theirs', 'feature-only': 'f' });
    const ours = repo.read('secrets.json');
    const merge = repo.git(['merge', '--no-edit', 'feature'], { allowFailure: true });
    expect(merge.code).not.toBe(0);
    expect(merge.stderr).toContain(
      'CONFLICT (secrets): secrets.json: one secret conflicts:\n' +
        '  shared: changed on both sides; the file keeps our value\n',
    );
    expect(merge.stderr).toContain('error: secrets.json was merged with 1 conflict\n');
    expect(merge.stdout).toContain('CONFLICT (content): Merge conflict in secrets.json');
    const bytes = repo.read('secrets.json');
    expect(() => JSON.parse(bytes.toString('utf8'))).not.toThrow();
    expect(bytes.toString('utf8')).toBe(serializeVault(parseVault(bytes, 'merged')));
    expect(blobOf(bytes, 'shared')).toEqual(blobOf(ours, 'shared'));
    expect(await repo.values('secrets.key')).toEqual(
      new Map([
        ['feature-only', 'f'],
        ['gone', 'to be deleted'],
        ['main-only', 'm'],
        ['shared', 'ours'],
      ]),
    );
    expect(repo.git(['ls-files', '-u', 'secrets.json']).stdout).not.toBe('');
    // Their value is a get --rev away; resolving is set + git add.
    expect(repo.ss(['-k', 'secrets.key', 'get', 'shared', '--rev', 'MERGE_HEAD']).stdout).toBe(
      'theirs\n',
    );
    expect(repo.ss(['-k', 'secrets.key', 'set', 'shared', 'resolved']).code).toBe(0);
    repo.git(['add', 'secrets.json']);
    repo.git(['commit', '-qm', 'merge']);
    expect((await repo.values('secrets.key')).get('shared')).toBe('resolved');
  });

  it('reports change-versus-delete conflicts both ways round', async () => {
    await branches({ shared: 'changed on main', gone: null }, { shared: null, gone: 'changed' });
    const merge = repo.git(['merge', '--no-edit', 'feature'], { allowFailure: true });
    expect(merge.code).not.toBe(0);
    expect(merge.stderr).toContain(
      'CONFLICT (secrets): secrets.json: 2 secrets conflict:\n' +
        '  gone: deleted on our side and changed on theirs; the file leaves it out\n' +
        '  shared: changed on our side and deleted on theirs; the file keeps our value\n',
    );
    expect(await repo.values('secrets.key')).toEqual(new Map([['shared', 'changed on main']]));
  });

  it('refuses to merge when one side was re-keyed, leaving our version untouched', async () => {
    repo.git(['checkout', '-qb', 'feature']);
    const rekey = repo.ss(['-k', 'secrets.key', 'rekey', '--new-key', 'other.key']);
    expect(rekey.code, rekey.stderr).toBe(0);
    repo.git(['commit', '-qam', 'rekey']);
    repo.git(['checkout', '-q', 'main']);
    await setSecrets(repo, { 'main-only': 'm' });
    repo.git(['commit', '-qam', 'ours']);
    const ours = repo.read('secrets.json');
    const merge = repo.git(['merge', '--no-edit', 'feature'], { allowFailure: true });
    expect(merge.code).not.toBe(0);
    expect(merge.stderr).toContain(
      'error: cannot merge secrets.json by secret name: their secrets.json has a different vault iv from our secrets.json: one of them was re-keyed or re-created, so their secrets are under different keys and cannot be merged by name.',
    );
    expect(repo.read('secrets.json').equals(ours)).toBe(true);
  });

  it('as a command: exit status, the result in %A, refusals that name the problem', () => {
    const base = repo.read('secrets.json');
    repo.write('O', base);
    repo.write('A', base);
    repo.write('B', base);
    const same = repo.ss(['git', 'merge-driver', 'O', 'A', 'B', 'secrets.json']);
    expect(same).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(repo.read('A').equals(base)).toBe(true);

    repo.write('B', '{"version": 3}');
    const bad = repo.ss(['git', 'merge-driver', 'O', 'A', 'B', 'secrets.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'error: cannot merge secrets.json by secret name: their secrets.json: "iv" is missing. Our version was left in place: resolve by hand (keep one side with "git checkout --ours/--theirs secrets.json" and repeat the other side\'s changes with ssclient set), then git add secrets.json\n',
    );
    expect(repo.read('A').equals(base)).toBe(true);

    // No common ancestor (%O empty): both added the vault with the same iv and sentinel.
    repo.write('O', '');
    repo.write('B', base);
    expect(repo.ss(['git', 'merge-driver', 'O', 'A', 'B', 'secrets.json']).code).toBe(0);
  });
});

describe('git install / uninstall', () => {
  it('is idempotent, keeps other attributes, and is undone by uninstall', () => {
    const attrs = '*.png binary\n/secrets.json merge=securestore diff=securestore\n';
    expect(repo.read('.gitattributes').toString()).toBe(
      '/secrets.json merge=securestore diff=securestore\n',
    );
    repo.write('.gitattributes', '*.png binary\n/secrets.json merge=securestore diff=securestore');
    const again = repo.ss(['git', 'install', '--command', SSCLIENT_COMMAND]);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      'secrets.json was already in .gitattributes; the securestore merge and diff drivers are set in .git/config.\n',
    );
    expect(repo.read('.gitattributes').toString()).toBe(attrs.trimEnd());
    expect(repo.git(['config', '--get', 'merge.securestore.driver']).stdout).toBe(
      `${SSCLIENT_COMMAND} git merge-driver %O %A %B %P\n`,
    );
    expect(repo.git(['config', '--get', 'diff.securestore.textconv']).stdout).toBe(
      `${SSCLIENT_COMMAND} git diff-text\n`,
    );
    expect(repo.git(['check-attr', 'merge', 'diff', '--', 'secrets.json']).stdout).toBe(
      'secrets.json: merge: securestore\nsecrets.json: diff: securestore\n',
    );

    const off = repo.ss(['git', 'uninstall']);
    expect(off.code).toBe(0);
    expect(off.stderr).toBe(
      'Removed "secrets.json" from .gitattributes; the securestore drivers are not configured.\n',
    );
    expect(repo.read('.gitattributes').toString()).toBe('*.png binary');
    expect(
      repo.git(['config', '--get', 'merge.securestore.driver'], { allowFailure: true }).code,
    ).toBe(1);
    expect(
      repo.git(['config', '--get', 'diff.securestore.textconv'], { allowFailure: true }).code,
    ).toBe(1);
    const twice = repo.ss(['git', 'uninstall']);
    expect(twice.code).toBe(0);
    expect(twice.stderr).toBe(
      '"secrets.json" was not in .gitattributes; the securestore drivers are not configured.\n',
    );
  });

  it('installs a vault in a subdirectory with an anchored, quoted pattern', () => {
    repo.git(['rm', '-q', '--cached', '.gitattributes']);
    repo.ss(['git', 'uninstall']);
    mkdirSync(join(repo.dir, 'config dir'));
    const r = repo.ss([
      '-s',
      'config dir/my vault.json',
      'git',
      'install',
      '--command',
      'ssclient',
    ]);
    expect(r.stderr).toBe(
      'warning: git runs the drivers with "ssclient", but ssclient (on PATH) was not found; run install again with --command saying how to start ssclient (for example --command "npx --no-install ssclient")\n' +
        'Added "config dir/my vault.json" to .gitattributes and set the securestore merge and diff drivers in .git/config; commit .gitattributes.\n',
    );
    expect(repo.read('.gitattributes').toString()).toBe(
      '"/config dir/my vault.json" merge=securestore diff=securestore\n',
    );
    expect(repo.git(['check-attr', 'merge', '--', 'config dir/my vault.json']).stdout).toBe(
      'config dir/my vault.json: merge: securestore\n',
    );
  });

  it('outside a git work tree: one clear line, exit 1', () => {
    const r = repo.ss(['git', 'install'], { env: { GIT_DIR: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: .* is not inside a git work tree \(git rev-parse failed\)\n$/,
    );
  });
});
