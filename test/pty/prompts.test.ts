/**
 * Prompts through a real pseudo-terminal (tmux): the masked password and value prompts, the
 * confirmation of a new password, the length rule, `[y/n]` overwrites, and colours vs NO_COLOR.
 * Typed secrets must never appear on the screen.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { PtySession } from '../helpers/pty.js';
import { copyVectors, KEY_ONLY, tempDir } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(): string {
  const t = tempDir('ssclient-pty-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function start(argv: string[], cwd: string, env?: Record<string, string>): PtySession {
  const pty = PtySession.start(argv, { cwd, ...(env ? { env } : {}) });
  cleanups.unshift(() => pty.kill());
  return pty;
}

/** A copy of the key-only vector (03) as secrets.json + k.key. */
function keyVault(dir: string): void {
  copyVectors(dir, KEY_ONLY);
}

beforeAll(() => {
  // bin/ssclient.js imports dist/: `npm test` builds first; fail clearly if it was not built.
  statSync(new URL('../../dist/cli/entry.js', import.meta.url));
});

describe('password prompts on a terminal', () => {
  it('create -p asks twice, masks what is typed, and the vault opens with that password', async () => {
    const dir = setup();
    const pty = start(['create', '-p'], dir);
    await pty.waitFor('Password:');
    pty.line('typed-secret-1');
    await pty.waitFor('Confirm Password:');
    pty.line('typed-secret-1');
    expect(await pty.exitCode()).toBe(0);
    const screen = pty.screen();
    expect(screen).not.toContain('typed-secret');
    expect(screen).toContain(`Password: ${'*'.repeat(14)}`);
    const vault = await SecretsManager.fromFile(join(dir, 'secrets.json'), {
      password: 'typed-secret-1',
    });
    expect(vault.size).toBe(0);
    vault.close();
  });

  it('a confirmation that does not match asks again', async () => {
    const dir = setup();
    const pty = start(['create', 'v.json', '-p'], dir);
    await pty.waitFor('Password:');
    pty.line('first-password');
    await pty.waitFor('Confirm Password:');
    pty.line('other-password');
    await pty.waitFor('The passwords do not match.');
    await pty.waitForCount('Password:', 3); // Password, Confirm Password, Password again
    pty.line('final-password');
    await pty.waitForCount('Confirm Password:', 2);
    pty.line('final-password');
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).not.toMatch(/first-password|other-password|final-password/);
    const vault = await SecretsManager.fromFile(join(dir, 'v.json'), {
      password: 'final-password',
    });
    vault.close();
  });

  it('a new password under 8 bytes is refused and asked again; three failures give up', async () => {
    const dir = setup();
    const pty = start(['create', '-p'], dir);
    for (let i = 1; i <= 3; i++) {
      await pty.waitForCount('Password:', i);
      pty.line('short7!');
      await pty.waitForCount('The password must be at least 8 bytes long.', i);
    }
    expect(await pty.exitCode()).toBe(1);
    const screen = pty.screen();
    expect(screen).toContain('error: no password was set: three attempts failed');
    expect(screen).not.toContain('short7!');
    expect(() => statSync(join(dir, 'secrets.json'))).toThrow();
  });

  it('8 bytes are enough even in fewer characters (é is 2 bytes)', async () => {
    const dir = setup();
    const pty = start(['create', '-p'], dir);
    await pty.waitFor('Password:');
    pty.line('éééé');
    await pty.waitFor('Confirm Password:');
    pty.line('éééé');
    expect(await pty.exitCode()).toBe(0);
    const vault = await SecretsManager.fromFile(join(dir, 'secrets.json'), { password: 'éééé' });
    vault.close();
  });

  it('-p on an existing vault asks once; a wrong password is exit 1 and names the file', async () => {
    const dir = setup();
    copyVectors(dir, { 'pw.json': '01-password-only.json' });
    const good = start(['-s', 'pw.json', '-p', 'get', 'db_password'], dir);
    await good.waitFor('Password:');
    good.line('correct horse battery staple');
    expect(await good.exitCode()).toBe(0);
    expect(good.screen()).toContain('pgsql123');
    expect(good.screen()).not.toContain('correct horse');

    const bad = start(['-s', 'pw.json', 'get', 'db_password'], dir); // password mode is the default
    await bad.waitFor('Password:');
    bad.line('not the password');
    expect(await bad.exitCode()).toBe(1);
    const screen = bad.screen();
    expect(screen).toMatch(/^error: .*pw\.json/m);
    expect(screen).not.toContain('not the password');
    expect(screen).not.toContain('Confirm');
  });

  it('-p PASSWORD on a terminal: exit 2, and the password is not printed back', async () => {
    const dir = setup();
    keyVault(dir);
    const pty = start(['-p', 'Hunter2-typed-by-habit', 'get', 'n2'], dir);
    expect(await pty.exitCode()).toBe(2);
    const screen = pty.screen();
    expect(screen).toContain('error: on a terminal -p takes no value and asks for the password');
    expect(screen).not.toContain('Hunter2');
  });

  it('Ctrl-C at a prompt is exit 130 and writes nothing', async () => {
    const dir = setup();
    const pty = start(['create', '-p'], dir);
    await pty.waitFor('Password:');
    pty.keys('C-c');
    expect(await pty.exitCode()).toBe(130);
    expect(pty.screen()).toContain('error: interrupted');
    expect(() => statSync(join(dir, 'secrets.json'))).toThrow();
  });
});

