/**
 * The seal in real git repositories (spec/seal.md §7, §9): `verify --since` against pull-request
 * branches that swap two blobs, roll the file back, or drop the seal; the merge driver with and
 * without the key; and a merge of the file as text, with no driver installed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptBlob, splitKey } from '../../src/vault/blob-cipher.js';
import { randomBytes } from '../../src/crypto/primitives.js';
import type { JsonNode } from '../../src/format/json.js';
import { parseVault, serializeVault, type VaultDocument } from '../../src/format/vault-codec.js';
import { makeRepo, type Repo, SSCLIENT_COMMAND } from '../helpers/git-repo.js';

let repo: Repo;
afterEach(() => repo.cleanup());

const K = ['-k', 'secrets.key'];
/** The vault's path as the library names it in its messages. */
const vault = (): string => join(repo.dir, 'secrets.json');

/** `ssclient` in the repository, expecting success; returns stdout. */
function ok(args: string[], env: Record<string, string> = {}): string {
  const r = repo.ss(args, { env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function doc(): VaultDocument {
  return parseVault(repo.read('secrets.json'), 'secrets.json');
}

function writeDoc(d: VaultDocument): void {
  repo.write('secrets.json', serializeVault(d));
}

function commit(message: string): void {
  repo.git(['commit', '-qam', message]);
}

/**
 * main: a sealed vault made by `ssclient create`, with four secrets set in two commits
 * (generation 5), then a pull-request branch `pr`.
 */
beforeEach(() => {
  repo = makeRepo();
  ok(['create', '-k', 'secrets.key']);
  ok([...K, 'set', 'API_KEY', 'api-1']);
  ok([...K, 'set', 'DB_PASSWORD', 'db-1']);
  repo.git(['add', '.']);
  repo.git(['commit', '-qm', 'first secrets']);
  ok([...K, 'set', 'API_KEY', 'api-2']);
  ok([...K, 'set', 'TOKEN', 'token-1']);
  commit('rotate the api key');
  repo.git(['checkout', '-qb', 'pr']);
});

describe('verify --since (spec/seal.md §9.1)', () => {
  it('an honest change passes and lists the names added, changed and removed', () => {
    ok([...K, 'set', 'NEW', 'n']);
    ok([...K, 'set', 'TOKEN', 'token-2']);
    ok([...K, 'delete', 'DB_PASSWORD']);
    commit('honest');
    expect(ok([...K, 'verify', '--since', 'main'])).toBe(
      'added: "NEW"\nchanged: "TOKEN"\nremoved: "DB_PASSWORD"\n' +
        'secrets.json: ok (3 secrets; the key opens it and every value decrypts; sealed, generation 8, verified; since main: 1 added, 1 changed, 1 removed)\n',
    );
    // Without a key: the names, and the seal not checked.
    expect(ok(['verify', '--since', 'main'])).toBe(
      'added: "NEW"\nchanged: "TOKEN"\nremoved: "DB_PASSWORD"\n' +
        'secrets.json: ok (3 secrets; structure only: no key given; sealed, not checked; since main: 1 added, 1 changed, 1 removed)\n',
    );
    expect(ok(['history', 'TOKEN']).split('\n')[0]).toMatch(
      /^[0-9a-f]{10} {2}\S+ {2}Ada Lovelace <ada@example\.com> {2}changed {2}generation 8 {2}honest$/,
    );
  });

  it('a branch that adds the vault (none at REV) passes, every name added; an unknown REV fails', () => {
    repo.git(['checkout', '-qb', 'no-vault', 'main']);
    repo.git(['rm', '-q', 'secrets.json']);
    commit('no vault yet');
    repo.git(['checkout', '-q', 'pr']);
    // It failed with "error: secrets.json does not exist at revision no-vault", so the first pull
    // request that adds a vault could never pass a CI step running verify --since origin/main.
    const added = 'added: "API_KEY"\nadded: "DB_PASSWORD"\nadded: "TOKEN"\n';
    expect(ok([...K, 'verify', '--since', 'no-vault'])).toBe(
      added +
        'secrets.json: ok (3 secrets; the key opens it and every value decrypts; sealed, generation 5, verified; since no-vault: 3 added, 0 changed, 0 removed)\n',
    );
    expect(ok(['verify', '--since', 'no-vault'])).toBe(
      added +
        'secrets.json: ok (3 secrets; structure only: no key given; sealed, not checked; since no-vault: 3 added, 0 changed, 0 removed)\n',
    );
    const unknown = repo.ss(['verify', '--since', 'no-such-rev']);
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([
      1,
      '',
      `error: unknown revision "no-such-rev" in ${repo.dir}\n`,
    ]);
  });

  it('a branch that swaps two blobs fails, with one clear line', () => {
    const d = doc();
    const [a, b] = [d.secrets.get('API_KEY')!, d.secrets.get('TOKEN')!];
    d.secrets.set('API_KEY', b);
    d.secrets.set('TOKEN', a);
    writeDoc(d);
    commit('swap');
    // Before the seal, `get` returned the other value and verify said ok (issue 13).
    const get = repo.ss([...K, 'get', 'API_KEY']);
    expect([get.code, get.stdout]).toEqual([1, '']);
    expect(get.stderr).toBe(
      `error: ${vault()} was changed without its key (names, values or their order no longer match its seal); see what changed with \`git log -p ${vault()}\`, and run \`ssclient seal --after-merge\` only if you trust the change\n`,
    );
    const list = repo.ss([...K, 'list']);
    expect([list.code, list.stdout]).toEqual([1, '']);
    expect(list.stderr).toContain('error: secrets.json was changed without its key');
    const r = repo.ss([...K, 'verify', '--since', 'main']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      'changed: "API_KEY"\nchanged: "TOKEN"\n' +
        'secrets.json was changed without its key (names, values or their order no longer match its seal); see what changed with `git log -p secrets.json`, and run `ssclient seal --after-merge` only if you trust the change\n' +
        'secrets.json: its secrets changed since main but its generation did not grow (5 at main, 5 now): an older sealed file was put back, or a seal was copied from another version\n',
      '',
    ]);
  });

  it('a name holding terminal controls is listed escaped, not sent to the terminal', () => {
    // A blob copied under a name with a C1 CSI and a bidi override, which JSON quoting leaves
    // as they are, by a tool that does not seal: the list shows them as \u escapes.
    const d = doc();
    d.secrets.set('x\u009b2J\u202eyz', d.secrets.get('API_KEY')!);
    d.extras.length = 0;
    writeDoc(d);
    commit('copy under a hostile name');
    const r = repo.ss([...K, 'verify', '--since', 'main']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      'added: "x\\u009b2J\\u202eyz"\n' +
        'secrets.json: it was sealed at main (generation 5) and is not sealed now: a tool that does not seal wrote it, or its seal was removed\n',
      '',
    ]);
  });

  it('a seal that lacks a secret is one problem, said once, with the name escaped', () => {
    const d = doc();
    d.secrets.set('x\u009b2J', d.secrets.get('API_KEY')!);
    writeDoc(d);
    commit('copy under a name the seal does not know');
    const r = repo.ss([...K, 'verify', '--since', 'main']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      'secrets.json: the seal is malformed (secret "x\\u009b2J" has no line); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`\n',
      '',
    ]);
  });

  it('a branch that rolls the file back to an older commit fails (the old seal is genuine)', () => {
    repo.git(['checkout', 'main~1', '--', 'secrets.json']);
    commit('roll back');
    // The file on its own verifies: it is a real older version.
    expect(ok([...K, 'verify'])).toBe(
      'secrets.json: ok (2 secrets; the key opens it and every value decrypts; sealed, generation 3, verified)\n',
    );
    const r = repo.ss([...K, 'verify', '--since', 'main']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      'changed: "API_KEY"\nremoved: "TOKEN"\n' +
        'secrets.json: its secrets changed since main but its generation did not grow (5 at main, 3 now): an older sealed file was put back, or a seal was copied from another version\n',
      '',
    ]);
    // No key is needed to see it.
    expect(repo.ss(['verify', '--since', 'main']).code).toBe(1);
  });

  it('a branch written by a tool that does not seal fails where the seal is required', () => {
    const d = doc();
    d.extras.length = 0; // what the reference ssclient writes: every unknown member dropped
    writeDoc(d);
    commit('written without the seal');
    const r = repo.ss([...K, 'verify', '--since', 'main']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      'secrets.json: it was sealed at main (generation 5) and is not sealed now: a tool that does not seal wrote it, or its seal was removed\n',
      '',
    ]);
    // It still opens where the seal is not required, and is refused where it is.
    expect(ok([...K, 'get', 'TOKEN'])).toBe('token-1\n');
    const message = `error: ${vault()} has no seal, and the seal is required: it was written by a tool that does not seal, or the seal was removed; check it with \`git log -p ${vault()}\`, then run \`ssclient seal\` if you trust it\n`;
    expect(repo.ss([...K, '--require-seal', 'get', 'TOKEN'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: message,
    });
    expect(repo.ss([...K, 'get', 'TOKEN'], { env: { SSCLIENT_REQUIRE_SEAL: '1' } })).toMatchObject({
      code: 1,
      stdout: '',
      stderr: message,
    });
    writeFileSync(join(repo.dir, '.ssclient.json'), '{ "requireSeal": true }\n');
    expect(repo.ss([...K, 'get', 'TOKEN'])).toMatchObject({ code: 1, stderr: message });
    // Sealing it again (the change trusted) continues from the generation committed before
    // the seal was dropped (HEAD^1), so --since sees it grow.
    expect(ok([...K, 'seal'])).toBe('secrets.json: sealed (generation 6)\n');
    expect(ok([...K, '--require-seal', 'verify', '--since', 'main'])).toBe(
      'secrets.json: ok (3 secrets; the key opens it and every value decrypts; sealed, generation 6, verified; since main: 0 added, 0 changed, 0 removed)\n',
    );
  });
});

