// spec/format.md §8 (writing safely: temporary file, fsync, rename, fsync the directory; locks and stale-lock recovery).
/**
 * Crash safety and concurrency with real processes: a child saving in a loop is SIGKILLed at
 * random moments (200 times); after each kill the vault opens and holds exactly the last saved
 * generation or the one being saved, never a mix. Eight processes doing 25 locked updates each
 * lose nothing. A lock left by a dead process is broken; a live holder's lock is respected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KeySource, SecretsManager } from '../../src/index.js';
import { mapLimit, spawnCommand, spawnProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { rounds } from '../helpers/rounds.js';

const SAVE_LOOP = fileURLToPath(new URL('./save-loop.mjs', import.meta.url));
const UPDATE_WORKER = fileURLToPath(new URL('./update-worker.mjs', import.meta.url));
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 11 + 3) & 0xff));
const KEY_HEX = KEY.toString('hex');
const key = (): KeySource => KeySource.fromKey(KEY);

const tmp = tempDir('ssclient-crash-');
afterAll(() => tmp.cleanup());

async function newVault(dir: string): Promise<string> {
  const path = join(dir, 'vault.json');
  const vault = await SecretsManager.create(key());
  vault.set('gen', '0');
  for (const name of ['alpha', 'beta', 'gamma']) vault.set(name, `${name}-0`);
  vault.set('padding', '');
  await vault.saveAs(path);
  vault.close();
  return path;
}

/** The generation the vault holds; fails unless every secret is from that one generation. */
async function generationOf(path: string): Promise<number> {
  const vault = await SecretsManager.fromFile(path, key());
  try {
    expect(vault.keys()).toEqual(['alpha', 'beta', 'gamma', 'gen', 'padding']);
    const gen = Number(vault.get('gen'));
    expect(Number.isInteger(gen)).toBe(true);
    for (const name of ['alpha', 'beta', 'gamma']) expect(vault.get(name)).toBe(`${name}-${gen}`);
    expect(vault.get('padding')).toBe('p'.repeat(gen % 97));
    return gen;
  } finally {
    vault.close();
  }
}

/**
 * Starts the save loop, waits until it has opened the vault, lets it run for a random time, and
 * SIGKILLs it. Returns the last generation it reported as saved (-1: none).
 */
function runAndKill(
  path: string,
  delayMs: number,
  after: 'ready' | 'first save',
): Promise<{ acked: number }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [SAVE_LOOP, path, KEY_HEX], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = -1;
    let armed = false;
    const arm = (): void => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    };
    let buffered = '';
    let stderr = '';
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`save loop never became ready: ${stderr}`));
    }, 20_000);
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => (stderr += c));
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'ready') {
          if (after === 'ready') arm();
        } else if (line.startsWith('saved ')) {
          acked = Number(line.slice(6));
          arm();
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (signal !== 'SIGKILL') reject(new Error(`save loop exited (${code}): ${stderr}`));
      else resolve({ acked });
    });
  });
}

describe('crash safety', () => {
  it('200 SIGKILLs at random moments: the vault always opens with the old or the new content', async () => {
    const LANES = 2;
    const KILLS_PER_LANE = rounds(100);
    const lanes = await mapLimit(
      Array.from({ length: LANES }, (_, i) => i),
      LANES,
      async (lane) => {
        const dir = join(tmp.dir, `lane-${lane}`);
        mkdirSync(dir);
        const path = await newVault(dir);
        let before = await generationOf(path);
        const outcomes = { unchanged: 0, advanced: 0, midSave: 0 };
        let afterSave = 0;
        for (let kill = 0; kill < KILLS_PER_LANE; kill++) {
          // Half the kills land anywhere from the moment the vault is open (including the first
          // lock and save); half within a few saves after the first one has completed.
          const after = kill % 2 === 0 ? 'ready' : 'first save';
          if (after === 'first save') afterSave++;
          const delay = Math.random() < 0.8 ? Math.random() * 15 : Math.random() * 60;
          const { acked } = await runAndKill(path, delay, after);
          const gen = await generationOf(path);
          // What it said it saved is on disk; at most the one save in flight went further.
          const floor = Math.max(before, acked);
          expect(gen, `kill ${kill} in lane ${lane}`).toBeGreaterThanOrEqual(floor);
          expect(gen, `kill ${kill} in lane ${lane}`).toBeLessThanOrEqual(floor + 1);
          if (gen === before) outcomes.unchanged++;
          else if (gen === acked) outcomes.advanced++;
          else outcomes.midSave++;
          before = gen;
        }
        return {
          outcomes,
          afterSave,
          leftovers: readdirSync(dir).filter((f) => f !== 'vault.json'),
        };
      },
    );
    for (const { outcomes, afterSave, leftovers } of lanes) {
      // Every kill after a completed save found the vault advanced: saves really happened.
      expect(outcomes.advanced + outcomes.midSave).toBeGreaterThanOrEqual(afterSave);
      // Each save removes the temporary files of killed writers, so at most the last kill's
      // temporary file, lock and lock-breaking guard can be left.
      expect(leftovers.length, leftovers.join(' ')).toBeLessThanOrEqual(3);
      for (const f of leftovers) {
        expect(f).toMatch(
          /^(\.vault\.json\.\d+\.[0-9a-f]{12}\.tmp|vault\.json\.lock|vault\.json\.lock\.break)$/,
        );
      }
    }
  }, 180_000);
});

