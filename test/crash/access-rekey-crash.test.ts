/**
 * `ssclient access remove NAME --rekey` SIGKILLed at spread-out random moments (32 runs) on a
 * vault whose wrapped key file mixes a KMS key (the local KMS test server) and two age
 * recipients: after every kill, one complete key set opens the vault with every secret intact
 * (the wrapped key file, or the `.new` one a cut rekey left, through both its age and its KMS
 * door); running the command again finishes the job; and the removed identity then opens neither
 * the new file nor, with the file it may have kept, the re-keyed vault. rekey/rekey.ts's ordering
 * is what makes this hold; this is the real-process proof for the access command.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/primitives.js';
import { SecureStoreError } from '../../src/errors.js';
import {
  formatWrappedKeyFile,
  KeySource,
  parseWrappedKeyFile,
  SecretsManager,
  wrapKey,
  type WrappedKeyOptions,
} from '../../src/index.js';
import { ageKeygen, writeText } from '../helpers/age.js';
import { BIN, runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { kmsTarget } from '../helpers/kms.js';
import { rounds } from '../helpers/rounds.js';

const RUNS = rounds(32);
const target = kmsTarget();
const kms = { endpoint: target.endpoint, region: target.region };
const tmp = tempDir('access-crash-');
afterAll(() => tmp.cleanup());
beforeAll(() => {
  // The SDK in this worker reads credentials from the environment, as in production.
  Object.assign(process.env, target.env);
});
const SECRETS = { api: 'a-1', db: 'd-2', token: 't'.repeat(300) };

const env = () => ({
  ...target.env,
  HOME: tmp.dir,
  AWS_ENDPOINT_URL_KMS: target.endpoint,
  AWS_REGION: target.region,
});

/** The secrets of `vault` opened through `keyFile` with `options`, or the error's code. */
async function openWith(
  vault: string,
  keyFile: string,
  options: WrappedKeyOptions,
): Promise<Record<string, string> | string> {
  const source = KeySource.fromKmsFile(keyFile, options);
  try {
    const v = await SecretsManager.fromFile(vault, source);
    try {
      return Object.fromEntries(v.keys().map((k) => [k, v.get(k)!]));
    } finally {
      v.close();
    }
  } catch (err) {
    if (err instanceof SecureStoreError) return err.code;
    throw err;
  } finally {
    source.dispose();
  }
}

/** Runs the command and SIGKILLs it after `delayMs` (if it is still running then). */
function runAndKill(cwd: string, argv: string[], delayMs: number): Promise<'killed' | number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd,
      env: { PATH: process.env.PATH, ...env() },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? 'killed' : (code ?? -1));
    });
  });
}

describe('access remove --rekey, killed at random points', () => {
  it(
    `always leaves a vault one complete key set opens (${RUNS} kills)`,
    { timeout: 900_000 },
    async () => {
      const base = join(tmp.dir, 'base');
      mkdirSync(base);
      const alice = ageKeygen(tmp.dir, 'alice');
      const bob = ageKeygen(tmp.dir, 'bob');
      const key = randomBytes(32);
      const vault = await SecretsManager.create(KeySource.fromKey(key));
      for (const [k, v] of Object.entries(SECRETS)) vault.set(k, v);
      await vault.saveAs(join(base, 'secrets.json'));
      vault.close();
      const file = await wrapKey(key, {
        keyIds: [target.key1],
        recipients: [
          { recipient: alice.recipient, label: 'alice' },
          { recipient: bob.recipient, label: 'bob' },
        ],
        ...kms,
      });
      writeText(base, 'secrets.kms.json', formatWrappedKeyFile(file), 0o644);
      const argv = ['-i', alice.file, 'access', 'remove', 'bob', '--rekey'];

      // One run to the end, to spread the kills over the whole of a run (not a timing assertion).
      const whole = join(tmp.dir, 'whole');
      mkdirSync(whole);
      for (const f of ['secrets.json', 'secrets.kms.json'])
        copyFileSync(join(base, f), join(whole, f));
      const started = process.hrtime.bigint();
      expect(await runAndKill(whole, argv, 120_000)).toBe(0);
      const span = Number(process.hrtime.bigint() - started) / 1e6;

      let seed = 0x5eed;
      const random = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      const outcomes = { killed: 0, finished: 0, resumedOrRedone: 0 };
      for (let run = 0; run < RUNS; run++) {
        const dir = join(tmp.dir, `run-${run}`);
        mkdirSync(dir);
        for (const f of ['secrets.json', 'secrets.kms.json'])
          copyFileSync(join(base, f), join(dir, f));
        const vaultPath = join(dir, 'secrets.json');
        const keyFile = join(dir, 'secrets.kms.json');
        // Spread over the run, with jitter: from before the first write to after the last.
        const delay = Math.round(((run + random()) / RUNS) * span * 1.1);
        const result = await runAndKill(dir, argv, delay);
        if (result === 'killed') outcomes.killed++;
        else outcomes.finished++;

        // One complete key set opens the vault: the file, else the .new a cut rekey left; through
        // alice's age door with KMS out of reach, and through its KMS door alone.
        const sets = [keyFile, `${keyFile}.new`].filter((p) => existsSync(p));
        const opened: string[] = [];
        for (const set of sets) {
          const byAge = await openWith(vaultPath, set, {
            identities: [alice.file],
            endpoint: 'http://127.0.0.1:9',
            region: target.region,
          });
          if (typeof byAge === 'string') continue;
          expect(byAge, `run ${run} (${result} after ${delay} ms)`).toEqual(SECRETS);
          expect(await openWith(vaultPath, set, kms), `run ${run}: the KMS door of ${set}`).toEqual(
            SECRETS,
          );
          opened.push(set);
        }
        expect(
          opened.length,
          `run ${run} (${result} after ${delay} ms): no key set opens`,
        ).toBeGreaterThan(0);

        // Running it again finishes the job (unless the killed run had already finished it).
        const stillThere =
          parseWrappedKeyFile(readFileSync(keyFile), keyFile).wrappings.length === 3;
        if (stillThere) {
          outcomes.resumedOrRedone++;
          const again = runProcess(argv, { cwd: dir, env: env(), timeoutMs: 120_000 });
          expect(again.code, `run ${run}: ${again.stderr}`).toBe(0);
        }
        expect(existsSync(`${keyFile}.new`)).toBe(false);
        expect(await openWith(vaultPath, keyFile, { identities: [alice.file], ...kms })).toEqual(
          SECRETS,
        );
        // The removed identity opens neither the new file nor, with the old one, the new vault.
        expect(
          await openWith(vaultPath, keyFile, {
            identities: [bob.file],
            endpoint: 'http://127.0.0.1:9',
            region: target.region,
          }),
        ).toBe('ERR_KMS_UNREACHABLE');
        expect(
          await openWith(vaultPath, join(base, 'secrets.kms.json'), { identities: [bob.file] }),
        ).toBe('ERR_WRONG_KEY');
      }
      // The kills really landed inside runs (most of them), and some runs were cut and redone.
      expect(outcomes.killed).toBeGreaterThanOrEqual(RUNS / 2);
      expect(outcomes.resumedOrRedone).toBeGreaterThan(0);
    },
  );
});
