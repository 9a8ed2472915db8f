/**
 * Reading files with a size cap, and the one place that writes files: atomically (temporary file
 * in the same directory, fsync, rename over the target, fsync the directory). A crash at any
 * moment leaves either the old file or the new one, never a torn one. spec/format.md §8.
 */
import { constants, type Dirent, promises as fs, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from '../crypto/primitives.js';
import { type ErrorCode, fail, ioError, SecureStoreError } from '../errors.js';

/** Reads from the handle's position until `buffer` is full or the file ends; the bytes read. */
async function fill(handle: fs.FileHandle, buffer: Buffer): Promise<number> {
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return length;
}

/** How long a pipe without a writer is given to get one before it is refused. */
const NO_WRITER_GRACE_MS = 100;

/**
 * Reads a pipe or a device opened with O_NONBLOCK to its end, never past `maxBytes`. A pipe that
 * no process writes to, and whose buffer is empty, ends at once: it is refused, instead of
 * waiting for a writer that may never come. A pipe with a writer (`-k <(cmd)` in bash) is read
 * as its writer writes, until it closes. A device with nothing to read (a terminal) is refused.
 */
async function readNonBlocking(
  handle: fs.FileHandle,
  path: string,
  pipe: boolean,
  maxBytes: number,
  refuse: (size: string) => never,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  let wait = 1;
  const started = Date.now();
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      ({ bytesRead: n } = await handle.read(chunk, 0, chunk.length, null));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      if (!pipe) blocked(path, 'it is a device with nothing to read (a terminal?)');
      // A writer has the pipe open but has not written yet.
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 50);
      continue;
    }
    if (n === 0) {
      if (!pipe || length > 0) return Buffer.concat(chunks, length);
      // No writer yet. One waiting in open() for a reader (`cat key > fifo &`) was woken by our
      // open and becomes one within moments; give it that long, then refuse.
      if (Date.now() - started < NO_WRITER_GRACE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      blocked(path, 'it is a named pipe (FIFO) that nothing writes to');
    }
    chunks.push(chunk.subarray(0, n));
    length += n;
    if (length > maxBytes) refuse(`more than ${maxBytes} bytes`);
  }
}

/** ERR_IO for a read that would wait; its cause is an EAGAIN error whose message says why. */
function blocked(path: string, why: string): never {
  const cause = Object.assign(new Error(why), { code: 'EAGAIN' });
  return fail('ERR_IO', `cannot read ${path}: ${why}`, cause);
}

/** Reads a whole file, refusing files over `maxBytes` before reading them. */
export async function readFileCapped(
  path: string,
  maxBytes: number,
  tooLarge: { code: ErrorCode; what: string },
): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a named pipe that no process writes to would wait for a writer
    // forever (and `set` would hold the vault's lock meanwhile). Regular files ignore it.
    handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw ioError(err, 'read', path);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      // As fs.readFile fails on a directory: an ERR_IO whose cause has the code EISDIR.
      throw ioError(Object.assign(new Error(`EISDIR: ${path}`), { code: 'EISDIR' }), 'read', path);
    }
    const refuse = (size: string): never =>
      fail(tooLarge.code, `${path} is too large to be ${tooLarge.what} (${size})`);
    if (!stat.isFile()) return await readNonBlocking(handle, path, stat.isFIFO(), maxBytes, refuse);
    if (stat.size > maxBytes) refuse(`${stat.size} bytes; the limit is ${maxBytes}`);
    // One read of the size fstat gave, instead of readFile's 512 KiB chunks (a round trip to the
    // thread pool each: 38 for a 19 MiB vault). The extra byte notices a file that grew since,
    // or one whose size fstat does not know (0 for /proc files and devices): the rest is read
    // in chunks, never past the cap (readFile would read /dev/zero until memory runs out).
    const first = Buffer.allocUnsafe(stat.size + 1);
    let length = await fill(handle, first);
    if (length < first.length) return first.subarray(0, length);
    const chunks = [first];
    for (let done = false; ;) {
      if (length > maxBytes) refuse(`more than ${maxBytes} bytes`);
      if (done) return Buffer.concat(chunks, length);
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = await fill(handle, chunk);
      chunks.push(chunk.subarray(0, n));
      length += n;
      done = n < chunk.length;
    }
  } catch (err) {
    if (err instanceof SecureStoreError) throw err;
    throw ioError(err, 'read', path);
  } finally {
    await handle.close();
  }
}

export interface AtomicWriteOptions {
  /**
   * Mode for a new file. When the target already exists its mode is kept instead, unless
   * `forceMode` is set (key files are always 0600).
   */
  readonly mode?: number;
  readonly forceMode?: boolean;
}

/**
 * The name of the temporary directory a write of `target` works in:
 * `.<name>.<pid>.<12 hex digits>.tmp` beside it (spec/format.md §8.1).
 */
