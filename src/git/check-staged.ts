/**
 * `ssclient git check-staged` (docs/git.md "Pre-commit guard"): what the index is about to
 * commit, read through git (never the work tree), checked for three mistakes:
 *
 * - a plain key file: a SecureStore PEM key file, or a 32-byte raw key (spec/format.md §6); a
 *   wrapped key file (KMS/age, any format registered in keys/key-file-formats.ts) is meant to be
 *   committed and passes;
 * - a file holding the plaintext of a current secret (an export written by mistake), when a key
 *   is given: values are compared in memory and never shown (see {@link secretNeedles});
 * - a vault that fails `verify` (its seal too, where the seal is required), or that `verify
 *   --since HEAD` would fail: a seal dropped or a generation that did not grow since the last
 *   commit (checks that need no key, spec/seal.md §9.1).
 *
 * The pieces that look at bytes are pure and exported for tests; {@link checkStaged} puts them
 * together over a repository.
 */
import { join } from 'node:path';
import { zeroize } from '../crypto/primitives.js';
import { SecureStoreError } from '../errors.js';
import type { Blob } from '../format/blob.js';
import { decodeKeyFile, MAX_KEY_FILE_BYTES } from '../format/key-file.js';
import { MAX_VAULT_BYTES, parseVault, type VaultDocument } from '../format/vault-codec.js';
import { KEY_BYTES } from '../format/sizes.js';
import { readFileCapped } from '../io/files.js';
import { keyFileFormatOf } from '../keys/key-file-formats.js';
import type { KeySource } from '../keys/key-source.js';
import { forEachDecrypted, type VaultKeys } from '../vault/blob-cipher.js';
import { secretsAcceptKey, sentinelOpens, vaultKeysFor } from '../vault/opener.js';
import { verifyVaultBytes } from '../workflow/verify.js';
import { displayName } from './fingerprint.js';
import { gitOutput } from './run-git.js';
import { compareSince } from './since.js';

/** A secret value shorter than this (whitespace at either end not counted) is not looked for. */
export const MIN_VALUE_BYTES = 8;
/** Files larger than this are not searched for values (nor read, unless they may be a vault). */
export const MAX_SCANNED_BYTES = 1024 * 1024;
/** git's own rule for "binary": a NUL byte in the first 8000 bytes. Binary files are not searched. */
const BINARY_PROBE_BYTES = 8000;

/** One file in the index. */
export interface StagedEntry {
  /** The path from the top of the work tree, `/`-separated, as git names it. */
  readonly path: string;
  /** The blob's object id. */
  readonly oid: string;
}

/** One reason not to commit a file. */
export interface Finding {
  readonly path: string;
  readonly kind: 'key-file' | 'plaintext' | 'vault';
  /** One line, naming the file, never a value. */
  readonly message: string;
}

/**
 * Whether `bytes` are a plain key file (spec/format.md §6.2): a PEM key file that decodes to a
 * 32-byte key, or exactly 32 bytes that are not printable text (UTF-8 without control
 * characters: a random key is that about one time in 10^12; a 32-byte line of text is no key). A file of a registered key file format (a
 * wrapped key file) is never a plain key file.
 */
export function isPlainKeyFile(bytes: Uint8Array): boolean {
  if (bytes.length > MAX_KEY_FILE_BYTES) return false;
  if (keyFileFormatOf(bytes) !== undefined) return false;
  if (bytes.length === KEY_BYTES) return !isPrintableText(bytes);
  if (!Buffer.from(bytes).includes('-----BEGIN PRIVATE KEY-----')) return false;
  try {
    zeroize(decodeKeyFile(bytes, 'a staged file'));
    return true;
  } catch {
    return false;
  }
}

/** UTF-8 text without control characters other than tab and line ends. */
function isPrintableText(bytes: Uint8Array): boolean {
  const text = decodeUtf8(bytes);
  return text !== null && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/.test(text);
}

/**
 * Whether `bytes` look like a vault (what `verify` should check): a JSON object with `"version"`
 * and `"secrets"` members, judged on the text, so that a vault too damaged to parse still is one.
 */
export function looksLikeVault(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes).toString('utf8');
  return /^\uFEFF?\s*\{/.test(text) && /"secrets"\s*:/.test(text) && /"version"\s*:/.test(text);
}

