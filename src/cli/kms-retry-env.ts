/**
 * The KMS retry settings the CLI takes from the environment (docs/kms.md "Fleets"). A leaf: the
 * CLI's shared context imports it, so it must not load anything of kms/ (commands that never
 * unwrap never load KMS code).
 */
import { fail } from '../errors.js';
import type { KmsOptions } from '../kms/options.js';

/** The variable for each retry option of KmsOptions. */
export const KMS_RETRY_ENV = {
  maxAttempts: 'SSCLIENT_KMS_MAX_ATTEMPTS',
  retryMaxDelayMs: 'SSCLIENT_KMS_RETRY_MAX_DELAY_MS',
  timeoutMs: 'SSCLIENT_KMS_TIMEOUT_MS',
} as const;

/**
 * The retry options named in `env` (unset or empty: not named; the library's defaults apply).
 * The ranges are checked where the options are used, with the option's name.
 * @throws SecureStoreError ERR_ARGUMENT naming the variable when a value is not a whole number
 */
export function kmsRetryOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Pick<KmsOptions, 'maxAttempts' | 'retryMaxDelayMs' | 'timeoutMs'> {
  const out: { maxAttempts?: number; retryMaxDelayMs?: number; timeoutMs?: number } = {};
  for (const field of ['maxAttempts', 'retryMaxDelayMs', 'timeoutMs'] as const) {
    const variable = KMS_RETRY_ENV[field];
    const text = env[variable];
    if (text === undefined || text === '') continue;
    if (!/^\d{1,9}$/.test(text)) {
      fail('ERR_ARGUMENT', `${variable}: expected a whole number, got ${JSON.stringify(text)}`);
    }
    out[field] = Number(text);
  }
  return out;
}
