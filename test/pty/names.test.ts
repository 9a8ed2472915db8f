// docs/cli.md (`get`: names escaped on a terminal); src/cli/output.ts formatText.
/**
 * `get --all --format text` on a real terminal (tmux): a name holding terminal controls (ESC
 * sequences, a C1 CSI, NUL, a newline, a bidi override, DEL) is shown as `list` shows it, so a vault
 * written by someone without the key cannot clear the screen, recolour it or forge lines. Into a
 * pipe the same command keeps the reference's bytes (test/hostile/cli-arguments.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../src/index.js';
import { PtySession } from '../helpers/pty.js';
import { tempDir } from '../helpers/vaults.js';
import { HOSTILE_NAMES, HOSTILE_NAMES_SORTED, shownOf } from '../helpers/hostile-names.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Each name is stored with the value `v<i>`. */
const NAMES = HOSTILE_NAMES;

async function vaultWithHostileNames(): Promise<string> {
  const t = tempDir('ssclient-names-pty-');
  cleanups.push(t.cleanup);
  writeFileSync(join(t.dir, 'k.key'), Buffer.alloc(32, 7));
  const vault = await SecretsManager.create({ keyFile: join(t.dir, 'k.key') });
  NAMES.forEach((n, i) => vault.set(n, `v${i}`));
  await vault.saveAs(join(t.dir, 'secrets.json'));
  vault.close();
  return t.dir;
}

const EXPECTED = HOSTILE_NAMES_SORTED.map((n) => `${shownOf(n)}: v${NAMES.indexOf(n)}`).join('\n');

describe('get --all --format text on a terminal', () => {
  it.each([
    ['the plain command (fast path)', ['get', '--all', '--format', 'text']],
    ['with --only (the export path)', ['get', '--all', '--format', 'text', '--only', '*']],
  ])('%s shows each name as list does, one line per secret', async (_label, argv) => {
    const dir = await vaultWithHostileNames();
    const pty = PtySession.start(['-k', 'k.key', ...argv], { cwd: dir });
    cleanups.unshift(() => pty.kill());
    expect(await pty.exitCode()).toBe(0);
    // Unescaped, ESC[2J would clear the screen and the newline name would split a line.
    expect(pty.screen()).toBe(`${EXPECTED}\n`);
  });
});
