/**
 * `ssclient edit` as a real process (issue 15, item 5) with EDITOR set to small sh scripts:
 * change one, add one, remove one, no change, exit 1, a file that does not parse, SIGINT /
 * SIGTERM / SIGHUP sent to ssclient while the editor runs, the vault changed on disk meanwhile.
 * Every case checks that unchanged secrets keep byte-identical blobs and that the private
 * temporary directory (SSCLIENT_EDIT_DIR points it into the test's own directory) is gone.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySource } from '../../src/auth.js';
import { parseVault } from '../../src/format/vault-codec.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { BIN, runProcess } from '../helpers/cli.js';
import { KEY_BYTES, makeVault, tempDir } from '../helpers/vaults.js';

let dir = '';
let editDir = '';
let cleanup = () => {};

const INITIAL: [string, string | Uint8Array][] = [
  ['a', '1'],
  ['b', 'it\'s "q" $x'],
  ['bin', Uint8Array.of(0xff, 0x00, 0x80)],
  ['keep', 'k'],
];

beforeEach(async () => {
  const t = tempDir('ssclient-edit-test-');
  dir = t.dir;
  cleanup = t.cleanup;
  editDir = join(dir, 'shm');
  mkdirSync(editDir);
  await makeVault(dir, INITIAL);
});
afterEach(() => cleanup());

/** An executable sh script in the test directory; `$1` is the file to edit. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function edit(editor: string, args: string[] = [], env: Record<string, string> = {}) {
  return runProcess(['-k', 'k.key', 'edit', ...args], {
    cwd: dir,
    env: { EDITOR: editor, SSCLIENT_EDIT_DIR: editDir, ...env },
  });
}

function blobs(): Map<string, unknown> {
  return parseVault(readFileSync(join(dir, 'secrets.json')), 'v').secrets as Map<string, unknown>;
}

async function values(): Promise<Record<string, string>> {
  const vault = await SecretsManager.fromFile(
    join(dir, 'secrets.json'),
    KeySource.fromKey(KEY_BYTES),
  );
  try {
    return Object.fromEntries(
      [...vault.getAllBytes()].map(([n, b]) => [n, Buffer.from(b).toString('hex')]),
    );
  } finally {
    vault.close();
  }
}

const hex = (s: string) => Buffer.from(s).toString('hex');

/** The blobs of `names` are byte-identical to `before`'s. */
function expectKept(before: Map<string, unknown>, names: string[]): void {
  const after = blobs();
  for (const n of names) expect(after.get(n), n).toEqual(before.get(n));
}

function expectTempGone(): void {
  expect(readdirSync(editDir)).toEqual([]);
}

