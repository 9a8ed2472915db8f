/**
 * The progress line (src/cli/progress.ts) on a real terminal (tmux): it shows while a long
 * import runs and while a rekey waits for the vault's lock, and is erased when the work ends;
 * with stderr not a terminal, nothing but the usual lines is written.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/cli.js';
import { PtySession } from '../helpers/pty.js';
import { makeVault, tempDir } from '../helpers/vaults.js';

const HOLD_LOCK = fileURLToPath(new URL('../io/hold-lock.mjs', import.meta.url));
/** Enough secrets that encrypting and writing them takes seconds on the project's machines. */
const COUNT = 100_000;
const IMPORTED = `Imported into secrets.json: ${COUNT} added, 0 changed, 0 unchanged, 0 skipped\n`;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

beforeAll(() => {
  statSync(new URL('../../dist/cli/entry.js', import.meta.url));
});

async function bigImport(): Promise<string> {
  const t = tempDir('ssclient-progress-pty-');
  cleanups.push(t.cleanup);
  await makeVault(t.dir, []);
  const lines = Array.from({ length: COUNT }, (_, i) => `SECRET_${i}=value-${i}`);
  writeFileSync(join(t.dir, 'big.env'), `${lines.join('\n')}\n`);
  return t.dir;
}

function holdLock(path: string, ms: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLD_LOCK, path, String(ms)]);
    cleanups.push(() => child.kill());
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().startsWith('held')) resolve(child);
    });
    child.on('error', reject);
  });
}

describe('progress on a terminal', () => {
  it('import of a large file shows one line while it works and erases it at the end', async () => {
    const dir = await bigImport();
    const pty = PtySession.start(['-k', 'k.key', 'import', 'big.env'], { cwd: dir });
    cleanups.unshift(() => pty.kill());
    const during = await pty.waitFor(
      new RegExp(`importing into secrets\\.json: \\d+/${COUNT}|writing secrets\\.json\\.\\.\\.`),
      120_000,
    );
    expect(during).not.toContain('Imported into');
    expect(await pty.exitCode(120_000)).toBe(0);
    // erased: the finished screen holds the summary and nothing of the line
    expect(pty.screen()).toBe(IMPORTED);
  }, 180_000);

  it('a rekey waiting for the lock shows the line beside the note naming the holder', async () => {
    const t = tempDir('ssclient-progress-pty-');
    cleanups.push(t.cleanup);
    await makeVault(t.dir, [['token', 'v']]);
    const holder = await holdLock(join(t.dir, 'secrets.json'), 4_000);
    const pty = PtySession.start(['-k', 'k.key', 'rekey', '--new-key', 'new.key', '--no-vcs'], {
      cwd: t.dir,
    });
    cleanups.unshift(() => pty.kill());
    // the note is written with the line erased first, then the line is drawn again below it
    const waiting = await pty.waitFor(/holds its lock\nre-encrypting secrets\.json\.\.\.\n$/);
    expect(waiting).toBe(
      `waiting for secrets.json: process ${holder.pid} on ${hostname()} holds its lock\nre-encrypting secrets.json...\n`,
    );
    expect(await pty.exitCode()).toBe(0);
    const screen = pty.screen();
    expect(screen).not.toContain('re-encrypting secrets.json...');
    expect(screen).toContain(`waiting for secrets.json: process ${holder.pid} on `);
    expect(screen).toContain('Moved new.key.new to new.key: new.key opens secrets.json.\n');
  }, 60_000);

  it('with stderr going to a file, it holds only the usual lines (stdout still a terminal)', async () => {
    const dir = await bigImport();
    const pty = PtySession.start(['-k', 'k.key', 'import', 'big.env'], {
      cwd: dir,
      redirect: '2>err.txt',
    });
    cleanups.unshift(() => pty.kill());
    expect(await pty.exitCode(120_000)).toBe(0);
    expect(readFileSync(join(dir, 'err.txt'), 'utf8')).toBe(IMPORTED);
    expect(pty.screen()).toBe('\n');
  }, 180_000);

  it('as a process with pipes: exactly the usual output', async () => {
    const dir = await bigImport();
    const res = runProcess(['-k', 'k.key', 'import', 'big.env'], { cwd: dir, timeoutMs: 120_000 });
    expect(res).toMatchObject({ code: 0, stdout: '', stderr: IMPORTED });
    const all = runProcess(['-k', 'k.key', 'get', '--all', '--format', 'dotenv'], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    expect(all.code).toBe(0);
    expect(all.stderr).toBe('');
    expect(all.stdout.split('\n')).toHaveLength(COUNT + 1);
  }, 180_000);
});
