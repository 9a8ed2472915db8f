/**
 * A cross-process lock for read-modify-write of a vault: `<vault>.lock`, created with O_EXCL.
 * The lock file records who holds it (pid, host, time), and its holder touches it every
 * {@link REFRESH_MS} while it holds it. A lock is stale when its holder is a dead process on this
 * host, or when it has not been touched for {@link STALE_AFTER_MS} (its holder, on whatever host,
 * is gone or hung); a live holder's lock is never broken however long it holds it. A stale lock
 * is broken under a second, short-lived guard lock so that two waiters never both break it.
 * spec/format.md §8.3.
 */
import { constants, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { fail, ioError } from '../errors.js';
import { isProcessAlive, removeAbandonedTempFiles, resolveWriteTarget } from './files.js';

/** How often a holder touches its lock file. */
export const REFRESH_MS = 2_000;
/**
 * A lock not touched for this long is abandoned whatever its holder: far more than
 * {@link REFRESH_MS}, so that a busy event loop, NFS attribute caching (up to 60 s by default)
 * or modest clock skew between hosts never makes a live holder's lock look stale.
 */
export const STALE_AFTER_MS = 2 * 60 * 1000;
const GUARD_STALE_AFTER_MS = 5_000;
/** How long a waiter waits before {@link LockOptions.onWait} is told who holds the lock. */
export const WAIT_NOTICE_MS = 1_000;

/** Who holds a lock, as its lock file records it. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
}

export interface LockOptions {
  /** How long to wait for another holder; default 30 s. */
  readonly timeoutMs?: number;
  /**
   * Called when the lock has been held by another process for {@link WAIT_NOTICE_MS} while we
   * wait, and again if another holder takes it meanwhile (null: its record is unreadable). The
   * CLI says on a terminal who holds it.
   */
  readonly onWait?: (holder: LockHolder | null) => void;
  /**
   * More files whose abandoned temporary files the holder removes before letting go, as it does
   * beside `path` (spec/format.md §8.1): the key file that opens the vault and a rekey's pending
   * key beside it, where an interrupted rekey leaves key material.
   */
  readonly alsoClean?: readonly string[];
}

interface Holder {
  pid: number;
  host: string;
  time: number;
}

/**
 * Runs `fn` while holding the lock on `path`; always releases it. Before letting go, it removes
 * the temporary files that writers of `path` (and of `alsoClean`, files written under the same
 * lock such as a rekey's key file) killed mid-write left beside them (spec/format.md §8.1).
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
  alsoClean: readonly string[] = [],
): Promise<T> {
  // Beside the file itself, not beside a symbolic link to it: every way to the vault shares one lock.
  const lockPath = `${await resolveWriteTarget(path)}.lock`;
  const token = await acquire(lockPath, options);
  const refresher = keepFresh(lockPath, token);
  try {
    return await fn();
  } finally {
    refresher.stop();
    // `path`, not the target resolved above: `fn` may have created the file it names.
    for (const p of [path, ...alsoClean, ...(options.alsoClean ?? [])]) {
      await removeAbandonedTempFiles(p);
    }
    await release(lockPath, token);
  }
}

/**
 * Touches the lock file every {@link REFRESH_MS} while it still holds `token`, so that waiters
 * see a live holder. The timer does not keep the process alive.
 */
function keepFresh(lockPath: string, token: string): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const current = await fs.readFile(lockPath, 'utf8');
        if (current !== token) {
          clearInterval(timer); // no longer ours (released or broken): nothing to keep fresh
          return;
        }
        const now = new Date();
        await fs.utimes(lockPath, now, now);
      } catch {
        // gone or unreadable: the next tick tries again, release() cleans up
      } finally {
        busy = false;
      }
    })();
  }, REFRESH_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const token = JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() });
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 30_000);
  let delay = 5;
  let told: string | undefined;
  for (;;) {
    if (await tryCreate(lockPath, token)) return token;
    const holder = await readHolder(lockPath);
    if (holder !== undefined && (await isStale(lockPath, holder.parsed))) {
      await breakStale(lockPath, holder.raw);
      continue;
    }
    if (Date.now() >= deadline) {
      const vault = lockPath.slice(0, -5);
      const p = holder?.parsed;
      const who = p
        ? ` by process ${p.pid} on ${p.host}; if that process is no longer running`
        : '; if no other process is writing it';
      fail('ERR_LOCKED', `${vault} is locked${who}, delete ${lockPath}`);
    }
    if (
      options.onWait !== undefined &&
      holder !== undefined &&
      holder.raw !== told &&
      Date.now() - started >= WAIT_NOTICE_MS
    ) {
      told = holder.raw;
      const p = holder.parsed;
      options.onWait(p === null ? null : { pid: p.pid, host: p.host });
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
  // Not touched for this long: its holder, wherever it runs, no longer keeps it (§8.3).
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
