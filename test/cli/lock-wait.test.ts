// spec/format.md §8.3 (a waiter is told who holds the lock); docs/git.md "Rekey" (locks).
/**
 * A write that waits more than a second for the vault's lock says on a terminal (stderr a TTY)
 * who holds it, once; off a terminal it waits silently, as scripts expect.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/terminal.js';
import { main } from '../../src/cli/main.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { tempDir } from '../helpers/vaults.js';
import { VECTORS } from '../helpers/vaults.js';

const HOLD_LOCK = fileURLToPath(new URL('../io/hold-lock.mjs', import.meta.url));
const tmp = tempDir('ssclient-lock-wait-');
afterAll(() => tmp.cleanup());

copyFileSync(join(VECTORS, '03-key-only.json'), join(tmp.dir, 'secrets.json'));
copyFileSync(join(VECTORS, '03-key-only.key'), join(tmp.dir, 'k.key'));

function hold(ms: number): Promise<{ child: ChildProcess; done: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLD_LOCK, join(tmp.dir, 'secrets.json'), String(ms)]);
    const done = new Promise<void>((res) => child.on('close', () => res()));
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().startsWith('held')) resolve({ child, done });
    });
    setTimeout(() => reject(new Error('the holder never held the lock')), 20_000);
  });
}

async function setWhileHeld(
  stderrIsTTY: boolean,
): Promise<{ code: number; stderr: string; holder: number }> {
  const { child, done } = await hold(1_800);
  let stderr = '';
  const io: CliIo = {
    stdout: { write: () => true },
    stderr: { write: (c) => (stderr += c.toString()), isTTY: stderrIsTTY },
    stdinIsTTY: false,
    readStdin: async () => new Uint8Array(),
    env: {},
    cwd: tmp.dir,
    prompter: {
      secret: () => Promise.reject(new Error('no prompt expected')),
      confirm: () => Promise.reject(new Error('no prompt expected')),
    },
  };
  const code = await main(['-k', 'k.key', 'set', 'waited', 'yes'], io);
  await done;
  return { code, stderr, holder: child.pid! };
}

describe('waiting for the lock', () => {
  it('on a terminal: one line naming the holder (pid, host), then the write goes through', async () => {
    const r = await setWhileHeld(true);
    expect(r).toEqual({
      code: 0,
      // The value on the command line draws the terminal's one warning first (docs/cli.md).
      stderr:
        'warning: a secret value on the command line can be read by other users in the process list (ps) while ssclient runs; instead use for the value a prompt (leave it out), stdin or --file PATH\n' +
        `waiting for secrets.json: process ${r.holder} on ${hostname()} holds its lock\n`,
      holder: r.holder,
    });
    const vault = await SecretsManager.fromFile(join(tmp.dir, 'secrets.json'), {
      keyFile: join(tmp.dir, 'k.key'),
    });
    expect(vault.get('waited')).toBe('yes');
    vault.close();
  }, 30_000);

  it('off a terminal: silent', async () => {
    const r = await setWhileHeld(false);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  }, 30_000);
});
