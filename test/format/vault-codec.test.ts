// spec/format.md §5 (JSON layout and canonical bytes: §5.2 order, §5.4 untouched bytes, §5.5 unknown fields, §5.6 escaping).
/**
 * What the vault codec writes, byte for byte: an unchanged vault saves to its own bytes for every
 * reference vector; set/delete touch only their own entry; names are in UTF-8 byte order;
 * escaping is serde_json's; unknown top-level fields survive a save.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVault } from '../../src/format/vault-codec.js';
import { type AuthOptions, KeySource, SecretsManager } from '../../src/index.js';
import { manifests, tempDir, VECTORS } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-canonical-');
afterAll(() => tmp.cleanup());
let counter = 0;
const tempPath = (name = 'vault.json'): string => join(tmp.dir, `${counter++}-${name}`);

function authFor(m: ReturnType<typeof manifests>[number]): AuthOptions {
  return m.keyfile !== null ? { keyFile: join(VECTORS, m.keyfile) } : { password: m.password! };
}

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
const fixed = (): KeySource => KeySource.fromKey(KEY);
const utf8Order = (names: string[]): string[] =>
  [...names].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('an unchanged vault saves to exactly its own bytes', () => {
  it.each(manifests().map((m) => [m.vault, m] as const))('%s', async (_name, m) => {
    const source = join(VECTORS, m.vault);
    const vault = await SecretsManager.fromFile(source, authFor(m));
    const out = tempPath();
    await vault.saveAs(out);
    expect(readFileSync(out).equals(readFileSync(source))).toBe(true);
    expect(Buffer.from(vault.toJSON(), 'utf8').equals(readFileSync(source))).toBe(true);
    // The same through fromJSON (bytes and text) and fromObject (JSON.parse); with the derived
    // key, so that PBKDF2 runs once per vector.
    const text = readFileSync(source, 'utf8');
    const key = { key: vault.exportKeyBytes() };
    vault.close();
    for (const opened of [
      await SecretsManager.fromJSON(readFileSync(source), key),
      await SecretsManager.fromJSON(text, key),
      await SecretsManager.fromObject(JSON.parse(text), key),
    ]) {
      expect(opened.toJSON()).toBe(text);
      opened.close();
    }
  });
});

describe('set and delete leave everything else byte-identical', () => {
  const m = manifests().find((x) => x.vault === '09-thousand-secrets.json')!;
  const source = join(VECTORS, m.vault);

  it('replacing one secret changes only its iv, hmac and payload; deleting removes only its entry', async () => {
    const before = readFileSync(source, 'utf8');
    const path = tempPath();
    const copy = await SecretsManager.fromFile(source, authFor(m));
    await copy.saveAs(path);
    copy.close();

    const vault = await SecretsManager.fromFile(path, authFor(m));
    vault.set('secret_0500', 'value-500-'); // the same value: still a fresh iv
    expect(vault.delete('secret_0123')).toBe(true);
    expect(vault.delete('no such secret')).toBe(false);
    await vault.save();
    vault.close();

    const after = readFileSync(path, 'utf8');
    const old = parseVault(Buffer.from(before), 'before');
    const now = parseVault(Buffer.from(after), 'after');
    const oldBlob = old.secrets.get('secret_0500')!;
    const newBlob = now.secrets.get('secret_0500')!;
    expect(newBlob.iv).not.toBe(oldBlob.iv);
    const deleted = old.secrets.get('secret_0123')!;
    const expected = before
      .replace(oldBlob.iv, newBlob.iv)
      .replace(oldBlob.hmac, newBlob.hmac)
      .replace(oldBlob.payload, newBlob.payload)
      .replace(
        `    "secret_0123": {\n      "iv": "${deleted.iv}",\n      "hmac": "${deleted.hmac}",\n      "payload": "${deleted.payload}"\n    },\n`,
        '',
      );
    expect(after).toBe(expected);
    expect(now.iv).toBe(old.iv);
    expect(now.sentinel).toEqual(old.sentinel);
  });

  it('adding a secret inserts one entry at its sorted place and nothing else', async () => {
    const before = readFileSync(source, 'utf8');
    const vault = await SecretsManager.fromFile(source, authFor(m));
    vault.set('secret_0500a', 'new');
    const after = vault.toJSON();
    vault.close();
    const blob = parseVault(Buffer.from(after), 'after').secrets.get('secret_0500a')!;
    const entry = `    "secret_0500a": {\n      "iv": "${blob.iv}",\n      "hmac": "${blob.hmac}",\n      "payload": "${blob.payload}"\n    },\n`;
    const at = before.indexOf('    "secret_0501"');
    expect(after).toBe(before.slice(0, at) + entry + before.slice(at));
  });

  it('deleting every secret leaves iv and sentinel and an empty "secrets": {}', async () => {
    const vault = await SecretsManager.fromFile(join(VECTORS, '03-key-only.json'), {
      keyFile: join(VECTORS, '03-key-only.key'),
    });
    const old = parseVault(readFileSync(join(VECTORS, '03-key-only.json')), 'old');
    for (const name of vault.keys()) vault.delete(name);
    expect(vault.toJSON()).toBe(
      `{\n  "version": 3,\n  "iv": "${old.iv}",\n  "sentinel": {\n    "iv": "${old.sentinel!.iv}",\n    "hmac": "${old.sentinel!.hmac}",\n    "payload": "${old.sentinel!.payload}"\n  },\n  "secrets": {}\n}`,
    );
    vault.close();
  });

  it('a new, empty vault is exactly 256 bytes in the reference layout', async () => {
    const vault = await SecretsManager.create(fixed(), { seal: false });
    const text = vault.toJSON();
    expect(Buffer.byteLength(text)).toBe(256);
    expect(text).toMatch(
      /^\{\n {2}"version": 3,\n {2}"iv": "[A-Za-z0-9+/]{22}==",\n {2}"sentinel": \{\n {4}"iv": "[A-Za-z0-9+/]{22}==",\n {4}"hmac": "[A-Za-z0-9+/]{27}=",\n {4}"payload": "[A-Za-z0-9+/]{64}"\n {2}\},\n {2}"secrets": \{\}\n\}$/,
    );
    vault.close();
  });
});

describe('names are written in UTF-8 byte order', () => {
  const names = [
    'b',
    'a',
    'B',
    '',
    '10',
    '2',
    '__proto__',
    'constructor',
    'é',
    '\uFF5E', // BMP, above the surrogates
    '\u{1F600}', // astral: a surrogate pair in UTF-16
    '\uE000',
    '\u{10000}',
    '\uD7FF',
    '\u{10FFFF}',
    'a\u0000',
    'a ',
  ];

  it('differs from JavaScript’s UTF-16 sort for astral vs BMP-high names (the test means something)', () => {
    expect([...names].sort()).not.toEqual(utf8Order(names));
  });

  it('keys(), the file and a reopened vault all use UTF-8 byte order', async () => {
    const vault = await SecretsManager.create(fixed());
    for (const name of names) vault.set(name, `value of ${name}`);
    const expected = utf8Order(names);
    expect(vault.keys()).toEqual(expected);
    expect(vault.keys().indexOf('\uFF5E')).toBeLessThan(vault.keys().indexOf('\u{1F600}'));
    expect(vault.keys().indexOf('\uE000')).toBeLessThan(vault.keys().indexOf('\u{10000}'));
    const path = tempPath();
    await vault.saveAs(path);
    vault.close();
    const doc = parseVault(readFileSync(path), path);
    expect([...doc.secrets.keys()]).toEqual(expected);
    const reopened = await SecretsManager.fromFile(path, fixed());
    expect(reopened.keys()).toEqual(expected);
    for (const name of names) expect(reopened.get(name)).toBe(`value of ${name}`);
    reopened.close();
  });

  it('a vault whose file is out of order is put in order by the next write', async () => {
    const vault = await SecretsManager.create(fixed(), { seal: false });
    vault.set('a', '1');
    vault.set('b', '2');
    const sorted = vault.toJSON();
    vault.close();
    const doc = parseVault(Buffer.from(sorted), 'x');
    const swapped = sorted.replace(
      /"a": \{[^}]*\},\n {4}("b": \{[^}]*\})/,
      (_all, b: string) =>
        `${b},\n    "a": {\n      "iv": "${doc.secrets.get('a')!.iv}",\n      "hmac": "${doc.secrets.get('a')!.hmac}",\n      "payload": "${doc.secrets.get('a')!.payload}"\n    }`,
    );
    expect(swapped).not.toBe(sorted);
    const reopened = await SecretsManager.fromJSON(swapped, fixed());
    expect(reopened.keys()).toEqual(['a', 'b']);
    expect(reopened.toJSON()).toBe(sorted);
    reopened.close();
  });
});

describe('escaping (spec/format.md §5)', () => {
  it('escapes only " \\ and U+0000–U+001F, and writes everything else raw', async () => {
    const name =
      'q"b\\s\u0000\u0001\b\t\n\u000b\f\r\u001b\u001f \u007f\u0080\u2028\u2029/<>&\'é€😀\uFEFF';
    const vault = await SecretsManager.create(fixed());
    vault.set(name, 'v');
    const text = vault.toJSON();
    expect(text).toContain(
      '    "q\\"b\\\\s\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001b\\u001f \u007f\u0080\u2028\u2029/<>&\'é€😀\uFEFF": {\n',
    );
    const reopened = await SecretsManager.fromJSON(text, fixed());
    expect(reopened.keys()).toEqual([name]);
    expect(reopened.get(name)).toBe('v');
    vault.close();
    reopened.close();
  });

  it('reads names written with any valid escape and writes them back canonically', async () => {
    const vault = await SecretsManager.create(fixed());
    vault.set('a/é', 'v');
    const canonical = vault.toJSON();
    vault.close();
    const escaped = canonical.replace('"a/é"', '"\\u0061\\/\\u00E9"');
    expect(escaped).not.toBe(canonical);
    const reopened = await SecretsManager.fromJSON(escaped, fixed());
    expect(reopened.keys()).toEqual(['a/é']);
    expect(reopened.toJSON()).toBe(canonical);
    reopened.close();
  });

  it('refuses names and values that are not well-formed Unicode (no UTF-8 form)', async () => {
    const vault = await SecretsManager.create(fixed());
    expect(() => vault.set('\uD800', 'v')).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT' }),
    );
    expect(() => vault.set('ok', 'bad \uDC00')).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT' }),
    );
    expect(vault.keys()).toEqual([]);
    vault.close();
  });
});

describe('unknown top-level fields (spec/format.md §5.5: kept, unlike the reference)', () => {
  const extras =
    ',\n  "comment": "kept \\"as is\\" \\u0001",\n  "x-meta": {\n    "n": [\n      1,\n      2.50,\n      -0,\n      1e400,\n      true,\n      null\n    ],\n    "10": {},\n    "2": []\n  }';

  it('survive an unchanged save byte for byte, and a set', async () => {
    const vault = await SecretsManager.create(fixed());
    vault.set('a', '1');
    const base = vault.toJSON();
    vault.close();
    const withExtras = `${base.slice(0, -2)}${extras}\n}`;
    const path = tempPath();
    const reopened = await SecretsManager.fromJSON(withExtras, fixed());
    await reopened.saveAs(path);
    expect(readFileSync(path, 'utf8')).toBe(withExtras);
    reopened.set('b', '2');
    await reopened.saveAs(path);
    reopened.close();
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith(`  }${extras}\n}`)).toBe(true);
    const again = await SecretsManager.fromFile(path, fixed());
    expect(again.keys()).toEqual(['a', 'b']);
    again.close();
  });

  it('written before "secrets" in the input, they are kept and moved after it', async () => {
    const vault = await SecretsManager.create(fixed(), { seal: false });
    const base = vault.toJSON();
    vault.close();
    const early = base.replace('{\n  "version": 3,', '{\n  "note": "hi",\n  "version": 3,');
    const reopened = await SecretsManager.fromJSON(early, fixed());
    expect(reopened.toJSON()).toBe(`${base.slice(0, -2)},\n  "note": "hi"\n}`);
    reopened.close();
  });
});

describe('layout details', () => {
  it('reads compact JSON and trailing whitespace (as the reference does) and writes the canonical form', async () => {
    const source = join(VECTORS, '03-key-only.json');
    const canonical = readFileSync(source, 'utf8');
    const compact = `${JSON.stringify(JSON.parse(canonical))}\n\n`;
    const vault = await SecretsManager.fromJSON(compact, {
      keyFile: join(VECTORS, '03-key-only.key'),
    });
    expect(vault.toJSON()).toBe(canonical);
    vault.close();
  });

  it('the saved file has no trailing newline and no BOM', async () => {
    const vault = await SecretsManager.create(fixed(), { seal: false });
    const path = tempPath();
    await vault.saveAs(path);
    vault.close();
    const bytes = readFileSync(path);
    expect(bytes[0]).toBe(0x7b);
    expect(bytes.at(-1)).toBe(0x7d);
    expect(statSync(path).size).toBe(256);
  });
});