/** git's rule: a NUL byte in the first 8000 bytes. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_PROBE_BYTES).includes(0);
}

/**
 * Characters that some export format escapes or quotes (dotenv, shell, YAML, CSV, JSON): a run of
 * a value between two of them appears as it is in every export.
 */
export const ESCAPED_IN_EXPORTS = /[\x00-\x1f\x7f-\x9f"'\\$`\u2028\u2029\ufeff]/;

/**
 * What to look for in a staged file so as to find a secret `value` (docs/git.md "Pre-commit
 * guard"): the value itself; its JSON-escaped form; for a value that is not UTF-8, its base64
 * (how `get` prints it); and every run of the value between characters that some export format
 * escapes ({@link ESCAPED_IN_EXPORTS}), so that an export quoted or escaped any way is still
 * found. None for a value shorter than {@link MIN_VALUE_BYTES} (whitespace at its ends not
 * counted); otherwise each form is trimmed of whitespace at both ends and kept only when that
 * long or more. The buffers
 * hold secret material: the caller zeroes them.
 */
export function secretNeedles(value: Uint8Array): Buffer[] {
  // The rule is on the value: its escaped forms may be longer, but a short value is short.
  if (
    trimAsciiSpace(Buffer.from(value.buffer, value.byteOffset, value.length)).length <
    MIN_VALUE_BYTES
  ) {
    return [];
  }
  const candidates: Buffer[] = [Buffer.from(value)];
  const text = decodeUtf8(value);
  if (text === null) {
    candidates.push(Buffer.from(Buffer.from(value).toString('base64'), 'latin1'));
  } else {
    const json = JSON.stringify(text).slice(1, -1);
    if (json !== text) candidates.push(Buffer.from(json, 'utf8'));
    if (ESCAPED_IN_EXPORTS.test(text)) {
      for (const run of text.split(new RegExp(ESCAPED_IN_EXPORTS.source, 'g'))) {
        candidates.push(Buffer.from(run, 'utf8'));
      }
    }
  }
  const kept: Buffer[] = [];
  for (const candidate of candidates) {
    const trimmed = trimAsciiSpace(candidate);
    if (trimmed.length >= MIN_VALUE_BYTES && !kept.some((k) => k.equals(trimmed))) {
      kept.push(Buffer.from(trimmed));
    }
    candidate.fill(0);
  }
  return kept;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

function trimAsciiSpace(bytes: Buffer): Buffer {
  const space = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  let start = 0;
  let end = bytes.length;
  while (start < end && space(bytes[start]!)) start++;
  while (end > start && space(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}

/** A secret's needles, with the name and vault they belong to (named in findings). */
export interface SecretNeedles {
  readonly name: string;
  readonly vault: string;
  readonly needles: readonly Buffer[];
}

/**
 * The needles of many secrets, indexed by a hash of their first {@link MIN_VALUE_BYTES} bytes (no
 * needle is shorter), so that a file is searched in one pass whatever the number of secrets: at
 * each offset, one lookup, and a full comparison only on a hash match. The hash is a number, so
 * the index holds no copy of secret bytes beyond the needles themselves.
 */
export class NeedleIndex {
  readonly #byPrefix = new Map<number, { needle: Buffer; secret: number }[]>();

  constructor(readonly secrets: readonly SecretNeedles[]) {
    secrets.forEach((secret, i) => {
      for (const needle of secret.needles) {
        const key = prefixHash(needle, 0);
        const list = this.#byPrefix.get(key);
        if (list === undefined) this.#byPrefix.set(key, [{ needle, secret: i }]);
        else list.push({ needle, secret: i });
      }
    });
  }

  /** The secrets some of whose needles `bytes` hold, in the order given. */
  find(bytes: Uint8Array): SecretNeedles[] {
    const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const found = new Set<number>();
    for (let at = 0; at + MIN_VALUE_BYTES <= haystack.length; at++) {
      const list = this.#byPrefix.get(prefixHash(haystack, at));
      if (list === undefined) continue;
      for (const { needle, secret } of list) {
        const end = at + needle.length;
        if (found.has(secret) || end > haystack.length) continue;
        if (haystack.compare(needle, 0, needle.length, at, end) === 0) found.add(secret);
      }
    }
    return this.secrets.filter((_, i) => found.has(i));
  }
}

/** A 32-bit hash of the 8 bytes at `at`. */
function prefixHash(bytes: Buffer, at: number): number {
  return (Math.imul(bytes.readUInt32LE(at), 0x9e3779b1) ^ bytes.readUInt32LE(at + 4)) >>> 0;
}

/** The names of the secrets some of whose needles `bytes` hold (see {@link NeedleIndex}). */
export function secretsFoundIn(bytes: Uint8Array, secrets: readonly SecretNeedles[]): string[] {
  return new NeedleIndex(secrets).find(bytes).map((s) => s.name);
}

/** The needles of every secret `keys` decrypt in `doc`; a secret that does not decrypt has none. */
export function needlesOfVault(
  doc: VaultDocument,
  keys: VaultKeys,
  vault: string,
): SecretNeedles[] {
  const names = [...doc.secrets.keys()];
  const blobs: Blob[] = names.map((n) => doc.secrets.get(n)!);
  const out: SecretNeedles[] = [];
  forEachDecrypted(keys, blobs, (i, plain) => {
    if (plain === null) return;
    const needles = secretNeedles(plain);
    if (needles.length > 0) out.push({ name: names[i]!, vault, needles });
  });
  return out;
}

/**
 * Whether `keys` open `doc`: its sentinel, or without one a secret's MAC (spec/format.md §4.2;
 * an empty vault without a sentinel has nothing to tell keys apart).
 */
function keysOpen(doc: VaultDocument, keys: VaultKeys): boolean {
  if (doc.sentinel !== null) return sentinelOpens(keys, doc.sentinel);
  return doc.secrets.size === 0 || secretsAcceptKey(keys, [...doc.secrets.values()]);
}

/**
 * The staged files: those the index adds or changes against HEAD (or, with `all`, every file in
 * the index). Regular files only: symbolic links and submodules hold no content of their own.
 */
export async function stagedEntries(top: string, all = false): Promise<StagedEntry[]> {
  const entries: StagedEntry[] = [];
  if (all) {
    const out = (await gitOutput(['ls-files', '--stage', '-z'], { cwd: top })).toString('utf8');
    for (const record of out.split('\0')) {
      const m = /^(\d{6}) ([0-9a-f]+) (\d)\t(.*)$/s.exec(record);
      if (m === null || m[3] !== '0' || !isRegularMode(m[1]!)) continue;
      entries.push({ path: m[4]!, oid: m[2]! });
    }
    return entries;
  }
  // Without a HEAD (the first commit), `git diff --cached` compares against the empty tree.
  const out = await gitOutput(
    ['diff', '--cached', '--raw', '-z', '--no-abbrev', '--no-renames', '--diff-filter=ACMRT'],
    { cwd: top },
  );
  const fields = out.toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const m = /^:\d{6} (\d{6}) [0-9a-f]+ ([0-9a-f]+) [A-Z]\d*$/.exec(fields[i]!);
    if (m === null) continue;
    if (isRegularMode(m[1]!)) entries.push({ path: fields[i + 1]!, oid: m[2]! });
  }
  return entries;
}

function isRegularMode(mode: string): boolean {
  return mode === '100644' || mode === '100755';
}

/** The sizes of blobs, by object id (`git cat-file --batch-check`). */
async function blobSizes(top: string, oids: readonly string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (oids.length === 0) return sizes;
  const out = await gitOutput(['cat-file', '--batch-check'], {
    cwd: top,
    input: `${oids.join('\n')}\n`,
  });
  for (const line of out.toString('utf8').split('\n')) {
    const m = /^([0-9a-f]+) blob (\d+)$/.exec(line);
    if (m !== null) sizes.set(m[1]!, Number(m[2]));
  }
  return sizes;
}

/** The contents of blobs, by object id (`git cat-file --batch`). */
async function blobContents(top: string, oids: readonly string[]): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  if (oids.length === 0) return contents;
  const out = await gitOutput(['cat-file', '--batch'], { cwd: top, input: `${oids.join('\n')}\n` });
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) break;
    const m = /^([0-9a-f]+) blob (\d+)$/.exec(out.subarray(at, eol).toString('latin1'));
    if (m === null) {
      at = eol + 1; // "<oid> missing": nothing follows
      continue;
    }
    const size = Number(m[2]);
    contents.set(m[1]!, out.subarray(eol + 1, eol + 1 + size));
    at = eol + 1 + size + 1;
  }
  return contents;
}

