/**
 * The only module that imports `@aws-sdk/client-kms`, and only when a KMS call is made (a dynamic
 * import), so commands that do not use KMS never load the SDK. Two calls: Encrypt (wrap) and
 * Decrypt (unwrap). Credentials, region and endpoint come from KmsOptions, else from the SDK's
 * default chains (AWS_PROFILE, AWS_ACCESS_KEY_ID…, SSO, AWS_REGION, AWS_ENDPOINT_URL_KMS, …).
 *
 * Retries: standard mode's rules with our backoff (retry.ts): `maxAttempts` attempts (default 8),
 * full-jitter exponential waits of at most `retryMaxDelayMs`, all within the call's `timeoutMs`.
 * The strategy is set on each client, so AWS_MAX_ATTEMPTS and a profile's max_attempts no longer
 * apply. Each call, retries included, is bounded by `timeoutMs`.
 */
import { fail, isSecureStoreError } from '../errors.js';
import { type KmsCall, kmsErrorFrom, KmsError } from './kms-errors.js';
import type { KmsClientLike, KmsOptions } from './options.js';
import { KmsRetryStrategy, retrySettingsOf } from './retry.js';

/** spec: KmsOptions.timeoutMs default. */
export const DEFAULT_KMS_TIMEOUT_MS = 10_000;

type Sdk = typeof import('@aws-sdk/client-kms');
let sdkPromise: Promise<Sdk> | null = null;

function loadSdk(): Promise<Sdk> {
  sdkPromise ??= import('@aws-sdk/client-kms').catch((err: unknown) => {
    sdkPromise = null;
    throw new KmsError(
      'ERR_KMS',
      'cannot load the AWS SDK (@aws-sdk/client-kms), which KMS-wrapped keys need: install it',
      { cause: err },
    );
  });
  return sdkPromise;
}

/** A KMS client for one region, and how to let it go. */
interface RegionClient {
  readonly client: KmsClientLike;
  readonly release: () => void;
  /** The region the client resolved (for messages), or undefined when it has none. */
  readonly region: () => Promise<string | undefined>;
}

/**
 * The KMS clients of one operation (wrapping a key under several KMS keys, one unwrap with its
 * failover): one client per region, made on its first call, so that the operation's calls to a
 * region share a client and its credentials are resolved once, not once per call. A session
 * belongs to one KmsOptions (copied when it starts), and its clients are destroyed when the
 * operation ends: a client never serves another configuration (other credentials, profile or
 * endpoint, or an environment changed since), and keep-alive sockets do not keep a short-lived
 * process running. Get one from {@link withKmsSession}.
 */
export class KmsSession {
  /** A copy of the operation's options, taken when it starts. */
  readonly options: KmsOptions;
  /** By the region the call named; `undefined` is the SDK's default region chain. */
  readonly #clients = new Map<string | undefined, RegionClient>();

  constructor(options: KmsOptions) {
    if (options.client !== undefined && options.clientForRegion !== undefined) {
      fail('ERR_ARGUMENT', 'give KmsOptions.client or KmsOptions.clientForRegion, not both');
    }
    if (options.clientForRegion !== undefined && typeof options.clientForRegion !== 'function') {
      fail('ERR_ARGUMENT', 'clientForRegion: expected a function (region) => KMS client');
    }
    this.options = { ...options };
  }

  async clientFor(region: string | undefined): Promise<RegionClient> {
    const { client: given, clientForRegion, profile, endpoint } = this.options;
    if (given !== undefined)
      return { client: given, release: () => {}, region: async () => region };
    let entry = this.#clients.get(region);
    if (entry === undefined && clientForRegion !== undefined) {
      const client = clientForRegion(region);
      if (client === null || typeof client !== 'object' || typeof client.send !== 'function') {
        fail(
          'ERR_ARGUMENT',
          `clientForRegion: expected a KMS client (with send) for ${region ?? "the SDK's default region"}`,
        );
      }
      // The caller's client: not destroyed when the operation ends.
      entry = { client, release: () => {}, region: async () => region };
      this.#clients.set(region, entry);
    }
    if (entry === undefined) {
      const sdk = await loadSdk();
      const retry = retrySettingsOf(this.options, timeoutOf(this.options));
      const client = new sdk.KMSClient({
        maxAttempts: retry.maxAttempts,
        retryStrategy: new KmsRetryStrategy(retry),
        ...(region !== undefined ? { region } : {}),
        ...(profile !== undefined ? { profile } : {}),
        ...(endpoint !== undefined ? { endpoint } : {}),
      });
      entry = {
        client,
        // Close the keep-alive sockets so that a short-lived process exits at once.
        release: () => client.destroy(),
        region: () => client.config.region().catch(() => undefined),
      };
      this.#clients.set(region, entry);
    }
    return entry;
  }

