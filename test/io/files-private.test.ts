/**
 * The private temporary directory of io/files.ts (makePrivateTempDir, writePrivateFile,
 * removePrivateTempDir[Now]), which `ssclient edit` keeps its plaintext in: 0700 holding a 0600
 * file whatever the umask, and removed by the same hooks as a write in progress: when the
 * process exits, and when SIGINT, SIGTERM or SIGHUP ends it (the process dies of the signal).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makePrivateTempDir,
  removePrivateTempDir,
  removePrivateTempDirNow,
  writePrivateFile,
} from '../../src/io/files.js';
import { codeOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

function fresh(): string {
  const t = tempDir('ssclient-private-');
  cleanup = t.cleanup;
  return t.dir;
}

describe('makePrivateTempDir', () => {
  it('a 0700 directory holding a 0600 file, made exactly so under umask 0; removed whole', async () => {
    const parent = fresh();
    const old = process.umask(0);
    let dir: string;
    try {
      dir = await makePrivateTempDir(parent, 'ssclient-edit-');
      await writePrivateFile(join(dir, 'secrets.env'), 'A=1\n');
    } finally {
      process.umask(old);
    }
    expect(readdirSync(parent)).toEqual([dir.slice(parent.length + 1)]);
    expect(dir.slice(parent.length + 1)).toMatch(/^ssclient-edit-[0-9a-f]{12}$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'secrets.env')).mode & 0o777).toBe(0o600);
    // A second write to the same name is refused: nothing is ever replaced in there.
    expect(await codeOf(() => writePrivateFile(join(dir, 'secrets.env'), 'B=2\n'))).toBe('ERR_IO');
    await removePrivateTempDir(dir);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('removePrivateTempDirNow removes it synchronously (for signal handlers)', async () => {
    const parent = fresh();
    const dir = await makePrivateTempDir(parent, 'p-');
    await writePrivateFile(join(dir, 'f'), 'x');
    removePrivateTempDirNow(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('a missing parent is ERR_NOT_FOUND', async () => {
    expect(await codeOf(() => makePrivateTempDir(join(fresh(), 'nope'), 'p-'))).toBe(
      'ERR_NOT_FOUND',
    );
  });
});

describe('the directory is removed when the process ends', () => {
  // The built module (npm run build): node runs it as it is.
  const FILES = pathToFileURL(join(import.meta.dirname, '../../dist/io/files.js')).href;

  /** A node process that makes the directory, says so, then exits or waits for a signal. */
  function holder(parent: string, then: 'exit' | 'wait') {
    const code = `
      const { makePrivateTempDir, writePrivateFile } = await import(${JSON.stringify(FILES)});
      const dir = await makePrivateTempDir(${JSON.stringify(parent)}, 'p-');
      await writePrivateFile(dir + '/f', 'secret');
      console.log('made');
      ${then === 'exit' ? 'process.exit(3);' : 'setInterval(() => {}, 1000);'}
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const made = new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => {
        if (c.toString().includes('made')) resolve();
      }),
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (c, s) => resolve({ code: c, signal: s })),
    );
    return { child, made, exited };
  }

  it('process.exit() removes it', async () => {
    const parent = fresh();
    const { exited } = holder(parent, 'exit');
    expect(await exited).toEqual({ code: 3, signal: null });
    expect(readdirSync(parent)).toEqual([]);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s removes it and the process dies of the signal',
    async (signal) => {
      const parent = fresh();
      const { child, made, exited } = holder(parent, 'wait');
      await made;
      expect(readdirSync(parent)).toHaveLength(1);
      child.kill(signal);
      expect(await exited).toEqual({ code: null, signal });
      expect(readdirSync(parent)).toEqual([]);
    },
  );
});
