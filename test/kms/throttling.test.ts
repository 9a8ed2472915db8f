/**
 * Throttling, with the real SDK over HTTP against the KMS test server's rate limit
 * (test/kms-server/throttle.ts: a token bucket answering HTTP 400 ThrottlingException "Rate
 * exceeded", as AWS KMS does). The retry rule: a throttled Decrypt is retried with backoff and
 * succeeds; maxAttempts is respected; giving up is ERR_KMS_THROTTLED naming the key and how long
 * it tried. The failover rule: a wrapping in a throttled region gives way, after its retries, to
 * a wrapping in another region. These tests start their own server (its limit and counters are
 * theirs alone) and count requests, never time: the bucket's rates are chosen so that a request
 * that should find it empty does, however slow the machine (npm run fleet measures time).
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/primitives.js';
import {
  formatWrappedKeyFile,
  KeySource,
  SecretsManager,
  unwrapWrappedKey,
  wrapKey,
} from '../../src/index.js';
import type { KmsOptions } from '../../src/kms/options.js';
import type { WrappedKeyFile } from '../../src/kms/wrapped-key-file.js';
import { tempDir } from '../helpers/vaults.js';
import { kmsControlAt, type KmsControl, kmsFailure, kmsOnly } from '../helpers/kms.js';
import {
  ACCOUNT_ID,
  type KmsServer,
  startKmsServer,
  TEST_CREDENTIALS,
} from '../kms-server/server.js';
import { spawnProcess as runSsclient } from '../helpers/cli.js';

let server: KmsServer;
let control: KmsControl;
let kms: KmsOptions;
let childEnv: Record<string, string>;
let dir: string;
let cleanup: () => void;

const EAST = 'us-east-1';
const WEST = 'eu-west-1';
const alias = (region: string): string =>
  `arn:aws:kms:${region}:${ACCOUNT_ID}:alias/securestore-test-1`;
/** A bucket that refills so slowly that, once its one request is taken, it stays empty. */
const EMPTY_AFTER_ONE = { rate: 0.001, burst: 1 };

beforeAll(async () => {
  server = await startKmsServer();
  control = kmsControlAt(server.url);
  kms = { endpoint: server.url };
  const home = tempDir('kms-throttling-home-');
  childEnv = {
    HOME: home.dir,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: EAST,
    AWS_ENDPOINT_URL_KMS: server.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home.dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home.dir, 'none'),
  };
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_')) delete process.env[name];
  Object.assign(process.env, childEnv);
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  await control.reset();
  ({ dir, cleanup } = tempDir('kms-throttling-'));
});
afterEach(() => cleanup());

/** A key wrapped under test key 1 in each of `regions` (in that order), before any limit. */
async function wrapped(regions: string[]): Promise<{ key: Uint8Array; file: WrappedKeyFile }> {
  const key = randomBytes(32);
  const file = await wrapKey(key, { keyIds: regions.map(alias), ...kms });
  await control.resetCounts();
  return { key, file };
}