describe('the merge driver (spec/seal.md §9.3)', () => {
  beforeEach(() => {
    repo.git(['checkout', '-q', 'main']);
    expect(repo.ss(['git', 'install', '--command', SSCLIENT_COMMAND]).code).toBe(0);
    repo.git(['add', '.gitattributes']);
    commit('install the drivers');
    repo.git(['checkout', '-q', 'pr']);
    repo.git(['merge', '-q', 'main']);
  });

  /** pr adds `theirs`, main adds `ours`, then main merges pr. */
  function branches(theirs: () => void, ours: () => void): void {
    theirs();
    commit('theirs');
    repo.git(['checkout', '-q', 'main']);
    ours();
    commit('ours');
  }

  it('with the key: checks both sides and seals the result at max(ours, theirs) + 1', () => {
    branches(
      () => ok([...K, 'set', 'FROM_PR', 'pr']),
      () => {
        ok([...K, 'set', 'FROM_MAIN', 'main']);
        ok([...K, 'set', 'FROM_MAIN_2', 'main 2']);
      },
    );
    const merge = repo.git(['merge', '--no-edit', 'pr'], {
      allowFailure: true,
      env: { SSCLIENT_KEY: 'secrets.key' },
    });
    expect(merge.code, merge.stderr).toBe(0);
    // ours: generation 7; theirs: 6.
    expect(ok([...K, '--require-seal', 'verify'])).toBe(
      'secrets.json: ok (6 secrets; the key opens it and every value decrypts; sealed, generation 8, verified)\n',
    );
    expect(ok([...K, 'get', 'FROM_PR'])).toBe('pr\n');
  });

  it('with the key: refuses a side with a blob under another key, or a damaged one', () => {
    repo.git(['checkout', '-q', 'main']);
    ok([...K, 'set', 'ON_MAIN', 'm']); // so that merging the bad branch is no fast-forward
    commit('main moves on');
    for (const [what, damage] of [
      [
        'a blob under another key',
        (d: VaultDocument) => {
          const other = splitKey(randomBytes(32));
          d.secrets.set('TOKEN', encryptBlob(other, new TextEncoder().encode('evil')));
        },
      ],
      [
        'a damaged blob',
        (d: VaultDocument) => {
          const b = d.secrets.get('TOKEN')!;
          d.secrets.set('TOKEN', { ...b, hmac: (b.hmac[0] === 'A' ? 'B' : 'A') + b.hmac.slice(1) });
        },
      ],
    ] as const) {
      repo.git(['checkout', '-q', 'pr']);
      repo.git(['checkout', '-qb', `bad-${what.length}`]);
      const d = doc();
      damage(d);
      writeDoc(d);
      commit(what);
      repo.git(['checkout', '-q', 'main']);
      const before = repo.read('secrets.json');
      const merge = repo.git(['merge', '--no-edit', `bad-${what.length}`], {
        allowFailure: true,
        env: { SSCLIENT_KEY: 'secrets.key' },
      });
      expect(merge.code, what).toBe(1);
      expect(merge.stderr + merge.stdout).toContain(
        `error: cannot merge secrets.json by secret name: their secrets.json: secret "TOKEN" does not verify under the key: it was encrypted under another key, or damaged. Our version was left in place`,
      );
      expect(repo.read('secrets.json')).toEqual(before);
      repo.git(['merge', '--abort']);
    }
  });

  it('without the key: merges as before, leaves the result unsealed, and says so', () => {
    branches(
      () => ok([...K, 'set', 'FROM_PR', 'pr']),
      () => ok([...K, 'set', 'FROM_MAIN', 'main']),
    );
    const merge = repo.git(['merge', '--no-edit', 'pr'], { allowFailure: true });
    expect(merge.code, merge.stderr).toBe(0);
    expect(merge.stderr + merge.stdout).toContain(
      'secrets.json was merged without its key, so the result is not sealed: run `ssclient seal`, then commit it (git commits a merge without conflicts at once: seal it in a new commit)',
    );
    expect(repo.read('secrets.json').toString()).not.toContain('"seal"');
    // git has committed the merge already (no conflict), so the seal goes in a new commit.
    expect(
      repo.git(['rev-list', '--parents', '-n', '1', 'HEAD']).stdout.trim().split(' '),
    ).toHaveLength(3);
    // A required seal fails until someone seals it; sealing continues the generation.
    expect(repo.ss([...K, '--require-seal', 'get', 'FROM_PR']).code).toBe(1);
    expect(ok([...K, 'seal'])).toBe('secrets.json: sealed (generation 7)\n');
    expect(ok([...K, '--require-seal', 'get', 'FROM_PR'])).toBe('pr\n');
  });
});

