/**
 * Damaged vaults through the CLI (spec/format.md §5, issue 3 "Errors and exit codes"): every read
 * and write is exit 1 with one line naming the file, nothing on stdout, no stack trace, and the
 * file untouched, including where the reference zero-pads or panics (short or over-long iv,
 * non-canonical base64) and where it is lenient in ways we are not asked to copy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/files.js';
import { copyVectors, tempDir, VECTORS } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const ORIGINAL = readFileSync(join(VECTORS, '03-key-only.json'), 'utf8');

type Doc = {
  version: unknown;
  iv: string;
  sentinel: { iv: string; hmac: string; payload: string };
  secrets: Record<string, { iv: string; hmac: string; payload: string }>;
};

function mutate(fn: (doc: Doc) => void): string {
  const doc = JSON.parse(ORIGINAL) as Doc;
  fn(doc);
  return JSON.stringify(doc, null, 2);
}

const cases: [string, string][] = [
  ['not JSON at all', 'this is not a vault'],
  ['truncated JSON', ORIGINAL.slice(0, 100)],
  ['a UTF-8 BOM before the JSON', `\ufeff${ORIGINAL}`],
  ['trailing garbage after the JSON', `${ORIGINAL}x`],
  ['version as a string', mutate((d) => (d.version = '3'))],
  ['version 4', mutate((d) => (d.version = 4))],
  ['no version', mutate((d) => delete (d as Partial<Doc>).version)],
  ['no secrets object', mutate((d) => delete (d as Partial<Doc>).secrets)],
  ['a short vault iv', mutate((d) => (d.iv = d.iv.slice(0, 16)))],
  [
    'an over-long secret iv',
    mutate((d) => (d.secrets.n2!.iv = Buffer.alloc(24, 7).toString('base64'))),
  ],
  [
    'non-canonical base64 in an iv',
    mutate((d) => (d.secrets.n2!.iv = `${d.secrets.n2!.iv.slice(0, 22)}AAAAAAAAAA==`)),
  ],
  ['a short secret hmac', mutate((d) => (d.secrets.n2!.hmac = d.secrets.n2!.hmac.slice(0, 20)))],
  ['a payload that is not base64', mutate((d) => (d.secrets.n2!.payload = '!!!!'))],
  [
    'an unpadded payload',
    mutate((d) => (d.secrets.n2!.payload = d.secrets.n2!.payload.replace(/=+$/, ''))),
  ],
  [
    'a payload that is not whole blocks',
    mutate((d) => (d.secrets.n2!.payload = 'AAAAAAAAAAAAAAAAAAAAAA=='.repeat(1).slice(0, 20))),
  ],
];

const TAMPERED = mutate((d) => (d.secrets.n2!.hmac = `A${d.secrets.n2!.hmac.slice(1)}`));

describe.each(cases)('vault with %s', (_label, content) => {
  function setup(): string {
    const t = tempDir('ssclient-damaged-');
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, 'bad.json'), content);
    copyVectors(t.dir, { 'k.key': '03-key-only.key' });
    return t.dir;
  }

  it('get, get --all (json, text), set and delete: exit 1, one line naming the file, file untouched', async () => {
    const dir = setup();
    const before = snapshotDir(dir);
    const commands = [
      ['get', 'n2'],
      ['get', '--all'],
      ['get', '--all', '--format', 'text'],
      ['set', 'n2', 'new'],
      ['delete', 'n2'],
    ];
    for (const command of commands) {
      const argv = ['-s', 'bad.json', '-k', 'k.key', ...command];
      const r = await runCli(argv, { cwd: dir });
      const label = command.join(' ');
      expect(r.code, label).toBe(1);
      expect(r.stdout, label).toBe('');
      expect(r.stderr, label).toMatch(/^error: [^\n]*bad\.json[^\n]*\n$/);
      // a reading and a writing command also as real processes (the same line, the same code)
      if (command[0] === 'get' && command.length === 2) {
        const p = runProcess(argv, { cwd: dir });
        expect([p.code, p.stdout, p.stderr], label).toEqual([1, '', r.stderr]);
      }
      if (command[0] === 'set') {
        const p = runProcess(argv, { cwd: dir });
        expect([p.code, p.stdout, p.stderr], label).toEqual([1, '', r.stderr]);
      }
    }
    expect(snapshotDir(dir)).toEqual(before);
  });
});

describe('vault with a tampered secret MAC', () => {
  it('reads of it are exit 1 with nothing printed; set NAME replaces it (as the reference)', () => {
    const t = tempDir('ssclient-damaged-');
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, 'bad.json'), TAMPERED);
    copyVectors(t.dir, { 'k.key': '03-key-only.key' });
    const before = snapshotDir(t.dir);
    const base = ['-s', 'bad.json', '-k', 'k.key'];
    for (const command of [
      ['get', 'n2'],
      ['get', '-a'],
      ['get', '-a', '--format', 'text'],
    ]) {
      const r = runProcess([...base, ...command], { cwd: t.dir });
      expect([r.code, r.stdout]).toEqual([1, '']);
      expect(r.stderr).toMatch(/^error: [^\n]*bad\.json[^\n]*\n$/);
    }
    expect(snapshotDir(t.dir)).toEqual(before);
    // the other secret still reads
    expect(runProcess([...base, 'get', 'only_key'], { cwd: t.dir }).code).toBe(0);
    expect(runProcess([...base, 'set', 'n2', 'fixed'], { cwd: t.dir }).code).toBe(0);
    expect(runProcess([...base, 'get', '-a', '--format', 'text'], { cwd: t.dir }).stdout).toBe(
      'n2: fixed\nonly_key: generated by create -k on a nonexistent key path\n',
    );
  });
});
