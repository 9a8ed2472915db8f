// spec/format.md §8.1 (atomic replace: the temporary directory, its removal on signals and by the
// next writer) and §7.1 (readFileCapped: pipes and devices that would block).
/**
 * writeFileAtomic as real processes see it: a writer stopped with its data written (and so its
 * plaintext in the temporary file) is signalled; afterwards nothing but the target holds the
 * data, git never sees a leftover whatever the user's ignore rule, and the next write beside the
 * target removes a SIGKILLed writer's leftovers (but never a live writer's). readFileCapped
 * refuses at once a named pipe that nothing writes to, and reads one whose writer writes later.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileCapped, writeFileAtomic } from '../../src/io/files.js';
import { tempDir } from '../helpers/vaults.js';

const PAUSED_WRITE = fileURLToPath(new URL('./paused-write.mjs', import.meta.url));
const SECRET = 'S3CRET-PLAINTEXT-VALUE';

const tmp = tempDir('ssclient-io-files-');
afterAll(() => tmp.cleanup());

let counter = 0;
function freshDir(): string {
  const dir = join(tmp.dir, `d${counter++}`);
  mkdirSync(dir);
  return dir;
}

/** Every file under `dir` (recursively, `.git` excepted), relative to it, sorted. */
function allFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => !f.startsWith('.git/') && f !== '.git' && statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

