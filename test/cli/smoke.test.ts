/** A first end-to-end pass over the reference surface, as a real process and in-process. */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

describe('ssclient smoke', () => {
  it('create, set, get, get --all, delete as a real process', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const run = (...argv: string[]) => runProcess(argv, { cwd: t.dir });
    expect(run('create', '-p', 'hunter22').code).toBe(0);
    expect(run('-p', 'hunter22', 'set', 'b', 'two').code).toBe(0);
    expect(run('set', 'a', 'one', '-p', 'hunter22').code).toBe(0);
    expect(run('-p', 'hunter22', 'get', 'a').stdout).toBe('one\n');
    expect(run('-p', 'hunter22', 'get', '--all', '--format', 'text').stdout).toBe(
      'a: one\nb: two\n',
    );
    expect(run('-p', 'hunter22', 'get', '-a').stdout).toBe(
      '[\n  {\n    "key": "a",\n    "value": "one"\n  },\n  {\n    "key": "b",\n    "value": "two"\n  }\n]\n',
    );
    expect(run('-p', 'hunter22', 'remove', 'a').code).toBe(0);
    const missing = run('-p', 'hunter22', 'get', 'a');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(run('-p', 'wrong-password', 'get', 'b').code).toBe(1);
  });

  it('in-process: a missing store is exit 2, a refused overwrite exit 17', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    expect((await runCli(['-p', 'x', 'get', 'a'], { cwd: t.dir })).code).toBe(2);
    expect((await runCli(['create', '-p', 'hunter22'], { cwd: t.dir })).code).toBe(0);
    const again = await runCli(['create', '-p', 'hunter22'], { cwd: t.dir });
    expect(again.code).toBe(17);
    expect(again.stderr).toMatch(/^error: secrets.json already exists/);
  });
});
