/**
 * KMS failures and call counts, with the real SDK over HTTP. These tests start their own KMS test
 * server (test/kms-server/server.ts) in this worker, so that their faults, key states and request
 * counts are theirs alone while other test files use the shared one. Child processes are spawned
 * asynchronously so that this worker's server keeps answering.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/primitives.js';
import {
  formatWrappedKeyFile,
  KeySource,
  SecretsManager,
  wrapKey as wrapAny,
} from '../../src/index.js';
import type { KmsOptions } from '../../src/kms/options.js';
import {
  ACCOUNT_ID,
  type Fault,
  type KmsServer,
  startKmsServer,
  TEST_CREDENTIALS,
} from '../kms-server/server.js';
import { kmsFailure, kmsOnly } from '../helpers/kms.js';
import { spawnProcess, spawnProcess as runSsclient } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

/** wrapKey, its result typed as KMS wrappings only (it is checked to be). */
const wrapKey = async (...args: Parameters<typeof wrapAny>) => kmsOnly(await wrapAny(...args));

let server: KmsServer;
let kms: KmsOptions;
let childEnv: Record<string, string>;
let dir: string;
let cleanup: () => void;

async function control<T = unknown>(action: string, body: object = {}): Promise<T> {
  const response = await fetch(`${server.url}/__control/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control ${action}: HTTP ${response.status}`);
  return (await response.json()) as T;
}
const fault = (f: Fault): Promise<unknown> => control('fault', f);
const decrypts = async (): Promise<number> =>
  (await control<Record<string, number>>('counts'))['Decrypt'] ?? 0;

