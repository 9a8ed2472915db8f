/**
 * KMS failures as {@link KmsError}s: one line a person can act on, naming the KMS key, with a
 * code of its own (docs/kms.md lists them). The SDK's error is kept as `cause`; its message is
 * not repeated, since it adds nothing a person can act on. Messages name options as the library
 * does (`KmsOptions.region`…), never a CLI flag: the CLI words its own hints (cli/report.ts).
 */
import { type ErrorCode, SecureStoreError } from '../errors.js';

/** A failure to wrap or unwrap a key through KMS. */
export class KmsError extends SecureStoreError {
  /** The KMS key concerned (as recorded or as given), when there is one. */
  readonly kmsKey: string | undefined;
  /** When every wrapping of a file failed: each wrapping's failure, in the order tried. */
  readonly failures: readonly KmsError[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; kmsKey?: string; failures?: readonly KmsError[] } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KmsError';
    this.kmsKey = options.kmsKey;
    this.failures = options.failures ?? [];
  }
}

/** What was being done when a KMS call failed. */
export interface KmsCall {
  readonly operation: 'Encrypt' | 'Decrypt';
  /** The KMS key as recorded or given (ARN, alias, key id). */
  readonly kmsKey: string;
  /** The region the call went to, when known. */
  readonly region: string | undefined;
  /** The endpoint override, when there is one (for "cannot reach" messages). */
  readonly endpoint: string | undefined;
  /** The wrapped key file, for messages about its contents. */
  readonly file: string | undefined;
  /** True when our timeout fired; false when the caller's signal did (or nothing did). */
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly timeoutMs: number;
  /** How long the call ran, its retries included (for "how long it tried"). */
  readonly elapsedMs?: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'EPROTO',
]);

const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
]);

/** Maps an error thrown by the SDK (or the network under it) to a {@link KmsError}. */
export function kmsErrorFrom(err: unknown, call: KmsCall): KmsError {
  const { code, message } = describeFailure(err, call);
  return new KmsError(code, message, { cause: err, kmsKey: call.kmsKey });
}

