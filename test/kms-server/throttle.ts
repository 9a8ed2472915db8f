/**
 * The KMS test server's request-rate limit (CONTRIBUTING.md, "Rate limits"): a token bucket
 * per region, as AWS KMS keeps its request quota for cryptographic operations per account and
 * region. A request that finds the bucket empty is answered as AWS does when a quota is exceeded:
 * HTTP 400 `{"__type":"ThrottlingException","message":"Rate exceeded"}`, which the SDK classifies as
 * throttling by its name and retries. Counters say what the limit did, for the tests and for
 * `npm run fleet`.
 *
 * Only plain TypeScript (no imports), so bench/kms-server.js can run it outside vitest.
 */

/** The cryptographic operations that share the request quota (AWS KMS's shared quota). */
export const CRYPTO_OPERATIONS: readonly string[] = [
  'Encrypt',
  'Decrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncrypt',
];

/** A rate limit for the cryptographic operations. */
export interface ThrottleOptions {
  /** Requests per second, refilled continuously (> 0). */
  rate: number;
  /** The bucket's size: how many requests may arrive at once when it is full (default `rate`). */
  burst?: number;
  /** Only these regions are limited (each has a bucket of its own); default: every region. */
  regions?: string[];
}

/** What the limit did in one region since it was set (or the counts were reset). */
export interface RegionThrottleStats {
  /** Decrypt requests that reached the limit (answered or throttled). */
  decrypt: number;
  /** Decrypt requests answered with ThrottlingException. */
  decryptThrottled: number;
  /** Requests of any cryptographic operation answered with ThrottlingException. */
  throttled: number;
  /** Decrypt requests answered with a plaintext (one per process that opened through here). */
  decryptAnswered: number;
}

export interface ThrottleStats {
  /** The limit in force, or null when there is none. */
  limit: { rate: number; burst: number; regions: string[] | null } | null;
  /** Totals over every region. */
  decrypt: number;
  decryptThrottled: number;
  throttled: number;
  decryptAnswered: number;
  /** Per region, for every region that received a cryptographic request. */
  regions: Record<string, RegionThrottleStats>;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, monotonic). */
  at: number;
}

/** The message AWS KMS sends with a quota's ThrottlingException. */
export const THROTTLED_MESSAGE = 'Rate exceeded';

/**
 * Checks a limit given to the control API or on the command line.
 * @throws Error naming the field that is wrong
 */
export function parseThrottleOptions(value: Record<string, unknown>): ThrottleOptions {
  const { rate, burst, regions } = value;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
    throw new Error('rate: expected a positive number of requests per second');
  }
  const options: ThrottleOptions = { rate };
  if (burst !== undefined) {
    if (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1) {
      throw new Error('burst: expected a number of requests, at least 1');
    }
    options.burst = burst;
  }
  if (regions !== undefined) {
    if (!Array.isArray(regions) || !regions.every((r): r is string => typeof r === 'string')) {
      throw new Error('regions: expected an array of region names');
    }
    options.regions = [...regions];
  }
  for (const key of Object.keys(value)) {
    if (key !== 'rate' && key !== 'burst' && key !== 'regions') {
      throw new Error(`${key}: not a throttle option (rate, burst, regions)`);
    }
  }
  return options;
}

/** Token buckets per region, and the counters. */
export class RequestThrottle {
  #limit: Required<Pick<ThrottleOptions, 'rate' | 'burst'>> & { regions: string[] | null } = {
    rate: 0,
    burst: 0,
    regions: null,
  };
  #on = false;
  readonly #buckets = new Map<string, Bucket>();
  #stats = new Map<string, RegionThrottleStats>();

  constructor(
    options?: ThrottleOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (options !== undefined) this.set(options);
  }

  /** Sets (or replaces) the limit; every bucket starts full. Counters are kept. */
  set(options: ThrottleOptions): void {
    const checked = parseThrottleOptions({ ...options });
    this.#limit = {
      rate: checked.rate,
      burst: checked.burst ?? checked.rate,
      regions: checked.regions ?? null,
    };
    this.#on = true;
    this.#buckets.clear();
  }

  /** Removes the limit (counters are kept). */
  clear(): void {
    this.#on = false;
    this.#buckets.clear();
  }

  resetStats(): void {
    this.#stats = new Map();
  }

  /**
   * Takes a token for a request to `operation` in `region`: true when it may proceed, false when
   * it is to be throttled. Non-cryptographic operations are never limited nor counted.
   */
  admit(operation: string, region: string): boolean {
    if (!CRYPTO_OPERATIONS.includes(operation)) return true;
    const stats = this.#statsOf(region);
    if (operation === 'Decrypt') stats.decrypt += 1;
    if (!this.#on) return true;
    const { rate, burst, regions } = this.#limit;
    if (regions !== null && !regions.includes(region)) return true;
    const now = this.now();
    const bucket = this.#buckets.get(region) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.#buckets.set(region, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    stats.throttled += 1;
    if (operation === 'Decrypt') stats.decryptThrottled += 1;
    return false;
  }

  /** Counts a successful answer (only Decrypt's are counted). */
  answered(operation: string, region: string): void {
    if (operation === 'Decrypt') this.#statsOf(region).decryptAnswered += 1;
  }

  stats(): ThrottleStats {
    const regions = Object.fromEntries([...this.#stats].map(([r, s]) => [r, { ...s }]));
    const sum = (field: keyof RegionThrottleStats): number =>
      [...this.#stats.values()].reduce((total, s) => total + s[field], 0);
    return {
      limit: this.#on ? { ...this.#limit } : null,
      decrypt: sum('decrypt'),
      decryptThrottled: sum('decryptThrottled'),
      throttled: sum('throttled'),
      decryptAnswered: sum('decryptAnswered'),
      regions,
    };
  }

  #statsOf(region: string): RegionThrottleStats {
    let stats = this.#stats.get(region);
    if (stats === undefined) {
      stats = { decrypt: 0, decryptThrottled: 0, throttled: 0, decryptAnswered: 0 };
      this.#stats.set(region, stats);
    }
    return stats;
  }
}
