/**
 * The KMS commands as real processes (`node bin/ssclient.js`), with the real SDK over HTTP to
 * the local KMS test server (or SECURESTORE_TEST_KMS_ENDPOINT).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KmsWrapping, WrappedKeyFile } from '../../src/kms/wrapped-key-file.js';
import { runCli, spawnProcess } from '../helpers/cli.js';
import { kmsTarget, parseKmsOnly } from '../helpers/kms.js';
import { tempDir } from '../helpers/vaults.js';

const target = kmsTarget();
const BLOCK_SDK = fileURLToPath(new URL('./hooks/block-aws-sdk.mjs', import.meta.url));

let dir: string;
let cleanup: () => void;
let home: { dir: string; cleanup: () => void };
let env: Record<string, string>;

beforeAll(() => {
  home = tempDir('kms-cli-home-');
  env = { ...target.env, HOME: home.dir };
  return () => home.cleanup();
});
beforeEach(() => {
  ({ dir, cleanup } = tempDir('kms-cli-'));
  // Inside a git work tree, so that a .gitignore rule would be written if one were due.
  mkdirSync(join(dir, '.git'));
});
afterEach(() => cleanup());

const ss = (argv: string[], extra: { env?: Record<string, string>; nodeArgs?: string[] } = {}) =>
  spawnProcess(argv, {
    cwd: dir,
    env: extra.env ?? env,
    ...(extra.nodeArgs ? { nodeArgs: extra.nodeArgs } : {}),
  });

const readKeyFile = (name = 'secrets.kms.json'): WrappedKeyFile<KmsWrapping> =>
  parseKmsOnly(readFileSync(join(dir, name)), name);

const listLine = (i: number, w: KmsWrapping): string =>
  `${i} aws-kms ${w.region} ${w.keyArn} ${JSON.stringify(w.context)}\n`;

describe('create --kms, then the vault through -k secrets.kms.json', () => {
  it('create → set → get → get --all → delete, as with a plain key file', async () => {
    const made = await ss([
      'create',
      '--kms',
      target.key1,
      '--kms',
      target.key2,
      '--context',
      'vault=cli-test',
    ]);
    expect(made).toMatchObject({
      code: 0,
      stdout: '',
      stderr:
        'Wrapped the vault key under 2 KMS keys in secrets.kms.json (safe to commit; open the vault with -k secrets.kms.json)\n',
    });
    const file = readKeyFile();
    expect(file.wrappings.map((w) => w.context)).toEqual([
      { purpose: 'securestore-vault-key', vault: 'cli-test' },
      { purpose: 'securestore-vault-key', vault: 'cli-test' },
    ]);
    expect(existsSync(join(dir, '.gitignore'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toMatchObject({
      version: 3,
      secrets: {},
    });

    const k = ['-k', 'secrets.kms.json'];
    expect(await ss([...k, 'set', 'db', 'hunter2'])).toMatchObject({ code: 0, stderr: '' });
    expect(await ss([...k, 'set', 'api'], {})).toMatchObject({ code: 0 });
    expect(await ss([...k, 'get', 'db'])).toMatchObject({
      code: 0,
      stdout: 'hunter2\n',
      stderr: '',
    });
    expect(await ss([...k, 'get', '--all'])).toMatchObject({
      code: 0,
      stdout:
        '[\n  {\n    "key": "api",\n    "value": ""\n  },\n  {\n    "key": "db",\n    "value": "hunter2"\n  }\n]\n',
    });
    expect(await ss([...k, 'delete', 'api'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await ss([...k, 'get', '--all', '--format', 'text'])).toMatchObject({
      code: 0,
      stdout: 'db: hunter2\n',
    });
    // SSCLIENT_KEY names a wrapped key file just as well
    expect(
      await ss(['get', 'db'], { env: { ...env, SSCLIENT_KEY: 'secrets.kms.json' } }),
    ).toMatchObject({
      code: 0,
      stdout: 'hunter2\n',
    });
  });

  it('--export-key still writes a plain key (with its .gitignore rule); --kms-file and -s name the files', async () => {
    const made = await ss([
      '-s',
      'prod.json',
      'create',
      '--kms',
      target.key1,
      '--export-key',
      'prod.key',
    ]);
    expect(made.code).toBe(0);
    expect(existsSync(join(dir, 'prod.kms.json'))).toBe(true);
    expect(readFileSync(join(dir, 'prod.key'), 'utf8')).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/]{43}=\n-----END PRIVATE KEY-----\n$/,
    );
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe(
      '# SecureStore key file: never commit it\n/prod.key\n',
    );
    expect(await ss(['-s', 'prod.json', '-k', 'prod.key', 'set', 'a', '1'])).toMatchObject({
      code: 0,
    });
    expect(await ss(['-s', 'prod.json', '-k', 'prod.kms.json', 'get', 'a'])).toMatchObject({
      code: 0,
      stdout: '1\n',
    });

    const custom = await ss([
      'create',
      'other.json',
      '--kms',
      target.key1,
      '--kms-file',
      'o.key.json',
    ]);
    expect(custom).toMatchObject({ code: 0, stdout: '' });
    expect(existsSync(join(dir, 'other.kms.json'))).toBe(false);
    expect(await ss(['-s', 'other.json', 'kms', 'list', '--file', 'o.key.json'])).toMatchObject({
      code: 0,
      stdout: listLine(1, readKeyFile('o.key.json').wrappings[0]!),
    });
    expect(await ss(['-s', 'other.json', '-k', 'o.key.json', 'get', '--all'])).toMatchObject({
      code: 0,
      stdout: '[]\n',
    });
  });

  it('refuses to overwrite a wrapped key file off a terminal (exit 17), leaving every file as it was', async () => {
    writeFileSync(join(dir, 'secrets.kms.json'), 'keep me');
    const r = await ss(['create', '--kms', target.key1]);
    expect(r.code).toBe(17);
    expect(r.stderr).toBe(
      'error: secrets.kms.json already exists and is not empty; refusing to overwrite the wrapped key file (delete it first, or run on a terminal to confirm)\n',
    );
    expect(readFileSync(join(dir, 'secrets.kms.json'), 'utf8')).toBe('keep me');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });

  it('a KMS failure at create writes nothing (exit 4)', async () => {
    const missing = `alias/securestore-missing-${process.pid}`;
    const r = await ss(['create', '--kms', target.key1, '--kms', missing]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `error: KMS key ${missing} was not found in ${target.region}; check the key id or alias, the region (--region) and the AWS account\n`,
    );
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
    expect(existsSync(join(dir, 'secrets.kms.json'))).toBe(false);
  });

  it('usage errors: --kms with a password, --context without --kms, a bad pair', async () => {
    expect((await ss(['create', '-p', 'password1', '--kms', target.key1])).code).toBe(2);
    expect((await ss(['create', '-p', 'password1', '--context', 'a=b'])).stderr).toBe(
      'error: --context and --kms-file go with --kms\n',
    );
    const bad = await ss(['create', '--kms', target.key1, '--context', 'novalue']);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'error: --context "novalue": expected name=value\n',
    ]);
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });

  it('a damaged wrapped key file: exit 1, one line naming the file, no KMS call needed', async () => {
    await ss(['create', '--kms', target.key1]);
    const path = join(dir, 'secrets.kms.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"aws-kms"', '"gcp-kms"'));
    const r = await ss(['-k', 'secrets.kms.json', 'get', '--all']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      `error: ${path} is not a valid wrapped key file: wrappings[0] uses provider "gcp-kms", which this tool does not know (only "aws-kms" and "age")\n`,
    ]);
  });
});

describe('export-key --kms: a password vault gains a KMS door', () => {
  it('wraps the key the password opens; the wrapped file then opens the same vault', async () => {
    expect((await ss(['create', '-p', 'password-123'])).code).toBe(0);
    expect((await ss(['-p', 'password-123', 'set', 'db', 'hunter2'])).code).toBe(0);
    const r = await ss([
      '-p',
      'password-123',
      'export-key',
      '--kms',
      target.key1,
      'secrets.kms.json',
    ]);
    expect(r).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'Wrapped the vault key under 1 KMS key in secrets.kms.json\n',
    });
    expect(existsSync(join(dir, '.gitignore'))).toBe(false);
    expect(await ss(['-k', 'secrets.kms.json', 'get', 'db'])).toMatchObject({
      code: 0,
      stdout: 'hunter2\n',
    });
    // the password still works: the vault is unchanged
    expect(await ss(['-p', 'password-123', 'get', 'db'])).toMatchObject({ stdout: 'hunter2\n' });
  });
});

describe('ssclient kms list | add | remove | rewrap', () => {
  it('list shows provider, region, key ARN and context, never the key or ciphertext', async () => {
    await ss(['create', '--kms', target.key1, '--kms', target.key2]);
    const file = readKeyFile();
    const r = await ss(['kms', 'list']);
    expect(r).toMatchObject({
      code: 0,
      stdout: listLine(1, file.wrappings[0]!) + listLine(2, file.wrappings[1]!),
      stderr: '',
    });
    for (const w of file.wrappings) expect(r.stdout).not.toContain(w.ciphertext);
    const json = await ss(['-k', 'secrets.kms.json', 'kms', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual(
      file.wrappings.map((w, i) => ({
        index: i + 1,
        provider: 'aws-kms',
        keyArn: w.keyArn,
        region: w.region,
        context: w.context,
      })),
    );
  });

  it('add wraps under one more key (same context), remove drops one, the vault stays as it was', async () => {
    await ss(['create', '--kms', target.key1, '--context', 'vault=v1']);
    await ss(['-k', 'secrets.kms.json', 'set', 'db', 'hunter2']);
    const vaultBytes = readFileSync(join(dir, 'secrets.json'));
    const added = await ss(['kms', 'add', target.key2]);
    const after = readKeyFile();
    expect(after.wrappings).toHaveLength(2);
    expect(added).toMatchObject({
      code: 0,
      stderr: `Added ${after.wrappings[1]!.keyArn} to secrets.kms.json (2 KMS keys)\n`,
    });
    expect(after.wrappings[1]!.context).toEqual({ purpose: 'securestore-vault-key', vault: 'v1' });
    const again = await ss(['kms', 'add', target.key2]);
    expect([again.code, again.stderr]).toEqual([
      2,
      `error: the file already has a wrapping under KMS key ${after.wrappings[1]!.keyArn}\n`,
    ]);

    const removed = await ss(['kms', 'remove', '1']);
    expect(removed).toMatchObject({
      code: 0,
      stderr: `Removed ${after.wrappings[0]!.keyArn} from secrets.kms.json (1 KMS key left)\n`,
    });
    expect(readKeyFile().wrappings).toEqual([after.wrappings[1]]);
    expect(await ss(['-k', 'secrets.kms.json', 'get', 'db'])).toMatchObject({
      stdout: 'hunter2\n',
    });
    const last = await ss(['kms', 'remove', after.wrappings[1]!.keyArn]);
    expect([last.code, last.stderr]).toEqual([
      2,
      'error: cannot remove the only wrapping: the file would open nothing (delete the file instead)\n',
    ]);
    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(vaultBytes);
  });

  it('add with -p refuses a wrapped key file of another key; the file is unchanged (issue 14 item 7)', async () => {
    await ss(['create', '--kms', target.key1]); // secrets.json and the file of its key
    await ss(['-s', 'other.json', 'create', '-p', 'password-123']);
    const before = readFileSync(join(dir, 'secrets.kms.json'));
    const r = await ss([
      '-s',
      'other.json',
      '-p',
      'password-123',
      'kms',
      'add',
      '--file',
      'secrets.kms.json',
      target.key2,
    ]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'error: key: not the key this wrapped key file wraps (its wrappings unwrap to another key); nothing was added; the key came from -p ("ssclient config" shows where each setting comes from)\n',
    ]);
    expect(readFileSync(join(dir, 'secrets.kms.json'))).toEqual(before);
  });

  it('remove 2 names the wrapping it removed, not the first one (issue 14 item 8)', async () => {
    await ss(['create', '--kms', target.key1, '--kms', target.key2]);
    const before = readKeyFile();
    const removed = await ss(['kms', 'remove', '2']);
    expect([removed.code, removed.stdout, removed.stderr]).toEqual([
      0,
      '',
      `Removed ${before.wrappings[1]!.keyArn} from secrets.kms.json (1 KMS key left)\n`,
    ]);
    expect(readKeyFile().wrappings).toEqual([before.wrappings[0]]);
  });

  it('rewrap --to and --context replace the wrappings without touching the vault', async () => {
    await ss(['create', '--kms', target.key1]);
    await ss(['-k', 'secrets.kms.json', 'set', 'db', 'hunter2']);
    const vaultBytes = readFileSync(join(dir, 'secrets.json'));
    const before = readKeyFile();

    const moved = await ss(['kms', 'rewrap', '--to', target.key2]);
    expect(moved.code).toBe(0);
    const after = readKeyFile();
    expect(after.wrappings).toHaveLength(1);
    expect(after.wrappings[0]!.keyArn).not.toBe(before.wrappings[0]!.keyArn);
    expect(moved.stderr).toBe('Rewrapped the key in secrets.kms.json under 1 KMS key\n');

    const recontext = await ss(['kms', 'rewrap', '--context', 'vault=prod']);
    expect(recontext.code).toBe(0);
    const final = readKeyFile();
    expect(final.wrappings[0]!.keyArn).toBe(after.wrappings[0]!.keyArn);
    expect(final.wrappings[0]!.context).toEqual({
      purpose: 'securestore-vault-key',
      vault: 'prod',
    });

    expect(readFileSync(join(dir, 'secrets.json'))).toEqual(vaultBytes);
    expect(await ss(['-k', 'secrets.kms.json', 'get', 'db'])).toMatchObject({
      stdout: 'hunter2\n',
    });
    expect((await ss(['kms', 'rewrap'])).stderr).toBe(
      'error: kms rewrap: give --to KEY_ID and/or --context name=value\n',
    );
  });

  it('a missing wrapped key file: exit 1 naming it', async () => {
    const r = await ss(['kms', 'list']);
    expect([r.code, r.stderr]).toEqual([
      1,
      `error: ${join(dir, 'secrets.kms.json')} does not exist\n`,
    ]);
  });
});

describe('the AWS SDK is loaded only by commands that use KMS', () => {
  it('with @aws-sdk/* made unloadable, plain commands and kms list/remove still work', async () => {
    await ss(['create', '--kms', target.key1, '--kms', target.key2, '--export-key', 'plain.key']);
    const blocked = { nodeArgs: ['--import', BLOCK_SDK] };
    const runs: [string[], number, string][] = [
      [['-s', 'pw.json', 'create', '-p', 'password-123'], 0, ''],
      [['-s', 'pw.json', '-p', 'password-123', 'set', 'a', '1'], 0, ''],
      [['-s', 'pw.json', '-p', 'password-123', 'get', 'a'], 0, '1\n'],
      [['-k', 'plain.key', 'set', 'b', '2'], 0, ''],
      [['-k', 'plain.key', 'get', '--all', '--format', 'text'], 0, 'b: 2\n'],
      [['kms', 'remove', '2'], 0, ''],
      [['--help'], 0, ''],
    ];
    for (const [argv, code, stdout] of runs) {
      const r = await ss(argv, blocked);
      expect({ argv, code: r.code, stderr: r.stderr.includes('blocked') }).toEqual({
        argv,
        code,
        stderr: false,
      });
      if (stdout !== '') expect(r.stdout).toBe(stdout);
    }
    const list = await ss(['kms', 'list'], blocked);
    expect(list.stdout.split('\n')).toHaveLength(2);

    // The control: a command that needs KMS fails under the hook, so the hook does block the SDK.
    const kms = await ss(['-k', 'secrets.kms.json', 'get', 'b'], blocked);
    expect([kms.code, kms.stderr]).toEqual([
      4,
      'error: cannot load the AWS SDK (@aws-sdk/client-kms), which KMS-wrapped keys need: install it\n',
    ]);
  });
});

describe.skipIf(!target.local)(
  '--region and --profile (local server: any region has the test aliases)',
  () => {
    it('--region picks the region of a key named by alias; the file records it', async () => {
      const r = await ss(['--region', 'eu-west-1', 'create', '--kms', 'alias/securestore-test-1']);
      expect(r.code).toBe(0);
      const [w] = readKeyFile().wrappings;
      expect([w!.region, w!.keyArn.split(':')[3]]).toEqual(['eu-west-1', 'eu-west-1']);
      expect(await ss(['-k', 'secrets.kms.json', 'get', '--all'])).toMatchObject({
        code: 0,
        stdout: '[]\n',
      });
    });

    it('--profile reads credentials and region from that profile of the shared files', async () => {
      const config = join(home.dir, 'aws-config');
      const credentials = join(home.dir, 'aws-credentials');
      writeFileSync(config, '[profile ci]\nregion = ap-southeast-2\n');
      writeFileSync(
        credentials,
        `[ci]\naws_access_key_id = ${target.env['AWS_ACCESS_KEY_ID']}\naws_secret_access_key = ${target.env['AWS_SECRET_ACCESS_KEY']}\n`,
      );
      const profileEnv = {
        HOME: home.dir,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
      };
      const args = ['--profile', 'ci', '--kms-endpoint', target.endpoint];
      const made = await ss([...args, 'create', '--kms', 'alias/securestore-test-2'], {
        env: profileEnv,
      });
      expect(made.code).toBe(0);
      expect(readKeyFile().wrappings[0]!.region).toBe('ap-southeast-2');
      expect(
        await ss([...args, '-k', 'secrets.kms.json', 'set', 'a', '1'], { env: profileEnv }),
      ).toMatchObject({
        code: 0,
      });
      const noProfile = await ss(
        ['--kms-endpoint', target.endpoint, '-k', 'secrets.kms.json', 'get', 'a'],
        {
          env: profileEnv,
        },
      );
      expect(noProfile.code).toBe(4);
      expect(noProfile.stderr).toMatch(
        /^error: KMS key arn:aws:kms:ap-southeast-2:\d{12}:key\/[0-9a-f-]+: no AWS credentials found;/,
      );
    });
  },
);

describe('no credentials, no region (a clean environment)', () => {
  /** HOME is an empty directory, no AWS_* variable, no instance metadata. */
  const clean = (): Record<string, string> => ({
    HOME: home.dir,
    AWS_EC2_METADATA_DISABLED: 'true',
  });

  it('no credentials: exit 4, one line saying how to give them', async () => {
    await ss(['create', '--kms', target.key1]);
    const arn = readKeyFile().wrappings[0]!.keyArn;
    const r = await ss(
      ['--kms-endpoint', target.endpoint, '-k', 'secrets.kms.json', 'get', '--all'],
      {
        env: clean(),
      },
    );
    expect([r.code, r.stdout, r.stderr]).toEqual([
      4,
      '',
      `error: KMS key ${arn}: no AWS credentials found; use --profile or AWS_PROFILE, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role\n`,
    ]);
  });

  it('no region: exit 4 when a KMS key is named without one, and nothing is written', async () => {
    const r = await ss(
      ['--kms-endpoint', target.endpoint, 'create', '--kms', 'alias/securestore-test-1'],
      {
        env: {
          ...clean(),
          AWS_ACCESS_KEY_ID: target.env['AWS_ACCESS_KEY_ID'] ?? 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: target.env['AWS_SECRET_ACCESS_KEY'] ?? 'secret',
        },
      },
    );
    expect([r.code, r.stderr]).toEqual([
      4,
      'error: KMS key alias/securestore-test-1: no AWS region; give --region, set AWS_REGION, or name the key by its ARN\n',
    ]);
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });
});