export interface CheckStagedOptions {
  /** The top of the work tree. */
  readonly top: string;
  /** The vault named by the usual settings, from `top`; null when it lies outside the repository. */
  readonly store: string | null;
  /** The store's file in the work tree (absolute), whose secrets are looked for. */
  readonly storeFile: string | null;
  /** The key, when one is given without a prompt; null: structure checks only. */
  readonly source: KeySource | null;
  readonly requireSeal: boolean;
  /** Every file in the index, not only those staged against HEAD. */
  readonly all?: boolean;
  /** How a path is shown in messages (escaped for a terminal by the CLI). */
  readonly show?: (path: string) => string;
}

/**
 * Checks the index (docs/git.md "Pre-commit guard"). Returns the findings, in the order of the
 * files; empty when the commit may go ahead.
 * @throws SecureStoreError ERR_WRONG_KEY when the key given does not open the store in the work
 *   tree (its values could not be looked for); ERR_GIT when git fails.
 */
export async function checkStaged(options: CheckStagedOptions): Promise<Finding[]> {
  const source = options.source === null ? null : rememberingKeys(options.source);
  try {
    return await checkWith({ ...options, source });
  } finally {
    source?.dispose();
  }
}

/**
 * `source`, with each vault iv's key kept until disposed: the store in the work tree and its
 * staged version share an iv, and are opened up to three times (values, verify, values again),
 * which would stretch a password (or call KMS) each time. Copies are handed out; the inner
 * source is left to its owner.
 */
