/**
 * Reading files with a size cap, and the one place that writes files: atomically (temporary file
 * in the same directory, fsync, rename over the target, fsync the directory). A crash at any
 * moment leaves either the old file or the new one, never a torn one. spec/format.md §8.
 */
import { constants, promises as fs } from 'node:fs';
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

/** Reads a whole file, refusing files over `maxBytes` before reading them. */
export async function readFileCapped(
  path: string,
  maxBytes: number,
  tooLarge: { code: ErrorCode; what: string },
): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
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

/** Writes `data` to `path` atomically and durably. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const target = await resolveWriteTarget(path);
  const dir = dirname(target);
  const temp = join(
    dir,
    `.${basename(target)}.${process.pid}.${Buffer.from(randomBytes(6)).toString('hex')}.tmp`,
  );
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
  try {
    handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    if (setMode) await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await renameDurable(temp, target, { verb: 'write', what: path });
  } catch (err) {
    await handle?.close().catch(() => {});
    await fs.unlink(temp).catch(() => {});
    throw err instanceof SecureStoreError ? err : ioError(err, 'write', path);
  }
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
 * Removes the temporary files that {@link writeFileAtomic} leaves beside `path` when its process
 * is killed mid-write: `.<name>.<pid>.<12 hex digits>.tmp` whose pid is not a live process on
 * this host. Call it only while holding the lock on `path`, so that no other writer of `path` is
 * in the middle of a write: `withLock` does, for every locked writer. Best effort: failures are
 * ignored. spec/format.md §8.1.
 */
export async function removeAbandonedTempFiles(path: string): Promise<void> {
  const target = await resolveWriteTarget(path);
  const dir = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return;
  }
  const prefix = `.${name}.`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(entry.slice(prefix.length));
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    await fs.unlink(join(dir, entry)).catch(() => {});
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
