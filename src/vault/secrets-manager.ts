/**
 * SecretsManager: an open vault. Opening is async (key derivation, file reads); after that,
 * reads are synchronous and decrypt one secret at a time, on demand. Writes keep the vault iv,
 * the sentinel and every untouched secret byte-identical (spec/format.md §5.4).
 */
import {
  blobDecryptor,
  forEachDecrypted,
  encryptBlob,
  splitKey,
  type VaultKeys,
} from './blob-cipher.js';
import type { Blob } from '../format/blob.js';
import { IV_BYTES } from '../format/sizes.js';
import { constantTimeEqual, randomBytes, sha256, zeroize } from '../crypto/primitives.js';
import { fail, SecureStoreError } from '../errors.js';
import { encodeBase64 } from '../format/base64.js';
import { nodeFromValue } from '../format/json.js';
import { encodeKeyFile } from '../format/key-file.js';
import { compareCodePoints, hasLoneSurrogate, scanOrder } from '../format/text.js';
import {
  documentFromNode,
  MAX_VAULT_BYTES,
  decodeVaultBytes,
  parseVault,
  parseVaultText,
  serializeVault,
  type VaultDocument,
} from '../format/vault-codec.js';
import { readVaultForOneSecret } from '../format/vault-index.js';
import { readFileCapped, sizeOfExisting, writeFileAtomic } from '../io/files.js';
import { type LockOptions, withLock } from '../io/lock.js';
import { type AuthOptions, resolveOwnedAuth } from '../keys/auth-options.js';
import type { KeySource } from '../keys/key-source.js';
import { pendingKeyPath } from '../keys/pending-key.js';
import {
  checkKeyLength,
  keyForDocument,
  keyOpens,
  secretsProveKeyForWriting,
  secretsProvingKey,
  unprovenWriteMessage,
  wrongKeyMessage,
} from './opener.js';
import {
  checkSeal,
  deriveSealKeys,
  namesFailingTags,
  readSeal,
  resealAfterWrite,
  resealHead,
  type Seal,
  sealAll,
  sealFailureMessage,
  sealGeneration,
  type SealKeys,
  setSeal,
  sortSealLines,
} from './seal.js';

/** Options for opening a vault. */
export interface OpenOptions {
  /**
   * Refuse a vault without a seal (`ERR_SEAL`), as a vault whose seal was removed or that a
   * tool that does not seal wrote (spec/seal.md §8). A present seal is always checked.
   */
  readonly requireSeal?: boolean;
}

/** Options for {@link SecretsManager.create}. */
export interface CreateOptions {
  /**
   * Seal the new vault (spec/seal.md §6.2). Default true: a vault created by us is sealed, as
   * `ssclient create` makes it. `false` writes exactly the reference's bytes (no `seal` member),
   * for a vault that the reference `ssclient` will write too, or for byte-exact comparisons.
   */
  readonly seal?: boolean;
}

/** How the next save seals the vault (spec/seal.md §6). */
type SealMode =
  /** Unsealed: written as the reference writes it. */
  | 'none'
  /** Sealed: changed lines get the next generation (§6.1). */
  | 'write'
  /** Being sealed: every line and the head (§6.2). */
  | 'all'
  /** Re-sealed after a textual merge: the head carries the next generation (§7.2). */
  | 'head';

/** What {@link openVaultForOneSecret} gives: reads only, of the one secret it was opened for. */
export type OneSecretVault = Pick<SecretsManager, 'has' | 'get' | 'getBytes' | 'close'>;

/** Opens a vault to read one secret, for `ssclient get NAME`; set in the static block. */
let openForOneSecret: (
  path: string,
  auth: AuthOptions,
  name: string,
  options: OpenOptions,
) => Promise<OneSecretVault>;

/**
 * Opens the vault at `path` to read the secret `name` only, for `ssclient get NAME`: a vault in
 * the layout we write (format/vault-index.ts) is checked whole, as {@link SecretsManager.fromFile}
 * checks it, but none of its other secrets is kept in memory; any other vault is opened by
 * `fromFile`'s reader. Either way the same key check, seal check and errors as `fromFile`.
 * Internal: not exported from the package.
 * @throws everything {@link SecretsManager.fromFile} throws.
 */
export function openVaultForOneSecret(
  path: string,
  auth: AuthOptions,
  name: string,
  options: OpenOptions = {},
): Promise<OneSecretVault> {
  return openForOneSecret(path, auth, name, options);
}

