/**
 * The only module that imports `age-encryption` (FiloSottile's TypeScript age), and only when an
 * age wrapping is made or opened (a dynamic import), so that vaults without age wrappings never
 * load it. Bytes in, bytes out; every failure is a SecureStoreError that names no key material.
 */
import { fail } from '../errors.js';

type Age = typeof import('age-encryption');

let agePromise: Promise<Age> | undefined;

/** The age library, loaded on first use. */
function loadAge(): Promise<Age> {
  agePromise ??= import('age-encryption');
  return agePromise;
}

/**
 * The 32-byte `key` encrypted to `recipient` as a binary age file (spec/kms-key-file.md §10.5).
 * @throws SecureStoreError ERR_AGE_RECIPIENT when the library refuses the recipient
 */
export async function encryptKeyTo(key: Uint8Array, recipient: string): Promise<Uint8Array> {
  const age = await loadAge();
  const encrypter = new age.Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch (err) {
    // The library's message may quote the recipient; ours does not (it may hold anything).
    fail(
      'ERR_AGE_RECIPIENT',
      'the age recipient is malformed (its checksum or length is wrong)',
      err,
    );
  }
  return encrypter.encrypt(key);
}

/**
 * The plaintext of the age file `file` decrypted with `identity`, or null when the file has no
 * stanza for that identity. `what` names the wrapping in messages.
 * @throws SecureStoreError ERR_AGE_DECRYPT when a stanza is for the identity but does not open
 *   (damaged or forged), or the payload does not decrypt
 */
export async function decryptWith(
  file: Uint8Array,
  identity: string,
  what: string,
): Promise<Uint8Array | null> {
  const age = await loadAge();
  const decrypter = new age.Decrypter();
  decrypter.addIdentity(identity);
  try {
    return await decrypter.decrypt(file);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    // age-encryption says "no identity matched any of the file's recipients" when no stanza is
    // for this identity: not an error of the wrapping, the caller tries the next one.
    if (/no identity matched/i.test(message)) return null;
    return fail(
      'ERR_AGE_DECRYPT',
      `${what} does not decrypt with the matching age identity: the wrapping is damaged or was not made for that recipient`,
      err,
    );
  }
}

/**
 * The recipient (`age1…`) of an identity (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`).
 * @throws SecureStoreError ERR_AGE_IDENTITY naming `what`, never the identity
 */
export async function recipientOf(identity: string, what: string): Promise<string> {
  const age = await loadAge();
  try {
    return await age.identityToRecipient(identity);
  } catch (err) {
    return fail('ERR_AGE_IDENTITY', `${what} is not a valid age identity`, err);
  }
}

/** A new X25519 identity and its recipient (tests and `age-keygen`-less setups). */
export async function generateIdentity(
  kind: 'x25519' | 'hybrid' = 'x25519',
): Promise<{ identity: string; recipient: string }> {
  const age = await loadAge();
  const identity =
    kind === 'hybrid' ? await age.generateHybridIdentity() : await age.generateX25519Identity();
  return { identity, recipient: await age.identityToRecipient(identity) };
}
