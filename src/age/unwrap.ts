/**
 * Opening the age wrappings of a wrapped key file (spec/kms-key-file.md §10.6): only those whose
 * recipient is one of the identities', in file order, before any KMS call.
 */
import { zeroize } from '../crypto/primitives.js';
import { KEY_BYTES } from '../format/sizes.js';
import { SecureStoreError } from '../errors.js';
import { recipientFingerprint } from '../format/age-file.js';
import { decodeBase64 } from '../format/base64.js';
import { decryptWith } from './age.js';
import { type LoadedIdentity, loadIdentities } from './identities.js';

/** What the age wrappings gave: the key, or why not (one clause for a combined message). */
export type AgeOutcome =
  | { readonly key: Uint8Array }
  | { readonly key: null; readonly error: SecureStoreError; readonly tried: string };

/** An age wrapping as the wrapped key file holds it (spec §10.1), and its 0-based position. */
export interface AgeDoor {
  readonly index: number;
  readonly recipient: string;
  readonly label?: string;
  readonly ciphertext: string;
}

/**
 * Tries the age wrappings `ages` (of the wrapped key file at `path`) that match the identities.
 * Never throws for a wrapping that fails (its error is returned, for §7.4's combined message);
 * throws for bad identities.
 * @throws SecureStoreError ERR_AGE_IDENTITY, ERR_ARGUMENT
 */
export async function unwrapAgeWrappings(
  ages: readonly AgeDoor[],
  path: string,
  identitySpecs: readonly string[],
  warn: (message: string) => void,
): Promise<AgeOutcome> {
  const identities: LoadedIdentity[] =
    identitySpecs.length === 0 ? [] : await loadIdentities(identitySpecs, warn);
  const failures: SecureStoreError[] = [];
  for (const w of ages) {
    const what = `the age wrapping ${w.label ?? `number ${w.index + 1}`} in ${path}`;
    for (const id of identities.filter((i) => i.recipient === w.recipient)) {
      try {
        const plain = await decryptWith(decodeBase64(w.ciphertext), id.identity, what);
        if (plain !== null && plain.length === KEY_BYTES) return { key: plain };
        zeroize(plain);
        failures.push(
          new SecureStoreError(
            'ERR_AGE_DECRYPT',
            `${what} is not for the recipient it names (${recipientFingerprint(w.recipient)}); restore the file from version control`,
          ),
        );
      } catch (err) {
        if (err instanceof SecureStoreError && err.code === 'ERR_AGE_DECRYPT') failures.push(err);
        else throw err;
      }
    }
  }
  const doors = ages.length === 1 ? '1 age wrapping' : `${ages.length} age wrappings`;
  if (failures.length > 0) {
    const first = failures[0]!;
    return { key: null, error: first, tried: first.message };
  }
  const tried =
    identities.length === 0
      ? `no age identity was given for its ${doors} (use -i/--identity, SSCLIENT_AGE_IDENTITY or SOPS_AGE_KEY_FILE)`
      : `no age identity given (${[...new Set(identities.map((i) => recipientFingerprint(i.recipient)))].join(', ')}) matches its ${doors}`;
  return {
    key: null,
    error: new SecureStoreError('ERR_AGE_NO_IDENTITY', `${path}: ${tried}`),
    tried,
  };
}
