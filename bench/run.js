#!/usr/bin/env node
/**
 * `npm run bench` (build, then `node bench/run.js`): the benchmark tables of docs/benchmarks.md,
 * every number measured in this one run on this machine.
 *
 *   node bench/run.js                 the full run (a few minutes)
 *   node bench/run.js --quick         a smoke run: small vaults, two runs per row (numbers meaningless)
 *   node bench/run.js --runs N        at most N timed runs per row (default 15)
 *   node bench/run.js --json PATH     where the machine-readable results go
 *                                     (default bench/results-node<major>.json)
 *   node bench/run.js --previous REF  the earlier version of ours measured beside this one: a git
 *                                     commit (built once into a temporary git worktree, reused by
 *                                     later runs) or a directory holding a built checkout;
 *                                     `--previous none` leaves it out (default PREVIOUS_RELEASE)
 *
 * Tables: (a) the library against @neosmart/securestore on generated vaults; peak memory of a
 * fresh process per vault size; (b) the real CLI (`node bin/ssclient.js`) against bare
 * `node -e 0`, `openssl kdf` (the key derivation of a password vault, alone) in the same run, and
 * the reference ssclient's recorded costs (spec/cli.md §7); (c) the goals, each a ratio measured
 * in this run, with the same ratio for the previous version of ours.
 * Times are medians of interleaved runs after warm-up; this is not a test and asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { settle } from './settle.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'ssclient.js');
const FLOOR = join(ROOT, 'bench', 'floor-get.js');
const SELF = fileURLToPath(import.meta.url);
const OURS = '../dist/index.js';
const PEER = '@neosmart/securestore';

/** The reference ssclient 2.0.1, median wall time on 2 cores (spec/cli.md §7), in ms. */
const REFERENCE_MS = {
  'get 10': 7,
  'get 1000': 118,
  'get 10000': 1058,
  'set 1000': 154,
  'set 10000': 1459,
  'get --all 10000': 1152,
};

/** The previous release of ours, measured live beside this code unless `--previous none`. */
const PREVIOUS_RELEASE = '2a83cd8';

/** Goals, each a ratio of this run (docs/benchmarks.md). */
const GOAL = {
  cliVsReference: 0.1, // 10 000-secret `get` and `set`: at most 0.1× the reference's recorded time
  passwordVsKdf: 1.3, // `-p PASSWORD get`: at most 1.3× `openssl kdf` alone (the reference's cost)
  cliGetVsNode: 1.3, // 10-secret `get`: at most 1.3× bare `node -e 0`
  getEachSpeedup: 15, // open + get(name) of each of 10 000: at least 15× faster than the peer
  getAllSpeedup: 25, // open + getAll() of 10 000: at least 25× faster than the peer
  bigGetMs: 400, // CLI `get` on 100 000 secrets: at most 0.4 s
  bigPeakPerFile: 2, // … and at most 2× the file size of peak memory above bare node
};

/** The password of the bench's password vault (any will do; the reference took it via -p). */
const PASSWORD = 'correct horse battery staple';

