/**
 * spec/format.md §8.1 beside the KEY file (issue 14 item 13): a rekey killed while it wrote the
 * new key leaves `.NAME.key.new.<pid>.<hex>.tmp` holding a 99-byte key. Every locked write
 * (here `set`, through the fast path and through main, `delete`, `edit` and `seal`; in the library `update` with
 * `{ keyFile }`) removes what a dead process left beside the key file and beside `<key>.new`,
 * as it already did beside the vault; a live process's temporary files, names that are not our
 * pattern, and a directory whose marker names another host are kept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeKeyFile } from '../../src/format/key-file.js';
import { SecretsManager } from '../../src/index.js';
import { runProcess } from '../helpers/cli.js';
import { KEY_BYTES, makeVault, tempDir } from '../helpers/vaults.js';

const tmp = tempDir('ss-key-leftovers-');
afterAll(() => tmp.cleanup());
let counter = 0;

/** A pid that was a process a moment ago and is not one now. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (pid === undefined) throw new Error('no child process');
  return pid;
}

const KEY_TEXT = Buffer.from(encodeKeyFile(KEY_BYTES));

/** A temporary directory as writeFileAtomic makes it, with its marker and the key inside. */
function tempDirLeftover(dir: string, name: string, pid: number, host = hostname()): string {
  const path = join(dir, `.${name}.${pid}.0123456789ab.tmp`);
  mkdirSync(path, { mode: 0o700 });
  writeFileSync(
    join(path, '.gitignore'),
    `# ssclient: a file being written; removed when its writer ends ${JSON.stringify({ pid, host })}\n*\n`,
  );
  writeFileSync(join(path, name), KEY_TEXT, { mode: 0o600 });
  return path;
}

/** A plain temporary file, as versions before the temporary directory left them. */
function tempFileLeftover(dir: string, name: string, pid: number): string {
  const path = join(dir, `.${name}.${pid}.abcdefabcdef.tmp`);
  writeFileSync(path, KEY_TEXT, { mode: 0o600 });
  return path;
}

interface Scene {
  dir: string;
  /** Left by dead processes beside k.key and k.key.new: must go. */
  dead: string[];
  /** Must stay: a live writer's, another host's, and names that are not our pattern. */
  kept: string[];
}

/** A vault with `k.key` and, beside the key file, what an interrupted rekey and others left. */
async function scene(): Promise<Scene> {
  const dir = join(tmp.dir, `s${counter++}`);
  mkdirSync(dir);
  await makeVault(dir, [['OLD', 'old value']]);
  const gone = deadPid();
  const dead = [
    tempDirLeftover(dir, 'k.key.new', gone),
    tempFileLeftover(dir, 'k.key.new', gone),
    tempDirLeftover(dir, 'k.key', gone),
    tempFileLeftover(dir, 'k.key', gone),
  ];
  const kept = [
    tempDirLeftover(dir, 'k.key.new', process.pid),
    tempFileLeftover(dir, 'k.key', process.pid),
    tempDirLeftover(dir, 'k.key.new', gone + 1_000_000, 'another-host.example'),
    join(dir, `.k.key.new.${gone}.tmp`),
    join(dir, `k.key.new.${gone}.0123456789ab.tmp`),
    join(dir, `.other.key.${gone}.0123456789ab.tmp`),
  ];
  for (const path of kept.slice(3)) writeFileSync(path, KEY_TEXT);
  for (const path of [...dead, ...kept]) expect(existsSync(path), path).toBe(true);
  return { dir, dead, kept };
}

function expectCleaned({ dead, kept }: Scene): void {
  for (const path of dead) expect(existsSync(path), `${path} should be gone`).toBe(false);
  for (const path of kept) expect(existsSync(path), `${path} should be kept`).toBe(true);
}

describe('a locked write removes abandoned temporary files beside the key file', () => {
  it('`set NAME VALUE` (the fast path), as a real process', async () => {
    const s = await scene();
    const result = runProcess(['-k', 'k.key', 'set', 'NEW', 'new value'], { cwd: s.dir });
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expectCleaned(s);
    const got = runProcess(['-k', 'k.key', 'get', 'NEW'], { cwd: s.dir });
    expect(got).toMatchObject({ code: 0, stdout: 'new value\n' });
  });

  it('`set NAME` from stdin and `delete` (through main), as real processes', async () => {
    const s = await scene();
    const set = runProcess(['--key', 'k.key', 'set', 'NEW'], { cwd: s.dir, input: 'v\n' });
    expect(set).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expectCleaned(s);
    const again = await scene();
    const del = runProcess(['-k', 'k.key', 'delete', 'OLD'], { cwd: again.dir });
    expect(del).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expectCleaned(again);
  });

  it('the key file named by SSCLIENT_KEY, from another directory', async () => {
    const s = await scene();
    const result = runProcess(['-s', join(s.dir, 'secrets.json'), 'set', 'NEW', 'x'], {
      cwd: tmp.dir,
      env: { SSCLIENT_KEY: join(s.dir, 'k.key') },
    });
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expectCleaned(s);
  });

  it('`edit`, as a real process', async () => {
    const s = await scene();
    const editor = join(s.dir, 'ed.sh');
    writeFileSync(editor, `#!/bin/sh\nsed -i "s/^OLD=.*/OLD='edited'/" "$1"\n`, { mode: 0o755 });
    const editDir = join(s.dir, 'shm');
    mkdirSync(editDir);
    const result = runProcess(['-k', 'k.key', 'edit'], {
      cwd: s.dir,
      env: { EDITOR: editor, SSCLIENT_EDIT_DIR: editDir },
    });
    expect(result).toMatchObject({
      code: 0,
      stderr: 'Edited secrets.json: 1 changed, 0 added, 0 removed\n',
    });
    expectCleaned(s);
    const got = runProcess(['-k', 'k.key', 'get', 'OLD'], { cwd: s.dir });
    expect(got).toMatchObject({ code: 0, stdout: 'edited\n' });
  });

  it('`seal`, as a real process', async () => {
    const s = await scene();
    const result = runProcess(['-k', 'k.key', 'seal'], { cwd: s.dir });
    expect(result).toMatchObject({ code: 0, stdout: 'secrets.json: sealed (generation 1)\n' });
    expectCleaned(s);
  });

  it('cleans only beside the key file it was given: another (wrong) key leaves k.key’s alone', async () => {
    const s = await scene();
    writeFileSync(join(s.dir, 'wrong.key'), encodeKeyFile(new Uint8Array(32).fill(9)));
    const before = readdirSync(s.dir).sort();
    const vault = readFileSync(join(s.dir, 'secrets.json'));
    const result = runProcess(['-k', 'wrong.key', 'set', 'NEW', 'x'], { cwd: s.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: wrong key for .*secrets\.json/);
    expect(readdirSync(s.dir).sort()).toEqual(before);
    expect(readFileSync(join(s.dir, 'secrets.json')).equals(vault)).toBe(true);
  });

  it('the library: SecretsManager.update with { keyFile }', async () => {
    const s = await scene();
    await SecretsManager.update(
      join(s.dir, 'secrets.json'),
      { keyFile: join(s.dir, 'k.key') },
      (v) => v.set('NEW', 'x'),
    );
    expectCleaned(s);
  });
});
