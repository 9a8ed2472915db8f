/**
 * Re-keying a vault: every secret re-encrypted under a new key, with a new vault iv and a new
 * sentinel (docs/git.md "Rekey"). Crash-safe by ordering, so that a crash at any instant leaves a
 * vault that one of the two keys opens:
 *
 * 1. Under the vault's lock, open it with the old key and decrypt every secret.
 * 2. Build the new vault in memory and check that it decrypts to the same values.
 * 3. For a key file target: write the new key to `<key>.new` (temporary file, fsync, rename,
 *    fsync of the directory). The vault still opens with the old key.
 * 4. Replace the vault atomically (temporary file, fsync, rename). It now opens with the new key,
 *    which is in `<key>.new` (or is the new password).
 * 5. Read the vault back from disk and the key from `<key>.new`, and check that every secret
 *    decrypts to its old value. On a mismatch the old vault bytes are put back.
 * 6. Rename `<key>.new` over `<key>`. Only now is the old key file replaced.
 *
 * A rekey run again after an interruption between 4 and 6 finds that the old key no longer opens
 * the vault but `<key>.new` does, and finishes step 6 ({@link RekeyResult.resumed}).
 */
import { encryptBlob, splitKey } from '../vault/blob-cipher.js';
import { derivePasswordKey } from '../keys/password.js';
import { IV_BYTES, KEY_BYTES } from '../format/sizes.js';
import { randomBytes, zeroize } from '../crypto/primitives.js';
import { fail, isSecureStoreError } from '../errors.js';
import { encodeBase64 } from '../format/base64.js';
import { encodeKeyFile } from '../format/key-file.js';
import { compareCodePoints } from '../format/text.js';
import {
  MAX_VAULT_BYTES,
  parseVault,
  serializeVault,
  type VaultDocument,
} from '../format/vault-codec.js';
import { readFileCapped, removeFile, renameDurable, writeFileAtomic } from '../io/files.js';
import { type LockOptions, withLock } from '../io/lock.js';
import { KeySource } from '../auth.js';
import type { KmsOptions } from '../kms/options.js';
import { forEachDecrypted } from '../vault/blob-cipher.js';
import {
  keyOpens,
  secretsProveKeyForWriting,
  secretsProvingKey,
  unprovenWriteMessage,
  vaultAndSealKeysFor,
} from '../vault/opener.js';
import {
  assertSeal,
  deriveSealKeys,
  SEAL_FIELD,
  sealAll,
  sealGeneration,
  setSeal,
} from '../vault/seal.js';

// The new key file's name while a rekey is in progress, in a leaf that every locked write can
// import to clean up beside the key file (spec/format.md §8.1).
import { pendingKeyPath } from '../keys/pending-key.js';
export { PENDING_SUFFIX, pendingKeyPath } from '../keys/pending-key.js';

/** What the vault is re-keyed to. */
export type RekeyTarget =
  | { readonly kind: 'password'; readonly password: string }
  /** A new random key, written as a PEM key file at `path`. */
  | { readonly kind: 'key'; readonly path: string }
  /**
   * A new random key, wrapped: `wrap` returns the wrapped key file's contents (for example
   * through KMS); `kms` are the options used to unwrap it again for the check.
   */
  | {
      readonly kind: 'wrapped';
      readonly path: string;
      readonly wrap: (key: Uint8Array) => Promise<string | Uint8Array>;
      readonly kms?: KmsOptions;
    };

/** The steps, reported as they complete (the CLI prints one line for each). */
export type RekeyStep =
  | { readonly step: 'key-written'; readonly pending: string }
  | { readonly step: 'vault-written'; readonly secrets: number }
  | { readonly step: 'verified' }
  | { readonly step: 'key-replaced'; readonly path: string };

export interface RekeyOptions {
  readonly onStep?: (step: RekeyStep) => void;
  readonly lock?: LockOptions;
}

export interface RekeyResult {
  /** The number of secrets re-encrypted (or verified, when resumed). */
  readonly secrets: number;
  /** True when this run only finished an earlier, interrupted rekey. */
  readonly resumed: boolean;
}

/**
 * Re-keys the vault at `vaultPath` from `oldKey` to `target`.
 * @throws SecureStoreError ERR_WRONG_KEY when neither the old key nor a pending new key opens
 *   the vault; ERR_INTEGRITY when a secret is damaged (nothing is changed then); ERR_IO…
 */
