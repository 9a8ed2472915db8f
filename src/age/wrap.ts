/**
 * Wrapping a vault key for age recipients (spec/kms-key-file.md §10.5): the wrapping objects that
 * the wrapped key file codec writes out.
 */
import { KEY_BYTES } from '../format/sizes.js';
import { fail } from '../errors.js';
import { checkAgeFile, labelProblem, recipientKind } from '../format/age-file.js';
import { encodeBase64 } from '../format/base64.js';
import { encryptKeyTo } from './age.js';

/** An age wrapping as the wrapped key file holds it (spec/kms-key-file.md §10.1). */
export interface AgeWrappingObject {
  readonly provider: 'age';
  readonly recipient: string;
  readonly label?: string;
  readonly ciphertext: string;
}

/** A recipient to wrap for: its public key text, and optionally who it is. */
export interface AgeRecipient {
  readonly recipient: string;
  readonly label?: string;
}

/**
 * Checks a recipient and label as the codec will (§10.2, §10.3), before anything is encrypted.
 * @throws SecureStoreError ERR_AGE_RECIPIENT, ERR_ARGUMENT (label)
 */
export function checkRecipient(r: AgeRecipient | string): AgeRecipient {
  const given = typeof r === 'string' ? { recipient: r } : r;
  if (given === null || typeof given !== 'object') {
    fail('ERR_ARGUMENT', 'recipients: expected age1… strings or { recipient, label } objects');
  }
  const kind = recipientKind(given.recipient);
  if (typeof kind !== 'string') fail('ERR_AGE_RECIPIENT', `not an age recipient: ${kind.why}`);
  if (given.label !== undefined) {
    const problem = labelProblem(given.label);
    if (problem !== null) fail('ERR_ARGUMENT', `label: not a valid label: ${problem}`);
  }
  return given.label === undefined
    ? { recipient: given.recipient }
    : { recipient: given.recipient, label: given.label };
}

/**
 * The 32-byte `key` wrapped for one recipient.
 * @throws SecureStoreError ERR_AGE_RECIPIENT, ERR_ARGUMENT
 */
export async function wrapForRecipient(
  key: Uint8Array,
  r: AgeRecipient | string,
): Promise<AgeWrappingObject> {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    fail('ERR_ARGUMENT', `key: expected a Uint8Array of ${KEY_BYTES} bytes`);
  }
  const { recipient, label } = checkRecipient(r);
  const file = await encryptKeyTo(key, recipient);
  // What we write must pass what we read (spec §10.4).
  const checked = checkAgeFile(file);
  if (typeof checked === 'string')
    fail('ERR_AGE_RECIPIENT', `age wrote a file this tool refuses: ${checked}`);
  return Object.freeze({
    provider: 'age',
    recipient,
    ...(label !== undefined ? { label } : {}),
    ciphertext: encodeBase64(file),
  });
}
