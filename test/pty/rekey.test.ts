/**
 * `rekey` on a real terminal (tmux): the old password is asked once, the new one twice, nothing
 * typed is echoed, and the vault then opens with the new password only.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSecureStoreError } from '../../src/errors.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { PtySession } from '../helpers/pty.js';
import { tempDir } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

beforeAll(() => {
  statSync(new URL('../../dist/cli/entry.js', import.meta.url));
});

describe('rekey on a terminal', () => {
  it('-p rekey --new-password: old password once, new password twice, all masked', async () => {
    const t = tempDir('ssclient-rekey-pty-');
    cleanups.push(t.cleanup);
    const vault = await SecretsManager.create({ password: 'old-typed-pw' });
    vault.set('token', 'value-on-screen-never');
    await vault.saveAs(join(t.dir, 'secrets.json'));
    vault.close();

    const pty = PtySession.start(['-p', 'rekey', '--new-password'], { cwd: t.dir });
    cleanups.unshift(() => pty.kill());
    await pty.waitFor('Password:');
    pty.line('old-typed-pw');
    await pty.waitFor('Choose the new password.');
    await pty.waitForCount('Password:', 2);
    pty.line('new-typed-pw');
    await pty.waitFor('Confirm Password:');
    pty.line('new-typed-pw');
    expect(await pty.exitCode()).toBe(0);
    const screen = pty.screen();
    expect(screen).toContain(
      'Re-encrypted 1 secret in secrets.json: it now opens with the new password.',
    );
    for (const secret of ['old-typed-pw', 'new-typed-pw', 'value-on-screen-never']) {
      expect(screen).not.toContain(secret);
    }
    const reopened = await SecretsManager.fromFile(join(t.dir, 'secrets.json'), {
      password: 'new-typed-pw',
    });
    expect(reopened.get('token')).toBe('value-on-screen-never');
    reopened.close();
    const old = await SecretsManager.fromFile(join(t.dir, 'secrets.json'), {
      password: 'old-typed-pw',
    }).catch((err: unknown) => err);
    expect(isSecureStoreError(old, 'ERR_WRONG_KEY')).toBe(true);
  });
});
