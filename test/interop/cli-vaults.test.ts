/**
 * A vault created and edited by our CLI opens in NeoSmart's own JavaScript library,
 * `@neosmart/securestore` (spec/cli.md §8), and in ours, with the password and with the key
 * files the CLI wrote, and its file keeps the reference's exact layout (spec/format.md §5).
 */
import * as neosmart from '@neosmart/securestore';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { runCli, runProcess } from '../helpers/cli.js';
import { SEALED_EMPTY_EXTRA } from '../helpers/sealed-docs.js';
import { tempDir } from '../helpers/vaults.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const VALUES: Record<string, string> = {
  plain: 'hello',
  unicode: 'Grüße 😀 秘密',
  multiline: '-----BEGIN X-----\nabc\r\n-----END X-----\n',
  empty: '',
  '': 'the empty name',
  '10': 'integer-like name',
  ['__proto__']: 'not a prototype',
  quote: 'a "quoted" \\ value',
};

async function checkNeosmart(
  vaultPath: string,
  auth: neosmart.AuthOptions,
  expected: Record<string, string>,
): Promise<void> {
  const sm = await neosmart.SecretsManager.fromFile(vaultPath, auth);
  expect([...sm.keys()].sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) expect(await sm.get(name)).toBe(value);
}

async function checkOurs(
  vaultPath: string,
  auth: { password: string } | { keyFile: string },
  expected: Record<string, string>,
): Promise<void> {
  const vault = await SecretsManager.fromFile(vaultPath, auth);
  expect(Object.fromEntries(vault.getAll())).toEqual(expected);
  vault.close();
}

describe('vaults written by our CLI in other readers', () => {
  it('password vault: create, set, overwrite, delete, export-key; both libraries read it', async () => {
    const t = tempDir('ssclient-interop-');
    cleanups.push(t.cleanup);
    const pw = 'interop password';
    const run = (...argv: string[]) => runProcess(['-p', pw, ...argv], { cwd: t.dir });
    expect(run('create', 'v.json', '--export-key', 'v.key').code).toBe(0);
    const fresh = readFileSync(join(t.dir, 'v.json'));
    // spec/format.md §5: a fresh vault is exactly 256 bytes; ssclient create then seals it
    // (spec/seal.md §3): the reference's bytes but the final "\n}", then the seal.
    const seal = fresh.indexOf(',\n  "seal": {');
    expect(seal + 2).toBe(256);
    expect(fresh.length).toBe(256 + SEALED_EMPTY_EXTRA);
    expect(fresh.at(-1)).toBe(0x7d);
    for (const [name, value] of Object.entries(VALUES)) {
      expect(run('-s', 'v.json', 'set', '--', name, value).code).toBe(0);
    }
    expect(run('-s', 'v.json', 'set', 'gone', 'x').code).toBe(0);
    expect(run('-s', 'v.json', 'delete', 'gone').code).toBe(0);
    expect(run('-s', 'v.json', 'set', 'plain', 'hello again').code).toBe(0);
    expect(run('-s', 'v.json', 'export-key', 'later.key').code).toBe(0);
    const expected = { ...VALUES, plain: 'hello again' };

    const vaultPath = join(t.dir, 'v.json');
    await checkNeosmart(vaultPath, { password: pw }, expected);
    await checkNeosmart(vaultPath, { keyFile: join(t.dir, 'v.key') }, expected);
    await checkNeosmart(vaultPath, { keyFile: join(t.dir, 'later.key') }, expected);
    await checkOurs(vaultPath, { password: pw }, expected);
    await checkOurs(vaultPath, { keyFile: join(t.dir, 'v.key') }, expected);
    expect(readFileSync(join(t.dir, 'later.key'))).toEqual(readFileSync(join(t.dir, 'v.key')));

    // the reference's layout: 2-space pretty JSON, no trailing newline, names in byte order
    const text = readFileSync(vaultPath, 'utf8');
    expect(text.startsWith('{\n  "version": 3,\n  "iv": "')).toBe(true);
    expect(text.endsWith('\n  }\n}')).toBe(true);
    // ssclient create seals (spec/seal.md §3): the seal comes after "secrets"; names before it.
    const secretsPart = text.slice(0, text.indexOf('\n  "seal": {'));
    const names = [...secretsPart.matchAll(/^ {4}"((?:[^"\\]|\\.)*)": \{$/gm)].map((m) =>
      JSON.parse(`"${m[1]}"`),
    );
    expect(names).toEqual(
      Object.keys(expected).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });

  it('key-file vault from create -k (in-process): both libraries read it', async () => {
    const t = tempDir('ssclient-interop-');
    cleanups.push(t.cleanup);
    const run = (...argv: string[]) => runCli(['-k', 'new.key', ...argv], { cwd: t.dir });
    expect((await run('create')).code).toBe(0);
    expect((await run('set', 'a', 'one')).code).toBe(0);
    expect((await runCli(['-k', 'new.key', 'set', 'b'], { cwd: t.dir, stdin: 'two\n' })).code).toBe(
      0,
    );
    const vaultPath = join(t.dir, 'secrets.json');
    await checkNeosmart(vaultPath, { keyFile: join(t.dir, 'new.key') }, { a: 'one', b: 'two' });
    await checkOurs(vaultPath, { keyFile: join(t.dir, 'new.key') }, { a: 'one', b: 'two' });
  });
});
