/**
 * Age identities (spec/kms-key-file.md §10.7): given as identity text (`AGE-SECRET-KEY-1…`,
 * `AGE-SECRET-KEY-PQ-1…`) or as the path of an identity file in the format age-keygen and sops
 * write (one identity per line, `#` comments, blank lines). Messages name the file and the line,
 * never the line's text.
 */
import { promises as fs } from 'node:fs';
import { fail, isSecureStoreError } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import { recipientOf } from './age.js';

/** An identity file is read under this cap (age-keygen writes about 200 bytes per identity). */
export const MAX_IDENTITY_FILE_BYTES = 64 * 1024;
/** At most this many identities are used (each is tried against each matching wrapping). */
export const MAX_IDENTITIES = 64;

/** One identity, the recipient it opens, and where it came from (for messages). */
export interface LoadedIdentity {
  readonly identity: string;
  readonly recipient: string;
  /** "identity 1", "line 3 of ~/.config/sops/age/keys.txt" */
  readonly source: string;
}

/** True when `text` is identity text rather than a path (spec §10.7). */
export function isIdentityText(text: string): boolean {
  return text.startsWith('AGE-SECRET-KEY-');
}

/**
 * The identities of `specs` (identity text or identity file paths), in order. `warn` gets one
 * line for an identity file that users other than its owner may read.
 * @throws SecureStoreError ERR_AGE_IDENTITY (malformed, unreadable), ERR_NOT_FOUND
 */
export async function loadIdentities(
  specs: readonly string[],
  warn: (message: string) => void,
): Promise<LoadedIdentity[]> {
  if (!Array.isArray(specs) || specs.some((s) => typeof s !== 'string' || s === '')) {
    fail('ERR_ARGUMENT', 'identities: expected an array of age identities or identity file paths');
  }
  const found: LoadedIdentity[] = [];
  for (const [i, spec] of specs.entries()) {
    if (isIdentityText(spec)) {
      const what = `age identity ${i + 1}`;
      found.push({ identity: spec, recipient: await recipientOf(spec, what), source: what });
    } else {
      found.push(...(await readIdentityFile(spec, warn)));
    }
    if (found.length > MAX_IDENTITIES) {
      fail('ERR_AGE_IDENTITY', `more than ${MAX_IDENTITIES} age identities were given`);
    }
  }
  return found;
}

async function readIdentityFile(
  path: string,
  warn: (message: string) => void,
): Promise<LoadedIdentity[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(path, MAX_IDENTITY_FILE_BYTES, {
      code: 'ERR_AGE_IDENTITY',
      what: 'an age identity file',
    });
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_NOT_FOUND')) {
      fail('ERR_AGE_IDENTITY', `the age identity file ${path} does not exist`, err);
    }
    if (isSecureStoreError(err, 'ERR_IO')) {
      fail(
        'ERR_AGE_IDENTITY',
        `cannot read the age identity file ${path}: ${err.message.replace(/^.*: /, '')}`,
        err,
      );
    }
    throw err;
  }
  const stat = await fs.stat(path).catch(() => null);
  if (stat !== null && stat.isFile() && (stat.mode & 0o077) !== 0) {
    warn(
      `warning: the age identity file ${path} can be read by other users (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    return fail('ERR_AGE_IDENTITY', `the age identity file ${path} is not UTF-8 text`, err);
  } finally {
    bytes.fill(0);
  }
  const found: LoadedIdentity[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const what = `line ${i + 1} of the age identity file ${path}`;
    if (!isIdentityText(line)) {
      fail(
        'ERR_AGE_IDENTITY',
        `${what} is not an age identity (AGE-SECRET-KEY-1…); SSH keys and plugins are not supported`,
      );
    }
    found.push({ identity: line, recipient: await recipientOf(line, what), source: what });
  }
  if (found.length === 0)
    fail('ERR_AGE_IDENTITY', `the age identity file ${path} holds no identity`);
  return found;
}