describe('the retry rule, against the throttling server', () => {
  it('a throttled Decrypt is retried with backoff and succeeds', async () => {
    const { key, file } = await wrapped([EAST]);
    // One token, then one a second: the second unwrap finds the bucket empty (its first
    // attempt comes well within the second), and gets through on a later attempt.
    await control.throttle({ rate: 1, burst: 1 });
    const options = { ...kms, maxAttempts: 50, retryMaxDelayMs: 300, timeoutMs: 30_000 };
    expect(await unwrapWrappedKey(file, 'k.kms.json', options)).toEqual(key);
    expect(await unwrapWrappedKey(file, 'k.kms.json', options)).toEqual(key);
    const stats = await control.throttleStats();
    expect(stats.decryptThrottled).toBeGreaterThanOrEqual(1);
    expect(stats.decryptAnswered).toBe(2);
    // Every Decrypt sent was either answered or throttled: nothing else reached the server.
    expect(stats.decrypt).toBe(2 + stats.decryptThrottled);
    expect((await control.counts())['Decrypt']).toBe(stats.decrypt);
  });

  it('maxAttempts is respected; giving up is ERR_KMS_THROTTLED naming the key and how long it tried', async () => {
    const { key, file } = await wrapped([EAST]);
    await control.throttle(EMPTY_AFTER_ONE);
    expect(await unwrapWrappedKey(file, 'k.kms.json', kms)).toEqual(key); // takes the token
    const err = await kmsFailure(
      unwrapWrappedKey(file, 'k.kms.json', { ...kms, maxAttempts: 3, retryMaxDelayMs: 50 }),
    );
    const arn = kmsOnly(file).wrappings[0]!.keyArn;
    expect(err.code).toBe('ERR_KMS_THROTTLED');
    expect(err.kmsKey).toBe(arn);
    expect(err.message).toMatch(
      new RegExp(
        `^KMS key ${arn.replace(/[/.]/g, '\\$&')}: KMS in us-east-1 is throttling requests \\(still after 3 attempts over \\d+\\.\\d s\\); retry later or raise the KMS request quota$`,
      ),
    );
    expect(await control.throttleStats()).toMatchObject({
      decrypt: 4,
      decryptThrottled: 3,
      decryptAnswered: 1,
    });
  });

  it('the retry settings reach every client: maxAttempts 1 sends one Decrypt', async () => {
    const { file } = await wrapped([EAST]);
    await control.throttle(EMPTY_AFTER_ONE);
    await unwrapWrappedKey(file, 'k.kms.json', kms);
    const err = await kmsFailure(unwrapWrappedKey(file, 'k.kms.json', { ...kms, maxAttempts: 1 }));
    expect(err.code).toBe('ERR_KMS_THROTTLED');
    expect(err.message).toMatch(/\(still after 1 attempts over \d+\.\d s\)/);
    expect((await control.throttleStats()).decryptThrottled).toBe(1);
  });

  it('bad retry settings are refused before any KMS call, naming the option', async () => {
    const { file } = await wrapped([EAST]);
    for (const [options, message] of [
      [{ maxAttempts: 0 }, 'maxAttempts: expected a whole number from 1 to 100, got 0'],
      [
        { retryMaxDelayMs: -5 },
        'retryMaxDelayMs: expected a non-negative number of milliseconds, got -5',
      ],
    ] as const) {
      let thrown: unknown;
      await unwrapWrappedKey(file, 'k.kms.json', { ...kms, ...options }).catch((err: unknown) => {
        thrown = err;
      });
      expect([(thrown as { code?: string }).code, (thrown as Error).message]).toEqual([
        'ERR_ARGUMENT',
        message,
      ]);
    }
    expect((await control.counts())['Decrypt']).toBeUndefined();
  });
});