/** Opens a vault whose seal fails, for `ssclient seal --after-merge`; set in the static block. */
let openAfterMerge: (path: string, auth: AuthOptions) => Promise<SecretsManager>;

/**
 * Opens the vault at `path` for `ssclient seal --after-merge` (spec/seal.md §7.2): a seal that
 * does not verify is accepted when every secret verifies under the key and every line's tag binds
 * its blob; the vault is then marked to be re-sealed (head at the next generation) on save. A
 * vault whose seal verifies, or that has none, opens as usual. Internal: not exported from the
 * package.
 * @throws SecureStoreError ERR_INTEGRITY naming a secret that fails, ERR_SEAL naming secrets not
 *   bound to their names, and everything {@link SecretsManager.fromFile} throws.
 */
export function openVaultAfterMerge(path: string, auth: AuthOptions): Promise<SecretsManager> {
  return openAfterMerge(path, auth);
}

// ignoreBOM: a value that starts with U+FEFF keeps it (vector 05).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const zeroOnCollect = new FinalizationRegistry<Uint8Array>((key) => key.fill(0));
/** A vault never closed still lets go of the source it made (and what that source cached). */
const disposeOnCollect = new FinalizationRegistry<KeySource>((source) => source.dispose());

/** Runs `fn` with a source resolved from `auth`, disposing it if it was made here and `fn` fails. */
async function withAuth<T>(
  auth: AuthOptions,
  fn: (source: KeySource, owned: boolean) => Promise<T>,
): Promise<T> {
  const { source, owned } = resolveOwnedAuth(auth);
  try {
    return await fn(source, owned);
  } catch (err) {
    if (owned) source.dispose();
    throw err;
  }
}

interface FileState {
  path: string;
  /**
   * How a conflict is noticed: the SHA-256 of the bytes last written to `path`, or the text last
   * read from it, hashed only if a save needs it (the blobs' strings are slices of that text and
   * keep it alive anyway; an open that never saves skips a hash of the whole file).
   */
  digest: Uint8Array | string | null;
}

/** A secret's plaintext as UTF-8 text. */
function textOf(name: string, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    fail(
      'ERR_NOT_UTF8',
      `secret ${JSON.stringify(name)} is binary, not UTF-8 text; read it as bytes`,
      err,
    );
  }
}

/** Why a key is wrong for a vault without a sentinel (spec/format.md §4.2). */
const NO_SECRET_DECRYPTS = 'its secrets do not decrypt with it';