describe('ssclient edit with EDITOR scripts', () => {
  it('change one: only its blob changes; binary values are shown as base64: and kept', async () => {
    const before = blobs();
    const seen = join(dir, 'seen.env');
    const r = edit(script('ed.sh', `cp "$1" ${seen}\nsed -i "s/^a=.*/a='changed'/" "$1"`));
    expect(r.stderr).toBe('Edited secrets.json: 1 changed, 0 added, 0 removed\n');
    expect(r.code).toBe(0);
    expect(readFileSync(seen, 'utf8')).toBe(
      [
        "# ssclient edit: NAME='value' per line; a line removed removes its secret; base64:… is bytes",
        "a='1'",
        `b='it'\\''s "q" $x'`,
        "bin='base64:/wCA'",
        "keep='k'",
        '',
      ].join('\n'),
    );
    expectKept(before, ['b', 'bin', 'keep']);
    expect(blobs().get('a')).not.toEqual(before.get('a'));
    expect((await values()).a).toBe(hex('changed'));
    expect((await values()).bin).toBe('ff0080');
    expectTempGone();
  });

  it('add one and remove one', async () => {
    const before = blobs();
    const r = edit(script('ed.sh', `sed -i '/^b=/d' "$1"\nprintf "NEW='n'\\n" >> "$1"`));
    expect(r.stderr).toBe('Edited secrets.json: 0 changed, 1 added, 1 removed\n');
    expect(r.code).toBe(0);
    expectKept(before, ['a', 'bin', 'keep']);
    expect([...blobs().keys()]).toEqual(['NEW', 'a', 'bin', 'keep']);
    expect((await values()).NEW).toBe(hex('n'));
    expectTempGone();
  });

  it('a binary value edited as base64: is stored as those bytes', async () => {
    const r = edit(script('ed.sh', `sed -i "s/^bin=.*/bin=base64:AAEC/" "$1"`));
    expect(r.stderr).toBe('Edited secrets.json: 1 changed, 0 added, 0 removed\n');
    expect((await values()).bin).toBe('000102');
    expectTempGone();
  });

  it('no change, or the same values written another way: nothing is written', () => {
    const bytes = readFileSync(join(dir, 'secrets.json'));
    for (const body of ['true', `sed -i "s/^a='1'/a=1/; s/^keep='k'/keep=\\"k\\"  # same/" "$1"`]) {
      const r = edit(script('ed.sh', body));
      expect(r.stderr).toBe('No changes: nothing was written to secrets.json\n');
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'secrets.json'))).toEqual(bytes);
      expectTempGone();
    }
  });

  it('an editor that exits 1 writes nothing (exit 1)', () => {
    const bytes = readFileSync(join(dir, 'secrets.json'));
    const editor = script('ed.sh', `sed -i "s/^a=.*/a='changed'/" "$1"\nexit 1`);
    const r = edit(editor);
    expect(r.stderr).toBe(
      `error: the editor ${JSON.stringify(editor)} exited with status 1: nothing was written to secrets.json\n`,
    );
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(bytes);
    expectTempGone();
  });

  it('a file that does not parse writes nothing off a terminal (exit 1), naming the line, no value', () => {
    const bytes = readFileSync(join(dir, 'secrets.json'));
    const r = edit(
      script('ed.sh', `sed -i "s/^a=.*/a='changed'/" "$1"\necho "s3cr3t value" >> "$1"`),
    );
    expect(r.stderr).toBe(
      'error: the edited dotenv file line 6: expected NAME=value, found no = after the first word (not shown: it may be a value); nothing was written to secrets.json\n',
    );
    expect(r.stderr).not.toContain('s3cr3t');
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(bytes);
    expectTempGone();
  });

  it('an emptied file is refused, not read as "remove everything"', () => {
    const bytes = readFileSync(join(dir, 'secrets.json'));
    const r = edit(script('ed.sh', ': > "$1"'));
    expect(r.stderr).toBe(
      'error: the edited dotenv file is empty (to remove every secret, leave a # comment line in it); nothing was written to secrets.json\n',
    );
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(bytes);
    expectTempGone();
  });

  it('--format json and --format yaml', async () => {
    const before = blobs();
    const seen = join(dir, 'seen');
    let r = edit(script('ed.sh', `cp "$1" ${seen}\nsed -i 's/"a": "1"/"a": "j"/' "$1"`), [
      '--format',
      'json',
    ]);
    expect(r.stderr).toBe('Edited secrets.json: 1 changed, 0 added, 0 removed\n');
    expect(readFileSync(seen, 'utf8')).toBe(
      '{\n  "a": "1",\n  "b": "it\'s \\"q\\" $x",\n  "bin": "base64:/wCA",\n  "keep": "k"\n}\n',
    );
    r = edit(script('ed.sh', `cp "$1" ${seen}\nsed -i 's/"keep": "k"/"keep": "y"/' "$1"`), [
      '--format',
      'yaml',
    ]);
    expect(r.stderr).toBe('Edited secrets.json: 1 changed, 0 added, 0 removed\n');
    expect(readFileSync(seen, 'utf8')).toBe(
      '"a": "j"\n"b": "it\'s \\"q\\" $x"\n"bin": "base64:/wCA"\n"keep": "k"\n',
    );
    expectKept(before, ['b', 'bin']);
    expect(await values()).toMatchObject({ a: hex('j'), keep: hex('y') });
    expectTempGone();
  });

  it('the file is 0600 in a 0700 directory named like the vault; the editor runs through sh with its arguments', () => {
    const out = join(dir, 'out');
    // VISUAL wins over EDITOR, and may hold arguments (as `code -w`).
    const visual = script(
      'visual.sh',
      `printf '%s|' "$1" "$(stat -c %a "$(dirname "$2")")" "$(stat -c %a "$2")" "$(basename "$2")" > ${out}`,
    );
    const r = edit(script('ed.sh', 'exit 3'), [], { VISUAL: `${visual} --wait` });
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('--wait|700|600|secrets.env|');
    expectTempGone();
  });

  it('without SSCLIENT_EDIT_DIR the directory is in /dev/shm where it can be', () => {
    if (!existsSync('/dev/shm')) return;
    const out = join(dir, 'out');
    const r = runProcess(['-k', 'k.key', 'edit'], {
      cwd: dir,
      env: { EDITOR: script('ed.sh', `dirname "$1" > ${out}`) },
    });
    expect(r.code).toBe(0);
    const where = readFileSync(out, 'utf8').trim();
    expect(where).toMatch(/^\/dev\/shm\/ssclient-edit-[0-9a-f]{12}$/);
    expect(existsSync(where)).toBe(false);
  });

  it('no editor to be found: exit 2, the variables named, nothing written', () => {
    const r = runProcess(['-k', 'k.key', 'edit'], {
      cwd: dir,
      env: { PATH: join(dir, 'empty'), SSCLIENT_EDIT_DIR: editDir },
    });
    expect(r.stderr).toMatch(
      // The first line is the shell's own, named after the editor as git names it ("$0"):
      // dash says "vi: 1: vi: not found", bash "vi: line 1: vi: command not found".
      /^vi: (?:line )?1: vi: (?:command )?not found\nerror: cannot start the editor "vi" \(the default: neither VISUAL nor EDITOR is set\): command not found; set VISUAL or EDITOR to an editor that waits until the file is closed \(for example "code -w"\); nothing was written to secrets.json\n$/,
    );
    expect(r.code).toBe(2);
    expectTempGone();
  });

  it('a wrong key or a missing seal (--require-seal) stops before the editor runs', () => {
    const marker = join(dir, 'ran');
    const editor = script('ed.sh', `touch ${marker}`);
    writeFileSync(join(dir, 'other.key'), Buffer.alloc(32, 7), { mode: 0o600 });
    let r = runProcess(['-k', 'other.key', 'edit'], { cwd: dir, env: { EDITOR: editor } });
    expect(r.code).toBe(1);
    const vault = join(dir, 'secrets.json');
    expect(r.stderr).toBe(
      `error: wrong key for ${vault} (key file ${join(dir, 'other.key')} does not open it); the key came from -k ("ssclient config" shows where each setting comes from)\n`,
    );
    r = edit(editor, ['--require-seal']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: ${vault} has no seal, and the seal is required: it was written by a tool that does not seal, or the seal was removed; check it with \`git log -p ${vault}\`, then run \`ssclient seal\` if you trust it\n`,
    );
    expect(existsSync(marker)).toBe(false);
    expectTempGone();
  });

  it('a name no dotenv line holds: refused before any file is made; json edits it', async () => {
    await makeVault(dir, [['a b', 'x']]);
    const marker = join(dir, 'ran');
    let r = edit(script('ed.sh', `touch ${marker}`));
    expect(r.stderr).toBe(
      'error: the name "a b" cannot be written in a dotenv file: edit with --format json or --format yaml\n',
    );
    expect(r.code).toBe(1);
    expect(existsSync(marker)).toBe(false);
    expectTempGone();
    r = edit(script('ed.sh', `sed -i 's/"a b": "x"/"a b": "y"/' "$1"`), ['--format', 'json']);
    expect(r.stderr).toBe('Edited secrets.json: 1 changed, 0 added, 0 removed\n');
    expect(await values()).toEqual({ 'a b': hex('y') });
  });

  it('a sealed vault stays sealed, one generation on', async () => {
    const sealed = await SecretsManager.create(KeySource.fromKey(KEY_BYTES), { seal: true });
    sealed.set('a', '1');
    sealed.set('keep', 'k');
    await sealed.saveAs(join(dir, 'secrets.json'));
    sealed.close();
    const open = async () => {
      const v = await SecretsManager.fromFile(
        join(dir, 'secrets.json'),
        KeySource.fromKey(KEY_BYTES),
        {
          requireSeal: true,
        },
      );
      const g = v.generation;
      v.close();
      return g;
    };
    const before = await open();
    const r = edit(script('ed.sh', `sed -i "s/^a=.*/a='2'/" "$1"`), ['--require-seal']);
    expect(r.stderr).toBe('Edited secrets.json: 1 changed, 0 added, 0 removed\n');
    expect(await open()).toBe(before! + 1);
  });
});

