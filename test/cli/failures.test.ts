/**
 * A failed command leaves every file as it was: bytes, mode and mtime, and no stray temp or lock
 * file (README "Exit codes"). As real processes, and in-process for the same cases.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/files.js';
import { copyVectors, tempDir } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const PW = 'correct horse battery staple';

/** pw.json (vector 01, password PW), secrets.json + k.key (vector 03), other.key (vector 11). */
function fixtureDir(): string {
  const t = tempDir('ssclient-fail-');
  cleanups.push(t.cleanup);
  copyVectors(t.dir, {
    'pw.json': '01-password-only.json',
    'secrets.json': '03-key-only.json',
    'k.key': '03-key-only.key',
    'other.key': '11-deleted.key',
  });
  writeFileSync(join(t.dir, 'existing.key'), 'not empty\n');
  writeFileSync(join(t.dir, 'empty.key'), '');
  copyVectors(t.dir, { 'nosentinel.json': 'negative/missing-sentinel-correct-password.json' });
  mkdirSync(join(t.dir, 'd'));
  return t.dir;
}

interface Case {
  label: string;
  argv: string[];
  code: number;
  stderr: string | RegExp;
  input?: string;
  /** The file is rewritten as it was (bytes and mode) but its mtime is new. */
  newMtime?: string;
}

const cases: Case[] = [
  {
    label: 'set with a wrong password',
    argv: ['-s', 'pw.json', '-p', 'wrong password', 'set', 'db_password', 'x'],
    code: 1,
    stderr: /^error: [^\n]*pw\.json[^\n]*\n$/,
  },
  {
    label: 'delete with a wrong password',
    argv: ['-s', 'pw.json', '-p', 'wrong password', 'delete', 'db_password'],
    code: 1,
    stderr: /^error: [^\n]*pw\.json[^\n]*\n$/,
  },
  {
    label: 'set with the wrong key file',
    argv: ['-k', 'other.key', 'set', 'n2', 'x'],
    code: 1,
    stderr: /^error: [^\n]*secrets\.json[^\n]*\n$/,
  },
  {
    label: 'remove with the wrong key file',
    argv: ['-k', 'other.key', 'remove', 'n2'],
    code: 1,
    stderr: /^error: [^\n]*secrets\.json[^\n]*\n$/,
  },
  {
    label: 'delete of a missing secret',
    argv: ['-k', 'k.key', 'delete', 'nope'],
    code: 1,
    stderr: 'error: no secret named "nope" in secrets.json\n',
  },
  {
    label: 'export-key with a wrong password',
    argv: ['-s', 'pw.json', '-p', 'wrong password', 'export-key', 'new.key'],
    code: 1,
    stderr: /^error: [^\n]*pw\.json[^\n]*\n$/,
  },
  {
    label: 'create over a non-empty vault, off a terminal',
    argv: ['create', '-k', 'k.key'],
    code: 17,
    stderr:
      'error: secrets.json already exists and is not empty; refusing to overwrite the vault (delete it first, or run on a terminal to confirm)\n',
  },
  {
    label: 'create STORE over a non-empty vault',
    argv: ['create', 'pw.json', '-p', 'another password'],
    code: 17,
    stderr: /^error: pw\.json already exists and is not empty; refusing to overwrite the vault/,
  },
  {
    label: 'create --export-key over a non-empty key file',
    argv: ['create', 'new.json', '-p', 'another password', '--export-key', 'existing.key'],
    code: 17,
    stderr:
      /^error: existing\.key already exists and is not empty; refusing to overwrite the key file/,
  },
  {
    label: 'export-key over a non-empty key file',
    argv: ['-k', 'k.key', 'export-key', 'existing.key'],
    code: 17,
    stderr:
      /^error: existing\.key already exists and is not empty; refusing to overwrite the key file/,
  },
  {
    label: 'set on a store that does not exist',
    argv: ['-s', 'missing.json', '-k', 'k.key', 'set', 'a', 'b'],
    code: 2,
    stderr:
      'error: missing.json does not exist: create it with "ssclient create missing.json" or name another with -s\n',
  },
  {
    label: 'set with invalid UTF-8 on stdin',
    argv: ['-k', 'k.key', 'set', 'v'],
    input: 'a\xff',
    code: 1,
    stderr: 'error: the value on stdin is not valid UTF-8\n',
  },
  {
    label: 'set with a key file that is not a key',
    argv: ['-k', 'existing.key', 'set', 'a', 'b'],
    code: 1,
    stderr: /^error: [^\n]*existing\.key[^\n]*\n$/,
  },
  {
    label: 'set with a wrong password on a vault without a sentinel (never taken over)',
    argv: ['-s', 'nosentinel.json', '-p', 'wrong password', 'set', 'x', 'y'],
    code: 1,
    stderr: /^error: [^\n]*nosentinel\.json[^\n]*\n$/,
  },
  {
    label: 'delete with a wrong password on a vault without a sentinel',
    argv: ['-s', 'nosentinel.json', '-p', 'wrong password', 'delete', 'db_password'],
    code: 1,
    stderr: /^error: [^\n]*nosentinel\.json[^\n]*\n$/,
  },
  {
    label: 'export-key to a directory',
    argv: ['-k', 'k.key', 'export-key', 'd'],
    code: 1,
    stderr: 'error: cannot write the key file to d: it is a directory\n',
  },
  {
    label: 'export-key into a directory that does not exist',
    argv: ['-k', 'k.key', 'export-key', 'nodir/x.key'],
    code: 1,
    stderr: 'error: cannot write the key file to nodir/x.key: the directory nodir does not exist\n',
  },
  {
    label: 'create over a directory',
    argv: ['create', 'd', '-k', 'k.key'],
    code: 1,
    stderr: 'error: cannot write the vault to d: it is a directory\n',
  },
  {
    label: 'create -k NEW into a directory that does not exist (no key is left behind)',
    argv: ['create', 'nodir/v.json', '-k', 'new.key'],
    code: 1,
    stderr: 'error: cannot write the vault to nodir/v.json: the directory nodir does not exist\n',
  },
  {
    label: 'create -k with the new key in a directory that does not exist',
    argv: ['create', 'v.json', '-k', 'nodir/new.key'],
    code: 1,
    stderr:
      'error: cannot write the key file to nodir/new.key: the directory nodir does not exist\n',
  },
  {
    label: 'create --export-key into a directory that does not exist (no vault is left behind)',
    argv: ['create', 'v.json', '-p', 'a password', '--export-key', 'nodir/k.key'],
    code: 1,
    stderr: 'error: cannot write the key file to nodir/k.key: the directory nodir does not exist\n',
  },
  {
    label: 'create whose vault cannot be saved takes back the new key (and the emptied key file)',
    argv: ['create', `${'x'.repeat(300)}.json`, '-k', 'new.key'],
    code: 1,
    stderr: /^error: [^\n]*x{300}\.json[^\n]*\n$/,
  },
  {
    label: 'create whose vault cannot be saved leaves an empty key file empty',
    newMtime: 'empty.key',
    argv: ['create', `${'x'.repeat(300)}.json`, '-k', 'empty.key'],
    code: 1,
    stderr: /^error: [^\n]*x{300}\.json[^\n]*\n$/,
  },
];