beforeAll(async () => {
  server = await startKmsServer();
  kms = { endpoint: server.url, region: 'us-east-1' };
  const home = tempDir('kms-faults-home-');
  childEnv = {
    HOME: home.dir,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_KMS: server.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home.dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home.dir, 'none'),
  };
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_')) delete process.env[name];
  Object.assign(process.env, childEnv, {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  await control('reset');
  ({ dir, cleanup } = tempDir('kms-faults-'));
});
afterEach(() => cleanup());

/** A vault with secret db=hunter2 and its wrapped key file under `keyIds`. */
async function kmsVault(
  keyIds: string[],
): Promise<{ vault: string; keyFile: string; arns: string[] }> {
  const key = randomBytes(32);
  const file = await wrapKey(key, { keyIds, ...kms });
  const keyFile = join(dir, 'secrets.kms.json');
  writeFileSync(keyFile, formatWrappedKeyFile(file));
  const vault = join(dir, 'secrets.json');
  const manager = await SecretsManager.create({ key });
  manager.set('db', 'hunter2');
  await manager.saveAs(vault);
  manager.close();
  return { vault, keyFile, arns: file.wrappings.map((w) => w.keyArn) };
}

const EU_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT_ID}:alias/securestore-test-1`;

describe('failover across regions', () => {
  it('an unreachable first region falls over to the second wrapping (library)', async () => {
    const { vault, keyFile, arns } = await kmsVault([EU_KEY, 'alias/securestore-test-1']);
    expect(arns[0]).toMatch(/^arn:aws:kms:eu-west-1:/);
    await fault({ region: 'eu-west-1', dropConnection: true });
    const opened = await SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms));
    expect(opened.get('db')).toBe('hunter2');
    opened.close();
  });

  it('an unreachable first region falls over to the second wrapping (real process)', async () => {
    await kmsVault([EU_KEY, 'alias/securestore-test-1']);
    await fault({ region: 'eu-west-1', dropConnection: true });
    const r = await spawnProcess(['-k', 'secrets.kms.json', 'get', 'db'], {
      cwd: dir,
      env: childEnv,
    });
    expect(r).toMatchObject({ code: 0, stdout: 'hunter2\n', stderr: '' });
  });

  it('every region unreachable: exit 4, one line naming both keys', async () => {
    const { arns } = await kmsVault([EU_KEY, 'alias/securestore-test-1']);
    await fault({ dropConnection: true, operation: 'Decrypt' });
    const r = await spawnProcess(['-k', 'secrets.kms.json', 'get', 'db'], {
      cwd: dir,
      env: childEnv,
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    const line = `cannot unwrap the key in ${join(dir, 'secrets.kms.json')}: none of its 2 wrappings worked: (1) KMS key ${arns[0]}: cannot reach KMS in eu-west-1 (ECONNRESET); check the network, the region and the endpoint (--kms-endpoint, AWS_ENDPOINT_URL_KMS); (2) KMS key ${arns[1]}: cannot reach KMS in us-east-1 (ECONNRESET); check the network, the region and the endpoint (--kms-endpoint, AWS_ENDPOINT_URL_KMS)`;
    expect(r.stderr).toBe(`error: ${line}\n`);
  });
});

describe('key states', () => {
  it('a disabled key: ERR_KMS_DISABLED; enabled again, it works', async () => {
    const { keyId, arn } = await control<{ keyId: string; arn: string }>('create-key', {});
    const { vault, keyFile } = await kmsVault([keyId]);
    await control('key-state', { key: arn, state: 'Disabled' });
    const err = await kmsFailure(
      SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms)),
    );
    expect([err.code, err.message]).toEqual([
      'ERR_KMS_DISABLED',
      `KMS key ${arn} is disabled; enable it in KMS in us-east-1, or use another wrapping`,
    ]);
    await control('key-state', { key: arn, state: 'PendingDeletion' });
    const pending = await kmsFailure(
      SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms)),
    );
    expect([pending.code, pending.message]).toEqual([
      'ERR_KMS_DISABLED',
      `KMS key ${arn} is pending deletion or not usable in its current state; cancel the deletion in KMS in us-east-1, or use another wrapping`,
    ]);
    await control('key-state', { key: arn, state: 'Enabled' });
    const opened = await SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms));
    expect(opened.get('db')).toBe('hunter2');
    opened.close();
  });

  it('never falls back to another key source: a password in the environment is not used', async () => {
    const password = 'correct horse battery';
    const made = await spawnProcess(['create', '-p', password], { cwd: dir, env: childEnv });
    expect(made.code).toBe(0);
    const { arn } = await control<{ keyId: string; arn: string }>('create-key', {});
    const exported = await spawnProcess(
      ['-p', password, 'export-key', '--kms', arn, 'secrets.kms.json'],
      {
        cwd: dir,
        env: childEnv,
      },
    );
    expect(exported).toMatchObject({ code: 0, stdout: '' });
    await control('key-state', { key: arn, state: 'Disabled' });
    const r = await spawnProcess(['-k', 'secrets.kms.json', 'get', '--all'], {
      cwd: dir,
      env: { ...childEnv, SSCLIENT_PASSWORD: password },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `error: KMS key ${arn} is disabled; enable it in KMS in us-east-1, or use another wrapping\n`,
    );
  });
});

describe('the KMS server down, slow or throttling', () => {
  it('server down: ERR_KMS_UNREACHABLE naming the endpoint', async () => {
    const { keyFile } = await kmsVault(['alias/securestore-test-1']);
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const err = await kmsFailure(
      KeySource.fromKmsFile(keyFile, { endpoint }).keyFor(new Uint8Array(16)),
    );
    expect(err.code).toBe('ERR_KMS_UNREACHABLE');
    expect(err.message).toMatch(
      new RegExp(
        `: cannot reach KMS in us-east-1 at ${endpoint} \\(ECONNREFUSED\\); check the network`,
      ),
    );
  });

  it('server down, real process: exit 4, one line, no stack trace', async () => {
    await kmsVault(['alias/securestore-test-1']);
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const r = await spawnProcess(
      ['--kms-endpoint', endpoint, '-k', 'secrets.kms.json', 'get', 'db'],
      {
        cwd: dir,
        env: childEnv,
      },
    );
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(
      /^error: KMS key arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]+: cannot reach KMS in us-east-1 at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
  });

  it('server slow: ERR_KMS_TIMEOUT after timeoutMs', async () => {
    const { keyFile, arns } = await kmsVault(['alias/securestore-test-1']);
    await fault({ operation: 'Decrypt', delayMs: 60_000 });
    const err = await kmsFailure(
      KeySource.fromKmsFile(keyFile, { ...kms, timeoutMs: 300 }).keyFor(new Uint8Array(16)),
    );
    expect([err.code, err.message]).toEqual([
      'ERR_KMS_TIMEOUT',
      `KMS key ${arns[0]}: KMS in us-east-1 did not answer within 300 ms; check the network and the endpoint`,
    ]);
  });

  it('an AbortSignal cancels a slow call: ERR_KMS_ABORTED', async () => {
    const { keyFile } = await kmsVault(['alias/securestore-test-1']);
    await fault({ operation: 'Decrypt', delayMs: 60_000 });
    const controller = new AbortController();
    const pending = KeySource.fromKmsFile(keyFile, { ...kms, signal: controller.signal }).keyFor(
      new Uint8Array(16),
    );
    setTimeout(() => controller.abort(), 100);
    expect((await kmsFailure(pending)).code).toBe('ERR_KMS_ABORTED');
  });

  it('throttled twice, then answered: the SDK retries with backoff and the open succeeds', async () => {
    const { vault, keyFile } = await kmsVault(['alias/securestore-test-1']);
    await control('reset-counts');
    await fault({ operation: 'Decrypt', error: 'ThrottlingException', times: 2 });
    const opened = await SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms));
    expect(opened.get('db')).toBe('hunter2');
    opened.close();
    expect(await decrypts()).toBe(3);
  });

  it('throttled on every attempt: ERR_KMS_THROTTLED after the retries', async () => {
    const { keyFile, arns } = await kmsVault(['alias/securestore-test-1']);
    await control('reset-counts');
    await fault({ operation: 'Decrypt', error: 'ThrottlingException' });
    // Three attempts, as the SDK's default was when this test was written (ours is 8).
    const options = { ...kms, maxAttempts: 3, retryMaxDelayMs: 100 };
    const err = await kmsFailure(
      KeySource.fromKmsFile(keyFile, options).keyFor(new Uint8Array(16)),
    );
    expect([err.code, err.message.replace(/ over \d+\.\d s\)/, ' over N s)')]).toEqual([
      'ERR_KMS_THROTTLED',
      `KMS key ${arns[0]}: KMS in us-east-1 is throttling requests (still after 3 attempts over N s); retry later or raise the KMS request quota`,
    ]);
    expect(await decrypts()).toBe(3);
  });
});

describe('exactly one Decrypt per wrapped key file per process', () => {
  it('library: any number of opens and key sources of one file make one Decrypt; dispose forgets the key', async () => {
    const { vault, keyFile } = await kmsVault([
      'alias/securestore-test-1',
      'alias/securestore-test-2',
    ]);
    await control('reset-counts');
    const first = KeySource.fromKmsFile(keyFile, kms);
    const second = KeySource.fromFile(keyFile, { kms });
    const opens = await Promise.all([
      SecretsManager.fromFile(vault, first),
      SecretsManager.fromFile(vault, second),
    ]);
    opens.push(await SecretsManager.fromFile(vault, first));
    await SecretsManager.update(vault, second, (v) => v.set('x', 'y'));
    for (const v of opens) {
      expect(v.get('db')).toBe('hunter2');
      v.close();
    }
    expect(await decrypts()).toBe(1);
    first.dispose();
    second.dispose();
    const again = await SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms));
    again.close();
    expect(await decrypts()).toBe(2);
  });

  it('real processes: set, get, get --all and delete each make exactly one Decrypt', async () => {
    await kmsVault(['alias/securestore-test-1']);
    const runs: [string[], string][] = [
      [['-k', 'secrets.kms.json', 'set', 'api', 'k3y'], ''],
      [['-k', 'secrets.kms.json', 'get', 'api'], 'k3y\n'],
      [['-k', 'secrets.kms.json', 'get', '--all', '--format', 'text'], 'api: k3y\ndb: hunter2\n'],
      [['-k', 'secrets.kms.json', 'delete', 'api'], ''],
    ];
    for (const [argv, stdout] of runs) {
      await control('reset-counts');
      const r = await spawnProcess(argv, { cwd: dir, env: childEnv });
      expect({ argv, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        argv,
        code: 0,
        stdout,
        stderr: '',
      });
      expect(await decrypts()).toBe(1);
    }
  });
});

describe('the unwrap cache serves only the KMS identity that unwrapped (issue 14 item 5)', () => {
  /** Runs `fn` with the environment changed as `env` says (undefined: removed), then restores it. */
  async function withEnv<T>(
    env: Record<string, string | undefined>,
    fn: () => Promise<T>,
  ): Promise<T> {
    const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    const apply = (values: Record<string, string | undefined>): void => {
      for (const [name, value] of Object.entries(values)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
    apply(env);
    try {
      return await fn();
    } finally {
      apply(saved);
    }
  }

  it('close() of a vault opened with { keyFile } drops its key: a reopen asks KMS again', async () => {
    const { vault, keyFile } = await kmsVault(['alias/securestore-test-1']);
    await control('reset-counts');
    const first = await SecretsManager.fromFile(vault, { keyFile, kms });
    expect(first.get('db')).toBe('hunter2');
    first.close();
    const second = await SecretsManager.fromFile(vault, { keyFile, kms });
    second.close();
    await SecretsManager.update(vault, { keyFile, kms }, (v) => v.set('x', 'y'));
    expect(await decrypts()).toBe(3);
  });

  it('another profile, endpoint, region, client or environment is never served from the cache', async () => {
    const { vault, keyFile } = await kmsVault(['alias/securestore-test-1']);
    await control('reset-counts');
    // Holds the key unwrapped with the default chain until disposed at the end.
    const holder = KeySource.fromKmsFile(keyFile, kms);
    (await SecretsManager.fromFile(vault, holder)).close();
    expect(await decrypts()).toBe(1);

    // A profile that does not exist: as in a fresh process, no credentials.
    const noProfile = await kmsFailure(
      SecretsManager.fromFile(vault, { keyFile, kms: { ...kms, profile: 'nobody' } }),
    );
    expect(noProfile.code).toBe('ERR_KMS_NO_CREDENTIALS');
    // An endpoint where nothing listens.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await kmsFailure(
      SecretsManager.fromFile(vault, { keyFile, kms: { ...kms, endpoint: nowhere } }),
    );
    expect(unreachable.code).toBe('ERR_KMS_UNREACHABLE');
    // Credentials in the environment that KMS rejects.
    const rejected = await withEnv({ AWS_ACCESS_KEY_ID: 'AKIDINVALID000000000' }, () =>
      kmsFailure(SecretsManager.fromFile(vault, KeySource.fromKmsFile(keyFile, kms))),
    );
    expect(rejected.code).toBe('ERR_KMS_ACCESS_DENIED');
    // An injected client with credentials KMS rejects.
    const { KMSClient } = await import('@aws-sdk/client-kms');
    const stranger = new KMSClient({
      region: 'us-east-1',
      endpoint: server.url,
      credentials: { accessKeyId: 'AKIDINVALID111111111', secretAccessKey: 'x' },
    });
    try {
      const refused = await kmsFailure(
        SecretsManager.fromFile(vault, { keyFile, kms: { client: stranger } }),
      );
      expect(refused.code).toBe('ERR_KMS_ACCESS_DENIED');
    } finally {
      stranger.destroy();
    }
    // Another region option: allowed, but KMS decides (a Decrypt of its own).
    const before = await decrypts();
    const other = KeySource.fromKmsFile(keyFile, { ...kms, region: 'eu-west-1' });
    (await SecretsManager.fromFile(vault, other)).close();
    other.dispose();
    expect(await decrypts()).toBe(before + 1);
    // The holder's own options still hit its cached key.
    (await SecretsManager.fromFile(vault, holder)).close();
    expect(await decrypts()).toBe(before + 1);
    holder.dispose();
  });
});

describe('a KMS client per region (issue 14 item 6)', () => {
  it('clientForRegion: custom credentials with failover across regions', async () => {
    const { vault, keyFile, arns } = await kmsVault([EU_KEY, 'alias/securestore-test-1']);
    const { KMSClient } = await import('@aws-sdk/client-kms');
    const asked: (string | undefined)[] = [];
    const made: InstanceType<typeof KMSClient>[] = [];
    const clientForRegion = (region: string | undefined): InstanceType<typeof KMSClient> => {
      asked.push(region);
      const client = new KMSClient({
        ...(region === undefined ? {} : { region }),
        endpoint: server.url,
        credentials: TEST_CREDENTIALS,
      });
      made.push(client);
      return client;
    };
    try {
      await fault({ region: 'eu-west-1', dropConnection: true });
      // The environment's credentials are rejected: only the factory's clients can succeed.
      const opened = await withRejectedEnv(() =>
        SecretsManager.fromFile(vault, { keyFile, kms: { clientForRegion } }),
      );
      expect(opened.get('db')).toBe('hunter2');
      opened.close();
      expect(asked).toEqual(['eu-west-1', 'us-east-1']);
      expect(arns[0]).toMatch(/^arn:aws:kms:eu-west-1:/);
    } finally {
      for (const client of made) client.destroy();
    }
  });

  it('a single client is sent every wrapping, whatever its region (as documented)', async () => {
    const { vault, keyFile } = await kmsVault([EU_KEY]);
    const { KMSClient } = await import('@aws-sdk/client-kms');
    const us = new KMSClient({ region: 'us-east-1', endpoint: server.url });
    const eu = new KMSClient({ region: 'eu-west-1', endpoint: server.url });
    try {
      const wrong = await kmsFailure(
        SecretsManager.fromFile(vault, { keyFile, kms: { client: us } }),
      );
      expect(wrong.code).toBe('ERR_KMS_NOT_FOUND');
      const byRegion = {
        clientForRegion: (r: string | undefined) => (r === 'eu-west-1' ? eu : us),
      };
      const opened = await SecretsManager.fromFile(vault, { keyFile, kms: byRegion });
      expect(opened.get('db')).toBe('hunter2');
      opened.close();
    } finally {
      us.destroy();
      eu.destroy();
    }
  });

  it('client and clientForRegion together are refused', async () => {
    const { keyFile } = await kmsVault(['alias/securestore-test-1']);
    const client = { send: async () => ({}) };
    await expect(
      KeySource.fromKmsFile(keyFile, { client, clientForRegion: () => client }).keyFor(
        new Uint8Array(16),
      ),
    ).rejects.toThrow('give KmsOptions.client or KmsOptions.clientForRegion, not both');
  });
});

async function withRejectedEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env['AWS_ACCESS_KEY_ID'];
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDINVALID222222222';
  try {
    return await fn();
  } finally {
    process.env['AWS_ACCESS_KEY_ID'] = saved;
  }
}

describe('each KMS error, as the real SDK parses it off the wire, maps to its code', () => {
  const cases: [string, string][] = [
    ['AccessDeniedException', 'ERR_KMS_ACCESS_DENIED'],
    ['UnrecognizedClientException', 'ERR_KMS_ACCESS_DENIED'],
    ['InvalidSignatureException', 'ERR_KMS_ACCESS_DENIED'],
    ['NotFoundException', 'ERR_KMS_NOT_FOUND'],
    ['DisabledException', 'ERR_KMS_DISABLED'],
    ['KMSInvalidStateException', 'ERR_KMS_DISABLED'],
    ['InvalidCiphertextException', 'ERR_KMS_CIPHERTEXT'],
    ['IncorrectKeyException', 'ERR_KMS_WRONG_KEY'],
    ['ThrottlingException', 'ERR_KMS_THROTTLED'],
    ['KMSInternalException', 'ERR_KMS_UNREACHABLE'],
    ['KeyUnavailableException', 'ERR_KMS_UNREACHABLE'],
    ['DependencyTimeoutException', 'ERR_KMS_UNREACHABLE'],
    ['SomeFutureException', 'ERR_KMS'],
  ];
  it.each(cases)('%s → %s', async (error, code) => {
    const { keyFile, arns } = await kmsVault(['alias/securestore-test-1']);
    await fault({ operation: 'Decrypt', error });
    const err = await kmsFailure(KeySource.fromKmsFile(keyFile, kms).keyFor(new Uint8Array(16)));
    expect([err.code, err.kmsKey]).toEqual([code, arns[0]]);
    expect(err.message.startsWith(`KMS key ${arns[0]}`)).toBe(true);
  });

  it('an HTML 502 page from a proxy: ERR_KMS_UNREACHABLE, not ERR_KMS (issue 14 item 17)', async () => {
    const { keyFile, arns } = await kmsVault(['alias/securestore-test-1']);
    await fault({ operation: 'Decrypt', rawBody: '<html><h1>502 Bad Gateway</h1></html>' });
    const err = await kmsFailure(KeySource.fromKmsFile(keyFile, kms).keyFor(new Uint8Array(16)));
    expect([err.code, err.message]).toEqual([
      'ERR_KMS_UNREACHABLE',
      `KMS key ${arns[0]}: KMS in us-east-1 at ${server.url} answered HTTP 502 without a KMS reply (a proxy or gateway in between?); retry later, or check the network and the endpoint (KmsOptions.endpoint, AWS_ENDPOINT_URL_KMS)`,
    ]);
    // The CLI words the same failure with its own flags.
    const r = await runSsclient(['-k', 'secrets.kms.json', 'get', 'db'], {
      cwd: dir,
      env: childEnv,
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      4,
      '',
      `error: KMS key ${arns[0]}: KMS in us-east-1 answered HTTP 502 without a KMS reply (a proxy or gateway in between?); retry later, or check the network and the endpoint (--kms-endpoint, AWS_ENDPOINT_URL_KMS)\n`,
    ]);
  });

  it('credentials the server does not know, as a real process: exit 4, one line', async () => {
    const { arns } = await kmsVault(['alias/securestore-test-1']);
    const r = await spawnProcess(['-k', 'secrets.kms.json', 'get', 'db'], {
      cwd: dir,
      env: { ...childEnv, AWS_ACCESS_KEY_ID: 'AKIDINVALID000000000' },
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      4,
      '',
      `error: KMS key ${arns[0]}: KMS in us-east-1 rejected the AWS credentials (UnrecognizedClientException); check the profile, the keys or the session token\n`,
    ]);
  });
});

describe('concurrent edits of one wrapped key file', () => {
  it('two kms add at once both land (the file is edited under its lock)', async () => {
    await kmsVault(['alias/securestore-test-1']);
    const a = await control<{ arn: string }>('create-key', {});
    const b = await control<{ arn: string }>('create-key', {});
    const [ra, rb] = await Promise.all([
      spawnProcess(['kms', 'add', a.arn], { cwd: dir, env: childEnv }),
      spawnProcess(['kms', 'add', b.arn], { cwd: dir, env: childEnv }),
    ]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const list = await spawnProcess(['kms', 'list', '--json'], { cwd: dir, env: childEnv });
    const arns = (JSON.parse(list.stdout) as { keyArn: string }[]).map((w) => w.keyArn);
    expect(arns).toHaveLength(3);
    expect(arns.slice(1).sort()).toEqual([a.arn, b.arn].sort());
  });
});

/** A port on 127.0.0.1 with nothing listening (taken, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
