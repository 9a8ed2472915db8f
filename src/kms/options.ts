/** Options for reaching AWS KMS. Every field is optional: the AWS SDK's defaults apply. */
export interface KmsOptions {
  /** AWS region; otherwise the SDK's chain (AWS_REGION, the profile). */
  readonly region?: string;
  /** A named profile from the shared AWS config files. */
  readonly profile?: string;
  /** An endpoint URL (a KMS-compatible server, a VPC endpoint); otherwise AWS_ENDPOINT_URL_KMS. */
  readonly endpoint?: string;
  /** A ready `KMSClient` (or anything with the same `send`), used instead of making one. */
  readonly client?: KmsClientLike;
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

// A KMS-wrapped key file is one more kind of key source, and `{ keyFile, kms }` passes these
// options to it: declared here, by merging into keys/ interfaces, so that keys/ never names kms/
// (not even a type) while a library user still sees `kms?: KmsOptions` on `KeyFileOptions`.
declare module '../keys/key-source.js' {
  interface KeySourceTypes {
    /** The key is unwrapped from a KMS-wrapped key file. */
    kms: true;
  }
  interface KeyFileOptions {
    /** Options for KMS-wrapped key files; see {@link KmsOptions}. */
    readonly kms?: KmsOptions;
  }
}
