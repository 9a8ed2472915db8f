/**
 * `ssclient completion bash|zsh|fish` and the `__complete` query behind it
 * (src/cli/actions/completion.ts). The bash script is sourced in a real `bash --norc` and its
 * function driven as readline drives it (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT); the
 * completions are read from COMPREPLY. Each query runs the real ssclient process through a
 * `ssclient` on PATH. Then Tab is pressed in real interactive bash and zsh (tmux), and fish is
 * asked with `complete -C`; zsh and fish are installed by .ci/run, and those tests are skipped
 * where a machine lacks them (the scripts' shape and the query's answers are checked anyway).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCompletion, tokenizeLine } from '../../../src/cli/actions/completion.js';
import { GET_FORMATS } from '../../../src/cli/option-values.js';
import { BIN, runCli, runProcess } from '../../helpers/cli.js';
import { makeVault, tempDir } from '../../helpers/vaults.js';

const NAMES = ['alpha', 'beta', 'my name', 'a:b', 'd$x', "it's", 'tab\there'];

let dir = '';
let cleanup = () => {};
let binDir = '';

beforeAll(async () => {
  const t = tempDir();
  dir = t.dir;
  cleanup = t.cleanup;
  await makeVault(
    dir,
    NAMES.map((n) => [n, 'value'] as [string, string]),
  );
  await makeVault(dir, [['other-one', 'x']], 'other.json');
  writeFileSync(join(dir, 'k.key.bak'), 'not a key'); // for file completion
  binDir = join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(
    join(binDir, 'ssclient'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
  );
  chmodSync(join(binDir, 'ssclient'), 0o755);
});
afterAll(() => cleanup());

/** Single-quotes for bash. */
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Sources `ssclient completion bash` in `bash --norc` and calls its function as readline would
 * for `line` (cursor at its end), split into COMP_WORDS as bash splits it (`words`, the last one
 * being completed). Returns COMPREPLY, what the function wrote on stderr, and each candidate as
 * the shell reads it back (`eval`), which is what the user ends up passing.
 */