describe('a merge as text, with no driver installed (spec/seal.md §7)', () => {
  it('merges cleanly, fails to open until `ssclient seal --after-merge`, which re-seals it', () => {
    ok([...K, 'set', 'B_FROM_PR', 'pr']); // between API_KEY and DB_PASSWORD
    commit('pr adds a secret');
    repo.git(['checkout', '-q', 'main']);
    ok([...K, 'set', 'ZZ_FROM_MAIN', 'main']); // after TOKEN
    commit('main adds a secret');
    const merge = repo.git(['merge', '--no-edit', 'pr'], { allowFailure: true });
    // git merges the secrets and their seal lines as text, without a conflict.
    expect(merge.code, merge.stdout).toBe(0);
    expect(merge.stdout).toContain('Auto-merging secrets.json');
    // The file holds two seals of generation 6: no command opens it.
    const get = repo.ss([...K, 'get', 'B_FROM_PR']);
    expect([get.code, get.stderr]).toEqual([
      1,
      `error: ${vault()} was changed without its key (two seals of generation 6 disagree, as after a merge of the file as text); see what changed with \`git log -p ${vault()}\`, and run \`ssclient seal --after-merge\` only if you trust the change\n`,
    ]);
    // CI (verify --since, no key needed) sees it too: names changed, generation not grown.
    expect(repo.ss(['verify', '--since', 'HEAD~1'])).toMatchObject({
      code: 1,
      stdout:
        'added: "B_FROM_PR"\n' +
        'secrets.json: its secrets changed since HEAD~1 but its generation did not grow (6 at HEAD~1, 6 now): two sealed versions were merged as text (two seals of generation 6 disagree); with the key, check it and run `ssclient seal --after-merge` if you trust the merge\n',
    });
    // What the user then runs, with the key: re-seal (every blob and tag checked), commit.
    expect(ok([...K, 'seal', '--after-merge'])).toBe('secrets.json: sealed (generation 7)\n');
    commit('re-seal after the merge');
    expect(ok([...K, '--require-seal', 'get', 'B_FROM_PR'])).toBe('pr\n');
    expect(ok([...K, 'verify', '--since', 'pr'])).toBe(
      'added: "ZZ_FROM_MAIN"\n' +
        'secrets.json: ok (5 secrets; the key opens it and every value decrypts; sealed, generation 7, verified; since pr: 1 added, 0 changed, 0 removed)\n',
    );
  });

  it('seal --after-merge refuses a merge that moved a blob to another name', () => {
    const d = doc();
    const [a, b] = [d.secrets.get('API_KEY')!, d.secrets.get('TOKEN')!];
    d.secrets.set('API_KEY', b);
    d.secrets.set('TOKEN', a);
    writeDoc(d);
    const before = repo.read('secrets.json');
    const r = repo.ss([...K, 'seal', '--after-merge']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      `error: ${vault()}: secrets "API_KEY", "TOKEN" are not bound to their names (moved, copied or from another vault); not re-sealed\n`,
    ]);
    expect(repo.read('secrets.json')).toEqual(before);
  });
});