function withoutMtime(
  snapshot: ReturnType<typeof snapshotDir>,
  name: string | undefined,
): ReturnType<typeof snapshotDir> {
  if (name === undefined || snapshot[name] === undefined) return snapshot;
  return { ...snapshot, [name]: { ...snapshot[name], mtimeNs: 0n } };
}

describe.each(cases)('$label', (c) => {
  const check = (r: { code: number; stdout: string; stderr: string }): void => {
    expect(r.code).toBe(c.code);
    expect(r.stdout).toBe('');
    if (typeof c.stderr === 'string') expect(r.stderr).toBe(c.stderr);
    else expect(r.stderr).toMatch(c.stderr);
    expect(r.stderr.split('\n').length).toBe(2); // one line
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
    expect(r.stderr).not.toContain(PW);
  };
  const input = c.input === undefined ? undefined : Buffer.from(c.input, 'latin1');

  it('as a real process, leaves every file as it was', () => {
    const dir = fixtureDir();
    const before = snapshotDir(dir);
    check(runProcess(c.argv, { cwd: dir, ...(input ? { input } : {}) }));
    expect(withoutMtime(snapshotDir(dir), c.newMtime)).toEqual(withoutMtime(before, c.newMtime));
  });

  it('in-process, leaves every file as it was', async () => {
    const dir = fixtureDir();
    const before = snapshotDir(dir);
    check(await runCli(c.argv, { cwd: dir, ...(input ? { stdin: input } : {}) }));
    expect(withoutMtime(snapshotDir(dir), c.newMtime)).toEqual(withoutMtime(before, c.newMtime));
  });
});
