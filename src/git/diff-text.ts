/**
 * The text a vault shows as in `git diff` and `git log -p` (the textconv driver): a header with
 * the key check's fingerprint, then one line per secret, `NAME = hmac:<fingerprint>`, in file
 * order. With a key, values may be shown instead (`NAME = "value"`): only on request.
 */
import type { VaultDocument } from '../format/vault-codec.js';
import { displayName, fingerprint } from './fingerprint.js';

/** How a revealed value is shown: its bytes, or null when the key does not open this version. */
export type Reveal = (name: string) => Uint8Array | null;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One line for a value: a JSON string, or `base64:…` for bytes that are not UTF-8. */
export function formatRevealed(bytes: Uint8Array): string {
  try {
    return JSON.stringify(utf8.decode(bytes));
  } catch {
    return `base64:${Buffer.from(bytes).toString('base64')}`;
  }
}

/** The textconv text of a vault document; `reveal` (when given) supplies values. */
export function vaultDiffText(doc: VaultDocument, reveal?: Reveal): string {
  const key = doc.sentinel === null ? 'none' : fingerprint(doc.sentinel);
  let out = `# SecureStore vault; key check ${key}\n`;
  for (const [name, blob] of doc.secrets) {
    const value = reveal?.(name) ?? null;
    const shown = value === null ? `hmac:${fingerprint(blob)}` : formatRevealed(value);
    out += `${displayName(name)} = ${shown}\n`;
  }
  return out;
}