describe('--reveal shows a value only under the name the seal binds it to (spec/seal.md §1.1, §4.2)', () => {
  /** The value lines (indented) of `history NAME --reveal`, newest first. */
  const revealed = (name: string): string[] =>
    ok([...K, 'history', name, '--reveal'])
      .split('\n')
      .filter((l) => l.startsWith('    '));

  it('history and diff-text hide the values of a version whose blobs were swapped', () => {
    const d = doc();
    const [a, b] = [d.secrets.get('API_KEY')!, d.secrets.get('DB_PASSWORD')!];
    d.secrets.set('API_KEY', b);
    d.secrets.set('DB_PASSWORD', a);
    writeDoc(d);
    commit('swap');
    // Before: the swap commit showed "db-1" as API_KEY's value and "api-2" as DB_PASSWORD's.
    const hidden =
      '    (not shown: the seal does not bind this value to the name; changed without its key)';
    expect(revealed('API_KEY')).toEqual([hidden, '    "api-2"', '    "api-1"']);
    expect(revealed('DB_PASSWORD')).toEqual([hidden, '    "db-1"']);
    const text = ok([...K, 'git', 'diff-text', '--reveal', 'secrets.json']);
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      '# the seal does not bind some values to their names (changed without its key): fingerprints only for those',
    );
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(/^API_KEY = hmac:[0-9a-f]{12}$/),
      expect.stringMatching(/^DB_PASSWORD = hmac:[0-9a-f]{12}$/),
      'TOKEN = "token-1"',
      '',
    ]);
    expect(text).not.toContain('api-2');
    expect(text).not.toContain('db-1');
  });

  it('a merge as text keeps every value bound to its name, so all are shown', () => {
    ok([...K, 'set', 'B_FROM_PR', 'pr']);
    commit('pr adds a secret');
    repo.git(['checkout', '-q', 'main']);
    ok([...K, 'set', 'ZZ_FROM_MAIN', 'main']);
    commit('main adds a secret');
    expect(repo.git(['merge', '--no-edit', 'pr']).code).toBe(0);
    expect(revealed('B_FROM_PR')).toEqual(['    "pr"']);
    expect(
      ok([...K, 'git', 'diff-text', '--reveal', 'secrets.json'])
        .split('\n')
        .slice(1),
    ).toEqual([
      'API_KEY = "api-2"',
      'B_FROM_PR = "pr"',
      'DB_PASSWORD = "db-1"',
      'TOKEN = "token-1"',
      'ZZ_FROM_MAIN = "main"',
      '',
    ]);
  });
});

