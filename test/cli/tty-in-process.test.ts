/**
 * Terminal behaviour in-process, with scripted prompt answers (the real terminal is in
 * test/pty/prompts.test.ts): on a terminal `-p` takes no value and prompts, password mode is
 * the default, `create` asks twice with the 8-byte rule, `set NAME` asks `Value:`, overwrites
 * ask `[y/n]`, and nothing prompts when the key comes from -k or the environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/terminal.js';
import { main } from '../../src/cli/main.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { runCli } from '../helpers/cli.js';
import { copyVectors, tempDir } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const PW = 'correct horse battery staple';

function dir(): string {
  const t = tempDir('ssclient-tty-');
  cleanups.push(t.cleanup);
  copyVectors(t.dir, {
    'pw.json': '01-password-only.json',
    'secrets.json': '03-key-only.json',
    'k.key': '03-key-only.key',
  });
  return t.dir;
}

describe('on a terminal (in-process)', () => {
  it('-p takes no value: the next word is the command, and the password is asked', async () => {
    const cwd = dir();
    const r = await runCli(['-s', 'pw.json', '-p', 'get', 'db_password'], {
      cwd,
      tty: true,
      secrets: [PW],
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'pgsql123\n', '']);
    expect(r.prompts).toEqual(['Password:']);
  });

  it('-p PASSWORD by habit: exit 2 without printing the password; -p before a command is fine', async () => {
    const cwd = dir();
    const r = await runCli(['-s', 'pw.json', '-p', 'Secret-Word', 'get', 'db_password'], {
      cwd,
      tty: true,
    });
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe(
      'error: on a terminal -p takes no value and asks for the password; the word after -p is not a command (not shown)\n',
    );
    expect(r.prompts).toEqual([]);
    // after the command, the word is the command's own argument
    const after = await runCli(['-s', 'pw.json', 'get', '-p', 'db_password'], {
      cwd,
      tty: true,
      secrets: [PW],
    });
    expect([after.code, after.stdout]).toEqual([0, 'pgsql123\n']);
    // off a terminal, -p takes the value as ever
    const off = await runCli(['-s', 'pw.json', '-p', PW, 'get', 'db_password'], { cwd });
    expect([off.code, off.stdout]).toEqual([0, 'pgsql123\n']);
  });

  it('--password-file - on a terminal asks (masked) instead of reading the raw terminal', async () => {
    const cwd = dir();
    const r = await runCli(['-s', 'pw.json', '--password-file', '-', 'get', 'db_password'], {
      cwd,
      tty: true,
      secrets: [PW],
    });
    expect([r.code, r.stdout, r.prompts]).toEqual([0, 'pgsql123\n', ['Password:']]);
    const c = await runCli(['create', 'n.json', '--password-file', '-'], {
      cwd,
      tty: true,
      secrets: ['new password', 'new password'],
    });
    expect([c.code, c.prompts]).toEqual([0, ['Password:', 'Confirm Password:']]);
  });

  it('without -p or -k, password mode is the default', async () => {
    const cwd = dir();
    const r = await runCli(['-s', 'pw.json', 'get', 'api_key'], { cwd, tty: true, secrets: [PW] });
    expect([r.code, r.stdout]).toEqual([0, 'sk-test-0123456789abcdef\n']);
    expect(r.prompts).toEqual(['Password:']);
  });

  it('-k, SSCLIENT_KEY and SSCLIENT_PASSWORD never prompt', async () => {
    const cwd = dir();
    for (const [argv, env] of [
      [['-k', 'k.key', 'get', 'n2'], {}],
      [['get', 'n2'], { SSCLIENT_KEY: 'k.key' }],
      [['-s', 'pw.json', 'get', 'db_password'], { SSCLIENT_PASSWORD: PW }],
    ] as const) {
      const r = await runCli([...argv], { cwd, tty: true, env: { ...env } });
      expect(r.code).toBe(0);
      expect(r.prompts).toEqual([]);
    }
  });

  it('create asks twice; short and mismatched passwords are asked again', async () => {
    const cwd = dir();
    const r = await runCli(['create', 'new.json'], {
      cwd,
      tty: true,
      secrets: ['short', 'long enough 1', 'long enough 2', 'long enough 3', 'long enough 3'],
    });
    expect(r.code).toBe(0);
    expect(r.prompts).toEqual([
      'Password:',
      'Password:',
      'Confirm Password:',
      'Password:',
      'Confirm Password:',
    ]);
    expect(r.stderr).toBe(
      'The password must be at least 8 bytes long.\nThe passwords do not match.\n',
    );
    const vault = await SecretsManager.fromFile(join(cwd, 'new.json'), {
      password: 'long enough 3',
    });
    vault.close();
  });

  it('set NAME asks Value: after the password, and stores it exactly', async () => {
    const cwd = dir();
    const r = await runCli(['-s', 'pw.json', 'set', 'typed'], {
      cwd,
      tty: true,
      secrets: [PW, ' typed value\n'],
    });
    expect(r.code).toBe(0);
    expect(r.prompts).toEqual(['Password:', 'Value:']);
    const vault = await SecretsManager.fromFile(join(cwd, 'pw.json'), { password: PW });
    expect(vault.get('typed')).toBe(' typed value\n');
    vault.close();
  });

  it('set NAME asks Value: while the vault is not locked (a slow answer blocks no writer)', async () => {
    const cwd = dir();
    const answers = [PW, 'typed'];
    const lockedAtPrompt: boolean[] = [];
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: () => true },
      stdinIsTTY: true,
      readStdin: async () => new Uint8Array(),
      env: {},
      cwd,
      prompter: {
        secret: async () => {
          lockedAtPrompt.push(existsSync(join(cwd, 'pw.json.lock')));
          return answers.shift()!;
        },
        confirm: async () => false,
      },
    };
    expect(await main(['-s', 'pw.json', 'set', 'typed'], io)).toBe(0);
    expect(lockedAtPrompt).toEqual([false, false]);
    const vault = await SecretsManager.fromFile(join(cwd, 'pw.json'), { password: PW });
    expect(vault.get('typed')).toBe('typed');
    vault.close();
  });

  it('a store that does not exist is reported before any prompt', async () => {
    const cwd = dir();
    const r = await runCli(['-s', 'nope.json', 'set', 'a'], { cwd, tty: true });
    expect(r.code).toBe(2);
    expect(r.prompts).toEqual([]);
  });

  it('overwrites ask [y/n]: no is exit 17 and nothing changes; yes goes ahead', async () => {
    const cwd = dir();
    const before = readFileSync(join(cwd, 'secrets.json'));
    const no = await runCli(['create', '-k', 'k.key'], { cwd, tty: true, confirms: [false] });
    expect([no.code, no.stderr]).toEqual([17, 'error: secrets.json was left as it was\n']);
    expect(no.prompts).toEqual(['secrets.json already exists. Overwrite it?']);
    expect(readFileSync(join(cwd, 'secrets.json'))).toEqual(before);
    const yes = await runCli(['create', '-k', 'k.key', '--export-key', 'k.key'], {
      cwd,
      tty: true,
      confirms: [true, true],
    });
    expect(yes.code).toBe(0);
    expect(yes.prompts).toEqual([
      'secrets.json already exists. Overwrite it?',
      'k.key already exists. Overwrite it?',
    ]);
    const vault = await SecretsManager.fromFile(join(cwd, 'secrets.json'), {
      keyFile: join(cwd, 'k.key'),
    });
    expect(vault.size).toBe(0);
    vault.close();
  });
});