/** The files under `dir` whose bytes contain `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  return allFiles(dir).filter((f) => readFileSync(join(dir, f)).includes(needle));
}

/** Starts a paused write of `value` to `path`; resolves once its data is in the temporary file. */
function startPausedWrite(
  path: string,
  value: string,
  handle = false,
): Promise<{
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null }>;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [PAUSED_WRITE, path, value, ...(handle ? ['handle'] : [])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((res) =>
      child.on('exit', (code, signal) => res({ code, signal })),
    );
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the paused write never wrote: ${stderr}`));
    }, 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('written')) {
        clearTimeout(watchdog);
        resolve({ child, exited });
      }
    });
  });
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

/** A git repository whose .gitignore ignores `rule`, with .gitignore and out.env committed. */
function repoWithRule(rule: string): { dir: string; path: string } {
  const dir = freshDir();
  git(dir, 'init', '-q');
  writeFileSync(join(dir, '.gitignore'), `${rule}\n`);
  writeFileSync(join(dir, 'out.env'), 'OLD=1\n');
  git(dir, 'add', '.gitignore');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return { dir, path: join(dir, 'out.env') };
}

describe('writeFileAtomic: no plaintext left anywhere but the target', () => {
  it('while the data is written, the temporary file is one git ignores whatever the rule for the target', async () => {
    for (const rule of ['out.env', '/out.env', '*.env', '']) {
      const { dir, path } = repoWithRule(rule);
      const { child, exited } = await startPausedWrite(path, SECRET);
      try {
        const holding = filesHolding(dir, SECRET);
        expect(holding, rule).toHaveLength(1);
        // Not the target yet; git sees nothing of it.
        expect(readFileSync(path, 'utf8')).toBe('OLD=1\n');
        expect(git(dir, 'status', '--porcelain', '--untracked-files=all'), rule).toBe(
          rule === '' ? '?? out.env\n' : '',
        );
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      git(dir, 'add', '-A');
      expect(git(dir, 'diff', '--cached', '--name-only'), rule).toBe(
        rule === '' ? 'out.env\n' : '',
      );
    }
  }, 60_000);

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s mid-write: the process dies of it and leaves only the old file',
    async (signal) => {
      const dir = freshDir();
      const path = join(dir, 'out.env');
      writeFileSync(path, 'OLD=1\n');
      const { child, exited } = await startPausedWrite(path, SECRET);
      child.kill(signal);
      expect(await exited).toEqual({ code: null, signal });
      expect(readdirSync(dir)).toEqual(['out.env']);
      expect(readFileSync(path, 'utf8')).toBe('OLD=1\n');
    },
    30_000,
  );

  it('a program that handles the signal itself decides; its process.exit() still removes the temporary file', async () => {
    const dir = freshDir();
    const path = join(dir, 'out.env');
    const { child, exited } = await startPausedWrite(path, SECRET, true);
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(readdirSync(dir)).toEqual([]);
  }, 30_000);

  it('after a SIGKILL, the next write beside the target removes the leftover', async () => {
    const { dir, path } = repoWithRule('out.env');
    const { child, exited } = await startPausedWrite(path, SECRET);
    child.kill('SIGKILL');
    await exited;
    expect(filesHolding(dir, SECRET)).toHaveLength(1);
    await writeFileAtomic(path, 'NEW=2\n');
    expect(filesHolding(dir, SECRET)).toEqual([]);
    expect(allFiles(dir)).toEqual(['.gitignore', 'out.env']);
    expect(readFileSync(path, 'utf8')).toBe('NEW=2\n');
  }, 30_000);

  it('the next write removes dead writers’ leftovers of its target only, never a live writer’s or another host’s', async () => {
    const dir = freshDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const marker = (pid: number, host: string): string =>
      `# ssclient: a file being written; removed when its writer ends ${JSON.stringify({ pid, host })}\n*\n`;
    const tempDirWith = (name: string, pid: number, host: string | null): void => {
      mkdirSync(join(dir, name));
      if (host !== null) writeFileSync(join(dir, name, '.gitignore'), marker(pid, host));
      writeFileSync(join(dir, name, 'out.env'), SECRET);
    };
    const removed = [`.out.env.${dead}.0123456789ab.tmp`, `.out.env.${dead}.00000000000a.tmp`];
    tempDirWith(removed[0]!, dead, hostname());
    writeFileSync(join(dir, removed[1]!), SECRET); // a temporary file of an older version
    mkdirSync(join(dir, `.out.env.${dead}.00000000000b.tmp`)); // died before writing anything
    const kept = [
      `.out.env.${process.pid}.0123456789ab.tmp`, // a live writer (this process)
      `.out.env.${dead}.0123456789ac.tmp`, // that pid on another host may be alive
      `.out.env.${dead}.0123456789ad.tmp`, // data but no marker: whose, is unknown
      `.other.env.${dead}.0123456789ab.tmp`, // another file's
    ];
    tempDirWith(kept[0]!, process.pid, hostname());
    tempDirWith(kept[1]!, dead, 'another-host.example');
    tempDirWith(kept[2]!, dead, null);
    tempDirWith(kept[3]!, dead, hostname());
    await writeFileAtomic(join(dir, 'out.env'), 'NEW=2\n');
    expect(readdirSync(dir).sort()).toEqual([...kept, 'out.env'].sort());
  });

  it('keeps the modes: a new key file 0600 whatever the umask, an existing file its own', async () => {
    const dir = freshDir();
    const path = join(dir, 'k');
    await writeFileAtomic(path, 'x', { mode: 0o600, forceMode: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir, 'v'), 'old', { mode: 0o640 });
    await writeFileAtomic(join(dir, 'v'), 'new');
    expect(statSync(join(dir, 'v')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['k', 'v']);
  });
});

describe.runIf(process.platform === 'linux')('readFileCapped: pipes', () => {
  const CAP = { code: 'ERR_KEY_FILE', what: 'a key file' } as const;

  it('refuses at once a named pipe that nothing writes to (it would wait forever)', async () => {
    const fifo = join(freshDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(readFileCapped(fifo, 4096, CAP)).rejects.toMatchObject({
      code: 'ERR_IO',
      message: `cannot read ${fifo}: it is a named pipe (FIFO) that nothing writes to`,
    });
  });

  it('reads a pipe whose writer writes after a while, to its end, under the cap', async () => {
    const fifo = join(freshDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    // The writer holds the pipe open (read-write, so its open() does not wait for a reader) and
    // says so before we read, then writes in two parts, later. Without waiting for it, a
    // loaded machine could start the read before the writer exists: the refusal tested above.
    const writer = spawn('bash', [
      '-c',
      'exec 3<>"$1"; echo ready; sleep 0.3; printf abc >&3; sleep 0.2; printf def >&3',
      '-',
      fifo,
    ]);
    const exited = new Promise((res) => writer.on('exit', res));
    await new Promise((res) => writer.stdout.once('data', res));
    const bytes = await readFileCapped(fifo, 4096, CAP);
    expect(bytes.toString()).toBe('abcdef');
    await exited;
  });
});
