/**
 * `node bench/run.js --quick` runs to the end and prints every table with every row, and writes
 * the same results as JSON. This checks the shape of the output only: benchmark numbers are never
 * asserted (the machine is shared). The previous version of ours is this checkout itself
 * (`--previous` takes a built directory), so the test builds nothing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/vaults.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NUMBER = /^-?\d+(\.\d+)?$/;
const INT = /^\d{1,3}( \d{3})*$/; // 1 000 000 style

interface Table {
  headers: string[];
  rows: string[][];
}

/** The markdown tables of the output, by their `## title`. */
function tables(out: string): Map<string, Table> {
  const found = new Map<string, Table>();
  let title: string | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('## ')) {
      title = line.slice(3);
      found.set(title, { headers: [], rows: [] });
    } else if (title !== null && line.startsWith('|') && !line.startsWith('|-')) {
      const cells = line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim());
      const table = found.get(title)!;
      if (table.headers.length === 0) table.headers = cells;
      else table.rows.push(cells);
    }
  }
  return found;
}

function table(all: Map<string, Table>, prefix: string): Table {
  const titles = [...all.keys()].filter((t) => t.startsWith(prefix));
  expect(titles, `one table titled "${prefix}…"`).toHaveLength(1);
  return all.get(titles[0]!)!;
}

/** Whether this machine's openssl has the `kdf` command the password row's reference runs. */
const HAS_KDF =
  spawnSync('openssl', [
    'kdf',
    '-keylen',
    '32',
    '-kdfopt',
    'digest:SHA1',
    '-kdfopt',
    'pass:x',
    '-kdfopt',
    'hexsalt:00',
    '-kdfopt',
    'iter:1',
    'PBKDF2',
  ]).status === 0;

