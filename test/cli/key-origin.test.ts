/**
 * A wrong key or password says where it came from and points to `ssclient config` (issue 15,
 * item 9); with no key given, a wrapped key file beside the vault is mentioned. In-process for
 * every source (a prompt too, through the scripted terminal), and once as a real process for the
 * get fast path.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKeyFile } from '../../src/format/key-file.js';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { runCli, runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

const CONFIG = '("ssclient config" shows where each setting comes from)';

async function setup(): Promise<string> {
  const t = tempDir('ssclient-origin-');
  cleanup = t.cleanup;
  const vault = await SecretsManager.create(KeySource.fromPassword('right password'));
  vault.set('a', '1');
  await vault.saveAs(join(t.dir, 'secrets.json'));
  vault.close();
  writeFileSync(join(t.dir, 'other.key'), encodeKeyFile(new Uint8Array(32).fill(7)), {
    mode: 0o600,
  });
  writeFileSync(join(t.dir, 'wrong.txt'), 'wrong password\n');
  return t.dir;
}

const WRONG_PASSWORD = 'error: wrong password for secrets.json (password does not open it)';
const wrongKey = (dir: string) =>
  `error: wrong key for secrets.json (key file ${dir}/other.key does not open it)`;

describe('a wrong key or password names its source', () => {
  it('-p, --password-file, SSCLIENT_PASSWORD, -k, SSCLIENT_KEY, the project file, the prompt', async () => {
    const dir = await setup();
    const list = (argv: string[], extra: Omit<Parameters<typeof runCli>[1], 'cwd'> = {}) =>
      runCli([...argv, 'list'], { ...extra, cwd: dir });
    const cases: [Awaited<ReturnType<typeof list>>, string][] = [
      [await list(['-p', 'wrong']), `${WRONG_PASSWORD}; the password came from -p ${CONFIG}\n`],
      [
        await list(['--password-file', 'wrong.txt']),
        `${WRONG_PASSWORD}; the password came from --password-file wrong.txt ${CONFIG}\n`,
      ],
      [
        await list(['--password-file', '-'], { stdin: 'wrong\n' }),
        `${WRONG_PASSWORD}; the password came from --password-file - (stdin) ${CONFIG}\n`,
      ],
      [
        await list([], { env: { SSCLIENT_PASSWORD: 'wrong' } }),
        `${WRONG_PASSWORD}; the password came from SSCLIENT_PASSWORD ${CONFIG}\n`,
      ],
      [await list(['-k', 'other.key']), `${wrongKey(dir)}; the key came from -k ${CONFIG}\n`],
      [
        await list([], { env: { SSCLIENT_KEY: 'other.key' } }),
        `${wrongKey(dir)}; the key came from SSCLIENT_KEY ${CONFIG}\n`,
      ],
      [
        await list(['-p'], { tty: true, secrets: ['wrong'] }),
        `${WRONG_PASSWORD}; the password came from the prompt ${CONFIG}\n`,
      ],
      [
        await list([], { tty: true, secrets: ['wrong'] }),
        `${WRONG_PASSWORD}; the password came from the prompt (no key was given) ${CONFIG}\n`,
      ],
    ];
    for (const [r, stderr] of cases) {
      expect(r.stderr).toBe(stderr);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain('wrong password\n');
    }
    writeFileSync(join(dir, '.ssclient.json'), JSON.stringify({ key: 'other.key' }));
    const project = await list([]);
    expect(project.stderr).toBe(
      `${wrongKey(dir)}; the key came from the project file ${dir}/.ssclient.json ${CONFIG}\n`,
    );
  });

  it('the get fast path (a real process) says it too', async () => {
    const dir = await setup();
    const r = runProcess(['-p', 'wrong', 'get', 'a'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: wrong password for ${dir}/secrets.json (password does not open it); the password came from -p ${CONFIG}\n`,
    );
  });

  it('no key given: a wrapped key file beside the vault is mentioned', async () => {
    const dir = await setup();
    writeFileSync(join(dir, 'secrets.kms.json'), '{"type": "securestore-kms-wrapped-key"}\n');
    const off = await runCli(['list'], { cwd: dir });
    expect(off.stderr).toBe(
      'error: no password or key given: use -p PASSWORD, --password-file PATH, -k KEYFILE, or set SSCLIENT_PASSWORD (secrets.kms.json beside the vault looks like a wrapped key file (KMS or age): -k secrets.kms.json)\n',
    );
    expect(off.code).toBe(1);
    const on = await runCli(['list'], { cwd: dir, tty: true, secrets: ['wrong'] });
    expect(on.stderr).toBe(
      'note: no key given, so a password is asked for; secrets.kms.json beside the vault looks like a wrapped key file (KMS or age): -k secrets.kms.json opens the vault with it\n' +
        `${WRONG_PASSWORD}; the password came from the prompt (no key was given); secrets.kms.json beside the vault looks like a wrapped key file (KMS or age): -k secrets.kms.json ${CONFIG}\n`,
    );
  });
});