export class SecretsManager {
  static {
    openAfterMerge = (path, auth) =>
      withAuth(auth, (source, owned) => SecretsManager.#fromFile(path, source, owned, {}, true));
    openForOneSecret = (path, auth, name, options) =>
      withAuth(auth, (source, owned) =>
        SecretsManager.#fromFile(path, source, owned, options, false, name),
      );
  }

  #doc: VaultDocument;
  #key: Uint8Array | null;
  #keys: VaultKeys | null;
  /** Decrypts one secret for `get`, made on the first one (see `blobDecryptor`). */
  #decryptOne: ((blob: Blob) => Uint8Array | null) | null = null;
  #file: FileState | null;
  #dirty: boolean;
  #sorted: boolean;
  #maxName: string | undefined;
  /** True once the key has verified against the sentinel or a secret (spec/format.md §4.2). */
  #keyVerified: boolean;
  /** How many secrets proved the key (spec/format.md §4.2), when they were what verified it. */
  #provenBy = 0;
  /** True when the key may add a sentinel to a vault without one (spec/format.md §4.2). */
  #mayAddSentinel = false;
  /** The kind of key source the key came from (the write rule of spec/format.md §4.2). */
  #sourceType: KeySource['type'] = 'key';
  /** The key source made from the auth options of the open, disposed on close (resolveOwnedAuth). */
  #ownedSource: KeySource | null = null;
  /** The seal as read and checked, or as last saved; null when the vault is not sealed. */
  #seal: Seal | null = null;
  #sealKeys: SealKeys | null = null;
  #sealMode: SealMode = 'none';
  /** The generation `seal()` asked for (mode 'all'). */
  #sealAt = 1;
  /** Names set since the seal was read or saved (spec/seal.md §6.1). */
  #changed = new Set<string>();
  /** The seal the next save writes, once computed (dropped by every change). */
  #nextSeal: Seal | null = null;

  private constructor(
    doc: VaultDocument,
    key: Uint8Array,
    keys: VaultKeys,
    file: FileState | null,
    keyVerified: boolean,
  ) {
    this.#doc = doc;
    this.#key = key;
    this.#keys = keys;
    this.#file = file;
    this.#dirty = false;
    this.#keyVerified = keyVerified;
    const order = scanOrder(doc.secrets.keys());
    this.#sorted = order.sorted;
    this.#maxName = order.max;
    zeroOnCollect.register(this, key, this);
  }

  // ---------------------------------------------------------------- opening

  /**
   * Opens the vault at `path`.
   * @throws SecureStoreError ERR_NOT_FOUND, ERR_IO, ERR_VAULT_FORMAT, ERR_VAULT_VERSION,
   *   ERR_WRONG_KEY, ERR_KEY_FILE, ERR_KMS…
   */
  static async fromFile(
    path: string,
    auth: AuthOptions,
    options: OpenOptions = {},
  ): Promise<SecretsManager> {
    return withAuth(auth, (source, owned) =>
      SecretsManager.#fromFile(path, source, owned, options, false),
    );
  }

  static async #fromFile(
    path: string,
    source: KeySource,
    owned: boolean,
    options: OpenOptions,
    afterMerge: boolean,
    onlySecret?: string,
  ): Promise<SecretsManager> {
    let bytes: Buffer | null = await readFileCapped(path, MAX_VAULT_BYTES, {
      code: 'ERR_VAULT_FORMAT',
      what: 'a vault',
    });
    // openVaultForOneSecret: the document holds that secret only, so it is never written.
    const one = onlySecret === undefined ? null : readVaultForOneSecret(bytes, onlySecret);
    if (one !== null) {
      const file = { path, digest: null };
      return SecretsManager.#open(one, source, owned, file, path, options, afterMerge);
    }
    const text = decodeVaultBytes(bytes, path);
    // The file's bytes are not needed past this point: let them go before the parse allocates
    // the blobs, so a large vault's peak memory holds the text and the blobs but not the bytes.
    // The settled read still refers to them until this job ends, hence the turn through the
    // microtask queue (measured: 82 → 63 MiB peak for a 19 MiB vault; docs/benchmarks.md).
    bytes = null;
    // eslint-disable-next-line @typescript-eslint/await-thenable -- a turn of the microtask queue, on purpose
    await undefined;
    const doc = parseVaultText(text, path);
    // The text stands for the bytes: the strict decoding (valid UTF-8, no BOM) gives them back.
    return SecretsManager.#open(
      doc,
      source,
      owned,
      { path, digest: text },
      path,
      options,
      afterMerge,
    );
  }

  /** Opens a vault from its JSON text or bytes. `save()` needs a path: use `saveAs`. */
  static async fromJSON(
    json: string | Uint8Array,
    auth: AuthOptions,
    options: OpenOptions = {},
  ): Promise<SecretsManager> {
    return withAuth(auth, async (source, owned) => {
      const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
      const doc = parseVault(bytes, 'the vault');
      return SecretsManager.#open(doc, source, owned, null, 'the vault', options, false);
    });
  }

  /**
   * Opens a vault from an already-parsed JSON object (as `JSON.parse` returns it). An object
   * does not keep the file's order of names (`JSON.parse` puts integer-like names first), so
   * the names are taken in the order every writer of the format writes them, UTF-8 byte order
   * (spec/format.md §5.2), before a seal, which covers that order, is checked (spec/seal.md §4.3).
   */
  static async fromObject(
    obj: unknown,
    auth: AuthOptions,
    options: OpenOptions = {},
  ): Promise<SecretsManager> {
    return withAuth(auth, async (source, owned) => {
      const doc = documentFromNode(nodeFromValue(obj, 'the vault object'), 'the vault');
      if (!scanOrder(doc.secrets.keys()).sorted) {
        const entries = [...doc.secrets].sort((a, b) => compareCodePoints(a[0], b[0]));
        doc.secrets.clear();
        for (const [name, blob] of entries) doc.secrets.set(name, blob);
      }
      sortSealLines(doc);
      return SecretsManager.#open(doc, source, owned, null, 'the vault', options, false);
    });
  }

  /**
   * A new, empty vault with a fresh iv and sentinel, sealed (spec/seal.md §6.2) unless
   * `{ seal: false }`. Write it with `saveAs(path)`.
   */
  static async create(auth: AuthOptions, options: CreateOptions = {}): Promise<SecretsManager> {
    return withAuth(auth, (source, owned) => SecretsManager.#create(source, owned, options));
  }

  static async #create(
    source: KeySource,
    owned: boolean,
    options: CreateOptions,
  ): Promise<SecretsManager> {
    if (options.seal !== undefined && typeof options.seal !== 'boolean') {
      fail('ERR_ARGUMENT', 'seal: expected true or false');
    }
    const iv = randomBytes(IV_BYTES);
    const key = await source.keyFor(iv);
    checkKeyLength(key);
    const sentinelPlain = randomBytes(32);
    const keys = splitKey(key);
    const sentinel = encryptBlob(keys, sentinelPlain);
    zeroize(sentinelPlain);
    const doc: VaultDocument = { iv: encodeBase64(iv), sentinel, secrets: new Map(), extras: [] };
    const manager = new SecretsManager(doc, key, keys, null, true);
    manager.#dirty = true;
    if (owned) manager.#own(source);
    if (options.seal !== false) {
      manager.#sealKeys = deriveSealKeys(key);
      manager.#sealMode = 'all';
    }
    return manager;
  }

  /**
   * Opens the vault at `path` under its lock, runs `fn`, and saves if `fn` changed anything:
   * concurrent `update`s of one vault, from any process, are serialised and none is lost.
   * Returns what `fn` returns. Before letting go of the lock it removes what writers killed
   * mid-write left beside the vault and, given `{ keyFile }`, beside the key file and a rekey's
   * pending key `<keyFile>.new` (spec/format.md §8.1; `options.alsoClean` names more files).
   */
  static async update<T>(
    path: string,
    auth: AuthOptions,
    fn: (vault: SecretsManager) => T | Promise<T>,
    options: LockOptions & OpenOptions = {},
  ): Promise<T> {
    const { source, owned } = resolveOwnedAuth(auth);
    const keyFile = keyFileOf(auth);
    try {
      return await withLock(
        path,
        async () => {
          const vault = await SecretsManager.fromFile(path, source, options);
          try {
            const result = await fn(vault);
            if (vault.#dirty) await vault.#saveUnlocked(path, true);
            return result;
          } finally {
            vault.close();
          }
        },
        keyFile === null
          ? options
          : {
              ...options,
              alsoClean: [...(options.alsoClean ?? []), keyFile, pendingKeyPath(keyFile)],
            },
      );
    } finally {
      if (owned) source.dispose();
    }
  }

  static async #open(
    doc: VaultDocument,
    source: KeySource,
    owned: boolean,
    file: FileState | null,
    name: string,
    options: OpenOptions,
    afterMerge: boolean,
  ): Promise<SecretsManager> {
    const key = await keyForDocument(doc, source);
    const keys = splitKey(key);
    let verified = false;
    // A vault without a sentinel is judged by its secrets, which is a decryption of them all:
    // left until the first read or write (#checkKeyForReading, #prepareWrite).
    if (doc.sentinel !== null) {
      if (keyOpens(doc, keys) !== true) {
        zeroize(key);
        fail('ERR_WRONG_KEY', wrongKeyMessage(source, name));
      }
      verified = true;
    }
    const manager = new SecretsManager(doc, key, keys, file, verified);
    manager.#sourceType = source.type;
    if (owned) manager.#own(source);
    try {
      manager.#checkSealOnOpen(options.requireSeal === true, afterMerge);
    } catch (err) {
      manager.close();
      throw err;
    }
    return manager;
  }

  #own(source: KeySource): void {
    this.#ownedSource = source;
    disposeOnCollect.register(this, source, source);
  }

  /**
   * spec/seal.md §5.2: a present seal must verify (one HMAC over the document); a missing one is
   * refused when required. After a textual merge (§7.2) a failing seal is accepted when every
   * secret verifies and is bound to its name, and the vault is re-sealed on save.
   */
  #checkSealOnOpen(required: boolean, afterMerge: boolean): void {
    const seal = readSeal(this.#doc, this.#name());
    if (seal === null) {
      if (required) fail('ERR_SEAL', sealFailureMessage(this.#name(), 'missing'));
      return;
    }
    const sealKeys = deriveSealKeys(this.#key!);
    const check = checkSeal(sealKeys, this.#doc, seal);
    if (!check.ok) {
      // A sentinel-less vault (the sentinel removed) has not shown the key to be right yet.
      if (this.#doc.secrets.size > 0) this.#checkKeyForReading();
      if (!afterMerge) fail('ERR_SEAL', sealFailureMessage(this.#name(), check));
      this.#checkEverySecret();
      const unbound = namesFailingTags(sealKeys, this.#doc, seal);
      if (unbound.length > 0) {
        const one = unbound.length === 1;
        fail(
          'ERR_SEAL',
          `${this.#name()}: ${one ? 'secret' : 'secrets'} ${unbound.map((n) => JSON.stringify(n)).join(', ')} ${one ? 'is' : 'are'} not bound to ${one ? 'its name' : 'their names'} (moved, copied or from another vault); not re-sealed`,
        );
      }
      this.#sealMode = 'head';
      this.#dirty = true;
    } else {
      this.#sealMode = 'write';
    }
    this.#seal = seal;
    this.#sealKeys = sealKeys;
  }

  /** Every secret must pass its MAC and padding (spec/format.md §3.2). @throws ERR_INTEGRITY */
  #checkEverySecret(): void {
    const names = [...this.#doc.secrets.keys()];
    if (names.length > 0) this.#checkKeyForReading();
    forEachDecrypted(this.#keys!, [...this.#doc.secrets.values()], (i, plain) => {
      if (plain === null) this.#integrityFailure(names[i]!);
    });
  }

  // ---------------------------------------------------------------- reading

  /**
   * The secret `name` as a string, or `null` when there is no such secret.
   * @throws SecureStoreError ERR_INTEGRITY when it fails its MAC, ERR_NOT_UTF8 when it is binary.
   */
  get(name: string): string | null {
    const bytes = this.#decrypt(name);
    if (bytes === null) return null;
    try {
      return textOf(name, bytes);
    } finally {
      bytes.fill(0);
    }
  }

  /** The secret `name` as bytes, or `null` when there is no such secret. */
  getBytes(name: string): Uint8Array | null {
    const bytes = this.#decrypt(name);
    if (bytes === null) return null;
    const copy = new Uint8Array(bytes);
    bytes.fill(0);
    return copy;
  }

  /**
   * Every secret as bytes, in name order: decrypts them all in one batch, several times faster
   * than calling `getBytes` for each.
   * @throws SecureStoreError ERR_INTEGRITY naming the first secret that fails its MAC.
   */
  getAllBytes(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    try {
      this.#forEachPlaintext((name, plain) => out.set(name, new Uint8Array(plain)));
    } catch (err) {
      for (const bytes of out.values()) bytes.fill(0);
      throw err;
    }
    return out;
  }

  /**
   * Every secret as a string, in name order (see {@link getAllBytes}).
   * @throws SecureStoreError ERR_INTEGRITY, or ERR_NOT_UTF8 naming a binary secret.
   */
  getAll(): Map<string, string> {
    const out = new Map<string, string>();
    this.#forEachPlaintext((name, plain) => out.set(name, textOf(name, plain)));
    return out;
  }

  /**
   * Decrypts every secret in one batch and shows each plaintext to `fn`, in name order, as a
   * view that is zeroed once the batch is done. ERR_INTEGRITY names the first secret that fails.
   */
  #forEachPlaintext(fn: (name: string, plaintext: Uint8Array) => void): void {
    const names = this.keys();
    if (names.length > 0) this.#checkKeyForReading();
    const blobs = [...this.#doc.secrets.values()]; // in the same (sorted) order as names
    forEachDecrypted(this.#keys!, blobs, (i, plain) => {
      if (plain === null) this.#integrityFailure(names[i]!);
      fn(names[i]!, plain);
    });
  }

  has(name: string): boolean {
    this.#assertOpen();
    return this.#doc.secrets.has(name);
  }

  /** Secret names in file order: UTF-8 byte order (spec/format.md §5.2). */
  keys(): string[] {
    this.#assertOpen();
    this.#sort();
    return [...this.#doc.secrets.keys()];
  }

  get size(): number {
    return this.#doc.secrets.size;
  }

  /** True when there are changes that `save()` has not yet written. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** The file this vault was opened from or last saved to, if any. */
  get path(): string | null {
    return this.#file?.path ?? null;
  }

  /**
   * True when the vault is sealed (spec/seal.md), or will be on its next save (a new vault,
   * or after {@link seal}).
   */
  get sealed(): boolean {
    return this.#sealMode !== 'none';
  }

  /**
   * The seal's generation as read or last saved (spec/seal.md §5.1): every sealed save adds one.
   * For a vault being sealed, the generation it will be saved with; null when not sealed.
   */
  get generation(): number | null {
    if (this.#sealMode === 'all') return this.#sealAt;
    return this.#seal === null ? null : sealGeneration(this.#seal);
  }

  /** The vault iv (base64): shared by every copy of this vault, changed only by a re-key. */
  get vaultIv(): string {
    return this.#doc.iv;
  }

  #decrypt(name: string): Uint8Array | null {
    this.#assertOpen();
    if (typeof name !== 'string') fail('ERR_ARGUMENT', 'name: expected a string');
    const blob = this.#doc.secrets.get(name);
    if (blob === undefined) return null;
    this.#checkKeyForReading();
    this.#decryptOne ??= blobDecryptor(this.#keys!);
    const plain = this.#decryptOne(blob);
    if (plain === null) this.#integrityFailure(name);
    return plain;
  }

  /**
   * A vault without a sentinel (spec/format.md §4.2) shows no plaintext to a key that its secrets
   * have not verified: one secret alone passes a key right only in its HMAC half one time in 256.
   */
  #checkKeyForReading(): void {
    if (!this.#keyVerified && !this.#verifyAgainstSecrets()) {
      fail('ERR_WRONG_KEY', `wrong password or key for ${this.#name()}: ${NO_SECRET_DECRYPTS}`);
    }
  }

  /** A secret failed its MAC or padding: tampering, once the key is known to be right. */
  #integrityFailure(name: string): never {
    return fail(
      'ERR_INTEGRITY',
      `secret ${JSON.stringify(name)} in ${this.#name()} fails its integrity check: the vault was modified or damaged`,
    );
  }

  // ---------------------------------------------------------------- writing

  /** Adds or replaces a secret. A string is stored as its UTF-8 bytes. */
  set(name: string, value: string | Uint8Array): void {
    this.#assertOpen();
    checkName(name);
    let plain: Uint8Array;
    if (typeof value === 'string') {
      if (hasLoneSurrogate(value))
        fail(
          'ERR_ARGUMENT',
          `value of ${JSON.stringify(name)}: the string is not well-formed Unicode`,
        );
      plain = Buffer.from(value, 'utf8');
    } else if (value instanceof Uint8Array) {
      plain = value;
    } else {
      fail('ERR_ARGUMENT', `value of ${JSON.stringify(name)}: expected a string or a Uint8Array`);
    }
    this.#prepareWrite();
    const isNew = !this.#doc.secrets.has(name);
    this.#doc.secrets.set(name, encryptBlob(this.#keys!, plain));
    if (typeof value === 'string') plain.fill(0);
    if (isNew) this.#noteNewName(name);
    this.#changed.add(name);
    this.#nextSeal = null;
    this.#dirty = true;
  }

  /** Removes a secret; returns whether it was there. */
  delete(name: string): boolean {
    this.#assertOpen();
    if (!this.#doc.secrets.has(name)) return false;
    this.#prepareWrite();
    this.#doc.secrets.delete(name);
    this.#nextSeal = null;
    this.#dirty = true;
    return true;
  }

  /**
   * Seals an unsealed vault (spec/seal.md §6.2): checks every secret's MAC and padding under the
   * key first, and changes nothing if one fails. The next `save()` writes the seal, with
   * generation `generation` (default 1; `ssclient seal` continues the generation the vault had in
   * git). Nothing to do for a vault that is already sealed.
   * @throws SecureStoreError ERR_INTEGRITY naming a secret that fails, ERR_WRONG_KEY,
   *   ERR_ARGUMENT for a generation that is not a positive safe integer.
   */
  seal(options: { generation?: number } = {}): void {
    this.#assertOpen();
    const generation = options.generation ?? 1;
    if (!Number.isSafeInteger(generation) || generation < 1) {
      fail('ERR_ARGUMENT', 'generation: expected a positive whole number');
    }
    if (this.#sealMode !== 'none') return;
    this.#checkEverySecret();
    this.#prepareWrite();
    this.#sealKeys ??= deriveSealKeys(this.#key!);
    this.#sealMode = 'all';
    this.#sealAt = generation;
    this.#nextSeal = null;
    this.#dirty = true;
  }

  /**
   * Writes the vault back to the file it came from, atomically and under its lock (`options`:
   * how long to wait for it, and more files to clean up beside, as for {@link update}).
   * @throws SecureStoreError ERR_CONFLICT when the file changed on disk since it was read.
   */
  async save(options: LockOptions = {}): Promise<void> {
    this.#assertOpen();
    const file = this.#file;
    if (file === null)
      fail('ERR_ARGUMENT', 'this vault was not opened from a file; use saveAs(path)');
    await withLock(file.path, () => this.#saveUnlocked(file.path, true), options);
  }

  /** Writes the vault to `path` (replacing any file there), atomically and under its lock. */
  async saveAs(path: string): Promise<void> {
    this.#assertOpen();
    await withLock(path, () => this.#saveUnlocked(path, false));
  }

  /** The canonical bytes of the vault as `save()` would write them. */
  toJSON(): string {
    this.#assertOpen();
    this.#sort();
    const next = this.#pendingSeal();
    if (next !== null) setSeal(this.#doc, next);
    return serializeVault(this.#doc);
  }

  /** The seal the next save writes (spec/seal.md §6), or null when it writes none. */
  #pendingSeal(): Seal | null {
    if (!this.#dirty || this.#sealMode === 'none') return null;
    if (this.#nextSeal !== null) return this.#nextSeal;
    const keys = this.#sealKeys!;
    switch (this.#sealMode) {
      case 'all':
        this.#nextSeal = sealAll(keys, this.#doc, this.#sealAt);
        break;
      case 'head':
        this.#nextSeal = resealHead(
          keys,
          this.#doc,
          this.#seal!.lines,
          sealGeneration(this.#seal!) + 1,
        );
        break;
      case 'write':
        this.#nextSeal = resealAfterWrite(keys, this.#doc, this.#seal!, this.#changed);
        break;
    }
    return this.#nextSeal;
  }

  async #saveUnlocked(path: string, checkConflict: boolean): Promise<void> {
    if (checkConflict && this.#file?.path === path && this.#file.digest !== null) {
      let current: Uint8Array | null;
      try {
        current = await readFileCapped(path, MAX_VAULT_BYTES, {
          code: 'ERR_CONFLICT',
          what: 'this vault',
        });
      } catch (err) {
        if (err instanceof SecureStoreError && err.code === 'ERR_NOT_FOUND') current = null;
        else throw err;
      }
      const { digest } = this.#file;
      const expected = typeof digest === 'string' ? sha256(Buffer.from(digest, 'utf8')) : digest;
      if (current === null || !constantTimeEqual(sha256(current), expected)) {
        fail(
          'ERR_CONFLICT',
          `${path} changed on disk since it was opened; open it again and repeat the change`,
        );
      }
    }
    const bytes = Buffer.from(this.toJSON(), 'utf8');
    await writeFileAtomic(path, bytes);
    this.#file = { path, digest: sha256(bytes) };
    const written = this.#pendingSeal();
    if (written !== null) {
      this.#seal = written;
      this.#sealMode = 'write';
      this.#changed.clear();
      this.#nextSeal = null;
    }
    this.#dirty = false;
  }

  /**
   * Writes the vault's key to `path` as a 99-byte PEM key file, mode 0600. A non-empty file
   * already at `path` is refused unless `overwrite` is set: replacing another vault's key file
   * with this key would lock that vault out for good. (An empty file is replaced.)
   * @throws SecureStoreError ERR_ARGUMENT when `path` holds a non-empty file; ERR_IO
   */
  async exportKey(path: string, options: { readonly overwrite?: boolean } = {}): Promise<void> {
    this.#assertOpen();
    if (typeof path !== 'string' || path === '') fail('ERR_ARGUMENT', 'path: expected a file path');
    if (options?.overwrite !== true && ((await sizeOfExisting(path)) ?? 0) > 0) {
      fail(
        'ERR_ARGUMENT',
        `${path} already exists and is not empty; exportKey does not replace it unless given { overwrite: true }`,
      );
    }
    await writeFileAtomic(path, encodeKeyFile(this.#key!), { mode: 0o600, forceMode: true });
  }

  /** A copy of the 32-byte vault key (the caller must zero it). For wrapping and export. */
  exportKeyBytes(): Uint8Array {
    this.#assertOpen();
    return Uint8Array.from(this.#key!);
  }

  /**
   * Zeroes the key; the manager cannot be used afterwards. A key source made from the auth
   * options (`{ keyFile }`, `{ password }`, `{ key }`) is disposed with it, dropping and zeroing
   * what it cached (an unwrapped KMS key); a `KeySource` you gave stays yours to dispose.
   */
  close(): void {
    if (this.#key !== null) {
      zeroize(this.#key);
      zeroOnCollect.unregister(this);
      this.#key = null;
      // OpenSSL's copies are cleansed (OPENSSL_clear_free) when these are collected.
      this.#keys = null;
      this.#decryptOne = null;
    }
    if (this.#ownedSource !== null) {
      disposeOnCollect.unregister(this.#ownedSource);
      this.#ownedSource.dispose();
      this.#ownedSource = null;
      this.#sealKeys = null;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---------------------------------------------------------------- internals

  /**
   * Adds a sentinel made with this vault's key to a vault that has none (spec/format.md §4.2),
   * vouching for the key: call it only once you know the key is right (the values read as they
   * should). Needed before the first write to such a vault with fewer than 16 secrets and a key
   * not derived from a password, which its secrets cannot prove well enough. Returns false when
   * the vault already has a sentinel. Written by the next save.
   * @throws SecureStoreError ERR_WRONG_KEY when the secrets refuse the key (§4.2's read rule)
   */
  addSentinel(): boolean {
    this.#assertOpen();
    if (this.#doc.sentinel !== null) return false;
    this.#checkKeyForWriting();
    this.#mayAddSentinel = true;
    this.#prepareWrite();
    return true;
  }

  /** The key must open the vault's secrets before anything is changed (spec/format.md §4.2). */
  #checkKeyForWriting(): void {
    if (!this.#keyVerified) {
      if (this.#doc.secrets.size > 0 && !this.#verifyAgainstSecrets()) {
        fail(
          'ERR_WRONG_KEY',
          `wrong password or key for ${this.#name()}: ${NO_SECRET_DECRYPTS}, so nothing was changed`,
        );
      }
      this.#keyVerified = true;
    }
  }

  /**
   * spec/format.md §4.2: a vault without a sentinel is only written once the key is shown to be
   * right, and then a sentinel is added. A wrong sentinel would lock the right key out for good,
   * so the proof must be strong: a password (its MAC-verified secrets prove both halves, which
   * come from one PBKDF2 output), at least 16 secrets, or the caller's word (addSentinel). An
   * empty vault has nothing to lose and just gets one.
   */
  #prepareWrite(): void {
    this.#checkWriteProof();
    if (this.#doc.sentinel !== null) return;
    const plain = randomBytes(32);
    this.#doc.sentinel = encryptBlob(this.#keys!, plain);
    zeroize(plain);
    this.#dirty = true;
  }

  /** spec/format.md §4.2's write rule (see {@link #prepareWrite}); changes nothing. */
  #checkWriteProof(): void {
    this.#checkKeyForWriting();
    if (this.#doc.sentinel !== null) return;
    const count = this.#doc.secrets.size;
    if (
      count > 0 &&
      !this.#mayAddSentinel &&
      !secretsProveKeyForWriting({ type: this.#sourceType }, this.#provenBy)
    ) {
      fail('ERR_WRONG_KEY', unprovenWriteMessage(this.#name(), count));
    }
  }

  /** spec/format.md §4.2: whether the key opens this vault without a sentinel. */
  #verifyAgainstSecrets(): boolean {
    const proven = secretsProvingKey(this.#keys!, [...this.#doc.secrets.values()]);
    if (proven > 0) {
      this.#keyVerified = true;
      this.#provenBy = proven;
    }
    return this.#keyVerified;
  }

  #noteNewName(name: string): void {
    if (
      this.#sorted &&
      this.#maxName !== undefined &&
      compareCodePoints(name, this.#maxName) <= 0
    ) {
      this.#sorted = false;
    }
    if (this.#maxName === undefined || compareCodePoints(name, this.#maxName) > 0)
      this.#maxName = name;
  }

  #sort(): void {
    if (this.#sorted) return;
    const entries = [...this.#doc.secrets].sort((a, b) => compareCodePoints(a[0], b[0]));
    this.#doc.secrets.clear();
    for (const [name, blob] of entries) this.#doc.secrets.set(name, blob);
    this.#sorted = true;
  }

  #assertOpen(): void {
    if (this.#key === null) fail('ERR_ARGUMENT', 'this vault has been closed');
  }

  #name(): string {
    return this.#file?.path ?? 'the vault';
  }
}

/** The key file path of `{ keyFile }` auth options, or null for any other key. */
function keyFileOf(auth: AuthOptions): string | null {
  if (typeof auth !== 'object' || auth === null || !('keyFile' in auth)) return null;
  const { keyFile } = auth as { keyFile?: unknown };
  return typeof keyFile === 'string' && keyFile !== '' ? keyFile : null;
}

function checkName(name: string): void {
  if (typeof name !== 'string') fail('ERR_ARGUMENT', 'name: expected a string');
  if (hasLoneSurrogate(name)) fail('ERR_ARGUMENT', 'name: the string is not well-formed Unicode');
}
