/**
 * `ssclient edit` at a real terminal (tmux) with a real terminal editor (vi: vim or vim-tiny,
 * which .ci/run installs where there is none): the edit is written, unchanged blobs stay, the
 * private file is gone; a file that does not parse offers to re-open the editor (as sops does),
 * and answering no writes nothing.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySource } from '../../src/auth.js';
import { parseVault } from '../../src/format/vault-codec.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { PtySession } from '../helpers/pty.js';
import { KEY_BYTES, makeVault, tempDir } from '../helpers/vaults.js';

/** vi without the user's vimrc (-u NONE), not vi-compatible (-N), no swap file (-n). */
const VI = 'vi -u NONE -N -n';

let dir = '';
let editDir = '';
let session: PtySession | null = null;
let cleanup = () => {};

beforeEach(async () => {
  const t = tempDir('ssclient-edit-pty-');
  dir = t.dir;
  cleanup = t.cleanup;
  editDir = join(dir, 'shm');
  mkdirSync(editDir);
  await makeVault(dir, [
    ['a', '1'],
    ['bin', Uint8Array.of(0xff, 0x00)],
    ['keep', 'k'],
  ]);
});
afterEach(() => {
  session?.kill();
  session = null;
  cleanup();
});

function start(): PtySession {
  session = PtySession.start(['-k', 'k.key', 'edit'], {
    cwd: dir,
    env: { EDITOR: VI, SSCLIENT_EDIT_DIR: editDir, TERM: 'xterm' },
  });
  return session;
}

/** Runs an ex command in vi (Escape first, so it works from any mode). */
function ex(s: PtySession, command: string): void {
  s.keys('Escape');
  s.type(`:${command}`);
  s.keys('Enter');
}

/** Appends a line in vi's normal mode (vim-tiny has no `:put =`, which needs +eval). */
function appendLine(s: PtySession, text: string): void {
  s.keys('Escape');
  s.type(`Go${text}`);
  s.keys('Escape');
}

function blobs(): Map<string, unknown> {
  return parseVault(readFileSync(join(dir, 'secrets.json')), 'v').secrets as Map<string, unknown>;
}

async function value(name: string): Promise<string | null> {
  const vault = await SecretsManager.fromFile(
    join(dir, 'secrets.json'),
    KeySource.fromKey(KEY_BYTES),
  );
  try {
    return vault.get(name);
  } finally {
    vault.close();
  }
}

describe('ssclient edit with vi at a terminal', () => {
  it('an edit made in vi is written; the other blobs stay; the file is gone', async () => {
    const before = blobs();
    const s = start();
    await s.waitFor("keep='k'");
    ex(s, "%s/^a=.*/a='typed in vi'/");
    ex(s, 'wq');
    await s.waitFor('Edited secrets.json: 1 changed, 0 added, 0 removed');
    expect(await s.exitCode()).toBe(0);
    expect(await value('a')).toBe('typed in vi');
    const after = blobs();
    expect(after.get('bin')).toEqual(before.get('bin'));
    expect(after.get('keep')).toEqual(before.get('keep'));
    expect(readdirSync(editDir)).toEqual([]);
  });

  it('a parse error offers to re-open the editor; fixed there, the edit is written', async () => {
    const s = start();
    await s.waitFor("keep='k'");
    ex(s, "%s/^a=.*/a='2'/");
    appendLine(s, 'not a line');
    ex(s, 'wq');
    await s.waitFor('Re-open the editor? (Y/n)');
    expect(s.screen()).toContain(
      'error: the edited dotenv file line 5: expected NAME=value, found no = after the first word (not shown: it may be a value)\n',
    );
    s.keys('Enter');
    await s.waitFor('not a line');
    ex(s, '$d');
    ex(s, 'wq');
    await s.waitFor('Edited secrets.json: 1 changed, 0 added, 0 removed');
    expect(await s.exitCode()).toBe(0);
    expect(await value('a')).toBe('2');
    expect(readdirSync(editDir)).toEqual([]);
  });

  it('answering no to re-open writes nothing (exit 1)', async () => {
    const bytes = readFileSync(join(dir, 'secrets.json'));
    const s = start();
    await s.waitFor("keep='k'");
    appendLine(s, 'not a line');
    ex(s, 'wq');
    await s.waitFor('Re-open the editor? (Y/n)');
    s.type('n');
    s.keys('Enter');
    await s.waitFor('error: nothing was written to secrets.json');
    expect(await s.exitCode()).toBe(1);
    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(bytes);
    expect(readdirSync(editDir)).toEqual([]);
  });
});
