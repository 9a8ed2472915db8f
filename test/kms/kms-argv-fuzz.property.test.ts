/**
 * fast-check over KMS command lines, as real processes against the KMS test server (the SDK reads
 * its settings from the process environment, so these cannot run in-process): `create --kms`,
 * `-k secrets.kms.json get|set|delete`, `kms list|add|remove|rewrap`, `export-key --kms` and
 * `rekey --kms`, with real and unknown key ids, odd contexts, regions and endpoints. Whatever the
 * arguments: a documented exit code (README "Exit codes"; 4 for KMS), no stack trace, no secret
 * value on stderr, and a failed command leaves every file as it was.
 */
import fc from 'fast-check';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { assertEveryCommandLine } from '../helpers/command-line.js';
import { kmsTarget } from '../helpers/kms.js';
import { spawnProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { rounds } from '../helpers/rounds.js';

const target = kmsTarget();
const SECRET = 'hunter2-kms-fuzz';
const scratch = tempDir('kms-fuzz-');
const template = join(scratch.dir, 'template');
afterAll(() => scratch.cleanup());

const env = (): Record<string, string> => ({ ...target.env, HOME: scratch.dir });

beforeAll(async () => {
  mkdirSync(template);
  const ok = async (argv: string[]): Promise<void> => {
    const r = await spawnProcess(argv, { cwd: template, env: env() });
    if (r.code !== 0) throw new Error(`setup: ssclient ${argv.join(' ')}: ${r.stderr}`);
  };
  await ok(['create', '--kms', target.key1, '--export-key', 'plain.key']);
  await ok(['-k', 'secrets.kms.json', 'set', 'db:password', SECRET]);
  await ok(['-k', 'plain.key', 'set', 'api:token', `${SECRET}-2`]);
}, 60_000);

const PREFIXES: string[][] = [
  ['-k', 'secrets.kms.json', 'get'],
  ['-k', 'secrets.kms.json', 'set'],
  ['-k', 'secrets.kms.json', 'delete'],
  ['-k', 'secrets.kms.json', 'get', '--all'],
  ['kms', 'list'],
  ['kms', 'add'],
  ['-k', 'plain.key', 'kms', 'add'],
  ['kms', 'remove'],
  ['kms', 'rewrap'],
  ['-k', 'plain.key', 'kms', 'rewrap'],
  ['-k', 'plain.key', 'export-key', '--kms'],
  ['-k', 'secrets.kms.json', 'rekey', '--kms'],
  ['create', '--kms'],
  ['-s', 'new.json', 'create', '--kms'],
];

const WORDS = [
  target.key1,
  target.key2,
  'alias/does-not-exist',
  'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000',
  'not a key',
  '',
  '--kms',
  '--context',
  'vault=fuzz',
  'purpose=other',
  '=x',
  'novalue',
  '--region',
  'us-east-1',
  'eu-west-9',
  '--profile',
  'missing-profile',
  '--kms-file',
  'other.kms.json',
  'secrets.kms.json',
  'plain.key',
  'out.kms.json',
  'db:password',
  'api:token',
  '0',
  '1',
  '7',
  '-1',
  '--force',
  '--debug',
  '--unknown',
  '--',
];

const argv = fc
  .tuple(fc.constantFrom(...PREFIXES), fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }))
  .map(([prefix, rest]) => [...prefix, ...rest]);

const DOCUMENTED = new Set([0, 1, 2, 4, 17, 75]);
const EXAMPLES: [string[], number][] = [
  [['-k', 'secrets.kms.json', 'get', 'db:password'], 0],
  [['kms', 'list'], 0],
  [['kms', 'add', target.key2], 0],
  [['-k', 'secrets.kms.json', 'set', 'new', 'value'], 0],
  [['kms', 'add', 'alias/does-not-exist'], 4],
];

describe('any KMS command line (fast-check, real processes)', () => {
  it('returns a documented exit code, prints no stack trace or secret, and a failure changes no file', async () => {
    await assertEveryCommandLine({
      template,
      scratch: scratch.dir,
      argv,
      run: (argv, cwd) => spawnProcess(argv, { cwd, env: env(), timeoutMs: 60_000 }),
      documented: DOCUMENTED,
      secret: SECRET,
      numRuns: rounds(60),
      examples: EXAMPLES,
    });
  }, 300_000);
});
