/**
 * A cross-process lock for read-modify-write of a vault: `<vault>.lock`, created with O_EXCL.
 * The lock file records who holds it (pid, host, time). A lock whose holder is a dead process on
 * this host, or which is older than {@link STALE_AFTER_MS}, is stale and is broken under a second,
 * short-lived guard lock so that two waiters never both break it. spec/format.md §8.3.
 */
import { constants, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { fail, ioError } from '../errors.js';
import { isProcessAlive, removeAbandonedTempFiles, resolveWriteTarget } from './files.js';

/** A lock older than this is taken to be abandoned whatever its holder. */
export const STALE_AFTER_MS = 10 * 60 * 1000;
const GUARD_STALE_AFTER_MS = 5_000;

export interface LockOptions {
  /** How long to wait for another holder; default 30 s. */
  readonly timeoutMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  time: number;
}

/**
 * Runs `fn` while holding the lock on `path`; always releases it. Before letting go, it removes
 * the temporary files that writers of `path` killed mid-write left beside it: only a lock holder
 * knows that no other writer of `path` is in the middle of a write (spec/format.md §8.1).
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  // Beside the file itself, not beside a symbolic link to it: every way to the vault shares one lock.
  const lockPath = `${await resolveWriteTarget(path)}.lock`;
  const token = await acquire(lockPath, options.timeoutMs ?? 30_000);
  try {
    return await fn();
  } finally {
    // `path`, not the target resolved above: `fn` may have created the file it names.
    await removeAbandonedTempFiles(path);
    await release(lockPath, token);
  }
}

async function acquire(lockPath: string, timeoutMs: number): Promise<string> {
  const token = JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() });
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    if (await tryCreate(lockPath, token)) return token;
    const holder = await readHolder(lockPath);
    if (holder !== undefined && (await isStale(lockPath, holder.parsed))) {
      await breakStale(lockPath, holder.raw);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder?.parsed ? ` by process ${holder.parsed.pid} on ${holder.parsed.host}` : '';
      fail(
        'ERR_LOCKED',
        `${lockPath.slice(0, -5)} is locked${who}; if no other ssclient is running, delete ${lockPath}`,
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
}

async function tryCreate(lockPath: string, token: string): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(
      lockPath,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      0o600,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(err, 'lock', lockPath.slice(0, -5));
  }
  try {
    await handle.writeFile(token);
  } finally {
    await handle.close();
  }
  return true;
}

async function readHolder(
  lockPath: string,
): Promise<{ raw: string; parsed: Holder | null } | undefined> {
  let raw: string;
  try {
    raw = await fs.readFile(lockPath, 'utf8');
  } catch {
    return undefined; // released meanwhile
  }
  try {
    const parsed = JSON.parse(raw) as Holder;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return { raw, parsed };
  } catch {
    // written only in part (the holder died between create and write) or foreign
  }
  return { raw, parsed: null };
}

async function isStale(lockPath: string, holder: Holder | null): Promise<boolean> {
  let age: number;
  try {
    age = Date.now() - (await fs.stat(lockPath)).mtimeMs;
  } catch {
    return false; // gone: the next attempt will take it
  }
  if (age > STALE_AFTER_MS) return true;
  if (holder === null) return age > 2_000;
  if (holder.host !== hostname()) return false;
  return !isProcessAlive(holder.pid);
}

async function breakStale(lockPath: string, staleContent: string): Promise<void> {
  const guard = `${lockPath}.break`;
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() });
  if (!(await tryCreate(guard, mine))) {
    try {
      // A guard whose holder died mid-break (this host, dead pid) need not wait out its age.
      const age = Date.now() - (await fs.stat(guard)).mtimeMs;
      const holder = (await readHolder(guard))?.parsed;
      const dead = holder != null && holder.host === hostname() && !isProcessAlive(holder.pid);
      if (dead || age > GUARD_STALE_AFTER_MS) await fs.unlink(guard);
    } catch {
      // someone else finished breaking it
    }
    await sleep(5);
    return;
  }
  try {
    const current = await fs.readFile(lockPath, 'utf8').catch(() => undefined);
    if (current === staleContent) await fs.unlink(lockPath).catch(() => {});
  } finally {
    await fs.unlink(guard).catch(() => {});
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const current = await fs.readFile(lockPath, 'utf8').catch(() => undefined);
  if (current === token) await fs.unlink(lockPath).catch(() => {});
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