function describeFailure(err: unknown, call: KmsCall): { code: ErrorCode; message: string } {
  const key = `KMS key ${call.kmsKey}`;
  const where = call.region === undefined ? '' : ` in ${call.region}`;
  const op = `kms:${call.operation}`;
  const e = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown; $fault?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  const sysCode = typeof e.code === 'string' ? e.code : '';
  const text = typeof e.message === 'string' ? e.message : '';
  // Each reached by the SDK's error name or, from other layers, by a system code or message.
  const noCredentials = {
    code: 'ERR_KMS_NO_CREDENTIALS' as const,
    message: `${key}: no AWS credentials found; use KmsOptions.profile or AWS_PROFILE, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role`,
  };
  const timedOut = {
    code: 'ERR_KMS_TIMEOUT' as const,
    message: `${key}: KMS${where} did not answer in time; check the network and the endpoint`,
  };

  // Our own signals first: after an abort the SDK's error says little ("Request aborted").
  if (call.timedOut) {
    return {
      code: 'ERR_KMS_TIMEOUT',
      message: `${key}: KMS${where} did not answer within ${formatMs(call.timeoutMs)}; check the network and the endpoint`,
    };
  }
  if (call.aborted) {
    return { code: 'ERR_KMS_ABORTED', message: `${key}: the ${op} call was cancelled` };
  }
  // Before the names: the SDK calls a reset connection a "TimeoutError" (it is retryable).
  if (NETWORK_CODES.has(sysCode) || /socket hang up/i.test(text)) {
    return {
      code: 'ERR_KMS_UNREACHABLE',
      message: `${key}: cannot reach KMS${where}${call.endpoint === undefined ? '' : ` at ${call.endpoint}`} (${sysCode || 'connection closed'}); check the network, the region and the endpoint (KmsOptions.endpoint, AWS_ENDPOINT_URL_KMS)`,
    };
  }
  switch (name) {
    case 'AccessDeniedException':
      return {
        code: 'ERR_KMS_ACCESS_DENIED',
        message: `${key}: access denied to ${op}${where}; grant this AWS identity ${op} on the key${call.operation === 'Decrypt' ? ' (with the encryption context in the file)' : ''}`,
      };
    case 'NotFoundException':
    case 'InvalidArnException':
      return {
        code: 'ERR_KMS_NOT_FOUND',
        message: `${key} was not found${where}; check the key id or alias, the region (KmsOptions.region) and the AWS account`,
      };
    case 'DisabledException':
      return {
        code: 'ERR_KMS_DISABLED',
        message: `${key} is disabled; enable it in KMS${where}, or use another wrapping`,
      };
    case 'KMSInvalidStateException':
      return {
        code: 'ERR_KMS_DISABLED',
        message: `${key} is pending deletion or not usable in its current state; cancel the deletion in KMS${where}, or use another wrapping`,
      };
    case 'InvalidCiphertextException':
      return {
        code: 'ERR_KMS_CIPHERTEXT',
        message: `${key} cannot decrypt the wrapped key${call.file === undefined ? '' : ` in ${call.file}`}: its encryption context or ciphertext was changed; restore the file from version control`,
      };
    case 'IncorrectKeyException':
      return {
        code: 'ERR_KMS_WRONG_KEY',
        message: `${key}: the wrapped key recorded for it${call.file === undefined ? '' : ` in ${call.file}`} was made under another KMS key; restore the file from version control`,
      };
    case 'ThrottlingException':
    case 'LimitExceededException':
    case 'TooManyRequestsException':
      return {
        code: 'ERR_KMS_THROTTLED',
        message: `${key}: KMS${where} is throttling requests (still after ${attemptsOf(err)} attempts${call.elapsedMs === undefined ? '' : ` over ${formatSeconds(call.elapsedMs)}`}); retry later or raise the KMS request quota`,
      };
    case 'KeyUnavailableException':
    case 'KMSInternalException':
    case 'DependencyTimeoutException':
      return {
        code: 'ERR_KMS_UNREACHABLE',
        message: `${key}: KMS${where} is unavailable (${name}); retry later`,
      };
    case 'CredentialsProviderError':
      return noCredentials;
    case 'TimeoutError':
      return timedOut;
  }
  if (REJECTED_CREDENTIALS.has(name)) {
    return {
      code: 'ERR_KMS_ACCESS_DENIED',
      message: `${key}: KMS${where} rejected the AWS credentials (${name}); check the profile, the keys or the session token`,
    };
  }
  if (/region is missing/i.test(text)) {
    return {
      code: 'ERR_KMS_NO_REGION',
      message: `${key}: no AWS region; give KmsOptions.region, set AWS_REGION, or name the key by its ARN`,
    };
  }
  if (/could not load credentials/i.test(text)) {
    return noCredentials;
  }
  if (sysCode === 'ETIMEDOUT') {
    return timedOut;
  }
  // An answer that is not KMS's (an HTML page from a proxy or gateway) with a server-error
  // status: KMS could not be reached through it, as with a refused connection.
  const status = httpStatusOf(err);
  if (status !== undefined && status >= 500 && status <= 599) {
    return {
      code: 'ERR_KMS_UNREACHABLE',
      message: `${key}: KMS${where}${call.endpoint === undefined ? '' : ` at ${call.endpoint}`} answered HTTP ${status} without a KMS reply (a proxy or gateway in between?); retry later, or check the network and the endpoint (KmsOptions.endpoint, AWS_ENDPOINT_URL_KMS)`,
    };
  }
  return {
    code: 'ERR_KMS',
    message: `${key}: ${op}${where} failed (${name || sysCode || 'unknown error'}${status === undefined ? '' : `, HTTP ${status}`}); ${DETAILS_IN_CAUSE}`,
  };
}

/** The end of a message whose details only the cause (the SDK's error) has. */
export const DETAILS_IN_CAUSE = "the error's cause has the details";

/** The HTTP status of the answer the SDK failed on, when there was one. */
function httpStatusOf(err: unknown): number | undefined {
  const e = err as {
    $metadata?: { httpStatusCode?: unknown };
    $response?: { statusCode?: unknown };
  } | null;
  const status = e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function attemptsOf(err: unknown): number {
  const attempts = (err as { $metadata?: { attempts?: unknown } } | null)?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : 1;
}

/** A duration as seconds with one decimal ("0.3 s", "9.8 s"). */
function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * spec/kms-key-file.md §7.4: when no wrapping worked, one error listing each failure. The code
 * is the failures' common code, or ERR_KMS when they differ.
 */
export function combineFailures(file: string, failures: readonly KmsError[]): KmsError {
  if (failures.length === 1) return failures[0]!;
  const codes = new Set(failures.map((f) => f.code));
  const code: ErrorCode = codes.size === 1 ? failures[0]!.code : 'ERR_KMS';
  const list = failures.map((f, i) => `(${i + 1}) ${f.message}`).join('; ');
  return new KmsError(
    code,
    `cannot unwrap the key in ${file}: none of its ${failures.length} wrappings worked: ${list}`,
    { failures, cause: failures[0] },
  );
}
