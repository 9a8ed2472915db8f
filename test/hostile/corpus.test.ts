// spec/format.md §7 (what a reader must reject, §7.1 size cap), §6 (key files), §5.3 (base64), §8 (no file changes on failure).
/**
 * The hostile-input corpus (fixtures/hostile, made by fixtures/hostile/make.mjs): every malformed
 * vault and key file gives its exact error code from the library, and from `ssclient` as a real
 * process exit code 1 with one line on stderr (no stack trace, no secret); and no file changes.
 */
import {
  copyFileSync,
  mkdirSync,
  openSync,
  closeSync,
  ftruncateSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VAULT_BYTES } from '../../src/format/vault-codec.js';
import { SecretsManager, SecureStoreError } from '../../src/index.js';
import { FIXTURES, tempDir } from '../helpers/vaults.js';
import { mapLimit, type ProcessResult, spawnCommand, spawnProcess } from '../helpers/cli.js';

const HOSTILE = join(FIXTURES, 'hostile');

interface HostileCase {
  kind: 'vault' | 'key';
  file: string;
  code: string;
  name: string;
  what: string;
  generated?: 'sparse' | 'fifo';
}
const corpus = JSON.parse(readFileSync(join(HOSTILE, 'cases.json'), 'utf8')) as {
  valid: string;
  key: string;
  secrets: Record<string, string>;
  cases: HostileCase[];
};
const KEY_PEM = readFileSync(join(HOSTILE, corpus.key), 'utf8');
const KEY_B64 = KEY_PEM.split('\n')[1]!;
/** Secret material that must never appear in any message. */
const SECRETS = [...Object.values(corpus.secrets), KEY_B64];

interface Setup {
  dir: string;
  vault: string;
  key: string;
  /** The file under test (for messages). */
  subject: string;
}

interface Snapshot {
  names: string[];
  files: Map<string, { bytes: Buffer | null; size: number; mtimeMs: number; mode: number }>;
}

/** Everything in `dir`, with bytes (except the sparse file, which is checked by size), times, modes. */
function snapshot(dir: string): Snapshot {
  const names = readdirSync(dir).sort();
  const files = new Map<string, Snapshot['files'] extends Map<string, infer V> ? V : never>();
  for (const name of names) {
    const st = statSync(join(dir, name));
    files.set(name, {
      // A FIFO is not read (that would wait for a writer): its size, time and mode still tell.
      bytes: !st.isFile() || st.size > 10 * 1024 * 1024 ? null : readFileSync(join(dir, name)),
      size: st.size,
      mtimeMs: st.mtimeMs,
      mode: st.mode,
    });
  }
  return { names, files };
}

