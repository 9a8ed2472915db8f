// spec/format.md §7.1 (readFileCapped: pipes); docs/workflow.md (pipes as -s, -k, --password-file).
/**
 * Pipes as the key: `-k <(cmd)` (bash process substitution) keeps working for get and set, also
 * when its writer writes late; a named pipe that nothing writes to, as -k or -s, is exit 1 at
 * once with one line, and `set` leaves no lock behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { BIN, runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { VECTORS } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-pipes-');
afterAll(() => tmp.cleanup());
copyFileSync(join(VECTORS, '03-key-only.json'), join(tmp.dir, 'secrets.json'));
copyFileSync(join(VECTORS, '03-key-only.key'), join(tmp.dir, 'k.key'));
execFileSync('mkfifo', [join(tmp.dir, 'nobody-writes')]);

/** Runs `ssclient ARGS` from bash, where `<(...)` in ARGS is process substitution. */
function bash(args: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `"$NODE" "$BIN" ${args}`], {
    cwd: tmp.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, NODE: process.execPath, BIN },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(process.platform === 'linux')('pipes as the key or the vault', () => {
  it('-k <(cmd): get and set work, also when the writer writes late', async () => {
    expect(bash(`-k <(cat k.key) set piped 'from a pipe'`)).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(bash(`-k <(sleep 0.3; cat k.key) get piped`)).toEqual({
      code: 0,
      stdout: 'from a pipe\n',
      stderr: '',
    });
    const vault = await SecretsManager.fromFile(join(tmp.dir, 'secrets.json'), {
      keyFile: join(tmp.dir, 'k.key'),
    });
    expect(vault.get('piped')).toBe('from a pipe');
    vault.close();
  });

  it.each([
    ['-k', ['-k', 'nobody-writes', 'get', 'piped']],
    ['-k with set', ['-k', 'nobody-writes', 'set', 'x', 'y']],
    ['-s with set', ['-s', 'nobody-writes', '-k', 'k.key', 'set', 'x', 'y']],
    ['-s with get', ['-s', 'nobody-writes', '-k', 'k.key', 'get', 'x']],
  ])(
    'a named pipe nothing writes to as %s: exit 1 at once, one line, no lock left',
    (_label, argv) => {
      const before = readdirSync(tmp.dir).sort();
      const r = runProcess(argv, { cwd: tmp.dir, timeoutMs: 15_000 });
      expect(r).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `error: cannot read ${join(tmp.dir, 'nobody-writes')}: it is a named pipe (FIFO) that nothing writes to\n`,
      });
      expect(readdirSync(tmp.dir).sort()).toEqual(before);
    },
  );
});
