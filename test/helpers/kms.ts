/**
 * Where the KMS tests send their requests: the local KMS test server started by
 * test/kms-server/global-setup.ts, or an external KMS-compatible endpoint named by
 * `SECURESTORE_TEST_KMS_ENDPOINT` (with `SECURESTORE_TEST_KMS_KEY` / `SECURESTORE_TEST_KMS_KEY2`
 * and the usual AWS credential variables). See docs/kms-test-server.md.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { KmsError } from '../../src/kms/kms-errors.js';
import {
  isKmsWrapping,
  type KmsWrapping,
  parseWrappedKeyFile,
  type WrappedKeyFile,
} from '../../src/kms/wrapped-key-file.js';
import { type Fault, TEST_ALIASES, TEST_CREDENTIALS } from '../kms-server/server.js';
import type { ThrottleOptions, ThrottleStats } from '../kms-server/throttle.js';

export interface KmsTarget {
  /** Local server URL, or SECURESTORE_TEST_KMS_ENDPOINT. */
  endpoint: string;
  /** 'us-east-1' locally; AWS_REGION (default us-east-1) when external. */
  region: string;
  /** 'alias/securestore-test-1' locally; SECURESTORE_TEST_KMS_KEY when external. */
  key1: string;
  /** 'alias/securestore-test-2' locally; SECURESTORE_TEST_KMS_KEY2 when external. */
  key2: string;
  /** True when it is our server (the control API is available). */
  local: boolean;
  /**
   * Environment for child processes: AWS credentials (dummy locally), AWS_REGION,
   * AWS_ENDPOINT_URL_KMS, AWS_EC2_METADATA_DISABLED=true, and nothing from ~/.aws.
   */
  env: Record<string, string>;
}

/** A path that does not exist, so that the SDK reads no ~/.aws config or credentials file. */
const NO_AWS_FILE = join(tmpdir(), 'securestore-test-no-aws-config-file');

/** Credential variables passed through to child processes when the target is external. */
const EXTERNAL_PASS_THROUGH = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
] as const;

/** The KMS endpoint, region and two keys the tests use. */
export function kmsTarget(): KmsTarget {
  const external = process.env['SECURESTORE_TEST_KMS_ENDPOINT'];
  if (external) {
    const key1 = process.env['SECURESTORE_TEST_KMS_KEY'];
    const key2 = process.env['SECURESTORE_TEST_KMS_KEY2'];
    if (!key1 || !key2) {
      throw new Error(
        'SECURESTORE_TEST_KMS_ENDPOINT is set: also set SECURESTORE_TEST_KMS_KEY and SECURESTORE_TEST_KMS_KEY2 to two existing KMS keys (e.g. alias/securestore-test-1)',
      );
    }
    const region = process.env['AWS_REGION'] || 'us-east-1';
    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_ENDPOINT_URL_KMS: external,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    for (const name of EXTERNAL_PASS_THROUGH) {
      const value = process.env[name];
      if (value) env[name] = value;
    }
    return { endpoint: external, region, key1, key2, local: false, env };
  }
  const endpoint = process.env['SECURESTORE_KMS_LOCAL_ENDPOINT'];
  if (!endpoint) {
    throw new Error(
      'the KMS test server is not running: run the tests through vitest (test/kms-server/global-setup.ts starts it)',
    );
  }
  return {
    endpoint,
    region: 'us-east-1',
    key1: TEST_ALIASES[0],
    key2: TEST_ALIASES[1],
    local: true,
    env: {
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_KMS: endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      // The SDK's "Node 22 needed from 2027" warning would otherwise land in every stderr.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_CONFIG_FILE: NO_AWS_FILE,
      AWS_SHARED_CREDENTIALS_FILE: NO_AWS_FILE,
    },
  };
}

/** The control API of the KMS test server at `endpoint` (for private servers from startKmsServer). */
export function kmsControlAt(endpoint: string): KmsControl {
  return controlApi(() => endpoint);
}

/** The shared local server's control API (tests that use it: `describe.skipIf(!kmsTarget().local)`). */
export const kmsControl: KmsControl = controlApi(() => {
  const target = kmsTarget();
  if (!target.local) throw new Error('only the local KMS test server has a control API');
  return target.endpoint;
});

/** A fault for the local server's control API (the server's own type). */
export type KmsFault = Fault;

export interface KmsControl {
  createKey(o?: { region?: string; alias?: string }): Promise<{ keyId: string; arn: string }>;
  setKeyState(
    key: string,
    state: 'Enabled' | 'Disabled' | 'PendingDeletion',
    region?: string,
  ): Promise<void>;
  fault(f: KmsFault): Promise<void>;
  clearFaults(): Promise<void>;
  /**
   * Requests per operation since the last reset; with `key`, only the requests that named that
   * key (safe while other test files use the shared server).
   */
  counts(o?: { key?: string; region?: string }): Promise<Record<string, number>>;
  resetCounts(): Promise<void>;
  reset(): Promise<void>;
  /** Limits the cryptographic operations to a request rate (test/kms-server/throttle.ts). */
  throttle(limit: ThrottleOptions): Promise<void>;
  clearThrottle(): Promise<void>;
  /** What the limit did since the counts were last reset. */
  throttleStats(): Promise<ThrottleStats>;
}

function controlApi(endpoint: () => string): KmsControl {
  async function control<T>(action: string, body: object = {}): Promise<T> {
    const response = await fetch(`${endpoint()}/__control/${action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const reply = (await response.json()) as T & { error?: string };
    if (!response.ok) {
      throw new Error(`kmsControl.${action}: ${reply.error ?? `HTTP ${response.status}`}`);
    }
    return reply;
  }
  return {
    createKey: (o = {}) => control('create-key', o),
    async setKeyState(key, state, region) {
      await control('key-state', region === undefined ? { key, state } : { key, state, region });
    },
    async fault(f) {
      await control('fault', f);
    },
    async clearFaults() {
      await control('clear-faults');
    },
    counts: (o = {}) => control('counts', o),
    async resetCounts() {
      await control('reset-counts');
    },
    async reset() {
      await control('reset');
    },
    async throttle(limit) {
      await control('throttle', limit);
    },
    async clearThrottle() {
      await control('clear-throttle');
    },
    throttleStats: () => control('throttle-stats'),
  };
}

/** The KmsError that `promise` rejects with; anything else (or no rejection) fails the test. */
export async function kmsFailure(promise: Promise<unknown>): Promise<KmsError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KmsError) return err;
    throw err;
  }
  throw new Error('expected a KmsError, and the promise resolved');
}

/**
 * `file`, typed as holding only KMS wrappings (spec/kms-key-file.md §5), which the KMS tests
 * read fields of; fails when it holds any other (an age wrapping, §10).
 */
export function kmsOnly(file: WrappedKeyFile): WrappedKeyFile<KmsWrapping> {
  if (!file.wrappings.every(isKmsWrapping)) throw new Error('expected only KMS wrappings');
  return file as WrappedKeyFile<KmsWrapping>;
}

/** {@link parseWrappedKeyFile} for a file that must hold only KMS wrappings. */
export function parseKmsOnly(bytes: Uint8Array, source: string): WrappedKeyFile<KmsWrapping> {
  return kmsOnly(parseWrappedKeyFile(bytes, source));
}
