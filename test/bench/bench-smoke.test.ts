/**
 * `node bench/run.js --quick` runs to the end and prints every table with every row. This checks
 * the shape of the output only: benchmark numbers are never asserted (the machine is shared).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

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

describe('npm run bench --quick', () => {
  let stdout = '';
  let all = new Map<string, Table>();

  beforeAll(() => {
    const res = spawnSync(process.execPath, ['bench/run.js', '--quick'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(res.error).toBeUndefined();
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    stdout = res.stdout;
    all = tables(stdout);
  }, 130_000);

  it('prints the machine it ran on', () => {
    expect(stdout).toMatch(/^# securestore-kms benchmark \(--quick/);
    expect(stdout).toContain(`node ${process.version} on `);
    expect(stdout).toMatch(/\ncpus: \d+ × /);
    expect(stdout).toMatch(/load average at start \(1, 5, 15 min\): [\d.]+ [\d.]+ [\d.]+\n/);
    expect(stdout).toMatch(/load average at end \(1, 5, 15 min\): [\d.]+ [\d.]+ [\d.]+\n/);
    expect([...all.keys()]).toHaveLength(4);
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

  it('CLI table: node -e 0, get on three sizes and through the full parser, set on two, get --all, with ratios', () => {
    const cli = table(all, 'CLI: `node bin/ssclient.js`');
    expect(cli.headers).toEqual([
      'command',
      'secrets',
      'ours ms',
      'ours ÷ node',
      'CPU ms',
      'CPU ÷ node',
      'reference ms',
      'ours ÷ reference',
      'runs',
    ]);
    expect(cli.rows.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'node -e 0 —',
      'ssclient -k KEY get NAME 10',
      'ssclient -k KEY get NAME 100',
      'ssclient -k KEY get NAME 1 000',
      'ssclient -k KEY get NAME --format json (full parser) 10',
      'ssclient -k KEY set NAME VALUE 100',
      'ssclient -k KEY set NAME VALUE 1 000',
      'ssclient -k KEY get --all 1 000',
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
    // The recorded reference numbers (spec/cli.md §7) appear where the sizes match, with a ratio.
    expect(cli.rows.map((r) => r[6])).toEqual(['—', '7.00', '—', '118', '—', '—', '154', '—']);
    for (const i of [1, 3, 6]) expect(cli.rows[i]![7]).toMatch(NUMBER);
  });

  it('targets table: every target of issues 2 and 3 with a measured value and a verdict', () => {
    const targets = table(all, 'Targets');
    expect(targets.headers).toEqual(['target', 'measured', 'goal', 'met']);
    expect(targets.rows.map((r) => r[0])).toEqual([
      'open + decrypt all, 1 000 secrets: peer ÷ ours',
      'open + get one, 2 000 secrets (warm)',
      'open + get one, 2 000 secrets (fresh process)',
      'peak memory, 2 000 secrets: Δ peak RSS vs file (0.4 MiB)',
      'CLI get, 10 secrets: ours ÷ node -e 0',
      'CLI get, 1 000 secrets vs reference get of 10 000 (1058 ms)',
      'CLI set, 1 000 secrets vs reference set of 10 000 (1459 ms)',
    ]);
    expect(targets.rows.map((r) => r[2])).toEqual([
      '≥ 10×',
      '< 1000 ms',
      '< 1000 ms',
      expect.stringMatching(/^< 4× file \+ baseline \(\d+\.\d MiB\)$/),
      '≤ 1.6×',
      '≤ 0.15× (159 ms)',
      '≤ 0.15× (219 ms)',
    ]);
    for (const row of targets.rows) expect(row[3]).toMatch(/^(yes|NO)$/);
    expect(stdout).toContain('--quick: smaller vaults and two runs per row stand in');
  });
});
