/**
 * `ssclient verify` (docs/workflow.md "verify"). Works on the parsed document and the vault key
 * directly, so that it can say which secret fails and why instead of stopping at the first
 * failure; whether the key opens the vault is vault/opener.ts's verdict, as everywhere.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Blob } from '../format/blob.js';
import { forEachDecrypted, verifyBlob } from '../vault/blob-cipher.js';
import { zeroize } from '../crypto/primitives.js';
import { fail, SecureStoreError } from '../errors.js';
import { decodeKeyFile, MAX_KEY_FILE_BYTES } from '../format/key-file.js';
import { MAX_VAULT_BYTES, parseVault, type VaultDocument } from '../format/vault-codec.js';
import { readFileCapped } from '../io/files.js';
import { keyFileFormatOf } from '../keys/key-file-formats.js';
import type { KeySource } from '../keys/key-source.js';
import { sentinelOpens, vaultAndSealKeysFor } from '../vault/opener.js';
import { checkSeal, readSeal, sealFailureMessage, sealGeneration } from '../vault/seal.js';

/** Reads and parses a vault file strictly. `display` names it in messages. */
export async function readVaultDocument(path: string, display: string): Promise<VaultDocument> {
  return parseVault(await readVaultBytes(path, display), display);
}

/** A vault file's bytes, capped; a missing file is ERR_NOT_FOUND naming it as `display`. */
async function readVaultBytes(path: string, display: string): Promise<Uint8Array> {
  try {
    return await readFileCapped(path, MAX_VAULT_BYTES, {
      code: 'ERR_VAULT_FORMAT',
      what: 'a vault',
    });
  } catch (err) {
    if (err instanceof SecureStoreError && err.code === 'ERR_NOT_FOUND') {
      fail('ERR_NOT_FOUND', `${display} does not exist`, err);
    }
    throw err;
  }
}

/** What `verify` found of the seal (spec/seal.md): `checked` is false without a key. */
export type SealState =
  | { readonly sealed: false }
  | { readonly sealed: true; readonly generation: number; readonly checked: boolean };

export interface VerifyResult {
  /** One line per problem, each naming the file. Empty when the vault is sound. */
  readonly problems: string[];
  /** Things worth saying that are not problems. */
  readonly notes: string[];
  readonly secrets: number;
  /** The seal; absent when the file is not a vault. */
  readonly seal?: SealState;
  /** The parsed vault, when it parsed. */
  readonly doc?: VaultDocument;
}

/**
 * Checks a vault: strict parse always; with `source`, the key against the sentinel and every
 * secret's MAC and decryption.
 */
export async function verifyVault(
  path: string,
  display: string,
  source: KeySource | null,
  options: { requireSeal?: boolean } = {},
): Promise<VerifyResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readVaultBytes(path, display);
  } catch (err) {
    if (err instanceof SecureStoreError && err.code !== 'ERR_NOT_FOUND') {
      return { problems: [err.message], notes: [], secrets: 0 };
    }
    throw err;
  }
  return verifyVaultBytes(bytes, display, source, options);
}

/**
 * {@link verifyVault} of a vault's bytes (read from git's index by `git check-staged`, say).
 */
