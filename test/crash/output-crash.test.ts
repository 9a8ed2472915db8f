// spec/format.md §8.1 (atomic replace: the temporary directory git ignores, removed on signals
// and by the next writer); docs/workflow.md (`get --output`).
/**
 * `get --all --format dotenv --output out.env` on a 10 000-secret vault, as real processes,
 * signalled at random moments: 50 each of SIGKILL, SIGINT, SIGTERM and SIGHUP, in two lanes.
 * After each: out.env is absent, the old file or the complete export; no other file holds
 * plaintext (after SIGINT/SIGTERM/SIGHUP at once; after SIGKILL once the next export to out.env
 * has run, which removes the leftover); and git, with `out.env` in .gitignore, never sees a
 * leftover.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySource, SecretsManager } from '../../src/index.js';
import { BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { mapLimit } from '../helpers/cli.js';
import { rounds } from '../helpers/rounds.js';

const SECRETS = 10_000;
const MARK = 'PLAINTEXT-MARK-';
const OLD = 'OLD_EXPORT=1\n';
const SIGNALS = ['SIGKILL', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const PER_SIGNAL = rounds(50);
const LANES = 2;

const tmp = tempDir('ssclient-output-crash-');
afterAll(() => tmp.cleanup());

let complete = '';
/** How long a whole export takes here, measured once, to spread the signals over it. */
let fullRunMs = 1_000;

beforeAll(async () => {
  const vault = await SecretsManager.create(KeySource.fromKey(Buffer.alloc(32, 7)));
  for (let i = 0; i < SECRETS; i++) {
    vault.set(`SECRET_${String(i).padStart(5, '0')}`, `${MARK}${i}-${'x'.repeat(40)}`);
  }
  await vault.saveAs(join(tmp.dir, 'vault.json'));
  await vault.exportKey(join(tmp.dir, 'vault.key'));
  vault.close();
  // Measured as the lanes run: LANES exports at once, each in its own directory.
  const started = Date.now();
  const firsts = await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const dir = join(tmp.dir, `measure-${lane}`);
      mkdirSync(dir);
      copyFileSync(join(tmp.dir, 'vault.json'), join(dir, 'vault.json'));
      copyFileSync(join(tmp.dir, 'vault.key'), join(dir, 'vault.key'));
      const r = await exportTo(dir, null);
      if (lane === 0) copyFileSync(join(dir, 'out.env'), join(tmp.dir, 'out.env'));
      rmSync(dir, { recursive: true, force: true });
      return r;
    }),
  );
  fullRunMs = Date.now() - started;
  for (const first of firsts) expect(first).toEqual({ code: 0, signal: null });
  complete = readFileSync(join(tmp.dir, 'out.env'), 'utf8');
  expect(complete.split('\n')).toHaveLength(SECRETS + 1);
  rmSync(join(tmp.dir, 'out.env'));
}, 60_000);

/**
 * Runs the export in `dir`; sends `signal` after `delayMs` from the start, or, with `atWrite`,
 * `delayMs` after a temporary file or directory of out.env appears (none: runs to its end).
 */