/** A fixed vault key (the bench is repeatable; the IVs are random, as always). */
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const KEY_PEM = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(KEY).toString('base64')}\n-----END PRIVATE KEY-----\n`;

const secretName = (i) => `secret-${String(i).padStart(6, '0')}`;
const secretValue = (i) => `value ${i} of the benchmark vault`.padEnd(40, '.');

if (process.argv[2] === '--child') {
  await child(process.argv.slice(3));
} else {
  await bench(parseArgs(process.argv.slice(2)));
}

// ---------------------------------------------------------------- configuration

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const valueOf = (flag) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const runsArg = valueOf('--runs');
  const runs = runsArg !== undefined ? Number(runsArg) : quick ? 2 : 15;
  if (!Number.isInteger(runs) || runs < 1) usageError('--runs takes a positive whole number');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (['--runs', '--json', '--previous'].includes(arg)) {
      if (argv[i + 1] === undefined) usageError(`${arg} takes a value`);
      i++;
    } else if (arg !== '--quick') {
      usageError(`unknown option ${arg} (use --quick, --runs N, --json PATH or --previous REF)`);
    }
  }
  const previous = valueOf('--previous') ?? PREVIOUS_RELEASE;
  return {
    quick,
    runs,
    warmup: quick ? 0 : 2,
    /** A row stops after this much time once it has 3 runs (the large vaults are slow). */
    budgetMs: quick ? 0 : 8000,
    /** Vault sizes of the library table; [2] is the decrypt-all and set target size, [3] the big one. */
    libSizes: quick ? [10, 100, 1000, 2000] : [10, 1000, 10_000, 100_000],
    /** CLI vault sizes: `get` on each, `set` on the last two, `get --all` on the last. */
    cliSizes: quick ? [10, 100, 1000] : [10, 1000, 10_000],
    /** The CLI's large vault: `get` time and peak memory. */
    cliHuge: quick ? 2000 : 100_000,
    /** Secrets in the password vault. */
    passwordSize: 3,
    /** Lines of the dotenv file imported, and how many `set`s are timed to estimate as many. */
    importLines: quick ? 200 : 10_000,
    importSets: quick ? 5 : 50,
    memRuns: quick ? 1 : 3,
    json:
      valueOf('--json') ??
      join(ROOT, 'bench', `results-node${process.versions.node.split('.')[0]}.json`),
    previous: previous === 'none' ? null : previous,
  };
}

function usageError(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

/**
 * The directory of a built checkout of an earlier version of ours: `ref` itself when it is a
 * directory with dist/, else the commit `ref` checked out (`git worktree add --detach`) into a
 * temporary directory, installed and built there once and reused by later runs.
 */
function previousBuild(ref) {
  if (existsSync(join(ref, 'dist', 'index.js'))) return ref;
  const git = (...args) => {
    const res = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`bench: git ${args.join(' ')}: ${res.stderr}`);
    return res.stdout.trim();
  };
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(os.tmpdir(), `securestore-bench-prev-${sha.slice(0, 7)}`);
  if (existsSync(join(dir, 'dist', 'index.js'))) return dir;
  console.log(
    `Building ${ref} (${sha.slice(0, 12)}) into ${dir} for the previous-release columns…`,
  );
  if (!existsSync(dir)) git('worktree', 'add', '--detach', dir, sha);
  for (const cmd of [
    ['npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts']],
    ['npx', ['tsc', '-p', 'tsconfig.build.json']],
  ]) {
    const res = spawnSync(cmd[0], cmd[1], { cwd: dir, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`bench: ${cmd.join(' ')} in ${dir}: ${res.stderr}`);
  }
  return dir;
}

// ---------------------------------------------------------------- the run

async function bench(cfg) {
  const { SecretsManager, KeySource } = await import(OURS);
  const peer = await import(PEER);
  const prevDir = cfg.previous === null ? null : previousBuild(cfg.previous);
  const prev =
    prevDir === null
      ? null
      : {
          dir: prevDir,
          bin: join(prevDir, 'bin', 'ssclient.js'),
          lib: await import(pathToFileURL(join(prevDir, 'dist', 'index.js')).href),
        };
  const dir = mkdtempSync(join(os.tmpdir(), 'ssclient-bench-'));
  const json = { machine: machineInfo(cfg), previous: null };
  try {
    json.loadAtStart = printMachine(cfg, 'at start');
    if (prev !== null) {
      json.previous = { ref: cfg.previous, dir: prev.dir };
      console.log(`previous version of ours: ${cfg.previous} (built in ${prev.dir})\n`);
    }
    const keyFile = join(dir, 'bench.key');
    writeFileSync(keyFile, KEY_PEM, { mode: 0o600 });

    // Generate every vault once, with the fixed key, through our library, unsealed: the layout
    // the reference writes and reads, which the goals were set on and which the peer and the
    // previous version of ours (older than the seal) read the same way. Sealed vaults cost more
    // to open: docs/benchmarks.md "Sealed vaults" (bench/seal-open.js).
    const vaults = new Map();
    const sizes = [...new Set([...cfg.libSizes, ...cfg.cliSizes, cfg.cliHuge])].sort(
      (a, b) => a - b,
    );
    const genStart = performance.now();
    for (const n of sizes) {
      const path = join(dir, `vault-${n}.json`);
      const vault = await SecretsManager.create(KeySource.fromKey(KEY), { seal: false });
      for (let i = 0; i < n; i++) vault.set(secretName(i), secretValue(i));
      await vault.saveAs(path);
      vault.close();
      vaults.set(n, { path, bytes: statSync(path).size });
    }
    // The password vault: the key is PBKDF2 of PASSWORD over this vault's iv.
    const pwPath = join(dir, `vault-password-${cfg.passwordSize}.json`);
    const pwVault = await SecretsManager.create(KeySource.fromPassword(PASSWORD), { seal: false });
    for (let i = 0; i < cfg.passwordSize; i++) pwVault.set(secretName(i), secretValue(i));
    await pwVault.saveAs(pwPath);
    const passwordVault = {
      path: pwPath,
      ivHex: Buffer.from(pwVault.vaultIv, 'base64').toString('hex'),
    };
    pwVault.close();
    await checkKdfStandIn(SecretsManager, KeySource, passwordVault);
    console.log(
      `Generated vaults of ${sizes.map(fmtInt).join(', ')} secrets in ${fmtMs(performance.now() - genStart)} ms ` +
        `(names secret-000000…, ${secretValue(0).length}-byte values, one fixed key), and one of ` +
        `${cfg.passwordSize} secrets under a password.\n`,
    );

    const auth = { keyFile };
    const probe = (n) => Math.floor(n / 2); // the secret `get` asks for: mid-file
    await checkBothRead(SecretsManager, peer, vaults, auth, probe);

    const lib = await libraryTable(cfg, SecretsManager, peer, vaults, auth, probe, dir);
    const each = await perSecretTable(cfg, SecretsManager, peer, prev, vaults, auth);
    const mem = memoryTable(cfg, vaults, keyFile, probe);
    const cli = cliTable(cfg, vaults, keyFile, probe, dir, prev, passwordVault);
    const cliMem = cliMemoryTable(cfg, vaults, keyFile, probe, dir, prev);
    const importRow = await importTable(cfg, SecretsManager, KeySource, dir);
    json.library = lib;
    json.perSecret = each;
    json.memory = mem;
    json.cli = cli;
    json.cliMemory = cliMem;
    json.import = importRow;
    json.goals = goalsTable(cfg, each, cli, cliMem, vaults, prev !== null);
    json.loadAtEnd = printMachine(cfg, 'at end');
    writeFileSync(cfg.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`Machine-readable results: ${cfg.json}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl kdf` over the vault's iv must give the key that opens the password vault. */
async function checkKdfStandIn(SecretsManager, KeySource, passwordVault) {
  const res = spawnSync('openssl', kdfArgs(passwordVault.ivHex), { encoding: 'utf8' });
  if (res.status !== 0) {
    console.log('openssl kdf is not available: the password row has no live reference.\n');
    passwordVault.kdf = false;
    return;
  }
  const key = Buffer.from(res.stdout.replace(/[^0-9A-F]/g, ''), 'hex');
  const vault = await SecretsManager.fromFile(passwordVault.path, KeySource.fromKey(key));
  if (vault.get(secretName(1)) !== secretValue(1))
    throw new Error('bench: openssl kdf key differs');
  vault.close();
  passwordVault.kdf = true;
}

function kdfArgs(ivHex) {
  return [
    'kdf',
    '-keylen',
    '32',
    '-kdfopt',
    'digest:SHA1',
    '-kdfopt',
    `pass:${PASSWORD}`,
    '-kdfopt',
    `hexsalt:${ivHex}`,
    '-kdfopt',
    'iter:256000',
    'PBKDF2',
  ];
}

/** Refuses to time anything that does not return the right value, in either library. */
async function checkBothRead(SecretsManager, peer, vaults, auth, probe) {
  for (const [n, { path }] of vaults) {
    const i = probe(n);
    const ours = await SecretsManager.fromFile(path, auth);
    const theirs = await peer.SecretsManager.fromFile(path, auth);
    const a = ours.get(secretName(i));
    const b = await theirs.get(secretName(i));
    ours.close();
    if (a !== secretValue(i) || b !== secretValue(i)) {
      throw new Error(`bench: the ${n}-secret vault does not read back (ours ${a}, peer ${b})`);
    }
  }
}

// ---------------------------------------------------------------- (a) library

async function libraryTable(cfg, SecretsManager, peer, vaults, auth, probe, dir) {
  const rows = [];
  const results = {};
  for (const n of cfg.libSizes) {
    const { path } = vaults.get(n);
    const name = secretName(probe(n));
    const [ours, theirs, count] = await measure(cfg, n, [
      async () => {
        const vault = await SecretsManager.fromFile(path, auth);
        vault.get(name);
        vault.close();
      },
      async () => {
        const vault = await peer.SecretsManager.fromFile(path, auth);
        await vault.get(name);
      },
    ]);
    results[`open+get ${n}`] = { ours, peer: theirs };
    rows.push([
      'open + get one',
      fmtInt(n),
      fmtMB(vaults.get(n).bytes),
      ...timed(ours, theirs),
      count,
    ]);
  }
  for (const n of cfg.libSizes) {
    const { path } = vaults.get(n);
    const [ours, theirs, count] = await measure(cfg, n, [
      async () => {
        const vault = await SecretsManager.fromFile(path, auth);
        if (vault.getAll().size !== n) throw new Error('bench: getAll lost secrets');
        vault.close();
      },
      async () => {
        // The peer's fastest way: every get at once (WebCrypto runs them on the thread pool).
        const vault = await peer.SecretsManager.fromFile(path, auth);
        const values = await Promise.all(vault.keys().map((k) => vault.get(k)));
        if (values.length !== n) throw new Error('bench: the peer lost secrets');
      },
    ]);
    results[`decrypt-all ${n}`] = { ours, peer: theirs };
    rows.push([
      'open + decrypt all',
      fmtInt(n),
      fmtMB(vaults.get(n).bytes),
      ...timed(ours, theirs),
      count,
    ]);
  }
  const setSize = cfg.libSizes[2];
  const copy = join(dir, `set-lib-${setSize}.json`);
  copyFileSync(vaults.get(setSize).path, copy);
  let round = 0;
  const [ours, count] = await measure(cfg, setSize, [
    async () => {
      const vault = await SecretsManager.fromFile(copy, auth);
      vault.set(secretName(probe(setSize)), `changed ${round++}`);
      await vault.save();
      vault.close();
    },
  ]);
  results[`set ${setSize}`] = { ours };
  rows.push([
    'open + set + save',
    fmtInt(setSize),
    fmtMB(vaults.get(setSize).bytes),
    fmtMs(ours),
    'read-only',
    '—',
    count,
  ]);
  printTable(
    'Library: ours vs @neosmart/securestore 1.0.1, same vault, same PEM key file (ms, median)',
    ['operation', 'secrets', 'file MiB', 'ours ms', 'peer ms', 'peer ÷ ours', 'runs'],
    rows,
    'peer ÷ ours above 1 means ours is faster. "open" reads the file, parses it and checks the key; ' +
      '"decrypt all" is getAll() for ours and Promise.all of get() for the peer. The peer cannot write vaults.',
  );
  return results;
}

function timed(ours, theirs) {
  return [fmtMs(ours), fmtMs(theirs), fmtRatio(theirs / ours)];
}

/**
 * Runs `fns` interleaved (so a change in machine load hits all of them alike): `warmup` rounds,
 * then up to `runs` timed rounds, stopping once 3 rounds are done and the budget is spent.
 * Returns each function's median (ms) and the number of timed rounds.
 */
async function measure(cfg, size, fns) {
  const warmup = size >= 100_000 ? 0 : cfg.warmup;
  for (let w = 0; w < warmup; w++) for (const fn of fns) await fn();
  const times = fns.map(() => []);
  const start = performance.now();
  for (let r = 0; r < cfg.runs; r++) {
    // ABBA order: each function runs straight after the other in half the rounds and after
    // itself in the other half, so neither is always the one that follows the other's
    // garbage and idle time (the peer's Promise.all leaves its main thread idle for ~0.5 s).
    const order = r % 2 === 0 ? fns.map((_, j) => j) : fns.map((_, j) => fns.length - 1 - j);
    for (const j of order) {
      await settle();
      const t0 = performance.now();
      await fns[j]();
      times[j].push(performance.now() - t0);
    }
    if (r + 1 >= 3 && performance.now() - start > cfg.budgetMs) break;
  }
  return [...times.map(median), times[0].length];
}

/**
 * Reading every secret of the 10 000-secret vault: ours by `get(name)` of each name and by one
 * `getAll()`, the previous version of ours the same two ways, the peer by `Promise.all` of every
 * `get` (its fastest way), all interleaved in one measurement.
 */
async function perSecretTable(cfg, SecretsManager, peer, prev, vaults, auth) {
  const n = cfg.libSizes[2];
  const { path } = vaults.get(n);
  const names = Array.from({ length: n }, (_, i) => secretName(i));
  const getEach = (Lib) => async () => {
    const vault = await Lib.fromFile(path, auth);
    for (const name of names) if (vault.get(name) === null) throw new Error('bench: lost one');
    vault.close();
  };
  const getAll = (Lib) => async () => {
    const vault = await Lib.fromFile(path, auth);
    if (vault.getAll().size !== n) throw new Error('bench: getAll lost secrets');
    vault.close();
  };
  const fns = [
    getEach(SecretsManager),
    getAll(SecretsManager),
    async () => {
      const vault = await peer.SecretsManager.fromFile(path, auth);
      const values = await Promise.all(vault.keys().map((k) => vault.get(k)));
      if (values.length !== n) throw new Error('bench: the peer lost secrets');
    },
  ];
  if (prev !== null) fns.push(getEach(prev.lib.SecretsManager), getAll(prev.lib.SecretsManager));
  const [each, all, theirs, prevEach, prevAll, count] = await measure(cfg, n, fns);
  const out = { secrets: n, getEach: each, getAll: all, peer: theirs, runs: count };
  const rows = [
    ['open + get(name) of each', fmtMs(each), fmtRatio(theirs / each)],
    ['open + getAll()', fmtMs(all), fmtRatio(theirs / all)],
  ];
  if (prev !== null) {
    Object.assign(out, { previousGetEach: prevEach, previousGetAll: prevAll });
    rows[0].push(fmtMs(prevEach), fmtRatio(theirs / prevEach));
    rows[1].push(fmtMs(prevAll), fmtRatio(theirs / prevAll));
  }
  printTable(
    `Library: every secret of ${fmtInt(n)}, ours vs the peer's Promise.all of get() (${fmtMs(theirs)} ms), ms, median of ${count}`,
    [
      'operation',
      'ours ms',
      'peer ÷ ours',
      ...(prev !== null ? ['previous ms', 'peer ÷ previous'] : []),
    ],
    rows,
    'peer ÷ ours above 1 means ours is faster; "previous" is the earlier version of ours (--previous).',
  );
  return out;
}