describe('the Value: prompt', () => {
  it('set NAME without a value asks for it masked, and stores exactly what was typed', async () => {
    const dir = setup();
    keyVault(dir);
    const pty = start(['-k', 'k.key', 'set', 'token', '--'], dir);
    await pty.waitFor('Value:');
    pty.line('  s3cret value with spaces ');
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).not.toContain('s3cret');
    const vault = await SecretsManager.fromFile(join(dir, 'secrets.json'), {
      keyFile: join(dir, 'k.key'),
    });
    expect(vault.get('token')).toBe('  s3cret value with spaces ');
    vault.close();
  });

  it('with -p, the password is asked first, then the value', async () => {
    const dir = setup();
    copyVectors(dir, { 'secrets.json': '01-password-only.json' });
    const pty = start(['set', 'new', '-p'], dir);
    await pty.waitFor('Password:');
    pty.line('correct horse battery staple');
    await pty.waitFor('Value:');
    pty.line('vvvvv');
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).not.toMatch(/vvvvv|correct horse/);
    const vault = await SecretsManager.fromFile(join(dir, 'secrets.json'), {
      password: 'correct horse battery staple',
    });
    expect(vault.get('new')).toBe('vvvvv');
    vault.close();
  });
});

describe('[y/n] overwrite', () => {
  it('create over a non-empty vault: n leaves it byte for byte (exit 17), y replaces it', async () => {
    const dir = setup();
    keyVault(dir);
    const before = readFileSync(join(dir, 'secrets.json'));
    const no = start(['create', '-k', 'k.key'], dir);
    await no.waitFor('secrets.json already exists. Overwrite it? [y/n]');
    no.line('n');
    expect(await no.exitCode()).toBe(17);
    expect(no.screen()).toContain('error: secrets.json was left as it was');
    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(before);

    const yes = start(['create', '-k', 'k.key'], dir);
    await yes.waitFor('Overwrite it? [y/n]');
    yes.line('y');
    expect(await yes.exitCode()).toBe(0);
    const vault = await SecretsManager.fromFile(join(dir, 'secrets.json'), {
      keyFile: join(dir, 'k.key'),
    });
    expect(vault.size).toBe(0); // a new vault, opened by the existing key
    vault.close();
  });

  it('Ctrl-C at [y/n] is exit 130 and leaves the vault as it was', async () => {
    const dir = setup();
    keyVault(dir);
    const before = readFileSync(join(dir, 'secrets.json'));
    const pty = start(['create', '-k', 'k.key'], dir);
    await pty.waitFor('[y/n]');
    pty.keys('C-c');
    expect(await pty.exitCode()).toBe(130);
    expect(pty.screen()).toMatch(/\[y\/n\] *\nerror: interrupted\n/);
    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(before);
  });

  it('an answer that is neither y nor n asks again', async () => {
    const dir = setup();
    keyVault(dir);
    const pty = start(['create', '-k', 'k.key'], dir);
    await pty.waitFor('[y/n]');
    pty.line('maybe');
    await pty.waitForCount('[y/n]', 2);
    pty.line('N');
    expect(await pty.exitCode()).toBe(17);
  });

  it('export-key over an existing key file: n keeps it, y writes it', async () => {
    const dir = setup();
    keyVault(dir);
    writeFileSync(join(dir, 'out.key'), 'keep me\n');
    const no = start(['-k', 'k.key', 'export-key', 'out.key'], dir);
    await no.waitFor('out.key already exists. Overwrite it? [y/n]');
    no.line('n');
    expect(await no.exitCode()).toBe(17);
    expect(readFileSync(join(dir, 'out.key'), 'utf8')).toBe('keep me\n');

    const yes = start(['-k', 'k.key', 'export-key', 'out.key'], dir);
    await yes.waitFor('[y/n]');
    yes.line('y');
    expect(await yes.exitCode()).toBe(0);
    expect(readFileSync(join(dir, 'out.key'))).toEqual(readFileSync(join(dir, 'k.key')));
    expect(statSync(join(dir, 'out.key')).mode & 0o777).toBe(0o600); // was 0644 before
  });
});

describe('colours', () => {
  it('errors are red on a terminal, plain with NO_COLOR', async () => {
    const dir = setup();
    keyVault(dir);
    const coloured = start(['-k', 'k.key', 'get', 'nope'], dir);
    expect(await coloured.exitCode()).toBe(1);
    expect(coloured.screen(true)).toContain('\x1b[31merror:\x1b[39m no secret named "nope"');

    const plain = start(['-k', 'k.key', 'get', 'nope'], dir, { NO_COLOR: '1' });
    expect(await plain.exitCode()).toBe(1);
    const screen = plain.screen(true);
    expect(screen).toContain('error: no secret named "nope" in secrets.json');
    expect(screen).not.toContain('\x1b[');
  });

  it('prompts carry no colour codes with NO_COLOR', async () => {
    const dir = setup();
    const plain = start(['create', '-p'], dir, { NO_COLOR: '1' });
    await plain.waitFor('Password:');
    expect(plain.screen(true)).not.toContain('\x1b[');
    plain.keys('C-c');
    expect(await plain.exitCode()).toBe(130);

    const coloured = start(['create', '-p'], dir);
    await coloured.waitFor('Password:');
    expect(coloured.screen(true)).toContain('\x1b[1mPassword:');
    coloured.keys('C-c');
    expect(await coloured.exitCode()).toBe(130);
  });

  it('stdout off the terminal carries no colour even when stderr is one', async () => {
    const dir = setup();
    keyVault(dir);
    const pty = PtySession.start(['-k', 'k.key', 'get', '--all', '--format', 'text'], {
      cwd: dir,
      redirect: '> out.txt',
    });
    cleanups.unshift(() => pty.kill());
    expect(await pty.exitCode()).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe(
      'n2: second\nonly_key: generated by create -k on a nonexistent key path\n',
    );
  });
});
