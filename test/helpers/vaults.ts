/**
 * THE vault-fixture helper: temporary directories, the reference vectors copied into
 * fixtures/vectors (see fixtures/README.md) and their manifests, copying vectors into a
 * directory, and fresh vaults made with the library (fast: a key file, no PBKDF2).
 */
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeySource } from '../../src/auth.js';
import { encodeKeyFile } from '../../src/format/key-file.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const VECTORS = join(FIXTURES, 'vectors');
export const NEGATIVE = join(VECTORS, 'negative');

export interface Manifest {
  description: string;
  vault: string;
  password: string | null;
  keyfile: string | null;
  keyfile_format: 'pem' | 'binary' | null;
  secrets: Record<string, string>;
  secrets_base64: Record<string, string>;
  names_in_file_order: string[];
  absent_names: string[];
  equivalent_pem_keyfile?: string;
}

export function manifests(): Manifest[] {
  return readdirSync(VECTORS)
    .filter((f) => f.endsWith('.manifest.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(VECTORS, f), 'utf8')) as Manifest);
}

export interface NegativeCase {
  vault: string;
  description: string;
  password: string;
  ssclient_argv: string[];
  expected_exit_code: number;
  expected_stdout: string;
}

export function negativeCases(): NegativeCase[] {
  return (
    JSON.parse(readFileSync(join(NEGATIVE, 'negative.manifest.json'), 'utf8')) as {
      cases: NegativeCase[];
    }
  ).cases;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ssclient-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Copies reference vectors into `dir`: `files` maps the name in `dir` to the file's name in
 * fixtures/vectors (e.g. `{ 'secrets.json': '03-key-only.json', 'k.key': '03-key-only.key' }`).
 */
export function copyVectors(dir: string, files: Record<string, string>): void {
  for (const [as, vector] of Object.entries(files))
    copyFileSync(join(VECTORS, vector), join(dir, as));
}

/** A fresh temporary directory holding the vectors `files` (see {@link copyVectors}). */
export function vectorDir(
  files: Record<string, string>,
  prefix?: string,
): { dir: string; cleanup: () => void } {
  const t = tempDir(prefix);
  copyVectors(t.dir, files);
  return t;
}

/** The key-only vector 03 as `secrets.json` with its key file `k.key`. */
export const KEY_ONLY = { 'secrets.json': '03-key-only.json', 'k.key': '03-key-only.key' };

/** The key of {@link makeVault}'s `k.key`. */
export const KEY_BYTES = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);

/**
 * Writes `k.key` (0600, {@link KEY_BYTES}) and `store` holding `secrets` into `dir`. The vault
 * has no seal: it is byte for byte what the reference would write (the tests that use it damage
 * or compare those bytes); `ssclient create` and the library's default make sealed vaults.
 */
export async function makeVault(
  dir: string,
  secrets: Iterable<[string, string | Uint8Array]>,
  store = 'secrets.json',
): Promise<void> {
  writeFileSync(join(dir, 'k.key'), encodeKeyFile(KEY_BYTES), { mode: 0o600 });
  const vault = await SecretsManager.create(KeySource.fromKey(KEY_BYTES), { seal: false });
  for (const [name, value] of secrets) vault.set(name, value);
  await vault.saveAs(join(dir, store));
  vault.close();
}