// ---------------------------------------------------------------- peak memory

/**
 * One fresh process per (library, size): its peak RSS (getrusage maxrss) after open + get,
 * less the peak RSS of a process that imported the same library and opened nothing.
 */
function memoryTable(cfg, vaults, keyFile, probe) {
  const runChild = (impl, n) => {
    const samples = [];
    for (let r = 0; r < cfg.memRuns; r++) {
      const args = ['--expose-gc', SELF, '--child', impl, keyFile];
      if (n !== null) args.push(vaults.get(n).path, secretName(probe(n)), secretValue(probe(n)));
      const res = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
      if (res.status !== 0)
        throw new Error(`bench: memory child ${impl} ${n} failed: ${res.stderr}`);
      samples.push(JSON.parse(res.stdout));
    }
    const pick = (key) => median(samples.map((s) => s[key]));
    return { peakRss: pick('peakRss'), retained: pick('retained'), ms: pick('ms') };
  };
  const base = { ours: runChild('ours', null), peer: runChild('peer', null) };
  const rows = [];
  const results = { baseline: base };
  for (const n of cfg.libSizes) {
    const file = vaults.get(n).bytes;
    const ours = runChild('ours', n);
    const peer = runChild('peer', n);
    const oursDelta = Math.max(0, ours.peakRss - base.ours.peakRss);
    const peerDelta = Math.max(0, peer.peakRss - base.peer.peakRss);
    results[n] = { file, oursDelta, peerDelta, oursMs: ours.ms, peerMs: peer.ms };
    rows.push([
      fmtInt(n),
      fmtMB(file),
      fmtMB(oursDelta),
      fmtMB(peerDelta),
      fmtRatio(oursDelta / peerDelta),
      fmtRatio(oursDelta / file),
      fmtMB(ours.retained),
      fmtMs(ours.ms),
      fmtMs(peer.ms),
    ]);
  }
  printTable(
    `Peak memory of open + get one, a fresh process per row (MiB; median of ${cfg.memRuns})`,
    [
      'secrets',
      'file MiB',
      'ours Δ peak RSS',
      'peer Δ peak RSS',
      'ours ÷ peer',
      'ours Δ ÷ file',
      'ours retained heap',
      'ours cold ms',
      'peer cold ms',
    ],
    rows,
    `Δ peak RSS = peak RSS of the process less that of one that only imported the library ` +
      `(baseline: ours ${fmtMB(base.ours.peakRss)} MiB, peer ${fmtMB(base.peer.peakRss)} MiB). ` +
      'Retained heap = V8 heap + external memory held after a full GC with the vault still open. ' +
      'Cold ms = open + get in that fresh process (nothing compiled yet).',
  );
  return results;
}

