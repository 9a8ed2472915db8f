/**
 * `set NAME` with the value on stdin, off a terminal, as real processes (spec/cli.md §2, README
 * "Differences from the reference"): all of stdin, strict UTF-8, exactly one trailing `\n` or
 * `\r\n` removed, never echoed, and never a hang. Each process has a hard timeout.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { BIN, spawnCommand, spawnProcess } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/files.js';
import { copyVectors, KEY_ONLY, tempDir } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function keyVault(): string {
  const t = tempDir('ssclient-stdin-');
  cleanups.push(t.cleanup);
  copyVectors(t.dir, KEY_ONLY);
  return t.dir;
}

async function stored(dir: string, name: string): Promise<Uint8Array | null> {
  const vault = await SecretsManager.fromFile(join(dir, 'secrets.json'), {
    keyFile: join(dir, 'k.key'),
  });
  try {
    return vault.getBytes(name);
  } finally {
    vault.close();
  }
}

const PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGUgZm9yIHRlc3RzMAoGCCqGSM49BAMC',
  'MBIxEDAOBgNVBAMMB3Rlc3QtY2EwHhcNMjQwMTAxMDAwMDAwWhcNMzQwMTAxMDAw',
  'MDAwWjASMRAwDgYDVQQDDAd0ZXN0LWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD',
  '-----END CERTIFICATE-----',
  '',
].join('\n');

describe('set NAME reads the value from stdin', () => {
  it.each([
    ['no trailing newline', 'abc', 'abc'],
    ['one trailing LF, removed', 'abc\n', 'abc'],
    ['only one of two trailing LFs removed', 'abc\n\n', 'abc\n'],
    ['CRLF line ends, one trailing CRLF removed', 'line1\r\nline2\r\n', 'line1\r\nline2'],
    ['a lone trailing CR is kept', 'abc\r', 'abc\r'],
    ['a multi-line PEM certificate, whole', PEM, PEM.slice(0, -1)],
    ['leading and trailing spaces kept', '  padded  \n', '  padded  '],
    ['UTF-8 kept as is (not double-encoded)', 'café 😀\n', 'café 😀'],
    ['empty stdin gives the empty value', '', ''],
    ['a lone newline gives the empty value', '\n', ''],
  ])('%s', async (_label, input, expected) => {
    const dir = keyVault();
    const r = await spawnProcess(['-k', 'k.key', 'set', 'v'], {
      cwd: dir,
      input,
      timeoutMs: 15_000,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(''); // never echoed
    expect(Buffer.from((await stored(dir, 'v'))!).toString('utf8')).toBe(expected);
  });

  it('1 MiB of stdin without a newline arrives whole', async () => {
    const dir = keyVault();
    const big = Buffer.alloc(1024 * 1024, '0123456789abcdef');
    const r = await spawnProcess(['-k', 'k.key', 'set', 'big'], { cwd: dir, input: big });
    expect(r.code).toBe(0);
    expect(Buffer.from((await stored(dir, 'big'))!).equals(big)).toBe(true);
  });

  it('invalid UTF-8 is exit 1 with one line, and the vault is untouched', async () => {
    const dir = keyVault();
    const before = snapshotDir(dir);
    const r = await spawnProcess(['-k', 'k.key', 'set', 'v'], {
      cwd: dir,
      input: Buffer.from([0x61, 0xff, 0x62, 0x0a]),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: the value on stdin is not valid UTF-8\n');
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('stdin from /dev/null ends at once: the empty value, no hang', async () => {
    const dir = keyVault();
    const r = await spawnProcess(['-k', 'k.key', 'set', 'v'], { cwd: dir, input: null });
    expect(r.code).toBe(0);
    expect(await stored(dir, 'v')).toEqual(new Uint8Array(0));
  });

  it('a closed stdin (<&-) behaves as /dev/null, no hang', async () => {
    const dir = keyVault();
    const r = await spawnCommand(
      'sh',
      ['-c', 'exec "$0" "$1" -k k.key set v <&-', process.execPath, BIN],
      { cwd: dir, input: null },
    );
    expect(r.code).toBe(0);
    expect(await stored(dir, 'v')).toEqual(new Uint8Array(0));
  });

  it('a VALUE argument wins: stdin is not read', async () => {
    const dir = keyVault();
    const r = await spawnProcess(['-k', 'k.key', 'set', 'v', 'from-argv'], {
      cwd: dir,
      input: 'x\n',
    });
    expect(r.code).toBe(0);
    expect(Buffer.from((await stored(dir, 'v'))!).toString()).toBe('from-argv');
  });

  it('--password-file - and a value on stdin cannot share stdin (exit 2)', async () => {
    const dir = keyVault();
    copyVectors(dir, { 'pw.json': '01-password-only.json' });
    const before = snapshotDir(dir);
    const r = await spawnProcess(['-s', 'pw.json', '--password-file', '-', 'set', 'v'], {
      cwd: dir,
      input: 'correct horse battery staple\n',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --password-file - and a value on stdin cannot both use stdin\n');
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('-p PASSWORD with the value on stdin', async () => {
    const dir = keyVault();
    copyVectors(dir, { 'pw.json': '01-password-only.json' });
    const pw = 'correct horse battery staple';
    const r = await spawnProcess(['-s', 'pw.json', '-p', pw, 'set', 'v'], {
      cwd: dir,
      input: 'multi\nline\n',
    });
    expect(r.code).toBe(0);
    const vault = await SecretsManager.fromFile(join(dir, 'pw.json'), { password: pw });
    expect(vault.get('v')).toBe('multi\nline');
    vault.close();
  });
});