export async function rekeyVault(
  vaultPath: string,
  oldKey: KeySource,
  target: RekeyTarget,
  options: RekeyOptions = {},
): Promise<RekeyResult> {
  const onStep = options.onStep ?? (() => {});
  return withLock(
    vaultPath,
    async () => {
      const oldBytes = await readFileCapped(vaultPath, MAX_VAULT_BYTES, {
        code: 'ERR_VAULT_FORMAT',
        what: 'a vault',
      });
      let old: Opened;
      try {
        old = await decryptAll(oldBytes, oldKey, vaultPath);
      } catch (err) {
        if (isSecureStoreError(err, 'ERR_WRONG_KEY') && target.kind !== 'password') {
          const resumed = await resume(vaultPath, oldBytes, target, onStep);
          if (resumed !== null) return resumed;
        }
        throw err;
      }
      try {
        return await rekeyUnlocked(vaultPath, oldBytes, old, target, onStep);
      } finally {
        for (const v of old.values.values()) zeroize(v);
      }
    },
    options.lock,
    // An interrupted rekey's key-file writes leave their temporary files beside the key and
    // `<key>.new`: the vault's lock holder removes them too (spec/format.md §8.1).
    target.kind === 'password' ? [] : [target.path, pendingKeyPath(target.path)],
  );
}

/** A vault: its bytes, already read, or the file to open. */
type VaultInput = Uint8Array | { readonly file: string };

/** An opened vault's secrets (the caller zeroes them) and its unknown top-level fields. */
interface Opened {
  readonly values: Map<string, Uint8Array>;
  readonly extras: VaultDocument['extras'];
  /** The seal's generation (spec/seal.md), null when the vault is not sealed. */
  readonly generation: number | null;
}

/**
 * Every secret of `input` opened with `source`, and the fields a rekey carries over: the
 * document is parsed once, the key judged by vault/opener.ts as SecretsManager judges it, and
 * every secret decrypted in one batch. `name` names the vault in a wrong-key message.
 */
async function decryptAll(input: VaultInput, source: KeySource, name: string): Promise<Opened> {
  // A file by its path; bytes already read by `name` (the vault's path, for the CLI), so that
  // messages such as the seal's `git log -p FILE` name a real file.
  const display = input instanceof Uint8Array ? name : input.file;
  const bytes =
    input instanceof Uint8Array
      ? input
      : await readFileCapped(input.file, MAX_VAULT_BYTES, {
          code: 'ERR_VAULT_FORMAT',
          what: 'a vault',
        });
  const doc = parseVault(bytes, display);
  const { keys, seal: sealKeys } = await vaultAndSealKeysFor(doc, source);
  if (keyOpens(doc, keys) === false) {
    fail('ERR_WRONG_KEY', `the ${source.description} does not open ${name}`);
  }
  // A rekey writes every secret again: a key that could not write the vault may not either
  // (spec/format.md §4.2's write rule), or a damaged key file would turn the secrets into garbage.
  if (
    doc.sentinel === null &&
    doc.secrets.size > 0 &&
    !secretsProveKeyForWriting(source, secretsProvingKey(keys, [...doc.secrets.values()]))
  ) {
    fail('ERR_WRONG_KEY', unprovenWriteMessage(display, doc.secrets.size));
  }
  // spec/seal.md §5.2: a sealed vault is re-keyed only as its seal vouches for it.
  const seal = assertSeal(sealKeys, doc, display, false);
  const names = [...doc.secrets.keys()].sort(compareCodePoints);
  const values = new Map<string, Uint8Array>();
  try {
    forEachDecrypted(
      keys,
      names.map((n) => doc.secrets.get(n)!),
      (i, plain) => {
        if (plain === null) {
          fail(
            'ERR_INTEGRITY',
            `secret ${JSON.stringify(names[i])} in ${display} fails its integrity check: the vault was modified or damaged`,
          );
        }
        values.set(names[i]!, new Uint8Array(plain));
      },
    );
  } catch (err) {
    for (const v of values.values()) zeroize(v);
    throw err;
  }
  return { values, extras: doc.extras, generation: seal === null ? null : sealGeneration(seal) };
}

/** An interrupted rekey left `<key>.new`, which opens the vault: finish by moving it into place. */
async function resume(
  vaultPath: string,
  bytes: Uint8Array,
  target: Exclude<RekeyTarget, { kind: 'password' }>,
  onStep: (step: RekeyStep) => void,
): Promise<RekeyResult | null> {
  const pending = pendingKeyPath(target.path);
  const source = KeySource.fromFile(
    pending,
    target.kind === 'wrapped' ? { kms: target.kms ?? {} } : {},
  );
  let values: Map<string, Uint8Array>;
  try {
    ({ values } = await decryptAll(bytes, source, vaultPath));
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_NOT_FOUND') || isSecureStoreError(err, 'ERR_WRONG_KEY'))
      return null;
    throw err;
  }
  for (const v of values.values()) zeroize(v);
  onStep({ step: 'verified' });
  await renameDurable(pending, target.path);
  onStep({ step: 'key-replaced', path: target.path });
  return { secrets: values.size, resumed: true };
}

