/**
 * How a KMS call is retried (docs/kms.md "Fleets: many processes, one KMS quota"): the rules of
 * the SDK's *standard* retry mode (retry what the SDK classifies as throttling or transient: a
 * `ThrottlingException`, HTTP 429/5xx, a reset connection), with full-jitter exponential backoff
 * whose attempts, ceiling and total budget come from {@link KmsOptions}.
 *
 * Why standard and not adaptive: adaptive mode adds a client-side rate limiter that learns a
 * sending rate from the throttling a client has seen. Our clients live for one operation (one
 * Decrypt per wrapped key file per process, spec/kms-key-file.md §7.5), so that limiter never
 * learns anything before the client is destroyed; across a fleet, the spreading has to come from
 * the jitter, which standard mode already has. The SDK's own standard strategy does not take a
 * ceiling or a budget, so this module is the strategy handed to the client (the SDK's
 * `RetryStrategyV2` interface, structurally: nothing here imports the SDK). The SDK still
 * classifies each error and runs the waits (abortable through the call's signal).
 */
import { fail } from '../errors.js';
import type { KmsOptions } from './options.js';

/** spec: KmsOptions.maxAttempts default (the first call included). */
export const DEFAULT_KMS_MAX_ATTEMPTS = 8;
/** spec: KmsOptions.retryMaxDelayMs default: the longest single wait between two attempts. */
export const DEFAULT_KMS_RETRY_MAX_DELAY_MS = 2_000;
/** The first wait is drawn from [0, 2 × base): 100 ms after a transient error (the SDK's). */
const TRANSIENT_BASE_MS = 100;
/** After throttling the base is larger (the SDK's standard mode also backs off more then). */
const THROTTLING_BASE_MS = 500;
/**
 * No retry is started unless its wait ends this long (at most a fifth of the budget) before the
 * call's budget (`timeoutMs`) runs out, so that a throttled call gives up as throttled
 * (ERR_KMS_THROTTLED) rather than being cut by the timeout in its last attempt.
 */
const ATTEMPT_RESERVE_MS = 1_000;

/** The settled retry settings of one KMS operation. */
export interface KmsRetrySettings {
  readonly maxAttempts: number;
  readonly retryMaxDelayMs: number;
  /** Every attempt and wait of one call fits in this (KmsOptions.timeoutMs). */
  readonly budgetMs: number;
}

/**
 * The retry settings of `options`, defaults filled in.
 * @throws SecureStoreError ERR_ARGUMENT naming the option when a value is not usable
 */
export function retrySettingsOf(options: KmsOptions, budgetMs: number): KmsRetrySettings {
  const maxAttempts = options.maxAttempts ?? DEFAULT_KMS_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    fail('ERR_ARGUMENT', `maxAttempts: expected a whole number from 1 to 100, got ${maxAttempts}`);
  }
  const retryMaxDelayMs = options.retryMaxDelayMs ?? DEFAULT_KMS_RETRY_MAX_DELAY_MS;
  if (!Number.isFinite(retryMaxDelayMs) || retryMaxDelayMs < 0) {
    fail(
      'ERR_ARGUMENT',
      `retryMaxDelayMs: expected a non-negative number of milliseconds, got ${retryMaxDelayMs}`,
    );
  }
  return { maxAttempts, retryMaxDelayMs, budgetMs };
}

/** The SDK's retry token, structurally (`RetryToken` of @smithy/types). */
interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/** What the SDK tells the strategy about a failed attempt (`RetryErrorInfo`, structurally). */
interface ErrorInfo {
  readonly errorType: string;
  readonly retryAfterHint?: Date;
}

class RetryToken implements Token {
  constructor(
    /** When the call's first attempt started (performance.now()). */
    readonly startedAt: number,
    readonly retries: number,
    readonly delayMs: number,
  ) {}
  getRetryCount(): number {
    return this.retries;
  }
  getRetryDelay(): number {
    return this.delayMs;
  }
  /** The SDK's standard tokens have it; we keep no retry quota, so a retry costs nothing. */
  getRetryCost(): number | undefined {
    return undefined;
  }
}

/**
 * The wait before retry number `retry` (1 for the first retry): full jitter, a uniform draw from
 * [0, min(ceiling, base × 2^retry)). `random` is Math.random unless a test gives another.
 */
export function backoffDelay(
  retry: number,
  throttled: boolean,
  ceilingMs: number,
  random: () => number = Math.random,
): number {
  const base = throttled ? THROTTLING_BASE_MS : TRANSIENT_BASE_MS;
  return Math.floor(random() * Math.min(ceilingMs, base * 2 ** retry));
}

/**
 * A retry strategy for one KMS client, in the shape of the SDK's `RetryStrategyV2`. No retry
 * quota is kept (the SDK's standard strategy keeps one per client, to stop a long-lived client
 * from retrying through an outage; our clients make one call or a handful).
 */
export class KmsRetryStrategy {
  readonly mode = 'standard';
  readonly #settings: KmsRetrySettings;
  readonly #random: () => number;

  /** `random`: the jitter's source, Math.random unless a test gives another. */
  constructor(settings: KmsRetrySettings, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
  }

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return new RetryToken(performance.now(), 0, 0);
  }

  async refreshRetryTokenForRetry(token: Token, info: ErrorInfo): Promise<Token> {
    const { maxAttempts, retryMaxDelayMs, budgetMs } = this.#settings;
    const startedAt = token instanceof RetryToken ? token.startedAt : performance.now();
    const retry = token.getRetryCount() + 1;
    const throttled = info.errorType === 'THROTTLING';
    if (!throttled && info.errorType !== 'TRANSIENT') throw new Error('not retryable');
    if (retry >= maxAttempts) throw new Error('no attempts left');
    let delay = backoffDelay(retry, throttled, retryMaxDelayMs, this.#random);
    // A Retry-After from the server is honoured, up to the ceiling.
    if (info.retryAfterHint instanceof Date) {
      const hinted = info.retryAfterHint.getTime() - Date.now();
      delay = Math.max(delay, Math.min(hinted, retryMaxDelayMs));
    }
    const reserve = Math.min(ATTEMPT_RESERVE_MS, budgetMs / 5);
    if (performance.now() - startedAt + delay + reserve > budgetMs) {
      throw new Error('retry budget spent');
    }
    // The SDK's retry middleware waits `delay` (abortably) before the next attempt.
    return new RetryToken(startedAt, retry, delay);
  }

  recordSuccess(_token: Token): void {}
}
