/** `ssclient run` as a real process: environment, exit codes, signals, name mapping. */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runProcess } from '../helpers/cli.js';
import { makeVault, tempDir } from '../helpers/vaults.js';

let cleanup = () => {};
afterEach(() => cleanup());

async function vault(secrets: [string, string | Uint8Array][]): Promise<string> {
  const t = tempDir('ssclient-run-');
  cleanup = t.cleanup;
  await makeVault(t.dir, secrets);
  return t.dir;
}

const PRINT_ENV = `process.stdout.write(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((n) => [n, process.env[n] ?? null]))))`;

describe('ssclient run', () => {
  it('passes secrets under the documented names, with args and the exit code', async () => {
    const dir = await vault([
      ['db:password', "p'w\n$x"],
      ['api.key', 'k'],
      ['mixed-Case', 'm'],
    ]);
    const r = runProcess(
      [
        '-k',
        'k.key',
        'run',
        '--',
        process.execPath,
        '-e',
        PRINT_ENV,
        'DB_PASSWORD',
        'API_KEY',
        'MIXED_CASE',
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ DB_PASSWORD: "p'w\n$x", API_KEY: 'k', MIXED_CASE: 'm' });

    const exit = runProcess(['-k', 'k.key', 'run', '--', 'sh', '-c', 'exit 37'], { cwd: dir });
    expect(exit.code).toBe(37);
    expect(exit.stderr).toBe('');
  });

  it('--env-name-style keep, --prefix and --only', async () => {
    const dir = await vault([
      ['Db_Pass', 'a'],
      ['db:user', 'u'],
      ['other', 'o'],
    ]);
    const keep = runProcess(
      [
        '-k',
        'k.key',
        'run',
        '--only',
        'Db_*',
        '--env-name-style',
        'keep',
        '--',
        process.execPath,
        '-e',
        PRINT_ENV,
        'Db_Pass',
        'DB_PASS',
        'OTHER',
      ],
      { cwd: dir },
    );
    expect(JSON.parse(keep.stdout)).toEqual({ Db_Pass: 'a', DB_PASS: null, OTHER: null });
    const prefixed = runProcess(
      [
        '-k',
        'k.key',
        'run',
        '--prefix',
        'APP_',
        '--only',
        'db:*',
        '--only',
        'other',
        '--',
        process.execPath,
        '-e',
        PRINT_ENV,
        'APP_DB_USER',
        'APP_OTHER',
        'APP_DB_PASS',
      ],
      { cwd: dir },
    );
    expect(JSON.parse(prefixed.stdout)).toEqual({
      APP_DB_USER: 'u',
      APP_OTHER: 'o',
      APP_DB_PASS: null,
    });
    const none = runProcess(['-k', 'k.key', 'run', '--only', 'nope*', '--', 'true'], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('error: --only "nope*" matches no secret in secrets.json\n');
  });

  it('refuses colliding and invalid names, listing them, and runs nothing', async () => {
    const dir = await vault([
      ['db:user', 'a'],
      ['db-user', 'b'],
      ['DB.USER', 'c'],
      ['1st', 'd'],
      ['ok', 'e'],
    ]);
    const r = runProcess(['-k', 'k.key', 'run', '--', 'sh', '-c', 'echo ran'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: cannot turn secret names into environment variables: "DB.USER", "db-user" and "db:user" all become DB_USER; "1st" becomes "1ST", which is not a valid variable name (leave names out with --only, add a --prefix, or rename the secrets)\n',
    );
    const keep = runProcess(
      ['-k', 'k.key', 'run', '--only', 'db:user', '--env-name-style', 'keep', '--', 'true'],
      { cwd: dir },
    );
    expect(keep.code).toBe(2);
    expect(keep.stderr).toContain(
      '"db:user" becomes "db:user", which is not a valid variable name',
    );
  });

  it('the vault wins over the environment (with a note), or loses with --keep-existing', async () => {
    const dir = await vault([['token', 'from-vault']]);
    const argv = ['-k', 'k.key', 'run', '--', process.execPath, '-e', PRINT_ENV, 'TOKEN'];
    const wins = runProcess(argv, { cwd: dir, env: { TOKEN: 'from-env' } });
    expect(JSON.parse(wins.stdout)).toEqual({ TOKEN: 'from-vault' });
    expect(wins.stderr).toBe(
      "note: the vault's values replace TOKEN from the environment (--keep-existing keeps them)\n",
    );
    const loses = runProcess([...argv.slice(0, 3), '--keep-existing', ...argv.slice(3)], {
      cwd: dir,
      env: { TOKEN: 'from-env' },
    });
    expect(JSON.parse(loses.stdout)).toEqual({ TOKEN: 'from-env' });
    expect(loses.stderr).toBe('note: TOKEN kept from the environment (--keep-existing)\n');
  });

  it('never hands SSCLIENT_PASSWORD to the child; other variables pass through', async () => {
    const dir = await vault([['a', '1']]);
    const r = runProcess(
      [
        '-k',
        'k.key',
        'run',
        '--',
        process.execPath,
        '-e',
        PRINT_ENV,
        'SSCLIENT_PASSWORD',
        'KEEPME',
        'A',
      ],
      {
        cwd: dir,
        env: { SSCLIENT_PASSWORD: 'hunter22', KEEPME: 'yes' },
      },
    );
    expect(JSON.parse(r.stdout)).toEqual({ SSCLIENT_PASSWORD: null, KEEPME: 'yes', A: '1' });
  });

  it('refuses binary values unless --binary base64', async () => {
    const bin = Uint8Array.of(0xff, 0x00, 0x01);
    const dir = await vault([
      ['blob', bin],
      ['nul', 'a\0b'],
      ['text', 't'],
    ]);
    const refused = runProcess(['-k', 'k.key', 'run', '--', 'true'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: secrets "blob", "nul" are binary (not UTF-8 text, or holding a NUL byte), which a variable cannot hold: add --binary base64 to pass them base64-encoded, or leave them out with --only\n',
    );
    const b64 = runProcess(
      [
        '-k',
        'k.key',
        'run',
        '--binary',
        'base64',
        '--',
        process.execPath,
        '-e',
        PRINT_ENV,
        'BLOB',
        'NUL',
        'TEXT',
      ],
      { cwd: dir },
    );
    expect(JSON.parse(b64.stdout)).toEqual({
      BLOB: Buffer.from(bin).toString('base64'),
      NUL: Buffer.from('a\0b').toString('base64'),
      TEXT: 't',
    });
  });

  it('an empty vault runs the program unchanged; --only can leave a binary value out', async () => {
    const empty = await vault([]);
    expect(
      runProcess(['-k', 'k.key', 'run', '--', 'sh', '-c', 'echo ok'], { cwd: empty }),
    ).toMatchObject({
      code: 0,
      stdout: 'ok\n',
      stderr: '',
    });
    const dir = await vault([
      ['blob', Uint8Array.of(0xff)],
      ['text', 't'],
    ]);
    const r = runProcess(
      ['-k', 'k.key', 'run', '--only', 'text', '--', 'sh', '-c', 'echo "$TEXT"'],
      {
        cwd: dir,
      },
    );
    expect(r).toMatchObject({ code: 0, stdout: 't\n', stderr: '' });
  });

  it('inherits stdin and stdout', async () => {
    const dir = await vault([['a', '1']]);
    const r = runProcess(['-k', 'k.key', 'run', '--', 'sh', '-c', 'cat; echo "+$A"'], {
      cwd: dir,
      input: 'piped in\n',
    });
    expect(r.stdout).toBe('piped in\n+1\n');
  });

  it('a command that cannot start: 127 when not found, 126 when not executable', async () => {
    const dir = await vault([['a', '1']]);
    const missing = runProcess(['-k', 'k.key', 'run', '--', 'no-such-command-xyz'], { cwd: dir });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('error: cannot run no-such-command-xyz: command not found\n');
    const notExec = runProcess(['-k', 'k.key', 'run', '--', './secrets.json'], { cwd: dir });
    expect(notExec.code).toBe(126);
    expect(notExec.stderr).toBe('error: cannot run ./secrets.json: permission denied\n');
  });

  it('a wrong key runs nothing', async () => {
    const dir = await vault([['a', '1']]);
    const r = runProcess(['-p', 'wrong', 'run', '--', 'sh', '-c', 'echo ran'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error: wrong password for \S*secrets\.json \(password does not open it\); the password came from -p \("ssclient config" shows where each setting comes from\)\n$/,
    );
  });

  it('a child killed by SIGTERM ends ssclient by SIGTERM too', async () => {
    const dir = await vault([['a', '1']]);
    const r = await spawnRun(dir, ['sh', '-c', 'kill -TERM $$']);
    expect(r).toEqual({ code: null, signal: 'SIGTERM', stdout: '' });
  });

  it('a signal ssclient cannot raise on itself (SIGPIPE) becomes exit 128 + n', async () => {
    const dir = await vault([['a', '1']]);
    const r = await spawnRun(dir, ['sh', '-c', 'kill -PIPE $$']);
    expect(r).toEqual({ code: 141, signal: null, stdout: '' });
  });

  it('forwards SIGINT and SIGTERM to the child and passes on how it ended', async () => {
    const dir = await vault([['a', '1']]);
    const child = `process.on('SIGINT', () => { console.log('child got SIGINT'); process.exit(42); });
process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(43); });
console.log('ready'); setInterval(() => {}, 1000);`;
    for (const [signal, code] of [
      ['SIGINT', 42],
      ['SIGTERM', 43],
    ] as const) {
      const r = await spawnRun(dir, [process.execPath, '-e', child], signal);
      expect(r).toEqual({ code, signal: null, stdout: `ready\nchild got ${signal}\n` });
    }
  });
});

/**
 * Runs `ssclient -k k.key run -- argv` as a real process; with `send`, sends that signal to
 * ssclient (only) once the child has printed "ready". Bounded by a timeout.
 */
function spawnRun(
  dir: string,
  argv: string[],
  send?: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, '-k', 'k.key', 'run', '--', ...argv], {
      cwd: dir,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    let sent = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`timed out; stdout so far: ${stdout}`));
    }, 20_000);
    p.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (send !== undefined && !sent && stdout.includes('ready\n')) {
        sent = true;
        p.kill(send);
      }
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    });
  });
}