describe('the vault changed on disk while the editor was open', () => {
  const setOnDisk = (name: string, value: string) =>
    `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} -k k.key set ${name} ${value} 2>/dev/null`;

  it('another name changed there: merged by name, both changes kept', async () => {
    const before = blobs();
    const r = edit(
      script('ed.sh', `${setOnDisk('keep', 'disk')}\nsed -i "s/^a=.*/a='mine'/" "$1"`),
    );
    expect(r.stderr).toBe(
      'Edited secrets.json: 1 changed, 0 added, 0 removed (secrets.json changed on disk meanwhile, in "keep"; merged by name, those kept)\n',
    );
    expect(r.code).toBe(0);
    expect(await values()).toMatchObject({ a: hex('mine'), keep: hex('disk') });
    expectKept(before, ['b', 'bin']);
    expectTempGone();
  });

  it('a name the edit writes changed there too: refused (exit 75), the disk version kept', async () => {
    const r = edit(script('ed.sh', `${setOnDisk('a', 'disk')}\nsed -i "s/^a=.*/a='mine'/" "$1"`));
    expect(r.stderr).toBe(
      'error: secrets.json changed on disk while the editor was open, and "a" was changed there too: nothing was written; run ssclient edit again\n',
    );
    expect(r.code).toBe(75);
    expect((await values()).a).toBe(hex('disk'));
    expectTempGone();
  });
});