describe('the failover rule: a throttled region gives way to the next wrapping', () => {
  it('us-east-1 throttled, eu-west-1 not: after its retries in us-east-1 the key comes from eu-west-1', async () => {
    const { key, file } = await wrapped([EAST, WEST]);
    await control.throttle({ ...EMPTY_AFTER_ONE, regions: [EAST] });
    // The first unwrap gets us-east-1's one token; the second is throttled there and fails over.
    expect(await unwrapWrappedKey(file, 'k.kms.json', kms)).toEqual(key);
    const options = { ...kms, maxAttempts: 3, retryMaxDelayMs: 50 };
    expect(await unwrapWrappedKey(file, 'k.kms.json', options)).toEqual(key);
    const stats = await control.throttleStats();
    expect(stats.regions).toEqual({
      [EAST]: { decrypt: 4, decryptThrottled: 3, throttled: 3, decryptAnswered: 1 },
      [WEST]: { decrypt: 1, decryptThrottled: 0, throttled: 0, decryptAnswered: 1 },
    });
  });

  it('both regions throttled: one error listing each wrapping, both ERR_KMS_THROTTLED', async () => {
    const { file } = await wrapped([EAST, WEST]);
    await control.throttle({ rate: 0.001, burst: 1 });
    await unwrapWrappedKey(file, 'k.kms.json', kms); // us-east-1's token
    await unwrapWrappedKey(file, 'k.kms.json', { ...kms, region: WEST }); // eu-west-1's
    const err = await kmsFailure(
      unwrapWrappedKey(file, 'k.kms.json', { ...kms, maxAttempts: 2, retryMaxDelayMs: 50 }),
    );
    expect(err.code).toBe('ERR_KMS_THROTTLED');
    expect(err.failures.map((f) => [f.code, f.kmsKey])).toEqual([
      ['ERR_KMS_THROTTLED', kmsOnly(file).wrappings[0]!.keyArn],
      ['ERR_KMS_THROTTLED', kmsOnly(file).wrappings[1]!.keyArn],
    ]);
    expect(err.message).toMatch(
      /^cannot unwrap the key in k\.kms\.json: none of its 2 wrappings worked: \(1\) KMS key arn:aws:kms:us-east-1:\S+: KMS in us-east-1 is throttling requests \(still after 2 attempts over \d+\.\d s\); retry later or raise the KMS request quota; \(2\) KMS key arn:aws:kms:eu-west-1:\S+: KMS in eu-west-1 is throttling requests \(still after 2 attempts over \d+\.\d s\); retry later or raise the KMS request quota$/,
    );
  });

  it('a real process (ssclient get) opens through eu-west-1', async () => {
    const { key, file } = await wrapped([EAST, WEST]);
    const vaultPath = join(dir, 'secrets.json');
    const keyFile = join(dir, 'secrets.kms.json');
    writeFileSync(keyFile, formatWrappedKeyFile(file));
    const vault = await SecretsManager.create(KeySource.fromKey(key));
    vault.set('db', 'hunter2');
    await vault.saveAs(vaultPath);
    vault.close();
    await control.throttle({ rate: 0.001, burst: 1, regions: [EAST] });
    await unwrapWrappedKey(file, 'k.kms.json', kms); // us-east-1's token
    // The CLI reads the retry settings from the environment.
    const r = await runSsclient(['-k', 'secrets.kms.json', 'get', 'db'], {
      cwd: dir,
      timeoutMs: 60_000,
      env: { ...childEnv, SSCLIENT_KMS_MAX_ATTEMPTS: '2', SSCLIENT_KMS_RETRY_MAX_DELAY_MS: '50' },
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'hunter2\n', '']);
    expect((await control.throttleStats()).regions).toMatchObject({
      [EAST]: { decryptThrottled: 2, decryptAnswered: 1 },
      [WEST]: { decryptThrottled: 0, decryptAnswered: 1 },
    });
  });
});

describe('the CLI: the retry settings from the environment, giving up in one line', () => {
  it('SSCLIENT_KMS_MAX_ATTEMPTS=2: two Decrypts, exit 4, one line naming the key and the time', async () => {
    const { key, file } = await wrapped([EAST]);
    writeFileSync(join(dir, 'secrets.kms.json'), formatWrappedKeyFile(file));
    const vault = await SecretsManager.create(KeySource.fromKey(key));
    await vault.saveAs(join(dir, 'secrets.json'));
    vault.close();
    await control.throttle(EMPTY_AFTER_ONE);
    await unwrapWrappedKey(file, 'k.kms.json', kms);
    const r = await runSsclient(['-k', 'secrets.kms.json', 'get', 'db'], {
      cwd: dir,
      timeoutMs: 60_000,
      env: { ...childEnv, SSCLIENT_KMS_MAX_ATTEMPTS: '2', SSCLIENT_KMS_RETRY_MAX_DELAY_MS: '50' },
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error: KMS key arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]+: KMS in us-east-1 is throttling requests \(still after 2 attempts over \d+\.\d s\); retry later or raise the KMS request quota\n$/,
    );
    expect((await control.throttleStats()).decryptThrottled).toBe(2);
  });

  it('a retry variable that is not a whole number: exit 2, one line naming it', async () => {
    const { key, file } = await wrapped([EAST]);
    writeFileSync(join(dir, 'secrets.kms.json'), formatWrappedKeyFile(file));
    const vault = await SecretsManager.create(KeySource.fromKey(key));
    await vault.saveAs(join(dir, 'secrets.json'));
    vault.close();
    const r = await runSsclient(['-k', 'secrets.kms.json', 'get', 'db'], {
      cwd: dir,
      timeoutMs: 60_000,
      env: { ...childEnv, SSCLIENT_KMS_MAX_ATTEMPTS: 'many' },
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      '',
      'error: SSCLIENT_KMS_MAX_ATTEMPTS: expected a whole number, got "many"\n',
    ]);
    expect((await control.counts())['Decrypt']).toBeUndefined();
  });
});
