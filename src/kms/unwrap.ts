import { fail } from '../errors.js';
import type { KmsOptions } from './options.js';

/** Unwraps the vault key held by a wrapped key file (spec/kms-key-file.md). */
export async function unwrapKeyFile(
  _bytes: Uint8Array,
  path: string,
  _options: KmsOptions,
): Promise<Uint8Array> {
  return fail(
    'ERR_KMS_KEY_FILE',
    `${path} is a wrapped key file, which this build cannot unwrap yet`,
  );
}