describe('a signal sent to ssclient while the editor runs', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: the temporary file is removed at once, nothing written, ssclient ends with the editor`, async () => {
      const bytes = readFileSync(join(dir, 'secrets.json'));
      const started = join(dir, 'started');
      // The editor says where the file is, then waits as long as the file exists (bounded).
      const editor = script(
        'ed.sh',
        `sed -i "s/^a=.*/a='changed'/" "$1"\necho "$1" > ${started}\ni=0\nwhile [ -f "$1" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`,
      );
      const child = spawn(process.execPath, [BIN, '-k', 'k.key', 'edit'], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          EDITOR: editor,
          SSCLIENT_EDIT_DIR: editDir,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin.end();
      const err: Buffer[] = [];
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, sig) => resolve({ code, signal: sig })),
      );
      for (let i = 0; i < 400 && !existsSync(started); i++) await sleep(25);
      const file = readFileSync(started, 'utf8').trim();
      expect(existsSync(file)).toBe(true);
      child.kill(signal);
      const end = await ended;
      const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
      expect(end).toEqual({ code: codes[signal], signal: null });
      expect(Buffer.concat(err).toString()).toBe(
        `error: ssclient got ${signal} while the editor was open: the temporary file was removed and nothing was written to secrets.json\n`,
      );
      expect(existsSync(file)).toBe(false);
      expectTempGone();
      expect(readFileSync(join(dir, 'secrets.json'))).toEqual(bytes);
    });
  }
});
