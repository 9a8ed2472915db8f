// spec/format.md §1–§6 end to end: vaults we write open in NeoSmart's @neosmart/securestore, and both read the reference's vaults alike.
/**
 * Interoperability with NeoSmart's own JavaScript library (read-only; spec/cli.md §8).
 * Its quirks, which the expectations below follow:
 * - `get` decodes with a non-fatal TextDecoder that also drops a leading U+FEFF, so a value
 *   comes back as `new TextDecoder().decode(bytes)`; binary values come back with U+FFFD;
 * - `keys()` is `Object.keys` of the parsed JSON, so integer-like names come first: compared
 *   as sets;
 * - an empty password is falsy and refused by its option parsing; it cannot read a 32-byte raw
 *   key file (it reads key files as text);
 * - it cannot write vaults, so "vaults it writes" are the reference CLI's vectors, which both
 *   libraries must read the same way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KeySource as NeoKeySource,
  SecretsManager as NeoSecretsManager,
} from '@neosmart/securestore';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuthOptions, KeySource, SecretsManager } from '../../src/index.js';
import { manifests, tempDir, VECTORS } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-interop-');
afterAll(() => tmp.cleanup());
let counter = 0;
const tempPath = (name: string): string => join(tmp.dir, `${counter++}-${name}`);

/** What NeoSmart's `get` returns for a value with these bytes. */
const neoText = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

const VALUES: Record<string, string | Uint8Array> = {
  '': 'the empty name',
  empty: '',
  ascii: 'hunter2',
  '10': 'integer-like name',
  '2': 'another integer-like name',
  ['__proto__']: 'not a prototype', // computed: a plain `__proto__:` would set the prototype
  constructor: 'plain',
  'name with spaces': '  leading and trailing  ',
  'é😀～': 'astral and BMP-high name',
  '\uFF5E': 'fullwidth tilde',
  '\u{1F600}': 'grinning face',
  'quote"back\\slash': 'escaped name',
  'ctl\u0001\n': 'control characters in the name',
  emoji: '😀🔐👩‍👩‍👧‍👦🏳️‍🌈',
  cjk: '秘密の鍵 비밀번호 密码',
  controls: 'tab\there, bell\u0007, esc\u001b[0m, del\u007f, nul\u0000',
  separators: 'a\u2028b\u2029c\u0085d',
  newlines: 'line 1\nline 2\r\nline 3\n',
  bom: '\uFEFFstarts with a BOM',
  noncharacters: '\uFFFE\uFFFF\u{10FFFF}',
  block16: '0123456789abcdef',
  binary: Uint8Array.from([0, 1, 2, 0xff, 0xfe, 0x80, 0xc3]),
  big: 'x'.repeat(1024 * 1024),
};

async function ourVault(auth: AuthOptions): Promise<{ path: string; vault: SecretsManager }> {
  const vault = await SecretsManager.create(auth);
  for (const [name, value] of Object.entries(VALUES)) vault.set(name, value);
  expect(vault.keys()).toHaveLength(Object.keys(VALUES).length);
  expect(vault.keys()).toContain('__proto__');
  const path = tempPath('ours.json');
  await vault.saveAs(path);
  // Created sealed by default (spec/seal.md §6.2): these are the vaults the library makes.
  expect(vault.sealed).toBe(true);
  expect(readFileSync(path, 'utf8')).toContain('\n  "seal": {\n');
  return { path, vault };
}

/** Every secret of `ours` reads the same in NeoSmart's library. */
async function expectSameInNeo(neo: NeoSecretsManager, ours: SecretsManager): Promise<void> {
  expect(new Set(neo.keys())).toEqual(new Set(ours.keys()));
  for (const name of ours.keys()) {
    expect(await neo.get(name), name).toBe(neoText(ours.getBytes(name)!));
  }
  expect(await neo.get('absent name')).toBeNull();
}

describe('vaults we write open in @neosmart/securestore', () => {
  it('with a generated key: as a key file, as key bytes and as PEM text', async () => {
    const { path, vault } = await ourVault(KeySource.generate());
    const keyPath = tempPath('ours.key');
    await vault.exportKey(keyPath);
    const pem = readFileSync(keyPath, 'utf8');
    for (const auth of [
      { keyFile: keyPath },
      { key: vault.exportKeyBytes() },
      { keySource: NeoKeySource.fromKey(pem) },
    ]) {
      await expectSameInNeo(await NeoSecretsManager.fromFile(path, auth), vault);
    }
    // Spot checks against the values themselves, not only against our reading of them.
    const neo = await NeoSecretsManager.fromJSON(readFileSync(path, 'utf8'), { keyFile: keyPath });
    expect(await neo.get('emoji')).toBe(VALUES.emoji);
    expect(await neo.get('__proto__')).toBe('not a prototype');
    expect(await neo.get('10')).toBe('integer-like name');
    expect(await neo.get('big')).toBe(VALUES.big);
    expect(await neo.get('bom')).toBe('starts with a BOM'); // its decoder drops the BOM
    vault.close();
  });

  it('with a password (PBKDF2 agrees)', async () => {
    const password = 'pässwörd 🔑 with spaces';
    const { path, vault } = await ourVault({ password });
    await expectSameInNeo(await NeoSecretsManager.fromFile(path, { password }), vault);
    await expect(NeoSecretsManager.fromFile(path, { password: 'wrong' })).rejects.toThrow(
      /invalid key or password/,
    );
    vault.close();
  });

  it('after set and delete on a reference vault, and with unknown top-level fields kept', async () => {
    const m = manifests().find((x) => x.vault === '05-unicode-values.json')!;
    const keyFile = join(VECTORS, m.keyfile!);
    const path = tempPath('edited.json');
    const text = readFileSync(join(VECTORS, m.vault), 'utf8');
    writeFileSync(path, `${text.slice(0, -2)},\n  "x-note": {\n    "kept": true\n  }\n}`);
    await SecretsManager.update(path, { keyFile }, (v) => {
      v.set('emoji', 'replaced 😀');
      v.delete('cjk');
      v.set('added', 'new value');
    });
    expect(readFileSync(path, 'utf8')).toContain('"x-note"');
    const ours = await SecretsManager.fromFile(path, { keyFile });
    const neo = await NeoSecretsManager.fromFile(path, { keyFile });
    await expectSameInNeo(neo, ours);
    expect(await neo.get('emoji')).toBe('replaced 😀');
    expect(await neo.get('cjk')).toBeNull();
    ours.close();
  });
});

describe('vaults the reference wrote read the same in both libraries', () => {
  const usable = manifests().filter(
    (m) => (m.keyfile !== null && m.keyfile_format === 'pem') || (m.password ?? '') !== '',
  );
  it.each(usable.map((m) => [m.vault, m] as const))('%s', async (_name, m) => {
    const auth =
      m.keyfile !== null ? { keyFile: join(VECTORS, m.keyfile) } : { password: m.password! };
    const ours = await SecretsManager.fromFile(join(VECTORS, m.vault), auth);
    const neo = await NeoSecretsManager.fromFile(join(VECTORS, m.vault), auth);
    await expectSameInNeo(neo, ours);
    for (const [name, value] of Object.entries(m.secrets)) {
      if (!value.startsWith('\uFEFF')) expect(await neo.get(name)).toBe(value);
    }
    ours.close();
  });
});
