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
import { formatWrappedKeyFile, KeySource, SecretsManager, wrapKey } from '../../src/index.js';
import type { KmsOptions } from '../../src/kms/options.js';
import {
  ACCOUNT_ID,
  type Fault,
  type KmsServer,
  startKmsServer,
  TEST_CREDENTIALS,
} from '../kms-server/server.js';
import { kmsFailure } from '../helpers/kms.js';
import { spawnProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

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
    const err = await kmsFailure(KeySource.fromKmsFile(keyFile, kms).keyFor(new Uint8Array(16)));
    expect([err.code, err.message]).toEqual([
      'ERR_KMS_THROTTLED',
      `KMS key ${arns[0]}: KMS in us-east-1 is throttling requests (still after 3 attempts); retry later or raise the KMS request quota`,
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
