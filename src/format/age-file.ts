/**
 * The text rules of age wrappings (spec/kms-key-file.md §10): recipients, labels, and a strict
 * structural check of an age file (age-encryption.org/v1) that holds a 32-byte key. Pure and
 * synchronous, no cryptography: the header is read, never decrypted, so that a damaged or hostile
 * wrapping is refused when the file is parsed, before the age library is loaded.
 */

/** spec/kms-key-file.md §10.4: the first line of every age file. */
export const AGE_INTRO = 'age-encryption.org/v1';
/** spec §10.4: an age wrapping holds at most this many stanzas. */
export const MAX_AGE_STANZAS = 8;
/** spec §10.4: a stanza has at most this many arguments, each at most this long. */
export const MAX_AGE_STANZA_ARGS = 8;
export const MAX_AGE_ARG_CHARS = 2048;
/** spec §10.4: a stanza body decodes to at most this many bytes. */
export const MAX_AGE_BODY_BYTES = 1024;
/** spec §10.4: the payload of an age file holding a 32-byte key: 16-byte nonce, 32 + 16 tag. */
export const AGE_KEY_PAYLOAD_BYTES = 64;
/** spec §10.2: the longest recipient accepted (a hybrid post-quantum recipient is 1 959). */
export const MAX_RECIPIENT_CHARS = 2048;
/** spec §10.3. */
export const MAX_LABEL_CHARS = 64;

/** bech32's data characters (no 1, b, i, o), lowercase only. */
const BECH32 = '[02-9ac-hj-np-z]';
const X25519_RECIPIENT = new RegExp(`^age1${BECH32}{58}$`);
const HYBRID_RECIPIENT = new RegExp(`^age1pq1${BECH32}{1,${MAX_RECIPIENT_CHARS - 7}}$`);

/** The kinds of recipient this tool wraps to (spec §10.2). */
export type RecipientKind = 'x25519' | 'hybrid';

/**
 * The kind of an age recipient text, or a sentence saying why it is not one this tool accepts.
 * The sentence never repeats the text (it may hold control characters).
 */
export function recipientKind(text: unknown): RecipientKind | { readonly why: string } {
  if (typeof text !== 'string') return { why: 'it is not a string' };
  if (X25519_RECIPIENT.test(text)) return 'x25519';
  if (HYBRID_RECIPIENT.test(text)) return 'hybrid';
  if (/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-|sk-ssh-)/.test(text)) {
    return {
      why: 'SSH public keys are not supported (the age library this tool uses has no SSH recipients); use an age1… key from age-keygen',
    };
  }
  if (/^age1(tag|tagpq)1/.test(text)) {
    return { why: 'tag (hardware plugin) recipients are not supported; use an age1… key' };
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) return { why: 'it contains control characters' };
  return {
    why: 'expected an X25519 recipient (age1 and 58 lowercase bech32 characters) or a post-quantum one (age1pq1…)',
  };
}

/**
 * A short, printable fingerprint of a recipient for listings: the text itself for X25519 ones,
 * its first and last characters for the long hybrid ones.
 */
export function recipientFingerprint(recipient: string): string {
  return recipient.length <= 62 ? recipient : `${recipient.slice(0, 16)}…${recipient.slice(-8)}`;
}

/** Why `label` is not a valid label (spec §10.3), or null when it is one. */
export function labelProblem(label: unknown): string | null {
  if (typeof label !== 'string') return 'it is not a string';
  if (label.length === 0 || label.length > MAX_LABEL_CHARS) {
    return `it must be 1 to ${MAX_LABEL_CHARS} characters`;
  }
  // Control, format (bidi overrides) and separator characters could make a listing lie.
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(label)) return 'it contains control characters';
  if (/[\uD800-\uDFFF]/.test(label.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    return 'it is not valid Unicode';
  }
  if (label.trim() !== label) return 'it starts or ends with a space';
  if (/^[0-9]+$/.test(label)) return 'it is a number (numbers name wrappings by position)';
  return null;
}

/**
 * Checks that `bytes` is an age file (binary, not armored) holding exactly one 32-byte payload
 * (spec §10.4), and returns its stanzas' first arguments (their types). Never decrypts.
 * @returns a sentence saying what is wrong, or the stanza types.
 */
export function checkAgeFile(bytes: Uint8Array): { readonly types: readonly string[] } | string {
  let at = 0;
  /** The next LF-terminated line (without its LF), ASCII only; null at a truncation. */
  const line = (max: number): string | null => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0 || end - at > max) return null;
    let text = '';
    for (let i = at; i < end; i++) {
      const b = bytes[i]!;
      if (b < 0x20 || b > 0x7e) return null;
      text += String.fromCharCode(b);
    }
    at = end + 1;
    return text;
  };
  if (bytes[0] === 0x2d && line(64) === '-----BEGIN AGE ENCRYPTED FILE-----') {
    return 'it is an armored age file; store the binary age file in base64';
  }
  at = 0;
  if (line(AGE_INTRO.length) !== AGE_INTRO)
    return 'it is not an age file (no age-encryption.org/v1 line)';
  const types: string[] = [];
  for (;;) {
    const next = line(3 + MAX_AGE_STANZA_ARGS * (MAX_AGE_ARG_CHARS + 1));
    if (next === null) return 'its age header is truncated or has a line that is too long';
    if (next.startsWith('--- ')) {
      if (types.length === 0) return 'its age header has no stanza';
      if (!isUnpaddedBase64(next.slice(4), 32)) return 'its age header MAC is malformed';
      break;
    }
    if (!next.startsWith('-> ')) return 'its age header has a line that is not a stanza';
    if (types.length === MAX_AGE_STANZAS) {
      return `its age header has more than ${MAX_AGE_STANZAS} stanzas`;
    }
    const args = next.slice(3).split(' ');
    if (
      args.length > MAX_AGE_STANZA_ARGS ||
      args.some((a) => a === '' || a.length > MAX_AGE_ARG_CHARS)
    ) {
      return 'its age header has a stanza with empty, too many or too long arguments';
    }
    types.push(args[0]!);
    let body = 0;
    for (;;) {
      const chunk = line(64);
      if (chunk === null) return 'its age header has a stanza body that is truncated or malformed';
      body += chunk.length;
      if (body > Math.ceil((MAX_AGE_BODY_BYTES * 4) / 3)) {
        return `its age header has a stanza body over ${MAX_AGE_BODY_BYTES} bytes`;
      }
      if (!isUnpaddedBase64(chunk, null))
        return 'its age header has a stanza body that is not base64';
      if (chunk.length < 64) break;
    }
  }
  const payload = bytes.length - at;
  if (payload !== AGE_KEY_PAYLOAD_BYTES) {
    return `its age payload is ${payload} bytes, not the ${AGE_KEY_PAYLOAD_BYTES} of a 32-byte key`;
  }
  return { types };
}

/** Canonical unpadded base64 (age's encoding), decoding to `bytes` bytes when that is given. */
function isUnpaddedBase64(text: string, bytes: number | null): boolean {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return false;
  const decoded = Buffer.from(text, 'base64');
  if (bytes !== null && decoded.length !== bytes) return false;
  return decoded.toString('base64').replace(/=+$/, '') === text;
}
