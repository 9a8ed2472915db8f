/**
 * A setup file of the mutation run only (vitest.mutate.config.ts; `npm test` never loads it):
 * node:crypto's `pbkdf2` answers from a cache on disk when it has derived the very same key before
 * (same password bytes, salt, iterations, length and digest), and derives it for real otherwise.
 * PBKDF2 is a pure function, so every test sees the bytes it would have seen; the product code and
 * its 256 000 rounds are unchanged, and a mutant that changes any input (the digest, the
 * iterations, the password bytes) misses the cache and gets a real derivation. The cache is on
 * disk because Stryker starts a fresh worker thread for each test file of each mutant: each
 * vector's key is derived once per run instead of once per mutant (test/README.md).
 */
import crypto, { createHash, type BinaryLike } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PATCHED = Symbol.for('securestore.mutate.pbkdf2Cache');
const DIR = join(tmpdir(), `securestore-mutate-pbkdf2-${process.getuid?.() ?? 0}`);

type Callback = (err: Error | null, key: Buffer) => void;

function bytesOf(b: BinaryLike): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b as Uint8Array);
}

const g = globalThis as Record<symbol, unknown>;
if (!g[PATCHED]) {
  g[PATCHED] = true;
  mkdirSync(DIR, { recursive: true, mode: 0o700 });
  const original = crypto.pbkdf2;
  const cached = function (
    password: BinaryLike,
    salt: BinaryLike,
    iterations: number,
    keylen: number,
    digest: string,
    callback: Callback,
  ): void {
    let name: string;
    try {
      const h = createHash('sha256');
      h.update(`${String(digest)}\0${String(iterations)}\0${String(keylen)}\0`);
      const s = bytesOf(salt);
      h.update(`${s.length}\0`).update(s).update(bytesOf(password));
      name = join(DIR, h.digest('hex'));
    } catch {
      original(password, salt, iterations, keylen, digest, callback);
      return;
    }
    let hit: Buffer | undefined;
    try {
      hit = readFileSync(name);
    } catch {
      hit = undefined;
    }
    if (hit !== undefined && hit.length === keylen) {
      const key = hit;
      setImmediate(() => callback(null, key));
      return;
    }
    original(password, salt, iterations, keylen, digest, (err, key) => {
      if (!err) {
        const tmp = `${name}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
        writeFileSync(tmp, key, { mode: 0o600 });
        renameSync(tmp, name);
      }
      callback(err, key);
    });
  };
  (crypto as { pbkdf2: unknown }).pbkdf2 = cached;
  syncBuiltinESMExports();
}
