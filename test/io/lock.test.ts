// spec/format.md §8.3 (locks: a holder keeps its lock fresh; stale only when its holder is dead
// or it is no longer refreshed; who holds it is told to a waiter).
/**
 * withLock with a real holder process: its lock is touched while held, so a lock whose holder is
 * alive is never taken for abandoned however long it is held (before, any lock older than 10
 * minutes was broken, even a live holder's on another host over NFS). ERR_LOCKED names the
 * holder in words a library user can act on, and a waiter is told who holds the lock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type LockHolder, withLock } from '../../src/io/lock.js';
import { tempDir } from '../helpers/vaults.js';

const HOLD_LOCK = fileURLToPath(new URL('./hold-lock.mjs', import.meta.url));
const tmp = tempDir('ssclient-io-lock-');
afterAll(() => tmp.cleanup());

let counter = 0;
function freshFile(): string {
  const dir = join(tmp.dir, `d${counter++}`);
  mkdirSync(dir);
  const path = join(dir, 'vault.json');
  writeFileSync(path, '{}');
  return path;
}

/** Starts a process holding the lock on `path` for `ms`; resolves once it holds it. */
function hold(path: string, ms: number): Promise<{ child: ChildProcess; done: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLD_LOCK, path, String(ms)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const done = new Promise<string>((res) => child.on('close', () => res(out + err)));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.startsWith('held\n')) resolve({ child, done });
    });
    setTimeout(() => reject(new Error(`the holder never held the lock: ${err}`)), 20_000);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('withLock', () => {
  it('a live holder keeps its lock fresh: a lock file made to look 11 minutes old is touched again, and a waiter leaves it alone', async () => {
    const path = freshFile();
    const lock = `${path}.lock`;
    const { child, done } = await hold(path, 5_000);
    try {
      const old = (Date.now() - 11 * 60_000) / 1000;
      utimesSync(lock, old, old);
      let fresh = false;
      for (let i = 0; i < 40 && !fresh; i++) {
        await sleep(200);
        fresh = Date.now() - statSync(lock).mtimeMs < 60_000;
      }
      expect(fresh).toBe(true);
      const holder = readFileSync(lock, 'utf8');
      await expect(withLock(path, async () => 'taken', { timeoutMs: 200 })).rejects.toMatchObject({
        code: 'ERR_LOCKED',
      });
      expect(readFileSync(lock, 'utf8')).toBe(holder);
    } finally {
      const output = await done;
      expect(output).toBe('held\nreleased\n');
      child.kill();
    }
  }, 30_000);

  it('ERR_LOCKED names the holder and what to do, without speaking of ssclient', async () => {
    const path = freshFile();
    writeFileSync(
      `${path}.lock`,
      JSON.stringify({ pid: 4242, host: 'elsewhere', time: Date.now() }),
    );
    await expect(withLock(path, async () => 0, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'ERR_LOCKED',
      message: `${path} is locked by process 4242 on elsewhere; if that process is no longer running, delete ${path}.lock`,
    });
    writeFileSync(`${path}.lock`, '{"pid": 12');
    await expect(withLock(path, async () => 0, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'ERR_LOCKED',
      message: `${path} is locked; if no other process is writing it, delete ${path}.lock`,
    });
  });

  it('tells a waiter who holds the lock once it has waited a second, and only once per holder', async () => {
    const path = freshFile();
    const { done } = await hold(path, 1_600);
    const told: (LockHolder | null)[] = [];
    const started = Date.now();
    let toldAfter = -1;
    const result = await withLock(path, async () => 'mine', {
      timeoutMs: 20_000,
      onWait: (h) => {
        told.push(h);
        toldAfter = Date.now() - started;
      },
    });
    expect(result).toBe('mine');
    expect(told).toHaveLength(1);
    expect(told[0]!.host).toBe(hostname());
    expect(typeof told[0]!.pid).toBe('number');
    expect(told[0]!.pid).not.toBe(process.pid);
    expect(toldAfter).toBeGreaterThanOrEqual(1_000);
    await done;
  }, 30_000);

  it('a quick wait tells nothing', async () => {
    const path = freshFile();
    const { done } = await hold(path, 100);
    const told: unknown[] = [];
    await withLock(path, async () => 0, { onWait: (h) => told.push(h) });
    expect(told).toEqual([]);
    await done;
  }, 30_000);
});