describe('in-process, on a terminal: overwriting asks first', () => {
  beforeAll(() => {
    Object.assign(process.env, target.env);
  });

  it('create --kms over an existing wrapped key file: "no" keeps it, "yes" replaces it', async () => {
    writeFileSync(join(dir, 'secrets.kms.json'), 'old');
    const no = await runCli(['create', '--kms', target.key1], {
      cwd: dir,
      tty: true,
      confirms: [false],
    });
    expect([no.code, no.stderr, no.prompts]).toEqual([
      17,
      'error: secrets.kms.json was left as it was\n',
      ['secrets.kms.json already exists. Overwrite it?'],
    ]);
    expect(readFileSync(join(dir, 'secrets.kms.json'), 'utf8')).toBe('old');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);

    const yes = await runCli(['create', '--kms', target.key1], {
      cwd: dir,
      tty: true,
      confirms: [true],
    });
    expect(yes.code).toBe(0);
    expect(readKeyFile().wrappings).toHaveLength(1);
    const got = await runCli(['-k', 'secrets.kms.json', 'get', '--all'], { cwd: dir });
    expect([got.code, got.stdout]).toEqual([0, '[]\n']);
  });

  it('kms without a known command is a usage error (exit 2)', async () => {
    expect(await runCli(['kms'], { cwd: dir })).toMatchObject({
      code: 2,
      stderr: 'error: kms: give a command: list, add, remove or rewrap (ssclient kms --help)\n',
    });
    expect(await runCli(['kms', 'bogus'], { cwd: dir })).toMatchObject({
      code: 2,
      stderr:
        'error: kms: unknown command "bogus": list, add, remove or rewrap (ssclient kms --help)\n',
    });
  });

  it('export-key --kms over an existing file off a terminal: exit 17, file unchanged', async () => {
    await runCli(['create', '-p', 'password-123'], { cwd: dir });
    writeFileSync(join(dir, 'door.kms.json'), 'keep');
    const r = await runCli(
      ['-p', 'password-123', 'export-key', '--kms', target.key1, 'door.kms.json'],
      {
        cwd: dir,
      },
    );
    expect([r.code, r.stderr]).toEqual([
      17,
      'error: door.kms.json already exists and is not empty; refusing to overwrite the wrapped key file (delete it first, or run on a terminal to confirm)\n',
    ]);
    expect(readFileSync(join(dir, 'door.kms.json'), 'utf8')).toBe('keep');
  });
});
