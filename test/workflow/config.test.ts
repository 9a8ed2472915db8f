/** The project file `.ssclient.json`, its precedence, and `ssclient config`, as real processes. */
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/cli.js';
import { makeVault, tempDir } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

/**
 * A repository: `.git/`, `.ssclient.json` naming `vault/secrets.json` and `keys/k.key`, a
 * working directory `src/app`, and two more vaults (`env.json`, `flag.json`) under the same key,
 * each holding `where` = its own name.
 */
async function repo(
  config: Record<string, string> = { store: 'vault/secrets.json', key: 'keys/k.key' },
) {
  const t = tempDir('ssclient-config-');
  cleanup = t.cleanup;
  const root = t.dir;
  for (const d of ['.git', 'vault', 'keys', 'src/app'])
    mkdirSync(join(root, d), { recursive: true });
  await makeVault(join(root, 'vault'), [['where', 'project']]);
  renameSync(join(root, 'vault', 'k.key'), join(root, 'keys', 'k.key'));
  await makeVault(root, [['where', 'env']], 'env.json');
  await makeVault(root, [['where', 'flag']], 'flag.json');
  writeFileSync(join(root, '.ssclient.json'), JSON.stringify(config));
  return { root, cwd: join(root, 'src/app') };
}

describe('project file', () => {
  it('a bare `ssclient get NAME` works anywhere below it, paths relative to the file', async () => {
    const { root, cwd } = await repo();
    const r = runProcess(['get', 'where'], { cwd });
    expect(r).toMatchObject({ code: 0, stdout: 'project\n', stderr: '' });
    expect(runProcess(['list'], { cwd: root }).stdout).toBe('where\n');
    expect(runProcess(['run', '--', 'sh', '-c', 'echo "$WHERE"'], { cwd }).stdout).toBe(
      'project\n',
    );
    expect(runProcess(['verify'], { cwd }).stdout).toBe(
      `${join(root, 'vault/secrets.json')}: ok (1 secret; the key opens it and every value decrypts)\n`,
    );
  });

  it('store precedence: -s over SSCLIENT_STORE over the project file', async () => {
    const { root, cwd } = await repo();
    const env = { SSCLIENT_STORE: join(root, 'env.json') };
    expect(runProcess(['get', 'where'], { cwd, env }).stdout).toBe('env\n');
    expect(runProcess(['-s', join(root, 'flag.json'), 'get', 'where'], { cwd, env }).stdout).toBe(
      'flag\n',
    );
  });

  it('key precedence: -k over SSCLIENT_KEY / SSCLIENT_PASSWORD over the project file', async () => {
    const { root, cwd } = await repo({ store: 'vault/secrets.json', key: 'wrong.key' });
    writeFileSync(join(root, 'wrong.key'), Buffer.alloc(32, 9), { mode: 0o600 });
    const bad = runProcess(['get', 'where'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: wrong key for .*secrets\.json \(key file .*wrong\.key does not open it\); the key came from the project file .*\/\.ssclient\.json \("ssclient config" shows where each setting comes from\)\n$/,
    );
    const key = join(root, 'keys', 'k.key');
    expect(runProcess(['get', 'where'], { cwd, env: { SSCLIENT_KEY: key } }).stdout).toBe(
      'project\n',
    );
    expect(runProcess(['-k', key, 'get', 'where'], { cwd }).stdout).toBe('project\n');
    // A password in the environment beats the project key too (and here it is wrong).
    const pw = runProcess(['get', 'where'], { cwd, env: { SSCLIENT_PASSWORD: 'nope' } });
    expect(pw.stderr).toMatch(/^error: wrong password/);
  });

  it('create with no key or password given makes the project key and a vault it opens', () => {
    const t = tempDir('ssclient-config-');
    cleanup = t.cleanup;
    mkdirSync(join(t.dir, '.git'));
    mkdirSync(join(t.dir, 'sub'));
    writeFileSync(join(t.dir, '.ssclient.json'), '{"store": "app.json", "key": "app.key"}');
    const cwd = join(t.dir, 'sub');
    const created = runProcess(['create'], { cwd });
    expect(created.code).toBe(0);
    expect(statSync(join(t.dir, 'app.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(t.dir, '.gitignore'), 'utf8')).toContain('/app.key\n');
    expect(runProcess(['set', 'a', 'b'], { cwd }).code).toBe(0);
    expect(
      runProcess(['-k', join(t.dir, 'app.key'), '-s', join(t.dir, 'app.json'), 'get', 'a'], {
        cwd: t.dir,
      }).stdout,
    ).toBe('b\n');
  });

  it('verify in a checkout without the key file: structure only, with a note', async () => {
    const { root, cwd } = await repo();
    rmSync(join(root, 'keys', 'k.key'));
    const r = runProcess(['verify'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${join(root, 'vault/secrets.json')}: ok (1 secret; structure only: no key given)\n`,
    );
    expect(r.stderr).toBe(
      `note: the key file ${join(root, 'keys/k.key')} (from ${join(root, '.ssclient.json')}) is absent: checking the structure only\n`,
    );
  });

  it('the search stops at the git work tree root', async () => {
    const { root } = await repo();
    const inner = join(root, 'nested');
    mkdirSync(join(inner, '.git'), { recursive: true });
    const r = runProcess(['config'], { cwd: inner });
    expect(r.stdout.split('\n')[0]).toBe('project file: none');
  });

  it('a project file anyone may write is ignored, with a note', async () => {
    const { root, cwd } = await repo();
    chmodSync(join(root, '.ssclient.json'), 0o666);
    const r = runProcess(['config'], { cwd });
    expect(r.stdout.split('\n')[0]).toBe('project file: none');
    expect(r.stderr).toBe(`note: ignoring ${join(root, '.ssclient.json')}: anyone may write it\n`);
  });

  const invalid: [string, string, string][] = [
    ['not JSON', '{store: x}', 'is not valid JSON: '],
    ['not JSON, over lines (still one error line)', 'not json\n{\n', 'is not valid JSON: '],
    ['an array', '["store"]', 'must hold a JSON object of settings'],
    [
      'an unknown setting',
      '{"stor": "x"}',
      ': unknown setting "stor" (known: store, key, region, profile, kmsEndpoint)',
    ],
    [
      'a password',
      '{"password": "hunter22"}',
      ': "password" does not belong in a project file (it is committed to git); use SSCLIENT_PASSWORD or --password-file',
    ],
    ['a number', '{"region": 5}', ': "region" must be a non-empty string'],
  ];
  it.each(invalid)(
    'a project file with %s is a usage error naming it',
    async (_l, text, message) => {
      const { root, cwd } = await repo();
      writeFileSync(join(root, '.ssclient.json'), text);
      const r = runProcess(['get', 'where'], { cwd });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.startsWith(`error: ${join(root, '.ssclient.json')}`)).toBe(true);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain('hunter22');
      expect(r.stderr.split('\n')).toHaveLength(2);
    },
  );
});

describe('ssclient config', () => {
  it('prints every effective setting and its source: flag > environment > project file > default', async () => {
    const { root, cwd } = await repo({
      store: 'vault/secrets.json',
      key: 'keys/k.key',
      region: 'eu-west-1',
      profile: 'from-file',
      kmsEndpoint: 'http://127.0.0.1:1/file',
    });
    const file = join(root, '.ssclient.json');
    const fromFile = runProcess(['config'], { cwd });
    expect(fromFile.stdout).toBe(
      `project file: ${file} (found upward from the working directory)\n` +
        `store: ${join(root, 'vault/secrets.json')} (project file ${file})\n` +
        `key: ${join(root, 'keys/k.key')} (project file ${file})\n` +
        `region: eu-west-1 (project file ${file})\n` +
        `profile: from-file (project file ${file})\n` +
        `kms-endpoint: http://127.0.0.1:1/file (project file ${file})\n` +
        'password: not set\n' +
        `unlocks with: key file ${join(root, 'keys/k.key')}\n`,
    );
    const env = {
      SSCLIENT_STORE: 'env.json',
      AWS_REGION: 'us-east-2',
      SSCLIENT_PROFILE: 'from-env',
      AWS_PROFILE: 'loses-to-SSCLIENT_PROFILE',
      SSCLIENT_PASSWORD: 'correct horse battery staple',
    };
    const fromEnv = runProcess(['--kms-endpoint', 'http://127.0.0.1:1/flag', 'config'], {
      cwd,
      env,
    });
    expect(fromEnv.stdout).toBe(
      `project file: ${file} (found upward from the working directory)\n` +
        'store: env.json (environment SSCLIENT_STORE)\n' +
        `key: ${join(root, 'keys/k.key')} (project file ${file})\n` +
        'region: us-east-2 (environment AWS_REGION)\n' +
        'profile: from-env (environment SSCLIENT_PROFILE)\n' +
        'kms-endpoint: http://127.0.0.1:1/flag (flag --kms-endpoint)\n' +
        'password: set (environment SSCLIENT_PASSWORD)\n' +
        'unlocks with: password\n',
    );
    expect(fromEnv.stdout + fromEnv.stderr).not.toContain('correct horse');
    const flags = runProcess(
      ['-s', 'flag.json', '--region', 'ap-south-1', '-p', 'hunter22', 'config', '--format', 'json'],
      { cwd, env },
    );
    expect(JSON.parse(flags.stdout)).toMatchObject({
      store: { value: 'flag.json', from: 'flag -s/--store' },
      region: { value: 'ap-south-1', from: 'flag --region' },
      password: { value: 'set', from: 'flag -p' },
      'unlocks with': 'password',
    });
    expect(flags.stdout).not.toContain('hunter22');
  });

  it('with nothing configured: the built-in defaults', () => {
    const t = tempDir('ssclient-config-');
    cleanup = t.cleanup;
    mkdirSync(join(t.dir, '.git'));
    expect(runProcess(['config'], { cwd: t.dir }).stdout).toBe(
      'project file: none\n' +
        'store: secrets.json (built-in default)\n' +
        'key: not set (built-in default)\n' +
        'region: not set (AWS SDK default chain)\n' +
        'profile: not set (AWS SDK default chain)\n' +
        'kms-endpoint: not set (AWS SDK default chain)\n' +
        'password: not set\n' +
        'unlocks with: nothing: give -p, --password-file or -k\n',
    );
  });
});