  /** Destroys every client the session made. */
  close(): void {
    for (const entry of this.#clients.values()) entry.release();
    this.#clients.clear();
  }
}

/** Runs one KMS operation, `fn`, with a {@link KmsSession} that is closed when it settles. */
export async function withKmsSession<T>(
  options: KmsOptions,
  fn: (session: KmsSession) => Promise<T>,
): Promise<T> {
  const session = new KmsSession(options);
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}

function timeoutOf(options: KmsOptions): number {
  const ms = options.timeoutMs ?? DEFAULT_KMS_TIMEOUT_MS;
  if (!Number.isFinite(ms) || ms <= 0) {
    fail('ERR_ARGUMENT', `timeoutMs: expected a positive number of milliseconds, got ${ms}`);
  }
  return ms;
}

/**
 * Runs one KMS command with the caller's signal and our timeout, mapping any failure to a
 * {@link KmsError} that names `kmsKey`.
 */
async function callKms<T>(
  session: KmsSession,
  call: Omit<KmsCall, 'timedOut' | 'aborted' | 'timeoutMs' | 'endpoint' | 'elapsedMs'>,
  run: (sdk: Sdk, client: KmsClientLike, abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const options = session.options;
  const timeoutMs = timeoutOf(options);
  // Bad retry settings are refused (ERR_ARGUMENT) before any call, as a bad timeout is.
  retrySettingsOf(options, timeoutMs);
  const startedAt = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('KMS call timed out'));
  }, timeoutMs);
  timer.unref?.();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let region: RegionClient | undefined;
  try {
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    const sdk = await loadSdk();
    region = await session.clientFor(call.region);
    if (controller.signal.aborted) throw new Error('aborted before the call');
    return await run(sdk, region.client, controller.signal);
  } catch (err) {
    // Ours (a KMS failure already described, or a bad argument such as clientForRegion's).
    if (err instanceof KmsError || isSecureStoreError(err, 'ERR_ARGUMENT')) throw err;
    // A key named without a region went to the SDK's default region: name it in the message.
    const resolved = call.region ?? (await region?.region());
    throw kmsErrorFrom(err, {
      ...call,
      endpoint: options.endpoint,
      region: resolved,
      timedOut,
      aborted: !timedOut && controller.signal.aborted,
      timeoutMs,
      elapsedMs: performance.now() - startedAt,
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The result of Encrypt: the key ARN KMS reports and the ciphertext. */
export interface EncryptResult {
  readonly keyArn: string;
  readonly ciphertext: Uint8Array;
}

/**
 * Encrypts `plaintext` under `keyId` (key id, key ARN, alias name or alias ARN) with `context`.
 * `region` is where the call goes (undefined: the SDK's chain).
 * @throws KmsError
 */
export async function kmsEncrypt(
  keyId: string,
  plaintext: Uint8Array,
  context: Readonly<Record<string, string>>,
  region: string | undefined,
  session: KmsSession,
): Promise<EncryptResult> {
  return callKms(
    session,
    { operation: 'Encrypt', kmsKey: keyId, region, file: undefined },
    async (sdk, client, abortSignal) => {
      const out = (await client.send(
        new sdk.EncryptCommand({
          KeyId: keyId,
          Plaintext: plaintext,
          EncryptionContext: { ...context },
        }),
        { abortSignal },
      )) as { KeyId?: string; CiphertextBlob?: Uint8Array };
      if (typeof out.KeyId !== 'string' || !(out.CiphertextBlob instanceof Uint8Array)) {
        throw new KmsError(
          'ERR_KMS',
          `KMS key ${keyId}: KMS answered Encrypt without a key ARN or ciphertext`,
          { kmsKey: keyId },
        );
      }
      return { keyArn: out.KeyId, ciphertext: out.CiphertextBlob };
    },
  );
}

/** The result of Decrypt: the key id KMS reports and the plaintext (the caller zeroes it). */
export interface DecryptResult {
  readonly keyId: string | undefined;
  readonly plaintext: Uint8Array;
}

/**
 * Decrypts `ciphertext` with `keyArn` named explicitly (spec/kms-key-file.md §7.2) in `region`.
 * @throws KmsError
 */
export async function kmsDecrypt(
  keyArn: string,
  ciphertext: Uint8Array,
  context: Readonly<Record<string, string>>,
  region: string,
  file: string,
  session: KmsSession,
): Promise<DecryptResult> {
  return callKms(
    session,
    { operation: 'Decrypt', kmsKey: keyArn, region, file },
    async (sdk, client, abortSignal) => {
      const out = (await client.send(
        new sdk.DecryptCommand({
          KeyId: keyArn,
          CiphertextBlob: ciphertext,
          EncryptionContext: { ...context },
        }),
        { abortSignal },
      )) as { KeyId?: string; Plaintext?: Uint8Array };
      if (!(out.Plaintext instanceof Uint8Array)) {
        throw new KmsError(
          'ERR_KMS',
          `KMS key ${keyArn}: KMS answered Decrypt without a plaintext`,
          {
            kmsKey: keyArn,
          },
        );
      }
      return { keyId: out.KeyId, plaintext: out.Plaintext };
    },
  );
}
