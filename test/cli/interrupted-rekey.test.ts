// docs/git.md "Rekey" (after an interruption); spec/format.md §8.1.
/**
 * After a rekey interrupted once the vault was replaced, the old key file no longer opens the
 * vault and KEY.new does: every command that fails on the key says so, and that running the
 * same rekey again finishes it (in-process and as a real process, through the fast path); a
 * key file that simply does not open the vault still gets the plain wrong-key message.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySource } from '../../src/auth.js';
import { rekeyVault } from '../../src/rekey/rekey.js';
import { runCli, runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { VECTORS } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-interrupted-rekey-');
afterAll(() => tmp.cleanup());
const cwd = tmp.dir;

beforeAll(async () => {
  copyFileSync(join(VECTORS, '03-key-only.json'), join(cwd, 'secrets.json'));
  copyFileSync(join(VECTORS, '03-key-only.key'), join(cwd, 'k.key'));
  copyFileSync(join(VECTORS, '05-unicode-values.key'), join(cwd, 'other.key'));
  const stop = new Error('interrupted');
  await expect(
    rekeyVault(
      join(cwd, 'secrets.json'),
      KeySource.fromFile(join(cwd, 'k.key')),
      { kind: 'key', path: join(cwd, 'k.key') },
      {
        onStep: (s) => {
          if (s.step === 'vault-written') throw stop;
        },
      },
    ),
  ).rejects.toBe(stop);
});

const EXPLAINED =
  'error: the key file k.key does not open secrets.json, but k.key.new does: a rekey was interrupted after it replaced the vault; run the same rekey command again to finish it (until then -k k.key.new opens the vault)\n';

describe('after an interrupted rekey', () => {
  it.each([
    [['-k', 'k.key', 'get', 'n2']],
    [['-k', 'k.key', 'get', '--all']],
    [['-k', 'k.key', 'list']],
    [['-k', 'k.key', 'set', 'a', 'b']],
  ])('%j says that k.key.new opens the vault and rekey finishes the job', async (argv) => {
    const inProcess = await runCli(argv, { cwd });
    expect({ code: inProcess.code, stdout: inProcess.stdout, stderr: inProcess.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: EXPLAINED,
    });
    expect(runProcess(argv, { cwd })).toMatchObject({ code: 1, stdout: '', stderr: EXPLAINED });
  });

  it('a key file whose .new does not exist gets the plain message', async () => {
    const r = await runCli(['-k', 'other.key', 'get', 'n2'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: wrong key for \S*secrets\.json \(key file \S*other\.key/);
  });

  it('running the rekey again finishes it, and k.key opens the vault', async () => {
    const rekey = await runCli(['-k', 'k.key', 'rekey', '--new-key', 'k.key'], { cwd });
    expect(rekey.code).toBe(0);
    expect(rekey.stderr).toContain('Finished an interrupted rekey: k.key opens secrets.json.');
    const get = await runCli(['-k', 'k.key', 'list'], { cwd });
    expect({ code: get.code, stderr: get.stderr }).toEqual({ code: 0, stderr: '' });
  });
});