describe('npm run bench --quick', () => {
  let stdout = '';
  let all = new Map<string, Table>();
  let json: Record<string, unknown> = {};
  const tmp = tempDir('ssclient-bench-test-');
  afterAll(() => tmp.cleanup());

  beforeAll(() => {
    const out = join(tmp.dir, 'results.json');
    const res = spawnSync(
      process.execPath,
      ['bench/run.js', '--quick', '--previous', ROOT, '--json', out],
      { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
    );
    expect(res.error).toBeUndefined();
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    stdout = res.stdout;
    all = tables(stdout);
    json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  }, 250_000);

  it('prints the machine it ran on', () => {
    expect(stdout).toMatch(/^# securestore-kms benchmark \(--quick/);
    expect(stdout).toContain(`node ${process.version} on `);
    expect(stdout).toMatch(/\ncpus: \d+ × /);
    expect(stdout).toMatch(/load average at start \(1, 5, 15 min\): [\d.]+ [\d.]+ [\d.]+\n/);
    expect(stdout).toMatch(/load average at end \(1, 5, 15 min\): [\d.]+ [\d.]+ [\d.]+\n/);
    expect(stdout).toContain(`previous version of ours: ${ROOT} (built in ${ROOT})`);
    expect([...all.keys()]).toHaveLength(7);
  });

  it('library table: open + get and decrypt all on four sizes, set + save, each with ours, peer and ratio', () => {
    const lib = table(all, 'Library: ours vs @neosmart/securestore');
    expect(lib.headers).toEqual([
      'operation',
      'secrets',
      'file MiB',
      'ours ms',
      'peer ms',
      'peer ÷ ours',
      'runs',
    ]);
    expect(lib.rows.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'open + get one 10',
      'open + get one 100',
      'open + get one 1 000',
      'open + get one 2 000',
      'open + decrypt all 10',
      'open + decrypt all 100',
      'open + decrypt all 1 000',
      'open + decrypt all 2 000',
      'open + set + save 1 000',
    ]);
    for (const row of lib.rows.slice(0, 8)) {
      expect(row.slice(2, 6), row.join(' | ')).toEqual(
        row.slice(2, 6).map(() => expect.stringMatching(NUMBER)),
      );
      expect(row[6]).toBe('2');
    }
    const set = lib.rows[8]!;
    expect(set[3]).toMatch(NUMBER);
    expect(set.slice(4)).toEqual(['read-only', '—', '2']);
  });

  it('memory table: a row per size with ours and the peer beside the file size', () => {
    const mem = table(all, 'Peak memory of open + get one');
    expect(mem.headers).toEqual([
      'secrets',
      'file MiB',
      'ours Δ peak RSS',
      'peer Δ peak RSS',
      'ours ÷ peer',
      'ours Δ ÷ file',
      'ours retained heap',
      'ours cold ms',
      'peer cold ms',
    ]);
    expect(mem.rows.map((r) => r[0])).toEqual(['10', '100', '1 000', '2 000']);
    for (const row of mem.rows) {
      expect(row[0]).toMatch(INT);
      for (const cell of row.slice(1)) expect(cell).toMatch(/^(-?\d+(\.\d+)?|—)$/);
      expect(row[2]).toMatch(NUMBER);
      expect(row[7]).toMatch(NUMBER);
    }
  });

  it('every secret of 1 000: get(name) of each and getAll(), ours and previous, against the peer', () => {
    const each = table(all, 'Library: every secret of 1 000, ours vs the peer');
    expect(each.headers).toEqual([
      'operation',
      'ours ms',
      'peer ÷ ours',
      'previous ms',
      'peer ÷ previous',
    ]);
    expect(each.rows.map((r) => r[0])).toEqual(['open + get(name) of each', 'open + getAll()']);
    for (const row of each.rows) {
      expect(row.slice(1), row.join(' | ')).toEqual(
        row.slice(1).map(() => expect.stringMatching(NUMBER)),
      );
    }
  });

  it('CLI table: node -e 0, get on four sizes and through the full parser, set on two, get --all, -p get, openssl kdf, the previous version, with ratios', () => {
    const cli = table(all, 'CLI: `node bin/ssclient.js`');
    expect(cli.headers).toEqual([
      'command',
      'secrets',
      'ms',
      '÷ node',
      'CPU ms',
      'CPU ÷ node',
      'reference ms',
      '÷ reference',
      'runs',
    ]);
    const kdf = HAS_KDF ? ['openssl kdf … PBKDF2 (SHA-1, 256 000 rounds) —'] : [];
    expect(cli.rows.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'node -e 0 —',
      'ssclient -k KEY get NAME 10',
      'ssclient -k KEY get NAME 100',
      'ssclient -k KEY get NAME 1 000',
      'bench/floor-get.js: the least a Node program does for `get NAME` 10',
      'ssclient -k KEY get NAME --format json (full parser) 10',
      'ssclient -k KEY set NAME VALUE 100',
      'ssclient -k KEY set NAME VALUE 1 000',
      'ssclient -k KEY get --all 1 000',
      'ssclient -k KEY get NAME 2 000',
      'ssclient -p PASSWORD get NAME 3',
      ...kdf,
      'previous ssclient -k KEY get NAME 10',
      'previous ssclient -k KEY get NAME 1 000',
      'previous ssclient -k KEY set NAME VALUE 1 000',
      'previous ssclient -k KEY get NAME 2 000',
      'previous ssclient -p PASSWORD get NAME 3',
    ]);
    const cpu = process.platform === 'linux' ? NUMBER : /^(-?\d+(\.\d+)?|—)$/;
    const node = cli.rows[0]!;
    expect(node[2]).toMatch(NUMBER);
    expect(node[4]).toMatch(cpu);
    expect([node[3], node[5], node[6], node[7], node[8]]).toEqual(['—', '—', '—', '—', '2']);
    for (const row of cli.rows.slice(1)) {
      expect(row[2]).toMatch(NUMBER);
      expect(row[3]).toMatch(NUMBER);
      expect(row[4]).toMatch(cpu);
      expect(row[5]).toMatch(cpu);
      expect(row[8]).toBe('2');
    }
    // The recorded reference numbers (spec/cli.md §7) appear where the sizes match, with a
    // ratio; `-p get` has `openssl kdf` of this run as its reference.
    const kdfRef = HAS_KDF ? expect.stringMatching(/^\d+(\.\d+)? \(kdf\)$/) : '—';
    const refs = ['—', '7.00', '—', '118', '—', '—', '—', '154', '—', '—', kdfRef];
    if (HAS_KDF) refs.push('—');
    refs.push('7.00', '118', '154', '—', kdfRef);
    expect(cli.rows.map((r) => r[6])).toEqual(refs);
    cli.rows.forEach((row, i) => {
      if (refs[i] !== '—') expect(row[7]).toMatch(NUMBER);
    });
  });

  it('CLI peak memory table: ours and previous on the large vault beside the file size', () => {
    const mem = table(all, 'CLI get NAME on 2 000 secrets');
    expect(mem.headers).toEqual(['version', 'peak RSS', 'Δ above node -e 0', 'Δ ÷ file']);
    expect(mem.rows.map((r) => r[0])).toEqual(['ours', 'previous']);
    for (const row of mem.rows)
      for (const cell of row.slice(1)) expect(cell).toMatch(/^-?\d+(\.\d+)?$/);
  });

  it('import table (issue 15): one import of the dotenv file against as many set processes, scaled', () => {
    const imp = table(all, 'CLI: import of a 200-line dotenv file vs 200 `set` processes');
    expect(imp.headers).toEqual([
      'command',
      'processes',
      'ms',
      'CPU ms',
      'sets ÷ import',
      'CPU sets ÷ import',
      'rounds',
    ]);
    expect(imp.rows.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'ssclient -p PASSWORD import FILE (200 lines) 1',
      'ssclient -p PASSWORD set NAME VALUE, × 200 (scaled from 5) 200',
    ]);
    const cpu = process.platform === 'linux' ? NUMBER : /^(-?\d+(\.\d+)?|—)$/;
    const [one, sets] = imp.rows as [string[], string[]];
    expect(one[2]).toMatch(NUMBER);
    expect(one[3]).toMatch(cpu);
    expect([one[4], one[5], one[6]]).toEqual(['—', '—', '1']);
    expect(sets[2]).toMatch(NUMBER);
    expect(sets[3]).toMatch(cpu);
    expect(sets[4]).toMatch(NUMBER);
    expect(sets[5]).toMatch(cpu);
    expect(sets[6]).toBe('1');
    expect(stdout).toContain('Not 200 set processes: 5 of them run one after another on a vault');
    expect(json.import).toMatchObject({
      lines: 200,
      setsTimed: 5,
      setVaultSize: 100,
      rounds: 1,
      importMs: expect.any(Number),
      setMs: expect.any(Number),
      ratio: expect.any(Number),
    });
  });

  it('goals table: each goal as a ratio with a verdict and the previous version beside it', () => {
    const goals = table(all, 'Goals');
    expect(goals.headers).toEqual(['measure', 'ours', 'goal', 'met', 'previous', 'from']);
    const pw = HAS_KDF ? ['-p PASSWORD get NAME (3 secrets) ÷ openssl kdf'] : [];
    expect(goals.rows.map((r) => r[0])).toEqual([
      '-k get on 1 000 secrets ÷ reference (recorded 1058 ms)',
      '-k set on 1 000 secrets ÷ reference (recorded 1459 ms)',
      ...pw,
      '-k get NAME on 10 secrets ÷ node -e 0',
      'open + get(name) of each of 1 000: peer ÷ ours',
      'open + getAll() of 1 000: peer ÷ ours',
      '-k get NAME on 2 000 secrets, seconds',
      '-k get NAME on 2 000 secrets: peak memory above node ÷ file size',
    ]);
    expect(goals.rows.map((r) => r[2])).toEqual([
      '≤ 0.1',
      '≤ 0.1',
      ...(HAS_KDF ? ['≤ 1.3'] : []),
      '≤ 1.3',
      '≥ 15',
      '≥ 25',
      '≤ 0.4',
      '≤ 2',
    ]);
    for (const row of goals.rows) {
      expect(row[1]).toMatch(NUMBER);
      expect(row[3]).toMatch(/^(yes|NO)$/);
      expect(row[4]).toMatch(NUMBER);
    }
    expect(stdout).toContain('--quick: smaller vaults and two runs per row stand in');
  });

  it('writes the same goals, and the measurements behind them, as JSON', () => {
    expect(json).toMatchObject({
      machine: { node: process.version, quick: true, runs: 2 },
      previous: { ref: ROOT, dir: ROOT },
      loadAtStart: expect.any(Array),
      loadAtEnd: expect.any(Array),
    });
    const goals = json.goals as { id: string; ratio: number; met: boolean; previous: number }[];
    expect(goals.map((g) => g.id)).toEqual([
      'cli-get-vs-reference',
      'cli-set-vs-reference',
      ...(HAS_KDF ? ['password-get-vs-kdf'] : []),
      'cli-get-vs-node',
      'lib-get-each-vs-peer',
      'lib-get-all-vs-peer',
      'cli-huge-get-seconds',
      'cli-huge-get-peak-vs-file',
    ]);
    // The start-up goal says what the least Node program doing the same get costs.
    const startup = json.goals as { id: string; detail: string }[];
    expect(startup.find((g) => g.id === 'cli-get-vs-node')!.detail).toMatch(
      /^\d+(\.\d+)? \/ \d+(\.\d+)? ms; the least a Node program does for it \(bench\/floor-get\.js\): \d+\.\d+$/,
    );
    for (const g of goals) {
      expect(typeof g.met).toBe('boolean');
      expect(Number.isFinite(g.ratio)).toBe(true);
      expect(Number.isFinite(g.previous)).toBe(true);
    }
    expect(stdout).toContain(`Machine-readable results: ${join(tmp.dir, 'results.json')}`);
  });
});