export async function verifyVaultBytes(
  bytes: Uint8Array,
  display: string,
  source: KeySource | null,
  options: { requireSeal?: boolean } = {},
): Promise<VerifyResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  let doc: VaultDocument;
  try {
    doc = parseVault(bytes, display);
  } catch (err) {
    if (err instanceof SecureStoreError) return { problems: [err.message], notes, secrets: 0 };
    throw err;
  }
  if (doc.sentinel === null) {
    notes.push(`${display} has no sentinel: a wrong key is only noticed by a secret's MAC`);
  }
  // spec/seal.md §3: the structure of a seal needs no key.
  let seal;
  try {
    seal = readSeal(doc, display);
  } catch (err) {
    if (!(err instanceof SecureStoreError)) throw err;
    return { problems: [err.message], notes, secrets: doc.secrets.size, doc };
  }
  if (seal === null && options.requireSeal === true) {
    problems.push(sealFailureMessage(display, 'missing'));
  }
  let sealState: SealState =
    seal === null
      ? { sealed: false }
      : { sealed: true, generation: sealGeneration(seal), checked: false };
  if (source === null) return { problems, notes, secrets: doc.secrets.size, seal: sealState, doc };

  const both = await vaultAndSealKeysFor(doc, source);
  const keys = both.keys;
  const names = [...doc.secrets.keys()];
  const blobs: Blob[] = names.map((n) => doc.secrets.get(n)!);
  const decrypts: boolean[] = [];
  const macOk: boolean[] = [];
  forEachDecrypted(keys, blobs, (i, plain, macValid) => {
    decrypts[i] = plain !== null;
    macOk[i] = macValid;
  });
  const anySecretVerifies = macOk.some(Boolean);
  if (doc.sentinel !== null && !sentinelOpens(keys, doc.sentinel)) {
    // A sentinel whose MAC verifies but that does not decrypt: the key's AES half is wrong.
    if (!anySecretVerifies || verifyBlob(keys, doc.sentinel)) {
      problems.push(
        `${display}: ${source.description} does not open it (wrong ${source.type === 'password' ? 'password' : 'key'}, or a damaged sentinel)`,
      );
      return { problems, notes, secrets: doc.secrets.size };
    }
    problems.push(
      `${display}: the sentinel fails its integrity check: the vault was modified or damaged`,
    );
  } else if (doc.sentinel === null && names.length > 0 && !anySecretVerifies) {
    problems.push(`${display}: ${source.description} does not open it (no secret verifies)`);
    return { problems, notes, secrets: doc.secrets.size };
  }
  if (seal !== null) {
    const check = checkSeal(both.seal, doc, seal);
    if (check.ok) sealState = { sealed: true, generation: check.generation, checked: true };
    else problems.push(sealFailureMessage(display, check));
  }
  names.forEach((name, i) => {
    if (!macOk[i]) {
      problems.push(
        `${display}: secret ${JSON.stringify(name)} fails its integrity check (MAC): the vault was modified or damaged`,
      );
    } else if (!decrypts[i]) {
      problems.push(
        `${display}: secret ${JSON.stringify(name)} does not decrypt (bad padding under a valid MAC)`,
      );
    }
  });
  return { problems, notes, secrets: doc.secrets.size, seal: sealState, doc };
}

/**
 * `verify --strict`: plain key files in the vault's directory (and `extraKeys`, the key given)
 * must not be readable by group or others, and must be ignored by git and not tracked. KMS-wrapped
 * key files are meant to be committed and are not checked.
 */
export async function checkKeyFiles(
  vaultPath: string,
  extraKeys: readonly string[],
  display: (path: string) => string,
): Promise<string[]> {
  const dir = dirname(vaultPath);
  const candidates = new Set<string>(extraKeys);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && join(dir, entry.name) !== vaultPath)
      candidates.add(join(dir, entry.name));
  }
  const problems: string[] = [];
  for (const path of [...candidates].sort()) {
    const mode = await plainKeyFileMode(path);
    if (mode === null) continue;
    const shown = display(path);
    if ((mode & 0o077) !== 0) {
      problems.push(
        `${shown}: key file readable by ${mode & 0o007 ? 'others' : 'its group'} (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${shown}`,
      );
    }
    const git = gitStatus(path);
    if (git === 'tracked') {
      problems.push(
        `${shown}: key file is tracked by git: run git rm --cached ${shown} and ignore it`,
      );
    } else if (git === 'not-ignored') {
      problems.push(
        `${shown}: key file is not ignored by git: add /${basename(path)} to ${display(join(dirname(path), '.gitignore'))}`,
      );
    }
  }
  return problems;
}

/**
 * The permission bits of a plain key file (a PEM key file, or a 32-byte file named `*.key`, the
 * legacy raw form); null for anything else.
 */
async function plainKeyFileMode(path: string): Promise<number | null> {
  let bytes: Uint8Array;
  let mode: number;
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile() || stat.size > MAX_KEY_FILE_BYTES) return null;
    mode = stat.mode & 0o777;
    bytes = await fs.readFile(path);
  } catch {
    return null;
  }
  try {
    if (keyFileFormatOf(bytes) !== undefined) return null;
    if (bytes.length === 32) return path.endsWith('.key') ? mode : null;
    if (!Buffer.from(bytes).includes('-----BEGIN PRIVATE KEY-----')) return null;
    zeroize(decodeKeyFile(bytes, path));
    return mode;
  } catch {
    return null;
  } finally {
    zeroize(bytes);
  }
}

/** Whether git tracks or ignores `path`; `unknown` outside a work tree or without git. */
function gitStatus(path: string): 'tracked' | 'ignored' | 'not-ignored' | 'unknown' {
  const cwd = dirname(path);
  const name = basename(path);
  const run = (args: string[]): number | null => {
    const r = spawnSync('git', args, { cwd, stdio: 'ignore', timeout: 10_000 });
    return r.error ? null : r.status;
  };
  const tracked = run(['ls-files', '--error-unmatch', '--', name]);
  if (tracked === null) return 'unknown';
  if (tracked === 0) return 'tracked';
  const ignored = run(['check-ignore', '-q', '--', name]);
  if (ignored === 0) return 'ignored';
  if (ignored === 1) return 'not-ignored';
  return 'unknown';
}
