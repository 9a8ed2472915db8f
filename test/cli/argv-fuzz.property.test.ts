/**
 * fast-check over command lines: random commands and options (valid, misplaced, unknown, empty,
 * odd Unicode) run in-process against a directory holding a key-file vault, a password vault and
 * their key and password files. Whatever the arguments, `main` returns (never throws), the exit
 * code is one of the documented ones (README "Exit codes"), stderr shows no stack trace without
 * `--debug` and never a secret's value, and a command that fails leaves every file in the
 * directory as it was and adds none. KMS and `run` are left out: they need a server or a child
 * program, and their failures have their own tests (test/kms, test/workflow).
 */
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { runCli } from '../helpers/cli.js';
import { assertEveryCommandLine } from '../helpers/command-line.js';
import { tempDir } from '../helpers/vaults.js';

const SECRET = 'hunter2-fuzz-value';
const PASSWORD = 'pw-fuzz-12345';
const scratch = tempDir('ssclient-fuzz-');
const template = join(scratch.dir, 'template');
afterAll(() => scratch.cleanup());

beforeAll(async () => {
  mkdirSync(template);
  const keyed = await SecretsManager.create(KeySource.fromKey(new Uint8Array(32).fill(9)));
  keyed.set('db:password', SECRET);
  keyed.set('api:token', `${SECRET}-2`);
  keyed.set('bin', new Uint8Array([0, 255, 1]));
  await keyed.saveAs(join(template, 'secrets.json'));
  await keyed.exportKey(join(template, 'k.key'));
  keyed.close();
  const pw = await SecretsManager.create({ password: PASSWORD });
  pw.set('db:password', SECRET);
  await pw.saveAs(join(template, 'other.json'));
  pw.close();
  writeFileSync(join(template, 'pw.txt'), `${PASSWORD}\n`);
  writeFileSync(join(template, 'value.bin'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(template, 'garbage.key'), 'not a key\n');
});

const PREFIXES: string[][] = [
  ['-k', 'k.key', 'get'],
  ['-k', 'k.key', 'get', '--all'],
  ['-k', 'k.key', 'set'],
  ['-k', 'k.key', 'delete'],
  ['-k', 'k.key', 'remove'],
  ['-k', 'k.key', 'list'],
  ['-k', 'k.key', 'verify'],
  ['-k', 'k.key', 'export-key'],
  ['-k', 'garbage.key', 'get'],
  ['-k', 'missing.key', 'set'],
  ['-s', 'other.json', '--password-file', 'pw.txt', 'get'],
  ['-s', 'other.json', '-p', 'wrong-password', 'set'],
  ['-s', 'missing.json', '-k', 'k.key', 'get'],
  ['create'],
  ['config'],
  ['verify'],
  ['help'],
  ['git'],
  [],
];

const WORDS = [
  'get',
  'set',
  'delete',
  'create',
  'export-key',
  'list',
  'verify',
  'config',
  'help',
  'rekey',
  '-s',
  'secrets.json',
  'other.json',
  'missing.json',
  '-p',
  PASSWORD,
  '-k',
  '--key',
  '--keyfile',
  'k.key',
  'garbage.key',
  'missing.key',
  '--password-file',
  'pw.txt',
  '-a',
  '--all',
  '--format',
  'json',
  'text',
  'dotenv',
  'shell',
  'yaml',
  'csv',
  'xml',
  '--only',
  'db:*',
  '*',
  '--file',
  'value.bin',
  '--output',
  'out.bin',
  '--force',
  '--strict',
  '--no-vcs',
  '--export-key',
  'new.key',
  '--escape-formulas',
  '--reveal',
  '--new-key',
  '--new-password',
  'db:password',
  'api:token',
  'bin',
  'nope',
  '',
  '-',
  '--',
  '--unknown',
  '-x',
  'é😀',
  '__proto__',
  '-V',
  '--help',
];

const argv = fc
  .tuple(
    fc.constantFrom(...PREFIXES),
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
      ),
      { maxLength: 3 },
    ),
    fc.boolean(),
  )
  .map(([prefix, rest, debug]) => [...prefix, ...rest, ...(debug ? ['--debug'] : [])]);

const DOCUMENTED = new Set([0, 1, 2, 17, 75]);
const EXAMPLES: [string[], number][] = [
  [['-k', 'k.key', 'get', 'db:password'], 0],
  [['-k', 'k.key', 'list'], 0],
  [['-k', 'k.key', 'set', 'new', 'value'], 0],
  [['-k', 'k.key', 'get', 'nope'], 1],
  [['-k', 'garbage.key', 'get', 'db:password'], 1],
  [['-s', 'other.json', '-p', 'wrong-password', 'set', 'a', 'b'], 1],
  [['-k', 'k.key', 'get', '--unknown'], 2],
];

describe('any command line (fast-check, in-process)', () => {
  it('returns a documented exit code, prints no stack trace or secret, and a failure changes no file', async () => {
    await assertEveryCommandLine({
      template,
      scratch: scratch.dir,
      argv,
      run: (argv, cwd) => runCli(argv, { cwd, env: { HOME: cwd } }),
      documented: DOCUMENTED,
      secret: SECRET,
      numRuns: 250,
      examples: EXAMPLES,
    });
  }, 240_000);
});
