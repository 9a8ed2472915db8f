/**
 * The retry rule of src/kms/retry.ts on its own (the same rule against the throttling KMS server,
 * through the real SDK, is in throttling.test.ts): which errors are retried, how many attempts,
 * the ceiling of one wait, and the budget. The jitter's source is fixed, so every wait is exact.
 */
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_KMS_MAX_ATTEMPTS,
  DEFAULT_KMS_RETRY_MAX_DELAY_MS,
  KmsRetryStrategy,
  retrySettingsOf,
} from '../../src/kms/retry.js';

const THROTTLING = { errorType: 'THROTTLING' };
const TRANSIENT = { errorType: 'TRANSIENT' };

/** The waits a strategy asks for until it gives up (or `limit` retries), and why it stopped. */
async function waits(
  strategy: KmsRetryStrategy,
  errorType: { errorType: string },
  limit = 50,
): Promise<{ delays: number[]; stopped: string }> {
  let token = await strategy.acquireInitialRetryToken('');
  const delays: number[] = [];
  for (let i = 0; i < limit; i++) {
    try {
      token = await strategy.refreshRetryTokenForRetry(token, errorType);
    } catch (err) {
      return { delays, stopped: (err as Error).message };
    }
    expect(token.getRetryCount()).toBe(delays.length + 1);
    delays.push(token.getRetryDelay());
  }
  return { delays, stopped: 'limit' };
}

describe('the retry strategy handed to every KMS client', () => {
  it('defaults: 8 attempts, waits of at most 2 s, the budget is the call timeout', () => {
    expect([DEFAULT_KMS_MAX_ATTEMPTS, DEFAULT_KMS_RETRY_MAX_DELAY_MS]).toEqual([8, 2_000]);
    expect(retrySettingsOf({}, 10_000)).toEqual({
      maxAttempts: 8,
      retryMaxDelayMs: 2_000,
      budgetMs: 10_000,
    });
    expect(retrySettingsOf({ maxAttempts: 3, retryMaxDelayMs: 0 }, 500)).toEqual({
      maxAttempts: 3,
      retryMaxDelayMs: 0,
      budgetMs: 500,
    });
  });

  it('throttling: maxAttempts - 1 retries, full-jitter exponential waits capped by the ceiling', async () => {
    const top = () => 0.999_999; // the largest wait each draw allows
    const strategy = new KmsRetryStrategy(
      { maxAttempts: 6, retryMaxDelayMs: 3_000, budgetMs: 600_000 },
      top,
    );
    // base 500 ms after throttling: min(3000, 500 × 2^retry) × 0.999999, floored.
    expect(await waits(strategy, THROTTLING)).toEqual({
      delays: [999, 1_999, 2_999, 2_999, 2_999],
      stopped: 'no attempts left',
    });
  });

  it('transient errors back off from 100 ms; a draw of 0.5 waits half the window', async () => {
    const strategy = new KmsRetryStrategy(
      { maxAttempts: 5, retryMaxDelayMs: 10_000, budgetMs: 600_000 },
      () => 0.5,
    );
    expect(await waits(strategy, TRANSIENT)).toEqual({
      delays: [100, 200, 400, 800],
      stopped: 'no attempts left',
    });
  });

  it('a client error is never retried; one attempt means no retry', async () => {
    const settings = { maxAttempts: 8, retryMaxDelayMs: 100, budgetMs: 10_000 };
    for (const errorType of ['CLIENT_ERROR', 'SERVER_ERROR']) {
      expect(await waits(new KmsRetryStrategy(settings), { errorType })).toEqual({
        delays: [],
        stopped: 'not retryable',
      });
    }
    const once = new KmsRetryStrategy({ ...settings, maxAttempts: 1 });
    expect(await waits(once, THROTTLING)).toEqual({ delays: [], stopped: 'no attempts left' });
  });

  it('no retry whose wait would end within the reserve before the budget: gives up as throttled', async () => {
    // Budget 2 000 ms, reserve min(1 000, 2 000 / 5) = 400 ms: a wait of 1 999 ms does not fit.
    const strategy = new KmsRetryStrategy(
      { maxAttempts: 50, retryMaxDelayMs: 5_000, budgetMs: 2_000 },
      () => 0.999_999,
    );
    expect(await waits(strategy, THROTTLING)).toEqual({
      delays: [999],
      stopped: 'retry budget spent',
    });
  });

  it('a Retry-After hint is honoured up to the ceiling', async () => {
    const strategy = new KmsRetryStrategy(
      { maxAttempts: 3, retryMaxDelayMs: 1_500, budgetMs: 600_000 },
      () => 0,
    );
    const token = await strategy.acquireInitialRetryToken('');
    const far = await strategy.refreshRetryTokenForRetry(token, {
      ...THROTTLING,
      retryAfterHint: new Date(Date.now() + 60_000),
    });
    expect(far.getRetryDelay()).toBe(1_500);
  });

  it('backoffDelay: a uniform draw below min(ceiling, base × 2^retry)', () => {
    expect(backoffDelay(1, true, 2_000, () => 0)).toBe(0);
    expect(backoffDelay(1, true, 2_000, () => 0.5)).toBe(500);
    expect(backoffDelay(3, true, 2_000, () => 0.5)).toBe(1_000);
    expect(backoffDelay(3, false, 2_000, () => 0.5)).toBe(400);
    expect(backoffDelay(30, false, 250, () => 0.999_999)).toBe(249);
  });

  it('bad settings are refused naming the option', () => {
    const cases: [object, string][] = [
      [{ maxAttempts: 0 }, 'maxAttempts: expected a whole number from 1 to 100, got 0'],
      [{ maxAttempts: 2.5 }, 'maxAttempts: expected a whole number from 1 to 100, got 2.5'],
      [{ maxAttempts: 101 }, 'maxAttempts: expected a whole number from 1 to 100, got 101'],
      [
        { retryMaxDelayMs: -1 },
        'retryMaxDelayMs: expected a non-negative number of milliseconds, got -1',
      ],
      [
        { retryMaxDelayMs: Number.NaN },
        'retryMaxDelayMs: expected a non-negative number of milliseconds, got NaN',
      ],
    ];
    for (const [options, message] of cases) {
      let thrown: unknown;
      try {
        retrySettingsOf(options, 10_000);
      } catch (err) {
        thrown = err;
      }
      expect([(thrown as { code?: string }).code, (thrown as Error).message]).toEqual([
        'ERR_ARGUMENT',
        message,
      ]);
    }
  });
});
