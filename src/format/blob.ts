/**
 * One encrypted value ("blob") as a vault stores it: spec/format.md §3 and §5.3. Encrypting and
 * decrypting blobs is vault/blob-cipher.ts; here is only its stored shape.
 */

/** A blob as stored in the vault: three canonical base64 strings. */
export interface Blob {
  readonly iv: string;
  readonly hmac: string;
  readonly payload: string;
}