/** `--child IMPL KEYFILE [VAULT NAME VALUE]`: one open + get, then the memory it took, as JSON. */
async function child([impl, keyFile, path, name, value]) {
  const lib = await import(impl === 'ours' ? OURS : PEER);
  globalThis.gc?.();
  const before = process.memoryUsage();
  let ms = 0;
  let vault;
  if (path !== undefined) {
    const t0 = performance.now();
    vault = await lib.SecretsManager.fromFile(path, { keyFile });
    const got = await vault.get(name);
    ms = performance.now() - t0;
    if (got !== value) throw new Error(`child: ${impl} read ${got}`);
  }
  globalThis.gc?.();
  const after = process.memoryUsage();
  const retained = after.heapUsed + after.external - (before.heapUsed + before.external);
  process.stdout.write(JSON.stringify({ peakRss: peakRss(), retained, ms, open: !!vault }));
}

/**
 * This process's peak resident memory in bytes. On Linux, VmHWM of /proc/self/status: getrusage's
 * maxrss is not usable there, because a child inherits the peak of the parent it was forked from.
 */
function peakRss() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

// ---------------------------------------------------------------- (b) CLI

function cliEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SSCLIENT_')) delete env[k];
  return env;
}

/** A child process that must exit 0 (and print what `expect` accepts): its wall and CPU ms. */
function runner(dir, env) {
  return (file, args, expect) => () => {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const res = spawnSync(file, args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    const ms = performance.now() - t0;
    const cpu = cpu0 === null ? null : childrenCpuMs() - cpu0;
    if (res.status !== 0 || (expect !== undefined && !expect(res.stdout))) {
      throw new Error(`bench: ${file} ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
    }
    return { ms, cpu };
  };
}

function cliTable(cfg, vaults, keyFile, probe, dir, prev, passwordVault) {
  const run = runner(dir, cliEnv());
  const node = (args, expect) => run(process.execPath, args, expect);
  const cmds = [{ key: 'node', label: 'node -e 0', n: null, fn: node(['-e', '0']) }];
  const [small, mid, big] = cfg.cliSizes;
  const huge = cfg.cliHuge;
  const getOf = (bin, n) =>
    node(
      [bin, '-s', vaults.get(n).path, '-k', keyFile, 'get', secretName(probe(n))],
      (out) => out === `${secretValue(probe(n))}\n`,
    );
  const setOf = (bin, n, tag) => {
    const copy = join(dir, `set-cli-${tag}-${n}.json`);
    copyFileSync(vaults.get(n).path, copy);
    return node([bin, '-s', copy, '-k', keyFile, 'set', secretName(probe(n)), 'a new value']);
  };
  const pwName = secretName(1);
  const passwordGet = (bin) =>
    node(
      [bin, '-s', passwordVault.path, '-p', PASSWORD, 'get', pwName],
      (out) => out === `${secretValue(1)}\n`,
    );
  for (const n of cfg.cliSizes) {
    cmds.push({ key: `get ${n}`, label: '-k KEY get NAME', ref: `get ${n}`, n, fn: getOf(BIN, n) });
  }
  // The least any Node program does for that get (bench/floor-get.js): what start-up can fall to.
  cmds.push({
    key: `floor get ${small}`,
    label: 'bench/floor-get.js: the least a Node program does for `get NAME`',
    plain: true,
    n: small,
    fn: node(
      [FLOOR, vaults.get(small).path, keyFile, secretName(probe(small))],
      (out) => out === `${secretValue(probe(small))}\n`,
    ),
  });
  // The same get through the full command parser: `--format json` (the default, and meaningless
  // without --all) is an option the fast path leaves to main.
  cmds.push({
    key: `get ${small} full parser`,
    label: '-k KEY get NAME --format json (full parser)',
    n: small,
    fn: node(
      [
        BIN,
        '-s',
        vaults.get(small).path,
        '-k',
        keyFile,
        'get',
        secretName(probe(small)),
        '--format',
        'json',
      ],
      (out) => out === `${secretValue(probe(small))}\n`,
    ),
  });
  for (const n of [mid, big]) {
    cmds.push({
      key: `set ${n}`,
      label: '-k KEY set NAME VALUE',
      ref: `set ${n}`,
      n,
      fn: setOf(BIN, n, 'ours'),
    });
  }
  cmds.push({
    key: `get --all ${big}`,
    label: '-k KEY get --all',
    ref: `get --all ${big}`,
    n: big,
    fn: node([BIN, '-s', vaults.get(big).path, '-k', keyFile, 'get', '--all'], (out) =>
      out.startsWith('[\n'),
    ),
  });
  cmds.push({ key: `get ${huge}`, label: '-k KEY get NAME', n: huge, fn: getOf(BIN, huge) });
  // The password path, and the key derivation alone as `openssl kdf` computes it: the reference
  // ssclient's `-p get` costs that derivation (spec/cli.md §7), so it stands in for the reference.
  cmds.push({
    key: 'password get',
    label: '-p PASSWORD get NAME',
    n: cfg.passwordSize,
    fn: passwordGet(BIN),
  });
  const hasKdf = passwordVault.kdf;
  if (hasKdf) {
    cmds.push({
      key: 'openssl kdf',
      label: 'openssl kdf … PBKDF2 (SHA-1, 256 000 rounds)',
      n: null,
      fn: run('openssl', kdfArgs(passwordVault.ivHex), (out) => /^[0-9A-F:]{95}\s*$/.test(out)),
    });
  }
  if (prev !== null) {
    const p = (key, label, n, fn) =>
      cmds.push({ key: `previous ${key}`, label, n, fn, prev: true });
    p(`get ${small}`, '-k KEY get NAME', small, getOf(prev.bin, small));
    p(`get ${big}`, '-k KEY get NAME', big, getOf(prev.bin, big));
    p(`set ${big}`, '-k KEY set NAME VALUE', big, setOf(prev.bin, big, 'previous'));
    p(`get ${huge}`, '-k KEY get NAME', huge, getOf(prev.bin, huge));
    p('password get', '-p PASSWORD get NAME', cfg.passwordSize, passwordGet(prev.bin));
  }

  // Every command once per round, in ABBA order (reversed every other round), after warm-up.
  for (let w = 0; w < cfg.warmup; w++) for (const c of cmds) c.fn();
  const times = cmds.map(() => []);
  for (let r = 0; r < cfg.runs; r++) {
    const order = cmds.map((_, j) => (r % 2 === 0 ? j : cmds.length - 1 - j));
    for (const j of order) times[j].push(cmds[j].fn());
  }
  const medians = times.map((t) => median(t.map((x) => x.ms)));
  // CPU time is summed in clock ticks by the kernel: a mean over the runs, not a median.
  const cpus = times.map((t) => (t[0].cpu === null ? null : mean(t.map((x) => x.cpu))));
  const results = {};
  cmds.forEach((c, j) => {
    results[c.key] = { ms: medians[j], cpu: cpus[j], runs: times[j].length };
  });
  const nodeMs = results.node.ms;
  const nodeCpu = results.node.cpu;
  const kdf = results['openssl kdf'];
  const rows = cmds.map((c, j) => {
    const ms = medians[j];
    const cpu = cpus[j];
    let refMs = c.ref === undefined ? undefined : REFERENCE_MS[c.ref];
    let refNote = '';
    if (c.key.endsWith('password get') && kdf !== undefined) {
      refMs = kdf.ms;
      refNote = ' (kdf)';
    }
    if (c.prev && refMs === undefined) {
      const own = c.key.slice('previous '.length);
      if (REFERENCE_MS[own] !== undefined) refMs = REFERENCE_MS[own];
    }
    const who =
      c.n === null || c.plain ? c.label : `${c.prev ? 'previous ' : ''}ssclient ${c.label}`;
    return [
      who,
      c.n === null ? '—' : fmtInt(c.n),
      fmtMs(ms),
      c.key === 'node' ? '—' : fmtRatio(ms / nodeMs),
      cpu === null ? '—' : fmtMs(cpu),
      c.key === 'node' || cpu === null ? '—' : fmtRatio(cpu / nodeCpu),
      refMs === undefined ? '—' : `${fmtMs(refMs)}${refNote}`,
      refMs === undefined ? '—' : fmtRatio(ms / refMs, 3),
      times[j].length,
    ];
  });
  printTable(
    'CLI: `node bin/ssclient.js` as a real process vs bare `node -e 0` and `openssl kdf` (same run), and the reference ssclient 2.0.1 (recorded)',
    [
      'command',
      'secrets',
      'ms',
      '÷ node',
      'CPU ms',
      'CPU ÷ node',
      'reference ms',
      '÷ reference',
      'runs',
    ],
    rows,
    'ms = wall time from spawn to exit (median, rounds interleaved in ABBA order). CPU ms = user + ' +
      'system time of the process (mean; Linux only), which other load on a shared machine ' +
      'disturbs far less. The reference column is spec/cli.md §7 (ssclient 2.0.1 measured on 2 ' +
      'cores, not this run: the Rust binary is not installed here), except for `-p PASSWORD get`, ' +
      'whose reference is `openssl kdf` deriving the same key in this run (kdf). "previous" rows ' +
      'run the earlier version of ours (--previous).',
  );
  return results;
}

/**
 * Issue 15's row: `ssclient -p PASSWORD import FILE` of a dotenv file of `cfg.importLines` lines
 * (one process, one key derivation, one locked write) against as many `set` processes, each of
 * which derives the key again. The sets are not all spawned: `cfg.importSets` of them run, one
 * after another, on a copy of a password vault that already holds half as many secrets as the
 * file has lines (the mean size of the vault while the sets add them, a set costing more as the
 * vault grows), and their mean time is multiplied by the number of lines. The import goes into
 * a copy of the 3-secret password vault. Both as real processes, median over the rounds.
 */
async function importTable(cfg, SecretsManager, KeySource, dir) {
  const lines = cfg.importLines;
  const importName = (i) => `IMPORTED_${String(i).padStart(6, '0')}`;
  const dotenv = join(dir, `import-${lines}.env`);
  writeFileSync(
    dotenv,
    Array.from({ length: lines }, (_, i) => `${importName(i)}=${secretValue(i)}\n`).join(''),
  );
  // The vault the sets go into: half the lines already there, under the password.
  const half = Math.floor(lines / 2);
  const setBase = join(dir, `import-set-base-${half}.json`);
  const vault = await SecretsManager.create(KeySource.fromPassword(PASSWORD));
  for (let i = 0; i < half; i++) vault.set(importName(i), secretValue(i));
  await vault.saveAs(setBase);
  vault.close();
  const importBase = join(dir, `vault-password-${cfg.passwordSize}.json`);

  const run = runner(dir, cliEnv());
  const node = (args) => run(process.execPath, args)();
  const rounds = cfg.quick ? 1 : 3;
  const imports = [];
  const sets = [];
  for (let r = 0; r < rounds; r++) {
    const target = join(dir, `import-target-${r}.json`);
    copyFileSync(importBase, target);
    imports.push(node([BIN, '-s', target, '-p', PASSWORD, 'import', dotenv]));
    const check = await SecretsManager.fromFile(target, KeySource.fromPassword(PASSWORD));
    const imported = check.size - cfg.passwordSize;
    const sample = check.get(importName(lines - 1));
    check.close();
    if (imported !== lines || sample !== secretValue(lines - 1)) {
      throw new Error(`bench: import wrote ${imported} secrets, expected ${lines}`);
    }
    const setTarget = join(dir, `import-set-${r}.json`);
    copyFileSync(setBase, setTarget);
    const batch = [];
    for (let i = 0; i < cfg.importSets; i++) {
      const name = importName(half + i);
      batch.push(node([BIN, '-s', setTarget, '-p', PASSWORD, 'set', name, secretValue(half + i)]));
    }
    sets.push({
      ms: mean(batch.map((x) => x.ms)),
      cpu: batch[0].cpu === null ? null : mean(batch.map((x) => x.cpu)),
    });
  }
  const importMs = median(imports.map((x) => x.ms));
  const importCpu = imports[0].cpu === null ? null : median(imports.map((x) => x.cpu));
  const setMs = median(sets.map((x) => x.ms));
  const setCpu = sets[0].cpu === null ? null : median(sets.map((x) => x.cpu));
  const result = {
    lines,
    importMs,
    importCpu,
    setsTimed: cfg.importSets,
    setVaultSize: half,
    setMs,
    setCpu,
    setsMsEstimated: setMs * lines,
    ratio: (setMs * lines) / importMs,
    cpuRatio: importCpu === null || setCpu === null ? null : (setCpu * lines) / importCpu,
    rounds,
  };
  const cpuCell = (x) => (x === null ? '—' : fmtMs(x));
  printTable(
    `CLI: import of a ${fmtInt(lines)}-line dotenv file vs ${fmtInt(lines)} \`set\` processes, under a password (issue 15)`,
    ['command', 'processes', 'ms', 'CPU ms', 'sets ÷ import', 'CPU sets ÷ import', 'rounds'],
    [
      [
        `ssclient -p PASSWORD import FILE (${fmtInt(lines)} lines)`,
        '1',
        fmtMs(importMs),
        cpuCell(importCpu),
        '—',
        '—',
        rounds,
      ],
      [
        `ssclient -p PASSWORD set NAME VALUE, × ${fmtInt(lines)} (scaled from ${cfg.importSets})`,
        fmtInt(lines),
        fmtMs(result.setsMsEstimated),
        cpuCell(setCpu === null ? null : setCpu * lines),
        fmtRatio(result.ratio, 0),
        result.cpuRatio === null ? '—' : fmtRatio(result.cpuRatio, 0),
        rounds,
      ],
    ],
    `Not ${fmtInt(lines)} set processes: ${cfg.importSets} of them run one after another on a ` +
      `vault already holding ${fmtInt(half)} secrets (the mean size while they would add ` +
      `${fmtInt(lines)}), and their mean time is multiplied by ${fmtInt(lines)}. Each set ` +
      'derives the key from the password again (PBKDF2, 256 000 rounds); the import derives it ' +
      'once and writes once, under the lock. Median over the rounds (each round: one import into ' +
      'a fresh copy of the 3-secret password vault, and one batch of sets).',
  );
  return result;
}

/**
 * Peak memory of `get NAME` on the large vault as a real process, above that of bare `node -e 0`:
 * each process runs under a preload that writes its VmHWM (Linux) to a file when it exits.
 */
function cliMemoryTable(cfg, vaults, keyFile, probe, dir, prev) {
  if (!existsSync('/proc/self/status')) return null;
  const preload = join(dir, 'peak.mjs');
  writeFileSync(
    preload,
    `import { readFileSync, writeFileSync } from 'node:fs';
process.on('exit', () => {
  const m = /^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  writeFileSync(process.env.BENCH_PEAK_FILE, String(Number(m[1]) * 1024));
});
`,
  );
  const out = join(dir, 'peak.txt');
  const env = { ...cliEnv(), BENCH_PEAK_FILE: out };
  const peakOf = (args) => {
    const samples = [];
    for (let r = 0; r < cfg.memRuns; r++) {
      const res = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, ...args], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (res.status !== 0) throw new Error(`bench: peak of ${args.join(' ')}: ${res.stderr}`);
      samples.push(Number(readFileSync(out, 'utf8')));
    }
    return median(samples);
  };
  const n = cfg.cliHuge;
  const get = (bin) => [bin, '-s', vaults.get(n).path, '-k', keyFile, 'get', secretName(probe(n))];
  const file = vaults.get(n).bytes;
  const node = peakOf(['-e', '0']);
  const ours = peakOf(get(BIN));
  const result = { secrets: n, file, node, ours, oursDelta: ours - node };
  const rows = [['ours', fmtMB(ours), fmtMB(ours - node), fmtRatio((ours - node) / file)]];
  if (prev !== null) {
    const p = peakOf(get(prev.bin));
    Object.assign(result, { previous: p, previousDelta: p - node });
    rows.push(['previous', fmtMB(p), fmtMB(p - node), fmtRatio((p - node) / file)]);
  }
  printTable(
    `CLI get NAME on ${fmtInt(n)} secrets (${fmtMB(file)} MiB): peak memory (MiB, median of ${cfg.memRuns})`,
    ['version', 'peak RSS', 'Δ above node -e 0', 'Δ ÷ file'],
    rows,
    `Peak RSS (VmHWM) of the process; bare \`node -e 0\` peaked at ${fmtMB(node)} MiB.`,
  );
  return result;
}

// ---------------------------------------------------------------- goals

function goalsTable(cfg, each, cli, cliMem, vaults, withPrevious) {
  const [small, , big] = cfg.cliSizes;
  const huge = cfg.cliHuge;
  const goals = [];
  const prevOf = (key) => cli[`previous ${key}`];
  const add = (id, what, ratio, goal, atMost, prevRatio, detail) => {
    const met = atMost ? ratio <= goal : ratio >= goal;
    goals.push({
      id,
      what,
      ratio,
      goal: `${atMost ? '≤' : '≥'} ${goal}`,
      met,
      previous: prevRatio,
      detail,
    });
  };
  for (const op of ['get', 'set']) {
    const r = cli[`${op} ${big}`];
    const ref = REFERENCE_MS[`${op} 10000`];
    add(
      `cli-${op}-vs-reference`,
      `-k ${op} on ${fmtInt(big)} secrets ÷ reference (recorded ${fmtMs(ref)} ms)`,
      r.ms / ref,
      GOAL.cliVsReference,
      true,
      prevOf(`${op} ${big}`) && prevOf(`${op} ${big}`).ms / ref,
      `${fmtMs(r.ms)} ms`,
    );
  }
  const kdf = cli['openssl kdf'];
  if (kdf !== undefined) {
    add(
      'password-get-vs-kdf',
      `-p PASSWORD get NAME (${cfg.passwordSize} secrets) ÷ openssl kdf`,
      cli['password get'].ms / kdf.ms,
      GOAL.passwordVsKdf,
      true,
      prevOf('password get') && prevOf('password get').ms / kdf.ms,
      `${fmtMs(cli['password get'].ms)} / ${fmtMs(kdf.ms)} ms`,
    );
  }
  add(
    'cli-get-vs-node',
    `-k get NAME on ${fmtInt(small)} secrets ÷ node -e 0`,
    cli[`get ${small}`].ms / cli.node.ms,
    GOAL.cliGetVsNode,
    true,
    prevOf(`get ${small}`) && prevOf(`get ${small}`).ms / cli.node.ms,
    `${fmtMs(cli[`get ${small}`].ms)} / ${fmtMs(cli.node.ms)} ms; the least a Node program does ` +
      `for it (bench/floor-get.js): ${fmtRatio(cli[`floor get ${small}`].ms / cli.node.ms)}`,
  );
  add(
    'lib-get-each-vs-peer',
    `open + get(name) of each of ${fmtInt(each.secrets)}: peer ÷ ours`,
    each.peer / each.getEach,
    GOAL.getEachSpeedup,
    false,
    each.previousGetEach && each.peer / each.previousGetEach,
    `${fmtMs(each.getEach)} / peer ${fmtMs(each.peer)} ms`,
  );
  add(
    'lib-get-all-vs-peer',
    `open + getAll() of ${fmtInt(each.secrets)}: peer ÷ ours`,
    each.peer / each.getAll,
    GOAL.getAllSpeedup,
    false,
    each.previousGetAll && each.peer / each.previousGetAll,
    `${fmtMs(each.getAll)} / peer ${fmtMs(each.peer)} ms`,
  );
  const hugeGet = cli[`get ${huge}`];
  add(
    'cli-huge-get-seconds',
    `-k get NAME on ${fmtInt(huge)} secrets, seconds`,
    hugeGet.ms / 1000,
    GOAL.bigGetMs / 1000,
    true,
    prevOf(`get ${huge}`) && prevOf(`get ${huge}`).ms / 1000,
    `${fmtMs(hugeGet.ms)} ms`,
  );
  if (cliMem !== null) {
    add(
      'cli-huge-get-peak-vs-file',
      `-k get NAME on ${fmtInt(huge)} secrets: peak memory above node ÷ file size`,
      cliMem.oursDelta / cliMem.file,
      GOAL.bigPeakPerFile,
      true,
      cliMem.previousDelta && cliMem.previousDelta / cliMem.file,
      `${fmtMB(cliMem.oursDelta)} MiB for ${fmtMB(vaults.get(huge).bytes)} MiB`,
    );
  }
  printTable(
    'Goals, each a ratio of this run',
    ['measure', 'ours', 'goal', 'met', ...(withPrevious ? ['previous'] : []), 'from'],
    goals.map((g) => [
      g.what,
      fmtRatio(g.ratio, 3),
      g.goal,
      g.met ? 'yes' : 'NO',
      ...(withPrevious ? [g.previous === undefined ? '—' : fmtRatio(g.previous, 3)] : []),
      g.detail,
    ]),
    cfg.quick
      ? '--quick: smaller vaults and two runs per row stand in for the real sizes; these verdicts mean nothing.'
      : 'Verdicts are on wall time. The reference was measured on an idle machine; on a loaded one ' +
          '(see the load average) wall times here are inflated, CPU times much less so. ' +
          '"previous" is the same ratio for the earlier version of ours, measured in this run.',
  );
  return goals;
}

// ---------------------------------------------------------------- output

function printMachine(cfg, when) {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  if (when === 'at start') {
    console.log(
      `# securestore-kms benchmark${cfg.quick ? ' (--quick: smoke run, numbers meaningless)' : ''}\n`,
    );
    console.log(`node ${process.version} on ${os.platform()} ${os.arch()} (${os.release()})`);
    console.log(
      `cpus: ${cpus.length} × ${cpus[0]?.model ?? 'unknown'}; memory ${fmtMB(os.totalmem())} MiB`,
    );
    console.log(
      `date: ${new Date().toISOString()}; up to ${cfg.runs} timed runs per row, ${cfg.warmup} warm-up`,
    );
  }
  console.log(`load average ${when} (1, 5, 15 min): ${load}\n`);
  return os.loadavg();
}

function machineInfo(cfg) {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    date: new Date().toISOString(),
    quick: cfg.quick,
    runs: cfg.runs,
    warmup: cfg.warmup,
  };
}

function printTable(title, headers, rows, note) {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  const line = (r) =>
    `| ${r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(' | ')} |`;
  console.log(`## ${title}\n`);
  console.log(line(headers));
  console.log(
    `|${widths.map((w, j) => (j === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const r of cells.slice(1)) console.log(line(r));
  console.log(`\n${note}\n`);
}

/**
 * CPU time (user + system, ms) of this process's waited-for children: cutime + cstime of
 * /proc/self/stat, in clock ticks (100 per second on Linux). null where there is no /proc.
 */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return null;
  }
}

function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fmtMs(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function fmtRatio(x, digits = 2) {
  return Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : digits) : '—';
}

function fmtMB(bytes) {
  return (bytes / (1024 * 1024)).toFixed(1);
}

function fmtInt(n) {
  return n.toLocaleString('en-US').replace(/,/g, ' ');
}