describe('get --rev on a version changed without its key', () => {
  it('names the file and revision, and a git log command that runs', () => {
    const d = doc();
    const [a, b] = [d.secrets.get('API_KEY')!, d.secrets.get('DB_PASSWORD')!];
    d.secrets.set('API_KEY', b);
    d.secrets.set('DB_PASSWORD', a);
    writeDoc(d);
    commit('swap');
    repo.git(['checkout', '-q', 'main']);
    // It said "the vault was changed …; see what changed with `git log -p the vault`".
    const r = repo.ss([...K, 'get', 'API_KEY', '--rev', 'pr']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'error: secrets.json at pr was changed without its key (names, values or their order no longer match its seal); see what changed with `git log -p pr -- secrets.json`, and run `ssclient seal --after-merge` only if you trust the change\n',
    ]);
    expect(repo.git(['log', '-p', 'pr', '--', 'secrets.json']).code).toBe(0);
    expect(ok([...K, 'get', 'API_KEY', '--rev', 'main'])).toBe('api-2\n');
  });
});

describe('a malformed seal (a secret added by a tool that keeps the seal as it was)', () => {
  it('says what to do, and doing it gets the vault back', () => {
    // An older ssclient or another library that keeps unknown members adds a secret: its seal
    // now lacks that line. Neither `seal` nor `seal --after-merge` reads such a seal.
    const dropSeal = (d: VaultDocument): [string, JsonNode] => {
      const at = d.extras.findIndex(([field]) => field === 'seal');
      return d.extras.splice(at, 1)[0]!;
    };
    const plain = doc();
    const seal = dropSeal(plain);
    writeDoc(plain);
    ok([...K, 'set', 'ADDED', 'x']); // an unsealed vault stays unsealed
    const d = doc();
    d.extras.push(seal);
    writeDoc(d);
    const message = `${vault()}: the seal is malformed (secret "ADDED" has no line); the vault was changed without its key: see what changed with \`git log -p\` on it, and if you trust it, remove its "seal" member and run \`ssclient seal\``;
    for (const args of [['get', 'API_KEY'], ['seal'], ['seal', '--after-merge']]) {
      const r = repo.ss([...K, ...args]);
      expect([r.code, r.stderr], args.join(' ')).toEqual([1, `error: ${message}\n`]);
    }
    const fixed = doc();
    dropSeal(fixed);
    writeDoc(fixed);
    expect(ok([...K, 'seal'])).toBe('secrets.json: sealed (generation 6)\n');
    expect(ok([...K, '--require-seal', 'get', 'ADDED'])).toBe('x\n');
  });
});