function bashComplete(
  line: string,
  words: string[],
  env: Record<string, string> = {},
): { reply: string[]; stderr: string; parsed: string[] } {
  const script = [
    'source <(ssclient completion bash) || exit 9',
    `COMP_WORDS=(${words.map(q).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE=${q(line)}`,
    'COMP_POINT=${#COMP_LINE}',
    '_ssclient_complete',
    'for c in "${COMPREPLY[@]}"; do printf "R%s\\0" "$c"; done',
    // what the shell makes of each candidate typed after the rest of the word
    `prefix=${q(replacedFrom(line, words[words.length - 1] ?? ''))}`,
    'for c in "${COMPREPLY[@]}"; do eval "set -- ${prefix}${c}"; printf "P%s\\0" "${!#}"; done',
  ].join('\n');
  const res = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
    cwd: dir,
    env: { PATH: `${binDir}:${process.env.PATH}`, HOME: dir, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(res.status, res.stderr).toBe(0);
  const items = res.stdout.split('\0').filter((s) => s !== '');
  return {
    reply: items.filter((s) => s.startsWith('R')).map((s) => s.slice(1)),
    parsed: items.filter((s) => s.startsWith('P')).map((s) => s.slice(1)),
    stderr: res.stderr,
  };
}

/** The line before what readline replaces: nothing after a lone ":" or "=" word. */
function replacedFrom(line: string, last: string): string {
  return /^[:=]+$/.test(last) ? line : line.slice(0, line.length - last.length);
}

describe('bash completion in a real bash', () => {
  it('completes command names, subcommands and help topics', () => {
    expect(bashComplete('ssclient g', ['ssclient', 'g']).reply).toEqual(['get', 'git']);
    // in the order of --help, commander's help command last
    expect(bashComplete('ssclient h', ['ssclient', 'h']).reply).toEqual(['history', 'help']);
    expect(bashComplete('ssclient co', ['ssclient', 'co']).reply).toEqual(['config', 'completion']);
    expect(bashComplete('ssclient git i', ['ssclient', 'git', 'i']).reply).toEqual(['install']);
    expect(bashComplete('ssclient kms a', ['ssclient', 'kms', 'a']).reply).toEqual(['add']);
    expect(bashComplete('ssclient help git i', ['ssclient', 'help', 'git', 'i']).reply).toEqual([
      'install',
    ]);
    // global options before the command, with their values, are stepped over
    expect(
      bashComplete('ssclient -s other.json -k k.key ver', [
        'ssclient',
        '-s',
        'other.json',
        '-k',
        'k.key',
        'ver',
      ]).reply,
    ).toEqual(['verify']);
  });

  it("completes a command's own options and the global ones after it", () => {
    expect(bashComplete('ssclient get --f', ['ssclient', 'get', '--f']).reply).toEqual([
      '--format',
      '--force',
    ]);
    expect(bashComplete('ssclient get --st', ['ssclient', 'get', '--st']).reply).toEqual([
      '--store',
    ]);
    expect(
      bashComplete('ssclient git install --c', ['ssclient', 'git', 'install', '--c']).reply,
    ).toEqual(['--command']);
    expect(bashComplete('ssclient --req', ['ssclient', '--req']).reply).toEqual(['--require-seal']);
  });

  it('completes the fixed values of an option: --format of get and of list', () => {
    expect(
      bashComplete('ssclient get --all --format ', ['ssclient', 'get', '--all', '--format', ''])
        .reply,
    ).toEqual(GET_FORMATS);
    expect(GET_FORMATS).toEqual(['json', 'text', 'dotenv', 'shell', 'yaml', 'csv']);
    expect(
      bashComplete('ssclient get --format y', ['ssclient', 'get', '--format', 'y']).reply,
    ).toEqual(['yaml']);
    expect(
      bashComplete('ssclient get --format=', ['ssclient', 'get', '--format', '=']).reply,
    ).toEqual(GET_FORMATS);
    // bash splits --format=s at "=" (COMP_WORDBREAKS): the reply replaces only "s"
    expect(
      bashComplete('ssclient get --format=s', ['ssclient', 'get', '--format', '=', 's']).reply,
    ).toEqual(['shell']);
    expect(
      bashComplete('ssclient list --format ', ['ssclient', 'list', '--format', '']).reply,
    ).toEqual(['text', 'json']);
    expect(bashComplete('ssclient completion ', ['ssclient', 'completion', '']).reply).toEqual([
      'bash',
      'zsh',
      'fish',
    ]);
  });

  it('completes secret names without a key, quoted with backslashes so the shell reads them back exactly', () => {
    const all = bashComplete('ssclient get ', ['ssclient', 'get', '']);
    // UTF-8 order, as list prints them; a name holding a control character is left out
    expect(all.reply).toEqual(['a:b', 'alpha', 'beta', 'd\\$x', "it\\'s", 'my\\ name']);
    expect(all.parsed).toEqual(['a:b', 'alpha', 'beta', 'd$x', "it's", 'my name']);
    expect(all.stderr).toBe('');
    for (const command of ['delete', 'history', 'set']) {
      expect(bashComplete(`ssclient ${command} m`, ['ssclient', command, 'm']).reply).toEqual([
        'my\\ name',
      ]);
    }
    expect(bashComplete('ssclient get my\\ n', ['ssclient', 'get', 'my\\ n']).reply).toEqual([
      'my\\ name',
    ]);
    // bash splits a:b at ":" (COMP_WORDBREAKS): the reply is what follows it
    const colon = bashComplete('ssclient get a:', ['ssclient', 'get', 'a', ':']);
    expect(colon.reply).toEqual(['b']);
    expect(colon.parsed).toEqual(['a:b']);
    expect(bashComplete('ssclient get a:', ['ssclient', 'get', 'a:']).reply).toEqual(['a:b']);
    const after = bashComplete('ssclient get a:b', ['ssclient', 'get', 'a', ':', 'b']);
    expect(after.reply).toEqual(['b']);
    expect(after.parsed).toEqual(['a:b']);
    // only the first argument of set is a name; its value completes nothing
    expect(bashComplete('ssclient set alpha ', ['ssclient', 'set', 'alpha', '']).reply).toEqual([]);
  });

  it('reads the names of the store given by -s/--store, SSCLIENT_STORE or the project file', () => {
    const want = ['other-one'];
    expect(
      bashComplete('ssclient -s other.json get ', ['ssclient', '-s', 'other.json', 'get', ''])
        .reply,
    ).toEqual(want);
    expect(
      bashComplete('ssclient get --store=other.json o', [
        'ssclient',
        'get',
        '--store',
        '=',
        'other.json',
        'o',
      ]).reply,
    ).toEqual(want);
    expect(
      bashComplete('ssclient get ', ['ssclient', 'get', ''], { SSCLIENT_STORE: 'other.json' })
        .reply,
    ).toEqual(want);
    const project = tempDir();
    try {
      writeFileSync(join(project.dir, '.ssclient.json'), JSON.stringify({ store: 'other.json' }));
      writeFileSync(join(project.dir, 'other.json'), readFileSync(join(dir, 'other.json')));
      const script = `source <(ssclient completion bash); cd ${q(project.dir)}; COMP_WORDS=(ssclient get ''); COMP_CWORD=2; COMP_LINE='ssclient get '; COMP_POINT=13; _ssclient_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script], {
        env: { PATH: `${binDir}:${process.env.PATH}`, HOME: dir },
        encoding: 'utf8',
      });
      expect(out).toBe('other-one\n');
    } finally {
      project.cleanup();
    }
  });

  it('offers nothing, and prints nothing, when the store is missing or not a vault', () => {
    writeFileSync(join(dir, 'broken.json'), '{"version": 3, "secrets": ');
    for (const store of ['missing.json', 'broken.json', 'k.key.bak']) {
      const res = bashComplete(`ssclient -s ${store} get `, ['ssclient', '-s', store, 'get', '']);
      expect(res).toEqual({ reply: [], stderr: '', parsed: [] });
    }
    // the query itself: exit 0, no output at all
    const res = runProcess(['__complete', 'bash', '--', 'ssclient -s missing.json get ', ''], {
      cwd: dir,
    });
    expect(res).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('lets bash complete file names for -s, -k and path arguments', () => {
    expect(bashComplete('ssclient -s oth', ['ssclient', '-s', 'oth']).reply).toEqual([
      'other.json',
    ]);
    expect(bashComplete('ssclient -k k.', ['ssclient', '-k', 'k.']).reply.sort()).toEqual([
      'k.key',
      'k.key.bak',
    ]);
    expect(bashComplete('ssclient import oth', ['ssclient', 'import', 'oth']).reply).toEqual([
      'other.json',
    ]);
  });
});

/** Whether `shell` is installed (zsh and fish are added by .ci/run; a bare machine may lack them). */
function has(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

/**
 * An interactive shell in tmux (its own server socket): `line` is typed, Tab pressed, and the
 * screen read until it shows `want`. Every wait is bounded.
 */
async function pressTab(
  command: string,
  setup: string[],
  typed: string,
  want: string | RegExp,
): Promise<string> {
  const socket = `ssclient-completion-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', '0');
  const waitFor = async (what: string | RegExp) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = screen();
      if (typeof what === 'string' ? now.includes(what) : what.test(now)) return now;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(what)}:\n${now}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-x',
    '150',
    '-y',
    '30',
    `cd ${q(dir)} && env -i PATH=${q(`${binDir}:${process.env.PATH}`)} HOME=${q(dir)} TERM=xterm ${command}`,
  );
  try {
    for (const line of setup) {
      tmux('send-keys', '-t', '0', '-l', line);
      tmux('send-keys', '-t', '0', 'Enter');
    }
    tmux('send-keys', '-t', '0', '-l', 'echo READY');
    tmux('send-keys', '-t', '0', 'Enter');
    await waitFor(/^READY$/m);
    tmux('send-keys', '-t', '0', '-l', typed);
    tmux('send-keys', '-t', '0', 'Tab');
    return await waitFor(want);
  } finally {
    tmux('kill-server');
  }
}

/** A screen line that is exactly `text` (tmux drops the space the shell added after a word). */
const screenLine = (text: string) =>
  new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');

describe('completion on a real terminal (Tab pressed in tmux)', () => {
  it('bash inserts the escaped name, and completes after a colon', async () => {
    const bash = 'bash --norc --noprofile -i';
    const setup = ["PS1='$ '", 'source <(ssclient completion bash)'];
    await pressTab(bash, setup, 'ssclient get my', screenLine('$ ssclient get my\\ name'));
    await pressTab(bash, setup, 'ssclient get a:', screenLine('$ ssclient get a:b'));
    await pressTab(
      bash,
      setup,
      'ssclient get --format=y',
      screenLine('$ ssclient get --format=yaml'),
    );
  });

  it.skipIf(!has('zsh'))('zsh, with compinit, completes names and --format values', async () => {
    const zsh = 'zsh -f -i';
    const setup = [
      "PS1='$ '",
      'autoload -U compinit && compinit -u -D',
      'source <(ssclient completion zsh)',
    ];
    await pressTab(zsh, setup, 'ssclient get my', screenLine('$ ssclient get my\\ name'));
    const formats = await pressTab(zsh, setup, 'ssclient get --format ', /csv +dotenv +json/);
    expect(formats).toMatch(/csv +dotenv +json +shell +text +yaml/);
    await pressTab(zsh, setup, 'ssclient kms a', screenLine('$ ssclient kms add'));
  });

  it.skipIf(!has('fish'))('fish lists names, subcommands and values (complete -C)', () => {
    const fish = (line: string) =>
      execFileSync(
        'fish',
        ['--no-config', '-c', `ssclient completion fish | source; complete -C ${q(line)}`],
        { cwd: dir, env: { PATH: `${binDir}:${process.env.PATH}`, HOME: dir }, encoding: 'utf8' },
      );
    expect(fish('ssclient get ')).toBe("a:b\nalpha\nbeta\nd$x\nit's\nmy name\n");
    expect(fish('ssclient git i')).toBe('install\n');
    expect(fish('ssclient get --format y')).toBe('yaml\n');
    expect(fish('ssclient -s oth')).toBe('other.json\n');
    expect(fish('ssclient -s missing.json get ')).toBe('');
  });
});

describe('the __complete query', () => {
  it('answers zsh and fish with the names as they are (those shells quote them)', () => {
    for (const shell of ['zsh', 'fish']) {
      const res = runProcess(['__complete', shell, '--', 'ssclient get '], { cwd: dir });
      expect(res).toMatchObject({
        code: 0,
        stdout: "words\na:b\nalpha\nbeta\nd$x\nit's\nmy name\n",
        stderr: '',
      });
    }
    expect(runProcess(['__complete', 'zsh', '--', 'ssclient -s '], { cwd: dir }).stdout).toBe(
      'files\n',
    );
  });

  it('loads no KMS, age, git or prompt code, and no other command body', () => {
    const trace = join(dir, 'trace.txt');
    const TRACE = fileURLToPath(new URL('../../helpers/trace-loads.mjs', import.meta.url));
    const res = runProcess(['__complete', 'bash', '--', 'ssclient get a', 'a'], {
      cwd: dir,
      env: { NODE_OPTIONS: `--import ${pathToFileURL(TRACE).href}`, TRACE_LOADS_FILE: trace },
    });
    expect(res.stdout).toBe('words\na:b\nalpha\n');
    const urls = readFileSync(trace, 'utf8').split('\n');
    expect(
      urls.filter((u) =>
        /node_modules\/(@aws-sdk|age-encryption|@inquirer)\/|dist\/(kms|age|git|rekey)\/|dist\/cli\/actions\/(?!completion)/.test(
          u,
        ),
      ),
    ).toEqual([]);
  });

  it('the visible command prints the scripts; a shell it does not know is a usage error', async () => {
    const bash = await runCli(['completion', 'bash'], { cwd: dir });
    expect(bash).toMatchObject({ code: 0, stderr: '' });
    expect(bash.stdout).toContain('complete -F _ssclient_complete ssclient\n');
    const zsh = await runCli(['completion', 'zsh'], { cwd: dir });
    expect(zsh.stdout.startsWith('#compdef ssclient\n')).toBe(true);
    expect(zsh.stdout).toContain('__complete zsh -- "$LBUFFER"');
    expect(zsh.stdout).toContain('compdef _ssclient ssclient\n');
    const fish = await runCli(['completion', 'fish'], { cwd: dir });
    expect(fish.stdout).toContain("complete -c ssclient -f -a '(__ssclient_complete)'\n");
    expect(fish.stdout).toContain('__complete fish -- (commandline -cp)');
    const bad = await runCli(['completion', 'tcsh'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    // the query is no documented command
    const help = await runCli(['--help'], { cwd: dir });
    expect(help.stdout + help.stderr).not.toContain('__complete');
  });
});

describe('planCompletion over any commander program', () => {
  const program = () => {
    const p = new Command('tool').option('-s, --store <store>', 'the store');
    p.command('brand-new')
      .argument('<name>')
      .addOption(new Option('--mode <mode>').choices(['fast', 'slow']));
    return p;
  };

  it('completes a command it was never told about, its options, choices and names', () => {
    expect(planCompletion(program(), ['tool'], 'b')).toEqual({
      kind: 'words',
      values: ['brand-new', 'help'],
    });
    expect(planCompletion(program(), ['tool', 'brand-new'], '--')).toEqual({
      kind: 'words',
      values: ['--mode', '-h', '--help', '-s', '--store'],
    });
    expect(planCompletion(program(), ['tool', 'brand-new', '--mode'], '')).toEqual({
      kind: 'words',
      values: ['fast', 'slow'],
    });
    expect(planCompletion(program(), ['tool', '-sx.json', 'brand-new'], '')).toEqual({
      kind: 'secrets',
      store: 'x.json',
    });
    expect(planCompletion(program(), ['FOO=1', 'tool', 'brand-new', 'n'], '')).toEqual({
      kind: 'words',
      values: [],
    });
  });

  it('reads a command line as the shell does', () => {
    expect(tokenizeLine(`ssclient get 'a b' "c\\"d" e\\ f g`)).toEqual({
      words: ['ssclient', 'get', 'a b', 'c"d', 'e f'],
      current: { text: 'g', raw: 'g' },
    });
    expect(tokenizeLine('ssclient get my\\ ')).toEqual({
      words: ['ssclient', 'get'],
      current: { text: 'my ', raw: 'my\\ ' },
    });
    expect(tokenizeLine("ssclient get 'open quo")).toEqual({
      words: ['ssclient', 'get'],
      current: { text: 'open quo', raw: "'open quo" },
    });
    expect(tokenizeLine('ssclient ')).toEqual({
      words: ['ssclient'],
      current: { text: '', raw: '' },
    });
  });
});
