/**
 * `ssclient run` at a real terminal (tmux): the program gets the terminal as stdin (so it can
 * read from it without being stopped), and Ctrl-C reaches it; its exit status is ssclient's.
 *
 * Not the shared PtySession: Ctrl-C in cooked mode signals the whole foreground process group,
 * which here includes the wrapper shell, so the wrapper traps SIGINT to survive and report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { shellQuote } from '../../src/workflow/export-formats.js';
import { makeVault, tempDir } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

const CHILD = `console.log('tty=' + process.stdin.isTTY + ' A=' + process.env.A);
process.stdin.once('data', (d) => {
  console.log('got ' + String(d).trim());
  process.on('SIGINT', () => { console.log('child got SIGINT'); process.exit(42); });
  console.log('ready');
});`;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('ssclient run at a terminal', () => {
  it('the program reads the terminal, Ctrl-C reaches it, its status is passed on', async () => {
    const t = tempDir('ssclient-run-pty-');
    await makeVault(t.dir, [['a', 'from the vault']]);
    const socket = `ssclient-run-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const status = join(t.dir, 'status');
    const command = [
      process.execPath,
      BIN,
      '-k',
      'k.key',
      'run',
      '--',
      process.execPath,
      '-e',
      CHILD,
    ]
      .map(shellQuote)
      .join(' ');
    writeFileSync(
      join(t.dir, 'wrapper.sh'),
      `trap : INT\ncd ${shellQuote(t.dir)}\n${command}\necho $? > status.tmp\nmv status.tmp status\nexec sleep 600\n`,
    );
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', timeout: 10_000 });
    tmux(
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-x',
      '120',
      '-y',
      '30',
      `sh ${shellQuote(join(t.dir, 'wrapper.sh'))}`,
    );
    cleanup = () => {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      t.cleanup();
    };
    const screen = () => tmux('capture-pane', '-p', '-t', '0');
    const waitFor = (text: string) =>
      until(text, () => (screen().includes(text) ? true : undefined));

    await waitFor('tty=true A=from the vault');
    tmux('send-keys', '-t', '0', '-l', 'hello');
    tmux('send-keys', '-t', '0', 'Enter');
    await waitFor('ready');
    tmux('send-keys', '-t', '0', 'C-c');
    const code = await until('the exit status', () =>
      existsSync(status) ? readFileSync(status, 'utf8').trim() : undefined,
    );
    expect(code).toBe('42');
    expect(screen()).toContain('got hello\n');
    expect(screen()).toContain('child got SIGINT\n');
  });
});
