// spec/format.md §5 (JSON layout and canonical bytes: §5.2 order, §5.4 untouched bytes, §5.5 unknown fields, §5.6 escaping).
/**
 * What the vault codec writes, byte for byte: an unchanged vault saves to its own bytes for every
 * reference vector; set/delete touch only their own entry; names are in UTF-8 byte order;
 * escaping is serde_json's; unknown top-level fields survive a save.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeVaultBytes,
  documentFromNode,
  MAX_VAULT_BYTES,
  parseVault,
  parseVaultText,
  serializeVault,
} from '../../src/format/vault-codec.js';
import { nodeFromValue } from '../../src/format/json.js';
import { SecureStoreError } from '../../src/errors.js';
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

// What the mutation run (npm run mutate, test/README.md) found no test of the run reaching: the
// reader's exact message for each way a vault file is malformed (spec/format.md §7), through the
// text reader and through the tree (documentFromNode, as SecretsManager.fromObject uses it).
describe('the vault reader names what is wrong (spec/format.md §7)', () => {
  const IV = 'AAAAAAAAAAAAAAAAAAAAAA==';
  const HMAC = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const BLOB = `{"iv":"${IV}","hmac":"${HMAC}","payload":"${IV}"}`;
  const withIv = (rest: string): string => `{"version":3,"iv":"${IV}"${rest}}`;
  const problem = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      if (e instanceof SecureStoreError) return `${e.code} ${e.message}`;
      throw e;
    }
    return 'no error';
  };
  const text = (t: string): string => problem(() => parseVaultText(t, 'v.json'));
  const format = (what: string): string => `ERR_VAULT_FORMAT v.json${what}`;
  const json = (what: string): string => format(` is not valid JSON: ${what}`);

  it('refuses bytes that are too many, none, a byte-order mark or not UTF-8', () => {
    // A stand-in with the length of a file at and over the cap (allocating 256 MiB is not needed
    // to reach the check, which reads only the length first).
    const sized = (n: number) => ({ length: n }) as unknown as Uint8Array;
    expect(problem(() => decodeVaultBytes(sized(MAX_VAULT_BYTES + 1), 'v.json'))).toBe(
      format(' is larger than the 256 MiB limit'),
    );
    expect(problem(() => decodeVaultBytes(sized(MAX_VAULT_BYTES), 'v.json'))).toBe(
      format(' is not valid UTF-8'),
    );
    expect(problem(() => parseVault(new Uint8Array(0), 'v.json'))).toBe(
      format(' is empty, not a vault'),
    );
    const bom = format(' starts with a byte-order mark; vaults are plain UTF-8');
    expect(problem(() => parseVault(Buffer.from('\ufeff{}'), 'v.json'))).toBe(bom);
    for (const bytes of [
      [0x41, 0xbb, 0xbf],
      [0xef, 0x41, 0xbf],
      [0xef, 0xbb, 0x41],
      [0x7b, 0xff, 0x7d],
    ]) {
      expect(problem(() => parseVault(Uint8Array.from(bytes), 'v.json'))).toBe(
        format(' is not valid UTF-8'),
      );
    }
  });

  it('gives the place of each syntax error in the document and in a secret', () => {
    expect(text('[]')).toBe(format(': the top level is not a JSON object'));
    expect(text('[')).toBe(json('unexpected end of the document at line 1, column 2'));
    expect(text('{1:2}')).toBe(json('expected a quoted name at line 1, column 2'));
    expect(text('{"version":3 "iv":1}')).toBe(json('expected "," or "}" at line 1, column 14'));
    expect(text('{"version" 3}')).toBe(json('expected ":" at line 1, column 12'));
    expect(text('{"version')).toBe(json('unterminated string at line 1, column 2'));
    expect(text('{"ver\u0001sion":3}')).toBe(
      json('unescaped control character in a string at line 1, column 6'),
    );
    const secrets = (body: string): string => text(withIv(`,"secrets":{${body}}`));
    expect(secrets('a:1')).toBe(json('expected a quoted name at line 1, column 57'));
    expect(secrets(`"a":${BLOB},"a":${BLOB}`)).toBe(
      json('duplicate name "a" at line 1, column 170'),
    );
    expect(secrets(`"a":${BLOB},"\\u0061":${BLOB}`)).toBe(
      json('duplicate name "a" at line 1, column 170'),
    );
    expect(secrets(`"a":${BLOB} "b":1`)).toBe(json('expected "," or "}" at line 1, column 170'));
    expect(secrets('"a":{iv:1}')).toBe(json('expected a quoted name at line 1, column 62'));
    expect(secrets('"a":{"iv" 1}')).toBe(json('expected ":" at line 1, column 67'));
    expect(secrets(`"a":{"iv":"${IV}" "hmac":"x"}`)).toBe(
      json('expected "," or "}" at line 1, column 94'),
    );
    expect(secrets(`"a":{"iv":"${IV}","iv":"${IV}"}`)).toBe(
      json('duplicate name "iv" at line 1, column 94'),
    );
    expect(secrets(`"a":{"hmac":"${HMAC}","hmac":"${HMAC}"}`)).toBe(
      json('duplicate name "hmac" at line 1, column 100'),
    );
    expect(secrets(`"a":{"payload":"${IV}","payload":"${IV}"}`)).toBe(
      json('duplicate name "payload" at line 1, column 99'),
    );
    expect(secrets('"a\u0001":1')).toBe(
      json('unescaped control character in a string at line 1, column 59'),
    );
  });

  it('names the secret and the field that is wrong', () => {
    const secrets = (body: string): string => text(withIv(`,"secrets":{${body}}`));
    expect(secrets(`"\\ud800":${BLOB}`)).toBe(
      format(': a secret name contains an unpaired surrogate escape'),
    );
    expect(secrets('"a":1')).toBe(format(': secret "a" is not an object'));
    for (const field of ['iv', 'hmac', 'payload']) {
      expect(secrets(`"a":{"${field}":1}`)).toBe(format(`: secret "a" ${field} is not a string`));
    }
    expect(secrets('"a":{"x":1}')).toBe(format(': secret "a" has an unknown field "x"'));
    expect(secrets('"a":{"x":"1"}')).toBe(format(': secret "a" has an unknown field "x"'));
    expect(secrets('"a":{}')).toBe(format(': secret "a" is missing "iv"'));
  });

  it('names a missing or wrong member of the document, and shows a version shortened', () => {
    const version = (v: string): string =>
      `ERR_VAULT_VERSION v.json has version ${v}; only SecureStore version 3 (the number 3) is supported`;
    const withVersion = (v: string): string => text(`{"version":${v},"iv":"${IV}","secrets":{}}`);
    expect(text(`{"iv":"${IV}","secrets":{}}`)).toBe(format(': "version" is missing'));
    expect(withVersion('1234567890123456789012345')).toBe(
      version('12345678901234567890… (25 characters)'),
    );
    expect(withVersion('123456789012345678901234')).toBe(version('123456789012345678901234'));
    expect(withVersion('"3"')).toBe(version('"3" (a string)'));
    expect(withVersion(`"${'x'.repeat(30)}"`)).toBe(
      version('"xxxxxxxxxxxxxxxxxxx… (32 characters) (a string)'),
    );
    expect(withVersion('true')).toBe(version('true'));
    expect(withVersion('null')).toBe(version('null'));
    expect(withVersion('[3]')).toBe(version('an array'));
    expect(withVersion('{}')).toBe(version('an object'));
    expect(text('{"version":3,"secrets":{}}')).toBe(format(': "iv" is missing'));
    expect(text(`{"version":3,"iv":"${IV}"}`)).toBe(format(': "secrets" is missing'));
    expect(text(`{"version":3,"iv":"${IV}","secrets":[]}`)).toBe(
      format(': "secrets" is not an object'),
    );
    const sentinel = (s: string): string => text(withIv(`,"sentinel":${s},"secrets":{}`));
    expect(sentinel('1')).toBe(format(': "sentinel" is not an object'));
    expect(sentinel('{"x":"1"}')).toBe(format(': "sentinel" has an unknown field "x"'));
    expect(sentinel('{"iv":1}')).toBe(format(': "sentinel" iv is not a string'));
    expect(parseVaultText(withIv(`,"sentinel":${BLOB},"secrets":{}`), 'v.json').sentinel).toEqual({
      iv: IV,
      hmac: HMAC,
      payload: IV,
    });
  });

  it('names a missing field, a wrong length and an empty document', () => {
    const secret = (blob: string): string =>
      text(`{"version":3,"iv":"${IV}","secrets":{"a":${blob}}}`);
    expect(text('{}')).toBe(format(': "version" is missing'));
    expect(text('{ }')).toBe(format(': "version" is missing'));
    expect(text('{"version":3,"version":3}')).toBe(
      json('duplicate name "version" at line 1, column 14'),
    );
    expect(secret(`{"iv":"${IV}"}`)).toBe(format(': secret "a" is missing "hmac"'));
    expect(secret(`{"iv":"${IV}","hmac":"${HMAC}"}`)).toBe(
      format(': secret "a" is missing "payload"'),
    );
    for (const [payload, n] of [
      ['', 0],
      ['AAAA', 3],
      [Buffer.alloc(17).toString('base64'), 17],
    ] as const) {
      expect(secret(`{"iv":"${IV}","hmac":"${HMAC}","payload":"${payload}"}`)).toBe(
        format(`: secret "a" payload is ${n} bytes, not a whole number of 16-byte blocks`),
      );
    }
    expect(secret(`{"iv":"AAAA","hmac":"${HMAC}","payload":"${IV}"}`)).toBe(
      format(': secret "a" iv is 3 bytes, expected 16'),
    );
    expect(secret(`{"iv":"${IV}","hmac":"${IV}","payload":"${IV}"}`)).toBe(
      format(': secret "a" hmac is 16 bytes, expected 20'),
    );
    expect(secret(`{"iv":"AB==","hmac":"${HMAC}","payload":"${IV}"}`)).toBe(
      format(': secret "a" iv is not canonical padded base64'),
    );
    const sentinel = (s: string): string => text(withIv(`,"sentinel":${s},"secrets":{}`));
    expect(sentinel(`{"iv":"${IV}"}`)).toBe(format(': "sentinel" is missing "hmac"'));
    expect(sentinel('false')).toBe(format(': "sentinel" is not an object'));
    expect(parseVaultText(withIv(',"sentinel":null,"secrets":{}'), 'v.json').sentinel).toBeNull();
  });

  it('applies the same rules to a tree (SecretsManager.fromObject)', () => {
    const tree = (value: unknown): string =>
      problem(() => documentFromNode(nodeFromValue(value, 'the vault object'), 'the vault'));
    const blob = { iv: IV, hmac: HMAC, payload: IV };
    expect(tree([])).toBe('ERR_VAULT_FORMAT the vault: the top level is not a JSON object');
    expect(tree({ version: 3, iv: IV, secrets: { '\ud800': blob } })).toBe(
      'ERR_VAULT_FORMAT the vault: a secret name contains an unpaired surrogate escape',
    );
    expect(tree({ version: 3, iv: IV, secrets: { a: 1 } })).toBe(
      'ERR_VAULT_FORMAT the vault: secret "a" is not an object',
    );
    const doc = documentFromNode(
      nodeFromValue({ version: 3, iv: IV, secrets: { a: blob }, x: 1 }, 'the vault object'),
      'the vault',
    );
    expect([doc.iv, doc.sentinel, [...doc.secrets], doc.extras]).toEqual([
      IV,
      null,
      [['a', blob]],
      [['x', { kind: 'number', raw: '1' }]],
    ]);
  });
});

describe('the fast reader of secrets agrees with the general one (issue 14 item 18)', () => {
  const IV = 'AAAAAAAAAAAAAAAAAAAAAA==';
  const HMAC = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const vault = (secrets: string, rest = ''): string =>
    `{"version":3,"iv":"${IV}","secrets":{${secrets}}${rest}}`;
  const entry = (name: string, payload: string): string =>
    `"${name}":{"iv":"${IV}","hmac":"${HMAC}","payload":"${payload}"}`;
  const problem = (t: string): string => {
    try {
      parseVaultText(t, 'v.json');
    } catch (e) {
      if (e instanceof SecureStoreError) return `${e.code} ${e.message}`;
      throw e;
    }
    return 'no error';
  };

  it('refuses, in the usual layout, a payload with padding bits set or not of whole blocks', () => {
    // The same entries through the general path (fields in another order) say the same.
    const swapped = (payload: string): string =>
      `"a":{"payload":"${payload}","iv":"${IV}","hmac":"${HMAC}"}`;
    for (const make of [(p: string) => entry('a', p), swapped]) {
      expect(problem(vault(make('AAAAAAAAAAAAAAAAAAAAAB==')))).toBe(
        'ERR_VAULT_FORMAT v.json: secret "a" payload is not canonical padded base64',
      );
      expect(problem(vault(make('AAAAAAAAAAAAAAAAAAAA')))).toBe(
        'ERR_VAULT_FORMAT v.json: secret "a" payload is 15 bytes, not a whole number of 16-byte blocks',
      );
    }
  });

  it('reads a name with an escape, which the fast pattern does not match, by the general path', () => {
    const doc = parseVaultText(vault(`${entry('\\u0061', IV)},${entry('b', IV)}`), 'v.json');
    expect([...doc.secrets]).toEqual([
      ['a', { iv: IV, hmac: HMAC, payload: IV }],
      ['b', { iv: IV, hmac: HMAC, payload: IV }],
    ]);
  });

  it('reports a bad secret before a syntax error later in the file, and reads "" as a member', () => {
    expect(problem(vault('"a":1', ',"x":'))).toBe(
      'ERR_VAULT_FORMAT v.json: secret "a" is not an object',
    );
    const doc = parseVaultText(vault('', `,"":{${entry('b', IV)}}`), 'v.json');
    expect(doc.secrets).toEqual(new Map());
  });
});

describe('the rest of the vault reader and writer (issue 14 item 18, the second run)', () => {
  const IV = 'AAAAAAAAAAAAAAAAAAAAAA==';
  const HMAC = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const BLOB = `{"iv":"${IV}","hmac":"${HMAC}","payload":"${IV}"}`;
  const problem = (t: string): string => {
    try {
      parseVaultText(t, 'v.json');
    } catch (e) {
      if (e instanceof SecureStoreError) return `${e.code} ${e.message}`;
      throw e;
    }
    return 'no error';
  };

  it('names a missing ":" after a secret name, another version, and a top-level iv that is wrong', () => {
    expect(problem(`{"version":3,"iv":"${IV}","secrets":{"a" ${BLOB}}}`)).toBe(
      'ERR_VAULT_FORMAT v.json is not valid JSON: expected ":" at line 1, column 61',
    );
    expect(problem(`{"version":2,"iv":"${IV}","secrets":{}}`)).toBe(
      'ERR_VAULT_VERSION v.json has version 2; only SecureStore version 3 (the number 3) is supported',
    );
    expect(problem(`{"version":3,"iv":"AAAA","secrets":{}}`)).toBe(
      'ERR_VAULT_FORMAT v.json: "iv" is 3 bytes, expected 16',
    );
    expect(problem(`{"version":3,"iv":5,"secrets":{}}`)).toBe(
      'ERR_VAULT_FORMAT v.json: "iv" is not a string',
    );
  });

  it('reads the sentinel, and writes a vault without one without the member', () => {
    const withSentinel = parseVaultText(
      `{"version":3,"iv":"${IV}","sentinel":${BLOB},"secrets":{}}`,
      'v.json',
    );
    expect(withSentinel.sentinel).toEqual({ iv: IV, hmac: HMAC, payload: IV });
    const without = parseVaultText(`{"version":3,"iv":"${IV}","secrets":{}}`, 'v.json');
    expect(without.sentinel).toBeNull();
    expect(serializeVault(without)).toBe(
      `{\n  "version": 3,\n  "iv": "${IV}",\n  "secrets": {}\n}`,
    );
  });
});
