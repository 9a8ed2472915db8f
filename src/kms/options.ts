/** Options for reaching AWS KMS. Every field is optional: the AWS SDK's defaults apply. */
export interface KmsOptions {
  /** AWS region; otherwise the SDK's chain (AWS_REGION, the profile). */
  readonly region?: string;
  /** A named profile from the shared AWS config files. */
  readonly profile?: string;
  /** An endpoint URL (a KMS-compatible server, a VPC endpoint); otherwise AWS_ENDPOINT_URL_KMS. */
  readonly endpoint?: string;
  /**
   * A ready `KMSClient` (or anything with the same `send`), used instead of making one, for
   * EVERY call whatever its region: a `KMSClient` sends to the one region it was made for, so a
   * wrapping in another region fails there (typically `ERR_KMS_NOT_FOUND`). For custom
   * credentials with wrappings in several regions, give {@link clientForRegion} instead.
   */
  readonly client?: KmsClientLike;
  /**
   * The client for each region a call goes to (the wrapping's region when unwrapping; when
   * wrapping, the key ARN's region, else `region`, else `undefined` for the SDK's default
   * chain): asked at most once per region per operation, so failover across regions works with
   * custom credentials. The clients stay the caller's (they are not destroyed). Not with
   * `client`.
   */
  readonly clientForRegion?: (region: string | undefined) => KmsClientLike;
  /** Cancels the KMS calls. */
  readonly signal?: AbortSignal;
  /**
   * Gives up on a KMS call after this many milliseconds (default 10 000), its retries included:
   * the total budget of one call.
   */
  readonly timeoutMs?: number;
  /**
   * Attempts per KMS call, the first included (default 8). Throttling and transient errors are
   * retried with full-jitter exponential backoff, within `timeoutMs` (docs/kms.md, "Fleets").
   */
  readonly maxAttempts?: number;
  /** The longest wait between two attempts, in milliseconds (default 2 000). */
  readonly retryMaxDelayMs?: number;
}

/** The structural shape of `KMSClient` that this package uses. */
export interface KmsClientLike {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

// A KMS-wrapped key file is one more kind of key source, and `{ keyFile, kms, identities }` passes
// these options to it: declared here, by merging into keys/ interfaces, so that keys/ never names
// kms/ (not even a type) while a library user still sees them on `KeyFileOptions`.
declare module '../keys/key-source.js' {
  interface KeySourceTypes {
    /** The key is unwrapped from a KMS-wrapped key file. */
    kms: true;
  }
  interface KeyFileOptions {
    /** Options for KMS-wrapped key files; see {@link KmsOptions}. */
    readonly kms?: KmsOptions;
    /**
     * Age identities for the age wrappings of a wrapped key file (spec/kms-key-file.md §10.6):
     * identity text or identity file paths; tried before any KMS call.
     */
    readonly identities?: readonly string[];
    /** Gets warnings (an identity file others can read); default: `process.emitWarning`. */
    readonly onWarning?: (message: string) => void;
  }
}

/**
 * Options for opening a wrapped key file (spec/kms-key-file.md): how to reach KMS, and the age
 * identities tried first (§10.6).
 */
export interface WrappedKeyOptions extends KmsOptions {
  /**
   * Age identities: identity text (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`) or paths of
   * identity files (as age-keygen and sops write them). The age wrappings whose recipient is one
   * of theirs are tried before any KMS call.
   */
  readonly identities?: readonly string[];
  /** Gets warnings (an identity file others can read); default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}