async function rekeyUnlocked(
  vaultPath: string,
  oldBytes: Uint8Array,
  { values, extras, generation }: Opened,
  target: RekeyTarget,
  onStep: (step: RekeyStep) => void,
): Promise<RekeyResult> {
  const iv = randomBytes(IV_BYTES);
  const key =
    target.kind === 'password'
      ? await derivePasswordKey(target.password, iv)
      : randomBytes(KEY_BYTES);
  try {
    const newBytes = Buffer.from(
      serializeVault(reencrypt(extras, values, key, iv, generation)),
      'utf8',
    );
    // Step 2: the new document, from its bytes, holds the same values (before anything is written).
    const inMemory = KeySource.fromKey(key);
    try {
      await checkSame(newBytes, inMemory, values, 'the re-keyed vault');
    } finally {
      inMemory.dispose();
    }

    let pending: string | null = null;
    let newSource: KeySource;
    if (target.kind === 'password') {
      // The key just derived from the password and this iv: deriving it again (PBKDF2) for the
      // check below would only repeat the same computation.
      newSource = KeySource.fromKey(key);
    } else {
      pending = pendingKeyPath(target.path);
      const contents = target.kind === 'key' ? encodeKeyFile(key) : await target.wrap(key);
      // A key file is private; a wrapped key file is not secret (only KMS opens it).
      await writeFileAtomic(
        pending,
        contents,
        target.kind === 'key' ? { mode: 0o600, forceMode: true } : { mode: 0o644 },
      );
      onStep({ step: 'key-written', pending });
      newSource = KeySource.fromFile(
        pending,
        target.kind === 'wrapped' ? { kms: target.kms ?? {} } : {},
      );
    }

    await writeFileAtomic(vaultPath, newBytes);
    onStep({ step: 'vault-written', secrets: values.size });

    try {
      await checkSame({ file: vaultPath }, newSource, values, vaultPath);
    } catch (err) {
      // Put the old vault back: the old key still opens it.
      await writeFileAtomic(vaultPath, oldBytes);
      if (pending !== null) await removeFile(pending);
      throw err;
    } finally {
      newSource.dispose();
    }
    onStep({ step: 'verified' });

    if (pending !== null && target.kind !== 'password') {
      await renameDurable(pending, target.path);
      onStep({ step: 'key-replaced', path: target.path });
    }
    return { secrets: values.size, resumed: false };
  } finally {
    zeroize(key);
  }
}

/**
 * The document under the new key: new iv, new sentinel, every secret re-encrypted, extras kept;
 * a sealed vault is sealed again under the new key with the next generation (spec/seal.md §2).
 */
function reencrypt(
  extras: VaultDocument['extras'],
  values: Map<string, Uint8Array>,
  key: Uint8Array,
  iv: Uint8Array,
  generation: number | null,
): VaultDocument {
  const keys = splitKey(key);
  const check = randomBytes(32);
  const sentinel = encryptBlob(keys, check);
  zeroize(check);
  const names = [...values.keys()].sort(compareCodePoints);
  const secrets = new Map(names.map((name) => [name, encryptBlob(keys, values.get(name)!)]));
  const doc: VaultDocument = {
    iv: encodeBase64(iv),
    sentinel,
    secrets,
    extras: extras.filter(([field]) => field !== SEAL_FIELD),
  };
  if (generation !== null) setSeal(doc, sealAll(deriveSealKeys(key), doc, generation + 1));
  return doc;
}

/** Checks that `input`, opened with `source`, holds exactly `expected`. */
async function checkSame(
  input: VaultInput,
  source: KeySource,
  expected: Map<string, Uint8Array>,
  name: string,
): Promise<void> {
  const { values: actual } = await decryptAll(input, source, name);
  try {
    const same =
      actual.size === expected.size &&
      [...expected].every(([n, v]) => {
        const a = actual.get(n);
        return a !== undefined && Buffer.from(a).equals(v);
      });
    if (!same) {
      fail('ERR_INTEGRITY', `${name} does not decrypt to the old values; the rekey was undone`);
    }
  } finally {
    for (const v of actual.values()) zeroize(v);
  }
}