const TEMP_NAME = /^(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * The `.gitignore` inside a temporary directory: `*` hides the directory and everything in it
 * from git whatever the user's own rules say (a `.env` rule does not match a temporary name),
 * and the comment records who writes there, so that the next writer can tell a dead process's
 * leftovers from a live writer's, even on a file system shared between hosts.
 */
function tempMarker(): string {
  const who = JSON.stringify({ pid: process.pid, host: hostname() });
  return `# ssclient: a file being written; removed when its writer ends ${who}\n*\n`;
}

/**
 * Writes `data` to `path` atomically and durably (spec/format.md §8.1). The data is written to
 * a file of the same name inside a private temporary directory beside `path`, whose
 * `.gitignore` keeps it out of git, then renamed over `path`. The temporary directory is removed
 * when the write ends in any way, when the process is ended by SIGINT, SIGTERM or SIGHUP (unless
 * the program handles that signal itself) or exits, and, after a SIGKILL, by the next write
 * beside `path`.
 * @throws SecureStoreError ERR_NOT_FOUND, ERR_IO
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const target = await resolveWriteTarget(path);
  const dir = dirname(target);
  const name = basename(target);
  await removeAbandonedTempFiles(target);
  const tempDir = join(
    dir,
    `.${name}.${process.pid}.${Buffer.from(randomBytes(6)).toString('hex')}.tmp`,
  );
  // The data keeps the target's name (so the user's rule for it matches it too), except for a
  // .gitignore, whose name the marker has.
  const temp = join(tempDir, name === '.gitignore' ? 'gitignore' : name);
  let mode = options.mode ?? 0o666;
  // An existing file's mode is kept exactly; open() applies the umask, so it is set with chmod.
  let setMode = options.forceMode === true;
  if (!options.forceMode) {
    try {
      mode = (await fs.stat(target)).mode & 0o7777;
      setMode = true;
    } catch {
      // a new file: the given mode, less the umask
    }
  }
  let handle: fs.FileHandle | undefined;
  trackTemp(tempDir);
  try {
    await fs.mkdir(tempDir, { mode: 0o700 });
    // The marker comes first: whenever the data exists, git already ignores it.
    await fs.writeFile(join(tempDir, '.gitignore'), tempMarker(), { flag: 'wx', mode: 0o600 });
    handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    if (setMode) await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await renameDurable(temp, target, { verb: 'write', what: path });
  } catch (err) {
    throw err instanceof SecureStoreError ? err : ioError(err, 'write', path);
  } finally {
    await handle?.close().catch(() => {});
    await fs.rm(tempDir, { recursive: true, force: true }).catch(() => {});
    untrackTemp(tempDir);
  }
}

/**
 * Makes a private directory (mode 0700) inside `parent` for plaintext that must not outlive this
 * process (`ssclient edit`'s copy of the secrets), named `<prefix><12 hex digits>`. It is removed
 * as the temporary directory of a write in progress is: by {@link removePrivateTempDir}, and when
 * the process is ended by SIGINT, SIGTERM or SIGHUP (unless the program handles that signal
 * itself) or exits. It is tracked before it exists, so that no signal finds it made but unknown.
 * @throws SecureStoreError ERR_NOT_FOUND (no `parent`), ERR_IO
 */
export async function makePrivateTempDir(parent: string, prefix: string): Promise<string> {
  const dir = join(parent, `${prefix}${Buffer.from(randomBytes(6)).toString('hex')}`);
  trackTemp(dir);
  try {
    await fs.mkdir(dir, { mode: 0o700 });
    // mkdir applies the umask, which can only take bits away; chmod makes it exactly 0700.
    await fs.chmod(dir, 0o700);
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    untrackTemp(dir);
    throw ioError(err, 'create', dir);
  }
  return dir;
}

/** Removes a directory made by {@link makePrivateTempDir} and everything in it. */
export async function removePrivateTempDir(dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true });
  } catch {
    // removed on exit by the hook at the latest (removeInFlight)
    return;
  }
  untrackTemp(dir);
}

/**
 * {@link removePrivateTempDir} at once, synchronously: for a signal handler that must not wait
 * (`ssclient edit` told to stop while the editor still has the file open).
 */
export function removePrivateTempDirNow(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    return; // removed on exit by the hook at the latest (removeInFlight)
  }
  untrackTemp(dir);
}

