/**
 * Commands load only what they run: the bodies of the git, rekey and KMS commands (and the
 * modules behind them) are imported when one of those commands runs, never by `create`, `list`,
 * `delete`, `set` from stdin or `--help`, which go through the full command parser. Each command
 * runs as a real process under a resolve hook that lists every module it loads, from the separate
 * modules of dist/ (MODULAR_BIN): bin/ssclient.js runs the same modules bundled into one file,
 * whose `import()`s stay lazy (scripts/bundle-cli.js), and which loads the KMS and age libraries
 * as lazily (the last test).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySource, SecretsManager } from '../../src/index.js';
import { BIN, MODULAR_BIN, runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

const TRACE = fileURLToPath(new URL('../helpers/trace-loads.mjs', import.meta.url));
const DIST = pathToFileURL(fileURLToPath(new URL('../../dist/', import.meta.url))).href;

/**
 * The modules of dist/ that only the git, rekey, KMS, access (age), edit, completion and import
 * commands need.
 */
const HEAVY =
  /^(cli\/actions\/(git|history|rekey|kms|access|edit|completion|import)\.js|workflow\/(edit|import)\.js|git\/|rekey\/|kms\/|age\/)/;
/** The two libraries that only KMS and age wrappings need (spec/kms-key-file.md §10). */
const LIBRARIES = /\/node_modules\/(age-encryption|@aws-sdk\/client-kms)\//;