function rememberingKeys(source: KeySource): KeySource {
  const keys = new Map<string, Promise<Uint8Array>>();
  const dispose = (): void => {
    for (const key of keys.values()) key.then(zeroize, () => {});
    keys.clear();
  };
  return {
    type: source.type,
    description: source.description,
    async keyFor(vaultIv: Uint8Array): Promise<Uint8Array> {
      const id = Buffer.from(vaultIv).toString('hex');
      let key = keys.get(id);
      if (key === undefined) {
        key = source.keyFor(vaultIv);
        keys.set(id, key);
      }
      return Uint8Array.from(await key);
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
}

async function checkWith(options: CheckStagedOptions): Promise<Finding[]> {
  const show = options.show ?? ((p: string) => p);
  const entries = await stagedEntries(options.top, options.all === true);
  const sizes = await blobSizes(options.top, [...new Set(entries.map((e) => e.oid))]);
  // A vault may be large; other files are read only up to MAX_SCANNED_BYTES.
  const wanted = entries.filter((e) => {
    const size = sizes.get(e.oid) ?? 0;
    if (size <= MAX_SCANNED_BYTES) return true;
    return size <= MAX_VAULT_BYTES && (e.path === options.store || e.path.endsWith('.json'));
  });
  const contents = await blobContents(options.top, [...new Set(wanted.map((e) => e.oid))]);

  const findings: Finding[] = [];
  const secrets: SecretNeedles[] = [];
  const vaultPaths = new Set<string>();
  const skip = new Set<string>();
  try {
    if (options.source !== null && options.storeFile !== null && options.store !== null) {
      secrets.push(...(await storeNeedles(options.storeFile, options.store, options.source)));
    }
    for (const entry of entries) {
      const bytes = contents.get(entry.oid);
      if (bytes === undefined) continue;
      if (isPlainKeyFile(bytes)) {
        findings.push({
          path: entry.path,
          kind: 'key-file',
          message: `${show(entry.path)}: a plain key file: it opens the vault without anything else, so keep it out of git (git rm --cached, and ignore it); commit a wrapped key file instead`,
        });
        skip.add(entry.path);
        continue;
      }
      // A wrapped key file passes (it is meant to be committed). Registered formats are told
      // apart by a cheap sniff (the KMS one: any JSON object), so it is not trusted to say what
      // is not a vault, nor to spare a file the search for values: a wrapped key holds none.
      if (entry.path !== options.store && !looksLikeVault(bytes)) continue;
      vaultPaths.add(entry.path);
      skip.add(entry.path);
      const source = await keyFor(entry.path === options.store, bytes, options.source);
      const result = await verifyVaultBytes(bytes, show(entry.path), source, {
        requireSeal: options.requireSeal,
      });
      const problems =
        result.problems.length === 0 && result.doc !== undefined
          ? await problemsSinceHead(options.top, entry.path, show(entry.path), result.doc)
          : result.problems;
      for (const problem of problems) {
        findings.push({ path: entry.path, kind: 'vault', message: problem });
      }
      if (source !== null && result.problems.length === 0 && result.doc !== undefined) {
        const keys = await vaultKeysFor(result.doc, source);
        secrets.push(...needlesOfVault(result.doc, keys, entry.path));
      }
    }
    if (secrets.length === 0) return findings;
    const index = new NeedleIndex(secrets);
    for (const entry of entries) {
      if (skip.has(entry.path)) continue;
      const bytes = contents.get(entry.oid);
      if (bytes === undefined || bytes.length > MAX_SCANNED_BYTES || isBinary(bytes)) continue;
      const hits = index.find(bytes);
      if (hits.length === 0) continue;
      const names = [...new Set(hits.map((s) => s.name))];
      const vaults = [...new Set(hits.map((s) => s.vault))];
      const listed = names.slice(0, 5).map(displayName).join(', ');
      const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
      findings.push({
        path: entry.path,
        kind: 'plaintext',
        message: `${show(entry.path)}: holds the plaintext value of ${names.length === 1 ? 'secret' : `${names.length} secrets`} ${listed}${more} of ${vaults.map(show).join(', ')} (an export? values are not shown)`,
      });
    }
    return findings;
  } finally {
    for (const secret of secrets) for (const needle of secret.needles) needle.fill(0);
  }
}

/**
 * What `verify --since HEAD` finds in a staged vault that verifies (spec/seal.md §9.1): its seal
 * dropped since the last commit, or its secrets changed while its generation did not grow. Needs
 * no key, so the hook catches a downgrade or a sealed file put back even where no key is given.
 * Nothing when there is no commit yet, or the committed version is not a vault we can read: there
 * is no earlier seal to compare with.
 */
async function problemsSinceHead(
  top: string,
  path: string,
  display: string,
  staged: VaultDocument,
): Promise<string[]> {
  try {
    return (await compareSince(join(top, path), display, 'HEAD', staged)).problems;
  } catch (err) {
    if (err instanceof SecureStoreError) return [];
    throw err;
  }
}

/**
 * The key to verify a staged vault with: the store is always checked with the key given; another
 * vault only when that key opens it (it may be another vault with a key of its own, checked for
 * its structure only).
 */
async function keyFor(
  isStore: boolean,
  bytes: Uint8Array,
  source: KeySource | null,
): Promise<KeySource | null> {
  if (source === null || isStore) return source;
  let doc: VaultDocument;
  try {
    doc = parseVault(bytes, 'a staged vault');
  } catch {
    return null; // verify reports why, without a key
  }
  return keysOpen(doc, await vaultKeysFor(doc, source)) ? source : null;
}

/** The needles of the store in the work tree; none when it does not exist or does not parse. */
async function storeNeedles(
  file: string,
  store: string,
  source: KeySource,
): Promise<SecretNeedles[]> {
  let doc: VaultDocument;
  try {
    const bytes = await readFileCapped(file, MAX_VAULT_BYTES, {
      code: 'ERR_VAULT_FORMAT',
      what: 'a vault',
    });
    doc = parseVault(bytes, store);
  } catch (err) {
    if (err instanceof SecureStoreError) return [];
    throw err;
  }
  const keys = await vaultKeysFor(doc, source);
  if (!keysOpen(doc, keys)) {
    throw new SecureStoreError(
      'ERR_WRONG_KEY',
      `the ${source.description} does not open ${store}, so the staged files cannot be checked for its values`,
    );
  }
  return needlesOfVault(doc, keys, store);
}
