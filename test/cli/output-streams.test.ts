/**
 * Writing data to a stdout that fails: a reader that goes away early (EPIPE) is quiet and not an
 * error; a stdout that cannot take the data (a full device) is one line on stderr and exit 1.
 * Never Node's unhandled-error stack trace.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, spawnCommand } from '../helpers/cli.js';
import { VECTORS } from '../helpers/vaults.js';

const GET_BIG = [
  '-s',
  join(VECTORS, '08-large-value.json'),
  '-k',
  join(VECTORS, '08-large-value.key'),
  'get',
  'one_mib',
];

function sh(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return spawnCommand('bash', ['-c', script, 'ssclient', process.execPath, BIN, ...GET_BIG], {
    cwd: VECTORS,
    input: null,
  });
}

describe('stdout failures', () => {
  it('a reader that closes early (| head): no message, exit 0', async () => {
    const r = await sh('"$1" "$2" "${@:3}" | head -c 10; echo " status=${PIPESTATUS[0]}"');
    expect(r.stdout).toBe('0123456789 status=0\n');
    expect(r.stderr).toBe('');
  });

  it.runIf(existsSync('/dev/full'))('a full device: one line on stderr, exit 1', async () => {
    const r = await sh('"$1" "$2" "${@:3}" > /dev/full; echo "status=$?"');
    expect(r.stdout).toBe('status=1\n');
    expect(r.stderr).toBe('error: cannot write to standard output: ENOSPC\n');
  });
});