function exportTo(
  dir: string,
  signal: (typeof SIGNALS)[number] | null,
  delayMs = 0,
  atWrite = false,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, '-s', 'vault.json', '-k', 'vault.key', 'get', '--all', '--format', 'dotenv'].concat([
        '--output',
        'out.env',
        '--force',
      ]),
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH } },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    let timer: NodeJS.Timeout | null = null;
    let fired = false;
    const watcher = atWrite
      ? watch(dir, (_event, name) => {
          if (fired || signal === null || !String(name).startsWith('.out.env.')) return;
          fired = true;
          if (delayMs === 0) child.kill(signal);
          else timer = setTimeout(() => child.kill(signal), delayMs);
        })
      : null;
    if (signal !== null && !atWrite) timer = setTimeout(() => child.kill(signal), delayMs);
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`export hung: ${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      watcher?.close();
      if (timer !== null) clearTimeout(timer);
      clearTimeout(watchdog);
      if (code !== null && code !== 0) reject(new Error(`export failed (${code}): ${stderr}`));
      else resolve({ code, signal: sig });
    });
  });
}

/** Every file under `dir` except `.git`, relative to it. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter(
    (f) => !f.startsWith('.git/') && f !== '.git' && statSync(join(dir, f)).isFile(),
  );
}

/** The files under `dir`, other than out.env, that hold any plaintext value. */
function plaintextOutsideTarget(dir: string): string[] {
  return filesUnder(dir).filter(
    (f) => f !== 'out.env' && readFileSync(join(dir, f)).includes(MARK),
  );
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

describe('get --output under signals', () => {
  it(`${PER_SIGNAL} each of ${SIGNALS.join(', ')} at random moments: out.env is absent, old or complete, and no other file keeps plaintext`, async () => {
    const outcomes = await mapLimit(
      Array.from({ length: LANES }, (_, i) => i),
      LANES,
      async (lane) => {
        const dir = join(tmp.dir, `lane-${lane}`);
        mkdirSync(dir);
        copyFileSync(join(tmp.dir, 'vault.json'), join(dir, 'vault.json'));
        copyFileSync(join(tmp.dir, 'vault.key'), join(dir, 'vault.key'));
        git(dir, 'init', '-q');
        writeFileSync(join(dir, '.gitignore'), 'out.env\n');
        git(dir, 'add', '-A');
        git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'vault');
        const counts = {
          killed: 0,
          finished: 0,
          midWrite: 0,
          markers: 0,
          leftovers: 0,
          absent: 0,
          old: 0,
          complete: 0,
        };
        const runs = (PER_SIGNAL * SIGNALS.length) / LANES;
        // The runs signalled "anywhere" get their moments spread evenly over 0 to 1.5 times a
        // whole run (one random moment in each slice), so that some land before the write,
        // some during it and some after the export completed, in every run of the suite.
        const anywhere = Array.from({ length: runs }, (_, i) => i).filter(
          (i) => Math.floor(i / SIGNALS.length) % 2 === 0,
        );
        for (let i = 0; i < runs; i++) {
          const signal = SIGNALS[(i + lane) % SIGNALS.length]!;
          const path = join(dir, 'out.env');
          // Half the runs replace an old export, half write a new one.
          if (i % 2 === 0) writeFileSync(path, OLD, { mode: 0o600 });
          else rmSync(path, { force: true });
          // Half the signals land anywhere in the run; half at, or within 2 ms of, the moment
          // the export starts being written (its temporary file appears).
          const atWrite = Math.floor(i / SIGNALS.length) % 2 === 1;
          const delay = atWrite
            ? Math.random() < 0.5
              ? 0
              : Math.random() * 2
            : ((anywhere.indexOf(i) + Math.random()) / anywhere.length) * fullRunMs * 1.5;
          const r = await exportTo(dir, signal, delay, atWrite);
          const when = atWrite ? 'after the write began' : 'after the start';
          const label = `lane ${lane} run ${i}: ${signal} ${delay.toFixed(1)} ms ${when}`;
          if (r.signal === null) counts.finished++;
          else {
            expect(r.signal, label).toBe(signal);
            counts.killed++;
          }

          const now = existsSync(path) ? readFileSync(path, 'utf8') : null;
          // Signalled after the write began and before it completed.
          if (atWrite && r.signal !== null && now !== complete) counts.midWrite++;
          if (now === null) counts.absent++;
          else if (now === OLD) counts.old++;
          else {
            expect(now === complete, `${label}: out.env is neither old nor complete`).toBe(true);
            counts.complete++;
          }
          expect(now === null ? i % 2 === 1 : true, `${label}: the old export vanished`).toBe(true);

          // git never sees a leftover's data: .gitignore ignores out.env, and a leftover
          // directory ignores itself. The one thing git can see is the marker itself, when the
          // writer was killed between creating it and writing its `*` (before any data).
          const seen = git(dir, 'status', '--porcelain', '--untracked-files=all');
          for (const line of seen.split('\n').filter((l) => l !== '')) {
            expect(line, label).toMatch(/^\?\? \.out\.env\.\d+\.[0-9a-f]{12}\.tmp\/\.gitignore$/);
            const marker = readFileSync(join(dir, line.slice(3)), 'utf8');
            expect(marker.includes('\n*\n'), label).toBe(false);
            counts.markers++;
          }
          if (seen !== '') {
            // That empty directory goes with the next write, too.
            expect(await exportTo(dir, null), label).toEqual({ code: 0, signal: null });
            expect(git(dir, 'status', '--porcelain', '--untracked-files=all'), label).toBe('');
          }
          const leftover = plaintextOutsideTarget(dir);
          if (signal !== 'SIGKILL' || r.signal === null) {
            expect(leftover, label).toEqual([]);
            continue;
          }
          if (leftover.length === 0) continue;
          // A SIGKILLed export's leftover: the next export to out.env removes it.
          counts.leftovers++;
          expect(await exportTo(dir, null), label).toEqual({ code: 0, signal: null });
          expect(readFileSync(path, 'utf8') === complete, label).toBe(true);
          expect(plaintextOutsideTarget(dir), `${label}: the next export left`).toEqual([]);
        }
        expect(
          filesUnder(dir)
            .filter((f) => !['vault.json', 'vault.key', 'out.env', '.gitignore'].includes(f))
            .filter((f) => readFileSync(join(dir, f)).includes(MARK)),
        ).toEqual([]);
        return counts;
      },
    );
    const total = outcomes.reduce((a, c) => a + c.killed + c.finished, 0);
    expect(total).toBe(PER_SIGNAL * SIGNALS.length);
    // The signals did land before, during and after the write.
    const sum = (k: keyof (typeof outcomes)[number]): number =>
      outcomes.reduce((a, c) => a + c[k], 0);
    expect(sum('killed')).toBeGreaterThan(PER_SIGNAL);
    // Half the runs are signalled at the write; at least half of those must land inside it.
    expect(sum('midWrite')).toBeGreaterThanOrEqual(Math.ceil(total / 4));
    expect(sum('old') + sum('absent')).toBeGreaterThan(0);
    expect(sum('complete')).toBeGreaterThan(0);
  }, 300_000);
});
