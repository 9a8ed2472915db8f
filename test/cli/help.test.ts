/**
 * Help (issue 15, item 10): the top-level help lists the environment variables, the exit codes
 * and where the documentation is; `help git install` is install's help; `run PROGRAM -x`
 * suggests `run -- PROGRAM -x`. In-process and as a real process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../helpers/cli.js';

const cwd = fileURLToPath(new URL('.', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs', import.meta.url));

describe('help', () => {
  it('the top-level help ends with the environment, the exit codes and the docs', async () => {
    const expected = `
Environment:
  SSCLIENT_STORE          the vault file (as -s)
  SSCLIENT_KEY            a key file (as -k)
  SSCLIENT_PASSWORD       the password (as -p; --password-file keeps it out of
                          the environment)
  SSCLIENT_NEW_PASSWORD   rekey --new-password off a terminal
  SSCLIENT_REGION, SSCLIENT_PROFILE, SSCLIENT_KMS_ENDPOINT
                          KMS settings (else the AWS SDK's own AWS_REGION,
                          AWS_PROFILE, AWS_ENDPOINT_URL_KMS)
  SSCLIENT_KMS_MAX_ATTEMPTS, SSCLIENT_KMS_RETRY_MAX_DELAY_MS,
  SSCLIENT_KMS_TIMEOUT_MS KMS retries and time-outs (kms.md)
  SSCLIENT_AGE_IDENTITY   an age identity file for age-wrapped keys
  SSCLIENT_REQUIRE_SEAL   1: refuse a vault without a valid seal
  VISUAL, EDITOR          the editor of "ssclient edit" (else vi)
  NO_COLOR                no colour and no progress line
  A .ssclient.json found upward from the working directory gives defaults;
  "ssclient config" shows every setting and where it comes from.

Exit codes:
  0    success
  1    a vault error: wrong password or key, tampering, missing secret, I/O
  2    a usage error, or the store does not exist
  4    KMS refused or could not be reached
  17   an overwrite was refused
  75   busy: the vault was locked, or changed meanwhile; retry
  130  interrupted at a prompt
  run  the program's own exit code (126: it cannot start, 127: not found)

Documentation: ${DOCS}/cli.md (every command, option and exit code);
  workflow.md, git.md, kms.md and library.md beside it
`;
    for (const argv of [['--help'], ['help']]) {
      const r = runProcess(argv, { cwd });
      expect(r.code).toBe(0);
      expect(r.stdout.slice(r.stdout.indexOf('\nEnvironment:'))).toBe(expected);
      expect(r.stdout.split('Exit codes:')).toHaveLength(2);
    }
    // A command's own help does not repeat it.
    expect((await runCli(['get', '--help'], { cwd })).stdout).not.toContain('Exit codes:');
  });

  it("help git install shows install's help, as git install --help does", async () => {
    const viaHelp = runProcess(['help', 'git', 'install'], { cwd });
    const direct = runProcess(['git', 'install', '--help'], { cwd });
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(direct.stdout);
    expect(viaHelp.stdout.split('\n')[0]).toBe('Usage: ssclient git install [options]');
    const kms = await runCli(['-s', 'x.json', 'help', 'kms', 'rewrap'], { cwd });
    expect(kms.stdout.split('\n')[0]).toBe('Usage: ssclient kms rewrap [options]');
    // One word stays commander's: help git is git's help.
    expect((await runCli(['help', 'git'], { cwd })).stdout.split('\n')[0]).toBe(
      'Usage: ssclient git [options] [command]',
    );
  });

  it('help with a subcommand that does not exist is a usage error, as help UNKNOWN is', async () => {
    // docs/cli.md: `help UNKNOWN` is a usage error; `help git nosuch` printed git's help and
    // `help get extra` get's, both on stdout with exit 0.
    for (const [argv, known, topic] of [
      [['help', 'git', 'nosuch'], ['git'], 'git nosuch'],
      [['help', 'get', 'extra'], ['get'], 'get extra'],
      [['-s', 'x.json', 'help', 'kms', 'rewrap', 'more'], ['kms', 'rewrap'], 'kms rewrap more'],
    ] as const) {
      const r = runProcess([...argv], { cwd });
      const help = runProcess([...known, '--help'], { cwd }).stdout;
      expect([r.code, r.stdout], argv.join(' ')).toEqual([2, '']);
      expect(r.stderr, argv.join(' ')).toBe(`${help}error: unknown command '${topic}'\n`);
    }
  });

  it('run PROGRAM -x suggests putting -- before the program', async () => {
    const r = runProcess(['run', 'ls', '-la'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: unknown option '-la' for run: put -- before the program and its arguments: ssclient run -- ls -la\n",
    );
    const withOptions = await runCli(
      ['-k', 'k.key', 'run', '--only', 'db:*', 'psql', '-U', 'my user'],
      { cwd },
    );
    expect(withOptions.stderr).toBe(
      "error: unknown option '-U' for run: put -- before the program and its arguments: ssclient -k k.key run --only 'db:*' -- psql -U 'my user'\n",
    );
    expect(withOptions.code).toBe(2);
    // Other unknown options are not quoted (issue 14 item 2: the word may be a secret).
    expect((await runCli(['list', '--nope'], { cwd })).stderr).toBe(
      'error: unknown option (not shown: it may be a secret); to give a value that starts with "-", put -- before it (for example ssclient set NAME -- VALUE)\n',
    );
  });

  it('every SSCLIENT_ variable the code reads is in docs/cli.md and all but test-only ones in --help', () => {
    const src = fileURLToPath(new URL('../../src', import.meta.url));
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    const used = new Set(
      files.flatMap(
        (f) => readFileSync(join(src, f), 'utf8').match(/SSCLIENT_[A-Z_]+[A-Z]/g) ?? [],
      ),
    );
    expect(used.size).toBeGreaterThan(10);
    const docs = readFileSync(join(DOCS, 'cli.md'), 'utf8');
    const help = runProcess(['--help'], { cwd }).stdout;
    for (const name of used) {
      expect(docs, name).toContain(`\`${name}\``);
      if (name !== 'SSCLIENT_EDIT_DIR') expect(help, name).toContain(name);
    }
  });
});