describe('concurrency (spec/format.md §8: locked read-modify-write)', () => {
  it('8 processes × 25 locked updates of different names: all 200 are present', async () => {
    const dir = join(tmp.dir, 'concurrent');
    mkdirSync(dir);
    const path = await newVault(dir);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, id) =>
        spawnCommand(process.execPath, [UPDATE_WORKER, path, KEY_HEX, String(id), '25'], {
          cwd: dir,
          timeoutMs: 120_000,
        }),
      ),
    );
    for (const r of results)
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 0,
        stdout: 'done\n',
        stderr: '',
      });
    const vault = await SecretsManager.fromFile(path, key());
    const names = vault.keys().filter((n) => n.startsWith('worker-'));
    expect(names).toHaveLength(200);
    for (let id = 0; id < 8; id++) {
      for (let i = 0; i < 25; i++) {
        expect(vault.get(`worker-${id}-${String(i).padStart(2, '0')}`)).toBe(`value ${id}/${i}`);
      }
    }
    expect(vault.get('alpha')).toBe('alpha-0');
    vault.close();
    expect(readdirSync(dir)).toEqual(['vault.json']);
  }, 150_000);
});

describe('concurrency through the CLI', () => {
  it('8 ssclient processes each running 3 sets at once: all 24 names present', async () => {
    const dir = join(tmp.dir, 'cli-concurrent');
    mkdirSync(dir);
    const path = await newVault(dir);
    const keyFile = join(dir, 'vault.key');
    const vault = await SecretsManager.fromFile(path, key());
    await vault.exportKey(keyFile);
    vault.close();
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, id) => {
        const out = [];
        for (let i = 0; i < 3; i++) {
          out.push(
            await spawnProcess(
              ['-s', path, '-k', keyFile, 'set', `cli-${id}-${i}`, `v${id}.${i}`],
              {
                cwd: dir,
                timeoutMs: 60_000,
              },
            ),
          );
        }
        return out;
      }),
    );
    for (const r of results.flat()) {
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
    }
    const check = await SecretsManager.fromFile(path, key());
    for (let id = 0; id < 8; id++) {
      for (let i = 0; i < 3; i++) expect(check.get(`cli-${id}-${i}`)).toBe(`v${id}.${i}`);
    }
    check.close();
    expect(readdirSync(dir).sort()).toEqual(['vault.json', 'vault.key']);
  }, 120_000);
});

describe('stale locks', () => {
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => child.on('close', resolve));
    return child.pid!;
  }

  async function lockedVault(name: string, holder: object | string, ageMs = 0): Promise<string> {
    const dir = join(tmp.dir, name);
    mkdirSync(dir);
    const path = await newVault(dir);
    writeFileSync(`${path}.lock`, typeof holder === 'string' ? holder : JSON.stringify(holder));
    if (ageMs > 0) {
      const t = (Date.now() - ageMs) / 1000;
      utimesSync(`${path}.lock`, t, t);
    }
    return path;
  }

  it('a lock left by a dead process on this host is broken, and the update goes through', async () => {
    const path = await lockedVault('dead', {
      pid: await deadPid(),
      host: hostname(),
      time: Date.now(),
    });
    await SecretsManager.update(path, key(), (v) => v.set('after', 'yes'), { timeoutMs: 10_000 });
    const vault = await SecretsManager.fromFile(path, key());
    expect(vault.get('after')).toBe('yes');
    vault.close();
    expect(readdirSync(join(tmp.dir, 'dead'))).toEqual(['vault.json']);
  });

  it('a lock written only in part (unreadable) and older than a few seconds is broken', async () => {
    const path = await lockedVault('partial', '{"pid": 12', 60_000);
    await SecretsManager.update(path, key(), (v) => v.set('after', 'yes'), { timeoutMs: 10_000 });
    expect(readdirSync(join(tmp.dir, 'partial'))).toEqual(['vault.json']);
  });

  it('a lock older than 10 minutes is broken even if its holder seems alive', async () => {
    const path = await lockedVault(
      'ancient',
      { pid: process.pid, host: 'elsewhere', time: 0 },
      11 * 60_000,
    );
    await SecretsManager.update(path, key(), (v) => v.set('after', 'yes'), { timeoutMs: 10_000 });
    expect(readdirSync(join(tmp.dir, 'ancient'))).toEqual(['vault.json']);
  });

  it.each([
    [
      'a live process on this host',
      () => ({ pid: process.pid, host: hostname(), time: Date.now() }),
    ],
    [
      'a process on another host',
      () => ({ pid: 1, host: 'another-host.example', time: Date.now() }),
    ],
  ])('a fresh lock held by %s is respected: ERR_LOCKED, nothing written', async (label, holder) => {
    const name = label.replace(/\W+/g, '-');
    const path = await lockedVault(name, holder());
    const lockBefore = readFileSync(`${path}.lock`);
    const vaultBefore = readFileSync(path);
    await expect(
      SecretsManager.update(path, key(), (v) => v.set('after', 'no'), { timeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: 'ERR_LOCKED',
      message: expect.stringContaining(`${path}.lock`),
    });
    expect(readFileSync(`${path}.lock`)).toEqual(lockBefore);
    expect(readFileSync(path)).toEqual(vaultBefore);
  });
});