describe('which modules a command loads', () => {
  let dir = '';
  let cleanup = () => {};
  let runs = 0;

  beforeAll(async () => {
    const t = tempDir();
    dir = t.dir;
    cleanup = t.cleanup;
    const vault = await SecretsManager.create(KeySource.fromKey(new Uint8Array(32).fill(7)));
    vault.set('a', 'one');
    vault.set('b', 'two');
    await vault.saveAs(join(dir, 'secrets.json'));
    await vault.exportKey(join(dir, 'secrets.key'));
    vault.close();
  });
  afterAll(() => cleanup());

  /** Runs ssclient with `argv`; its exit code, output, and the dist/ modules it loaded. */
  const traced = (
    argv: string[],
    input = '',
    env: Record<string, string> = {},
    bin = MODULAR_BIN,
  ) => {
    const trace = join(dir, `trace-${++runs}.txt`);
    const result = runProcess(argv, {
      bin,
      cwd: dir,
      input,
      env: {
        ...env,
        NODE_OPTIONS: `--import ${pathToFileURL(TRACE).href}`,
        TRACE_LOADS_FILE: trace,
      },
    });
    const urls = readFileSync(trace, 'utf8').split('\n');
    const loaded = new Set(
      urls.filter((url) => url.startsWith(DIST)).map((url) => url.slice(DIST.length)),
    );
    const libraries = new Set(urls.flatMap((url) => LIBRARIES.exec(url)?.[1] ?? []));
    return { ...result, loaded: [...loaded].sort(), libraries: [...libraries].sort() };
  };

  it('create, list, delete, set from stdin and --help load no git, rekey or KMS code', () => {
    const key = ['-k', 'secrets.key'];
    const commands: [string[], string][] = [
      [['create', '-k', 'new.key', '-s', 'new.json', '--no-vcs'], ''],
      [[...key, 'list'], ''],
      [[...key, 'set', 'c'], 'three\n'],
      [[...key, 'delete', 'b'], ''],
      [['--help'], ''],
      [['create', '--help'], ''],
    ];
    for (const [argv, input] of commands) {
      const res = traced(argv, input);
      expect(res, argv.join(' ')).toMatchObject({ code: 0, stderr: '' });
      // Through the full parser, not the fast path: the test would prove nothing otherwise.
      expect(res.loaded, argv.join(' ')).toContain('cli/main.js');
      expect(
        res.loaded.filter((m) => HEAVY.test(m)),
        argv.join(' '),
      ).toEqual([]);
      expect(res.libraries, argv.join(' ')).toEqual([]);
    }
    expect(traced([...key, 'list']).stdout).toBe('a\nc\n');
  });

  it('history, rekey and kms load their bodies when they run', () => {
    const history = traced(['-k', 'secrets.key', 'history', 'a']);
    expect(history.code).not.toBe(0); // not a git repository: loaded all the same
    expect(history.loaded).toEqual(
      expect.arrayContaining(['cli/actions/history.js', 'git/history.js']),
    );
    const rekey = traced(['-k', 'secrets.key', 'rekey']);
    expect(rekey.code).toBe(2);
    expect(rekey.loaded).toEqual(expect.arrayContaining(['rekey/rekey.js', 'kms/wrap.js']));
    const kms = traced(['-k', 'secrets.key', 'kms', 'list']);
    expect(kms.code).not.toBe(0); // there is no wrapped key file
    expect(kms.loaded).toEqual(
      expect.arrayContaining(['cli/actions/kms.js', 'kms/wrapped-key-file.js']),
    );
    // An editor that changes nothing: edit writes nothing and exits 0.
    const edit = traced(['-k', 'secrets.key', 'edit'], '', { VISUAL: 'true' });
    expect(edit.code).toBe(0);
    expect(edit.loaded).toEqual(
      expect.arrayContaining(['cli/actions/edit.js', 'workflow/edit.js']),
    );
    const completion = traced(['completion', 'bash']);
    expect(completion.code).toBe(0);
    expect(completion.loaded).toEqual(expect.arrayContaining(['cli/actions/completion.js']));
    const access = traced(['access', 'list']);
    expect(access.code).not.toBe(0); // there is no wrapped key file
    expect(access.loaded).toEqual(expect.arrayContaining(['cli/actions/access.js']));
    expect(access.libraries).toEqual([]);
  });

  it('a library user loads age-encryption only for a file with age wrappings, and never the AWS SDK for it', () => {
    const script = (keyFile: string, identities: string) => `
      import { KeySource, SecretsManager } from ${JSON.stringify(`${DIST}index.js`)};
      const source = KeySource.fromFile(${JSON.stringify(keyFile)}, { identities: [${identities}] });
      const vault = await SecretsManager.fromFile(${JSON.stringify(join(dir, 'secrets.json'))}, source);
      process.stdout.write(vault.get('a'));
      vault.close();
      source.dispose();`;
    const run = (code: string) => {
      const trace = join(dir, `trace-${++runs}.txt`);
      const out = execFileSync(
        process.execPath,
        ['--import', pathToFileURL(TRACE).href, '--input-type=module', '-e', code],
        { cwd: dir, env: { PATH: process.env.PATH, TRACE_LOADS_FILE: trace }, encoding: 'utf8' },
      );
      const libraries = new Set(
        readFileSync(trace, 'utf8')
          .split('\n')
          .flatMap((url) => LIBRARIES.exec(url)?.[1] ?? []),
      );
      return { out, libraries: [...libraries].sort() };
    };
    // A plain key file: neither library.
    expect(run(script(join(dir, 'secrets.key'), ''))).toEqual({ out: 'one', libraries: [] });
    // A wrapped key file with only an age wrapping: age-encryption, not the AWS SDK.
    const keygen = execFileSync('age-keygen', [], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const identity = keygen.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    const recipient = /public key: (age1[a-z0-9]+)/.exec(keygen)![1]!;
    const wrap = `
      import { readFileSync, writeFileSync } from 'node:fs';
      import { formatWrappedKeyFile, wrapKey } from ${JSON.stringify(`${DIST}index.js`)};
      const file = await wrapKey(new Uint8Array(32).fill(7), { recipients: [${JSON.stringify(recipient)}] });
      writeFileSync(${JSON.stringify(join(dir, 'age.kms.json'))}, formatWrappedKeyFile(file));`;
    expect(run(wrap).libraries).toEqual(['age-encryption']);
    expect(run(script(join(dir, 'age.kms.json'), JSON.stringify(identity)))).toEqual({
      out: 'one',
      libraries: ['age-encryption'],
    });

    // bin/ssclient.js, the one-file bundle: the light commands load no library, not even
    // commander on the fast path; a wrapped key file loads age-encryption when it is used.
    const bundled = (argv: string[], input = '', env: Record<string, string> = {}) =>
      traced(argv, input, env, BIN);
    for (const argv of [
      ['-k', 'secrets.key', 'get', 'a'],
      ['-k', 'secrets.key', 'list'],
      ['--help'],
    ]) {
      const res = bundled(argv);
      expect(res, argv.join(' ')).toMatchObject({ code: 0, stderr: '', libraries: [] });
      // Nothing of dist/ but the bundle.
      expect(res.loaded, argv.join(' ')).toEqual(['cli/ssclient.cjs']);
    }
    writeFileSync(join(dir, 'alice.txt'), `${identity}\n`);
    const byAge = bundled(['-k', 'age.kms.json', '-i', 'alice.txt', 'get', 'a']);
    expect(byAge).toMatchObject({ code: 0, stdout: 'one\n', libraries: ['age-encryption'] });
  });
});