/** Copies one case into its own directory, with times set in the past so a rewrite shows. */
function setUp(root: string, c: HostileCase, index: number): Setup {
  const dir = join(root, String(index).padStart(3, '0'));
  mkdirSync(dir);
  let vault: string;
  let key: string;
  if (c.kind === 'vault') {
    vault = join(dir, c.file.replace(/^vaults\//, ''));
    key = join(dir, 'hostile.key');
    if (c.generated === 'fifo') {
      execFileSync('mkfifo', [vault]);
    } else if (c.generated === 'sparse') {
      // spec/format.md §7.1: one byte over the cap, sparse, so it costs no disk space.
      const fd = openSync(vault, 'w');
      ftruncateSync(fd, MAX_VAULT_BYTES + 1);
      closeSync(fd);
    } else {
      copyFileSync(join(HOSTILE, c.file), vault);
    }
    copyFileSync(join(HOSTILE, corpus.key), key);
  } else {
    vault = join(dir, 'valid.json');
    key = join(dir, c.file.replace(/^keys\//, ''));
    copyFileSync(join(HOSTILE, corpus.valid), vault);
    if (c.generated === 'fifo') execFileSync('mkfifo', [key]);
    else copyFileSync(join(HOSTILE, c.file), key);
  }
  for (const f of [vault, key]) utimesSync(f, 1_000_000_000, 1_000_000_000);
  return { dir, vault, key, subject: c.kind === 'vault' ? vault : key };
}

/** Library errors that are raised on open; ERR_INTEGRITY only shows when the secret is read. */
const failsOnOpen = (c: HostileCase): boolean => c.code !== 'ERR_INTEGRITY';

const root = tempDir('ssclient-hostile-');
const setups: Setup[] = [];
const before: Snapshot[] = [];
const cli: { get: ProcessResult; set: ProcessResult | null }[] = [];

beforeAll(async () => {
  corpus.cases.forEach((c, i) => {
    setups.push(setUp(root.dir, c, i));
    before.push(snapshot(setups[i]!.dir));
  });
  // All CLI runs up front, a few at a time: each is a fresh node process.
  const runs = await mapLimit(corpus.cases, 4, async (c, i) => {
    const s = setups[i]!;
    const base = ['-s', s.vault, '-k', s.key];
    const get = await spawnProcess([...base, 'get', c.name], { cwd: s.dir });
    const set = failsOnOpen(c)
      ? await spawnProcess([...base, 'set', 'new_name', 'new value'], { cwd: s.dir })
      : null;
    return { get, set };
  });
  cli.push(...runs);
}, 240_000);

afterAll(() => root.cleanup());

describe('the hostile corpus', () => {
  it('has at least 30 malformed vaults and 15 malformed key files', () => {
    expect(corpus.cases.filter((c) => c.kind === 'vault').length).toBeGreaterThanOrEqual(30);
    expect(corpus.cases.filter((c) => c.kind === 'key').length).toBeGreaterThanOrEqual(15);
  });

  it('is exactly what make.mjs generates (the committed files are reproducible)', async () => {
    const out = tempDir('ssclient-hostile-make-');
    try {
      const r = await spawnCommand(process.execPath, [join(HOSTILE, 'make.mjs'), out.dir], {
        cwd: out.dir,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const list = (dir: string): string[] =>
        readdirSync(dir, { recursive: true, encoding: 'utf8' })
          .filter((f) => statSync(join(dir, f)).isFile())
          .sort();
      const committed = list(HOSTILE).filter((f) => f !== 'make.mjs');
      expect(list(out.dir)).toEqual(committed);
      for (const f of committed) {
        expect(readFileSync(join(out.dir, f)).equals(readFileSync(join(HOSTILE, f))), f).toBe(true);
      }
    } finally {
      out.cleanup();
    }
  });

  it('opens the unmodified valid.json with hostile.key (the corpus is sound)', async () => {
    const vault = await SecretsManager.fromFile(join(HOSTILE, corpus.valid), {
      keyFile: join(HOSTILE, corpus.key),
    });
    expect(vault.keys()).toEqual(Object.keys(corpus.secrets));
    for (const [name, value] of Object.entries(corpus.secrets)) expect(vault.get(name)).toBe(value);
    vault.close();
  });

  it.each(corpus.cases.map((c, i) => [c.file, c.code, i] as const))(
    '%s → %s',
    async (_file, code, i) => {
      const c = corpus.cases[i]!;
      const s = setups[i]!;

      // The library: open, then read the secret; and a locked update that would write.
      const caught = async (fn: () => Promise<unknown>): Promise<unknown> => {
        try {
          await fn();
        } catch (err) {
          return err;
        }
        return undefined;
      };
      const auth = { keyFile: s.key };
      const err = await caught(async () => {
        const vault = await SecretsManager.fromFile(s.vault, auth);
        try {
          return vault.get(c.name);
        } finally {
          vault.close();
        }
      });
      expect(err).toBeInstanceOf(SecureStoreError);
      expect((err as SecureStoreError).code).toBe(code);
      const message = (err as SecureStoreError).message;
      expect(message).toContain(basename(s.subject));
      for (const secret of SECRETS) expect(message).not.toContain(secret);

      const updateErr = await caught(() =>
        SecretsManager.update(s.vault, auth, (v) => {
          if (failsOnOpen(c)) v.set('new_name', 'new value');
          else v.get(c.name);
        }),
      );
      expect((updateErr as SecureStoreError).code).toBe(code);

      // The CLI as a real process: exit 1, nothing on stdout, one line on stderr.
      const runs = [cli[i]!.get, ...(cli[i]!.set ? [cli[i]!.set] : [])];
      for (const r of runs) {
        expect(r.signal).toBeNull();
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
        expect(r.stderr.length).toBeLessThan(400);
        expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
        expect(r.stderr).toContain(basename(s.subject));
        for (const secret of SECRETS) expect(r.stderr).not.toContain(secret);
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: r.stderr });
      }

      // Nothing changed: same files (no lock or temporary left), same bytes, times and modes.
      const after = snapshot(s.dir);
      expect(after.names).toEqual(before[i]!.names);
      for (const [name, was] of before[i]!.files) {
        const now = after.files.get(name)!;
        expect(now.size, name).toBe(was.size);
        expect(now.mtimeMs, name).toBe(was.mtimeMs);
        expect(now.mode, name).toBe(was.mode);
        if (was.bytes !== null) expect(now.bytes!.equals(was.bytes), name).toBe(true);
      }
    },
  );
});
