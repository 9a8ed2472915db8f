/**
 * fast-check properties of the CLI, in-process: what `set` stores, `get` prints back exactly;
 * a value on stdin loses exactly one trailing LF or CRLF; and `get --all` prints any set of
 * names and values (text or bytes) exactly as the reference's serde_json / text formats would
 * (the oracle is built here, independently of src/cli/output.ts).
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';

const scratch = tempDir('ssclient-prop-');
afterAll(() => scratch.cleanup());

const KEY = new Uint8Array(32).map((_, i) => 255 - i);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

let counter = 0;
/** A new empty key-file vault; returns the argv prefix that opens it. */
async function freshVault(secrets: Record<string, string | Uint8Array> = {}): Promise<string[]> {
  counter += 1;
  const store = join(scratch.dir, `v${counter}.json`);
  const keyFile = join(scratch.dir, `v${counter}.key`);
  const vault = await SecretsManager.create(KeySource.fromKey(KEY));
  for (const [name, value] of Object.entries(secrets)) vault.set(name, value);
  await vault.saveAs(store);
  await vault.exportKey(keyFile);
  vault.close();
  return ['-s', store, '-k', keyFile];
}

/** Strings that survive UTF-8 (no lone surrogates), any code point including controls. */
const text = fc
  .string({ unit: 'binary', maxLength: 40 })
  .filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s);

function byteOrder(names: string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function textOf(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

describe('CLI round trips (fast-check, in-process)', () => {
  it('set -- NAME VALUE, then get -- NAME prints VALUE and a newline', async () => {
    const base = await freshVault();
    await fc.assert(
      fc.asyncProperty(text, text, async (name, value) => {
        const set = await runCli([...base, 'set', '--', name, value], { cwd: scratch.dir });
        expect(set.code).toBe(0);
        const get = await runCli([...base, 'get', '--', name], { cwd: scratch.dir });
        expect(get.code).toBe(0);
        expect(get.stdout).toBe(`${value}\n`);
      }),
      { numRuns: 60 },
    );
  });

  it('set NAME with the value on stdin drops exactly one trailing LF or CRLF', async () => {
    const base = await freshVault();
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.constantFrom('', '\n', '\r\n', '\n\n', '\r'),
        async (value, end) => {
          const input = value + end;
          const expected = input.endsWith('\r\n')
            ? input.slice(0, -2)
            : input.endsWith('\n')
              ? input.slice(0, -1)
              : input;
          const set = await runCli([...base, 'set', 'v'], { cwd: scratch.dir, stdin: input });
          expect(set.code).toBe(0);
          expect(set.stderr).toBe('');
          const get = await runCli([...base, 'get', 'v'], { cwd: scratch.dir });
          expect(get.stdout).toBe(`${expected}\n`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('get --all prints any vault exactly as serde_json (json) and name: value lines (text)', async () => {
    const value = fc.oneof(text, fc.uint8Array({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(text, value, { maxKeys: 6 }), async (secrets) => {
        const entries = Object.entries(secrets);
        const base = await freshVault(Object.fromEntries(entries));
        const bytesOf = (v: string | Uint8Array) => (typeof v === 'string' ? Buffer.from(v) : v);
        const names = byteOrder(entries.map(([n]) => n));
        const list = names.map((key) => {
          const bytes = bytesOf(secrets[key]!);
          return { key, value: textOf(bytes) ?? [...bytes] };
        });
        const json = await runCli([...base, 'get', '--all'], { cwd: scratch.dir });
        expect(json.code).toBe(0);
        expect(json.stdout).toBe(`${JSON.stringify(list, null, 2)}\n`);
        const textOut = await runCli([...base, 'get', '--all', '--format', 'text'], {
          cwd: scratch.dir,
        });
        const lines = names.map((key) => {
          const bytes = bytesOf(secrets[key]!);
          return `${key}: ${textOf(bytes) ?? `base64:${Buffer.from(bytes).toString('base64')}`}\n`;
        });
        expect(textOut.stdout).toBe(lines.join(''));
      }),
      { numRuns: 40 },
    );
  });
});