/**
 * Writes `data` to a new file at `path` with mode 0600, refusing to replace anything there (for
 * files inside a directory of {@link makePrivateTempDir}).
 * @throws SecureStoreError ERR_IO
 */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.chmod(0o600);
    await handle.writeFile(data);
  } catch (err) {
    throw ioError(err, 'write', path);
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** The temporary directories of writes in progress in this process. */
const inFlight = new Set<string>();
const CLEANUP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let hooked = false;

/** Removes every temporary directory of this process's writes in progress, synchronously. */
function removeInFlight(): void {
  for (const tempDir of inFlight) {
    try {
      rmSync(tempDir, { recursive: true, force: true });
    } catch {
      // best effort: the next writer beside it removes it
    }
  }
  inFlight.clear();
}

/**
 * On SIGINT, SIGTERM or SIGHUP while a write is in progress, a process that does not handle the
 * signal itself would die at once, leaving the temporary directory. This handler removes it
 * first and then lets the signal end the process as it would have. A program that handles the
 * signal itself decides what happens: its write finishes, or it calls process.exit(), where the
 * 'exit' hook removes the temporary directory.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removeInFlight();
  unhookSignals();
  process.kill(process.pid, signal);
}

function hookSignals(): void {
  if (hooked) return;
  hooked = true;
  for (const signal of CLEANUP_SIGNALS) process.on(signal, onSignal);
}

function unhookSignals(): void {
  if (!hooked) return;
  hooked = false;
  for (const signal of CLEANUP_SIGNALS) process.off(signal, onSignal);
}

let exitHooked = false;

function trackTemp(tempDir: string): void {
  inFlight.add(tempDir);
  hookSignals();
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', removeInFlight);
  }
}

function untrackTemp(tempDir: string): void {
  inFlight.delete(tempDir);
  if (inFlight.size === 0) unhookSignals();
}

/**
 * The file that writing `path` must replace: symbolic links are followed, so that a vault reached
 * through a link is updated where it lives instead of the link being replaced by a plain file
 * (the reference, which rewrites in place, also writes through links). A path that does not
 * exist (yet) is its own target.
 */
export async function resolveWriteTarget(path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch {
    return path;
  }
}

/**
 * Removes what writes of `path` left beside it when their process was killed (SIGKILL, a power
 * cut): `.<name>.<pid>.<12 hex digits>.tmp`, either a temporary directory whose `.gitignore`
 * names a process on this host that no longer exists, or (written by versions before the
 * temporary directory) a plain temporary file whose pid is not a live process on this host.
 * Safe without the lock: a live writer's temporary files are never touched, whatever host it
 * runs on. {@link writeFileAtomic} calls it before each write and `withLock` before releasing.
 * Best effort: failures are ignored. spec/format.md §8.1.
 */
export async function removeAbandonedTempFiles(path: string): Promise<void> {
  const target = await resolveWriteTarget(path);
  const dir = dirname(target);
  const name = basename(target);
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const prefix = `.${name}.`;
  for (const entry of entries) {
    if (!entry.name.startsWith(prefix)) continue;
    const m = TEMP_NAME.exec(entry.name.slice(prefix.length));
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!(await writtenHere(full, pid))) continue;
      await fs.rm(full, { recursive: true, force: true }).catch(() => {});
    } else if (entry.isFile()) {
      await fs.unlink(full).catch(() => {});
    }
  }
}

/**
 * True when the temporary directory of dead process `pid` may be removed: it holds no data yet
 * (its writer died before writing any: nothing is lost, whoever it was), or its marker names
 * process `pid` on this host (on another host, that pid may be a live process).
 */
async function writtenHere(tempDir: string, pid: number): Promise<boolean> {
  try {
    const entries = await fs.readdir(tempDir);
    if (entries.every((e) => e === '.gitignore')) return true;
    const text = await fs.readFile(join(tempDir, '.gitignore'), 'utf8');
    const m = /\{"pid":(\d+),"host":(".*")\}\n/.exec(text);
    return m !== null && Number(m[1]) === pid && JSON.parse(m[2]!) === hostname();
  } catch {
    return false;
  }
}

/** True when a process with this pid exists on this host (EPERM: it exists, not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync a directory so that a rename in it survives a power cut. Best effort off Linux. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync directories; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Renames `from` over `to` (atomic on POSIX) and fsyncs the directory, so that the rename
 * survives a power cut. Used to move a fully written and synced file into place. A failure is
 * `cannot <verb> <what>`, by default `cannot rename FROM to TO`.
 * @throws SecureStoreError ERR_NOT_FOUND, ERR_IO
 */
export async function renameDurable(
  from: string,
  to: string,
  failure: { readonly verb: string; readonly what: string } = {
    verb: 'rename',
    what: `${from} to ${to}`,
  },
): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (err) {
    throw ioError(err, failure.verb, failure.what);
  }
  await syncDirectory(dirname(to));
}

/** A text file's contents, or '' when it does not exist. */
export async function readTextOrEmpty(path: string): Promise<string> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw ioError(err, 'read', path);
  }
}

/**
 * Writes `existing` (the file's current text) plus `lines`, with a newline between them when
 * `existing` lacks a final one: an append to a text file such as .gitignore, done atomically.
 */
export async function appendLines(path: string, existing: string, lines: string): Promise<void> {
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await writeFileAtomic(path, existing + separator + lines);
}

/** Removes a file; a file that is already gone is not an error. */
export async function removeFile(path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, 'remove', path);
  }
}

/**
 * The size of the file at `path` (links followed), or `null` when there is none. For callers that
 * must not replace a non-empty file without being told to.
 * @throws SecureStoreError ERR_IO when it exists but cannot be examined
 */
export async function sizeOfExisting(path: string): Promise<number | null> {
  try {
    return (await fs.stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(err, 'examine', path);
  }
}
