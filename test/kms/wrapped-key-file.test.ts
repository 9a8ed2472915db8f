/** The wrapped key file codec (spec/kms-key-file.md): round trips, and every hostile file refused. */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSecureStoreError } from '../../src/errors.js';
import { KeySource, looksLikeWrappedKey } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { kmsOnly } from '../helpers/kms.js';
import {
  defaultWrappedKeyPath,
  findWrapping,
  makeWrappedKeyFile,
  formatWrappedKeyFile,
  MAX_WRAPPINGS,
  parseWrappedKeyFile,
  removeWrapping,
  withWrapping,
  type KmsWrapping,
  type WrappedKeyFile,
  wrappingContext,
} from '../../src/kms/wrapped-key-file.js';
import { tempDir } from '../helpers/vaults.js';

const ARN1 = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ARN2 = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef';

/** A canonical file, byte for byte as spec/kms-key-file.md §3.2 describes it. */
const CANONICAL = `{
  "type": "securestore-kms-wrapped-key",
  "version": 1,
  "wrappings": [
    {
      "provider": "aws-kms",
      "keyArn": "${ARN1}",
      "region": "us-east-1",
      "context": {
        "purpose": "securestore-vault-key",
        "vault": "payments"
      },
      "ciphertext": "AQIDBA=="
    },
    {
      "provider": "aws-kms",
      "keyArn": "${ARN2}",
      "region": "eu-west-1",
      "context": {},
      "ciphertext": "BQYH"
    }
  ]
}
`;

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function wrapping(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: 'aws-kms',
    keyArn: ARN1,
    region: 'us-east-1',
    context: { purpose: 'securestore-vault-key' },
    ciphertext: 'AQIDBA==',
    ...overrides,
  };
}

function doc(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'securestore-kms-wrapped-key',
    version: 1,
    wrappings: [wrapping()],
    ...overrides,
  });
}

function parseError(text: string | Uint8Array): string {
  try {
    parseWrappedKeyFile(typeof text === 'string' ? bytes(text) : text, 'x.kms.json');
  } catch (err) {
    if (isSecureStoreError(err, 'ERR_KMS_KEY_FILE')) return err.message;
    throw err;
  }
  throw new Error('parsed without error');
}

const PREFIX = 'x.kms.json is not a valid wrapped key file: ';

describe('canonical form (spec §3.2)', () => {
  it('parses the canonical file and writes back the same bytes', () => {
    const file = parseWrappedKeyFile(bytes(CANONICAL), 'x.kms.json');
    expect(file.wrappings).toHaveLength(2);
    expect(file.wrappings[0]).toEqual({
      provider: 'aws-kms',
      keyArn: ARN1,
      region: 'us-east-1',
      context: { purpose: 'securestore-vault-key', vault: 'payments' },
      ciphertext: 'AQIDBA==',
    });
    expect(formatWrappedKeyFile(file)).toBe(CANONICAL);
  });

  it('accepts members in any order and whitespace, and writes them canonically', () => {
    const shuffled = `\n {"wrappings":[{"ciphertext":"BQYH","context":{},"region":"eu-west-1","keyArn":"${ARN2}","provider":"aws-kms"},{"context":{"vault":"payments","purpose":"securestore-vault-key"},"ciphertext":"AQIDBA==","provider":"aws-kms","region":"us-east-1","keyArn":"${ARN1}"}],"version":1,"type":"securestore-kms-wrapped-key"}`;
    const file = parseWrappedKeyFile(bytes(shuffled), 'x');
    const swapped = formatWrappedKeyFile({ ...file, wrappings: [...file.wrappings].reverse() });
    expect(swapped).toBe(CANONICAL);
  });

  it('sorts context pairs by code point, keeps "__proto__" as a plain name', () => {
    const text = doc().replace(
      '{"purpose":"securestore-vault-key"}',
      '{"b":"2","__proto__":"p","10":"x","a":""}',
    );
    const file = kmsOnly(parseWrappedKeyFile(bytes(text), 'x'));
    expect(Object.keys(file.wrappings[0]!.context).sort()).toEqual(['10', '__proto__', 'a', 'b']);
    expect(formatWrappedKeyFile(file)).toContain(
      '"context": {\n        "10": "x",\n        "__proto__": "p",\n        "a": "",\n        "b": "2"\n      },',
    );
  });

  const contextArb = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
    fc.string({ maxLength: 30, unit: 'grapheme' }),
    { maxKeys: 16 },
  );
  const wrappingArb = fc.record({
    provider: fc.constant('aws-kms' as const),
    keyArn: fc.uuid().map((id) => `arn:aws:kms:us-west-2:111122223333:key/${id}`),
    region: fc.constant('us-west-2'),
    context: contextArb,
    ciphertext: fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((b) => Buffer.from(b).toString('base64')),
  });
  const fileArb = fc
    .uniqueArray(wrappingArb, { minLength: 1, maxLength: MAX_WRAPPINGS, selector: (w) => w.keyArn })
    .map((wrappings): WrappedKeyFile => ({
      type: 'securestore-kms-wrapped-key',
      version: 1,
      wrappings: wrappings as KmsWrapping[],
    }));

  it('property: parse(format(file)) equals file, and format(parse(text)) equals text', () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        const text = formatWrappedKeyFile(file);
        expect(text.endsWith('}\n')).toBe(true);
        const parsed = parseWrappedKeyFile(bytes(text), 'p');
        expect(parsed).toEqual(file);
        expect(formatWrappedKeyFile(parsed)).toBe(text);
        expect(looksLikeWrappedKey(bytes(text))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('hostile files (spec §3–§5): each one a typed ERR_KMS_KEY_FILE naming the file', () => {
  const cases: [string, string | Uint8Array, string][] = [
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'it is not UTF-8'],
    [
      'a byte-order mark',
      new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      'it starts with a byte-order mark',
    ],
    ['truncated JSON', doc().slice(0, 40), 'bad JSON: unterminated string at line 1, column 39'],
    [
      'trailing data',
      `${doc()} {}`,
      `bad JSON: unexpected data after the end of the document at line 1, column ${doc().length + 2}`,
    ],
    [
      'a duplicate member',
      `{"type":"securestore-kms-wrapped-key","type":"x"}`,
      'bad JSON: duplicate name "type" at line 1, column 39',
    ],
    ['an array', '[1]', 'expected a JSON object, got an array'],
    ['no type', '{"version":1}', 'no "type": "securestore-kms-wrapped-key" member'],
    [
      'another type',
      doc({ type: 'vault' }),
      '"type" is "vault", not "securestore-kms-wrapped-key"',
    ],
    [
      'a newer version',
      doc({ version: 2 }),
      'it is version 2; this tool reads version 1 (upgrade securestore-kms)',
    ],
    ['version 1.0', doc().replace('"version":1', '"version":1.0'), '"version" must be 1, got 1.0'],
    ['version "1"', doc({ version: '1' }), '"version" must be 1, got "1"'],
    ['an unknown member', doc({ extra: true }), 'unknown member "extra"'],
    ['no wrappings', doc({ wrappings: undefined }), 'missing member "wrappings"'],
    [
      'wrappings not an array',
      doc({ wrappings: {} }),
      '"wrappings" must be an array, got an object',
    ],
    ['no wrapping at all', doc({ wrappings: [] }), '"wrappings" is empty: the file opens nothing'],
    [
      'too many wrappings',
      doc({ wrappings: Array.from({ length: 17 }, () => 0) }),
      'it has 17 wrappings; at most 16 are read',
    ],
    [
      'a wrapping that is not an object',
      doc({ wrappings: ['x'] }),
      'wrappings[0] must be an object, got "x"',
    ],
    [
      'an unknown provider',
      doc({ wrappings: [wrapping({ provider: 'gcp-kms' })] }),
      'wrappings[0] uses provider "gcp-kms", which this tool does not know (only "aws-kms" and "age")',
    ],
    [
      'no provider',
      doc({ wrappings: [wrapping({ provider: undefined })] }),
      'wrappings[0].provider must be "aws-kms" or "age", got undefined',
    ],
    [
      'an unknown wrapping member',
      doc({ wrappings: [wrapping({ plaintext: 'x' })] }),
      'wrappings[0]: unknown member "plaintext"',
    ],
    [
      'a missing ciphertext',
      doc({ wrappings: [wrapping({ ciphertext: undefined })] }),
      'wrappings[0]: missing member "ciphertext"',
    ],
    [
      'an alias instead of a key ARN',
      doc({ wrappings: [wrapping({ keyArn: 'alias/securestore-test-1' })] }),
      'wrappings[0].keyArn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got "alias/securestore-test-1"',
    ],
    [
      'an alias ARN',
      doc({ wrappings: [wrapping({ keyArn: 'arn:aws:kms:us-east-1:111122223333:alias/x' })] }),
      'wrappings[0].keyArn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got "arn:aws:kms:us-east-1:111122223333:alias/x"',
    ],
    [
      'a region that is not the ARN’s',
      doc({ wrappings: [wrapping({ region: 'eu-west-1' })] }),
      'wrappings[0].region "eu-west-1" is not the region of its keyArn',
    ],
    [
      'a region that is not a string',
      doc({ wrappings: [wrapping({ region: 5 })] }),
      'wrappings[0].region must be an AWS region name, got 5',
    ],
    [
      'a context that is an array',
      doc({ wrappings: [wrapping({ context: ['a'] })] }),
      'wrappings[0].context must be an object, got an array',
    ],
    [
      'a context value that is a number',
      doc({ wrappings: [wrapping({ context: { n: 1 } })] }),
      'wrappings[0].context "n" must be a string, got 1',
    ],
    [
      'an empty context name',
      doc({ wrappings: [wrapping({ context: { '': 'x' } })] }),
      'wrappings[0].context has a name that is empty, longer than 256 characters, or not valid Unicode',
    ],
    [
      'a lone surrogate in the context',
      doc().replace('"securestore-vault-key"', '"\\ud800"'),
      'wrappings[0].context "purpose" is longer than 1024 characters or not valid Unicode',
    ],
    [
      'too many context pairs',
      doc({
        wrappings: [
          wrapping({
            context: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
          }),
        ],
      }),
      'wrappings[0].context has 17 pairs; at most 16 are allowed',
    ],
    [
      'base64 with whitespace',
      doc({ wrappings: [wrapping({ ciphertext: 'AQID BA==' })] }),
      'wrappings[0].ciphertext must be non-empty canonical base64',
    ],
    [
      'base64 without padding',
      doc({ wrappings: [wrapping({ ciphertext: 'AQIDBA' })] }),
      'wrappings[0].ciphertext must be non-empty canonical base64',
    ],
    [
      'an empty ciphertext',
      doc({ wrappings: [wrapping({ ciphertext: '' })] }),
      'wrappings[0].ciphertext must be non-empty canonical base64',
    ],
    [
      'a ciphertext over 6 144 bytes',
      doc({ wrappings: [wrapping({ ciphertext: Buffer.alloc(6145).toString('base64') })] }),
      'wrappings[0].ciphertext is longer than 6144 bytes',
    ],
    [
      'the same key twice',
      doc({ wrappings: [wrapping(), wrapping({ ciphertext: 'BQYH' })] }),
      `wrappings[1] repeats KMS key ${ARN1}`,
    ],
    [
      'a file over 64 KiB',
      `${doc()}${' '.repeat(65_536)}`,
      `it is ${doc().length + 65_536} bytes; the limit is 65536`,
    ],
  ];

  it.each(cases)('%s', (_name, input, reason) => {
    expect(parseError(input)).toBe(PREFIX + reason);
  });

  it('never puts the ciphertext in a message', () => {
    const secretish = Buffer.alloc(48, 7).toString('base64');
    const message = parseError(
      doc({ wrappings: [wrapping({ ciphertext: secretish, region: 'x y' })] }),
    );
    expect(message).not.toContain(secretish);
  });
});

describe('recognition (spec §2.1)', () => {
  it('a JSON object is a wrapped key file; PEM and 32 raw bytes are not', () => {
    expect(looksLikeWrappedKey(bytes(' \n\t{'))).toBe(true);
    expect(looksLikeWrappedKey(bytes('-----BEGIN PRIVATE KEY-----\n'))).toBe(false);
    const raw = new Uint8Array(32).fill(0x7b);
    expect(looksLikeWrappedKey(raw)).toBe(false);
    expect(looksLikeWrappedKey(new Uint8Array(0))).toBe(false);
  });
});

describe('a 32-byte raw key file that starts with "{" is still a raw key (spec §2.1)', () => {
  it('opens its vault through KeySource.fromFile without any KMS call', async () => {
    const { dir, cleanup } = tempDir('raw-brace-');
    try {
      const key = new Uint8Array(32).map((_, i) => (i === 0 ? 0x7b : i));
      const keyPath = join(dir, 'raw.key');
      writeFileSync(keyPath, key);
      const vault = await SecretsManager.create({ key });
      vault.set('a', 'b');
      await vault.saveAs(join(dir, 'v.json'));
      vault.close();
      const opened = await SecretsManager.fromFile(
        join(dir, 'v.json'),
        KeySource.fromFile(keyPath),
      );
      expect(opened.get('a')).toBe('b');
      opened.close();
    } finally {
      cleanup();
    }
  });
});

describe('names and editing helpers', () => {
  it('defaultWrappedKeyPath (spec §1.1)', () => {
    expect(defaultWrappedKeyPath('secrets.json')).toBe('secrets.kms.json');
    expect(defaultWrappedKeyPath('conf/prod.json')).toBe('conf/prod.kms.json');
    expect(defaultWrappedKeyPath('vault')).toBe('vault.kms.json');
  });

  const file = kmsOnly(parseWrappedKeyFile(bytes(CANONICAL), 'x'));

  it('findWrapping by number, ARN or key id', () => {
    expect(findWrapping(file, 2)).toBe(1);
    expect(findWrapping(file, '1')).toBe(0);
    expect(findWrapping(file, ARN2)).toBe(1);
    expect(findWrapping(file, '1234abcd-12ab-34cd-56ef-1234567890ab')).toBe(0);
    expect(() => findWrapping(file, '3')).toThrow(
      'there is no wrapping number 3: the file has 1 to 2',
    );
    expect(() => findWrapping(file, 'alias/x')).toThrow(
      'no wrapping under KMS key alias/x: give a key ARN, key id or number as "ssclient kms list" shows them',
    );
  });

  it('removeWrapping keeps the others and refuses to remove the last one', () => {
    const one = kmsOnly(removeWrapping(file, 1));
    expect(one.wrappings.map((w) => w.keyArn)).toEqual([ARN2]);
    expect(() => removeWrapping(one, ARN2)).toThrow(
      'cannot remove the only wrapping: the file would open nothing (delete the file instead)',
    );
  });

  it('withWrapping refuses a second wrapping under the same key', () => {
    expect(() => withWrapping(file, file.wrappings[0]!)).toThrow(
      `the file already has a wrapping under KMS key ${ARN1}`,
    );
  });

  it('wrappingContext adds pairs to the default purpose, which a pair may replace', () => {
    expect(wrappingContext()).toEqual({ purpose: 'securestore-vault-key' });
    expect(wrappingContext({ vault: 'prod' })).toEqual({
      purpose: 'securestore-vault-key',
      vault: 'prod',
    });
    expect(wrappingContext({ purpose: 'other' })).toEqual({ purpose: 'other' });
    expect(() => wrappingContext({ '': 'x' })).toThrow(
      'context: has a name that is empty, longer than 256 characters, or not valid Unicode',
    );
  });

  it('formatWrappedKeyFile refuses an invalid object (ERR_ARGUMENT)', () => {
    let code: string | undefined;
    try {
      formatWrappedKeyFile({ ...file, wrappings: [] });
    } catch (err) {
      code = isSecureStoreError(err) ? err.code : 'other';
    }
    expect(code).toBe('ERR_ARGUMENT');
  });
});

describe('property: adding and removing wrappings behaves like a list of distinct keys', () => {
  const ids = Array.from(
    { length: 20 },
    (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
  );
  const make = (i: number): KmsWrapping => ({
    provider: 'aws-kms',
    keyArn: `arn:aws:kms:us-east-1:111122223333:key/${ids[i]}`,
    region: 'us-east-1',
    context: { purpose: 'securestore-vault-key' },
    ciphertext: Buffer.from([i + 1]).toString('base64'),
  });
  const op = fc.oneof(
    fc.record({ add: fc.nat({ max: 19 }) }),
    fc.record({ remove: fc.nat({ max: 20 }) }),
  );

  it('the file always matches the model, stays valid, and round-trips', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let file = makeWrappedKeyFile([make(0)]);
        let model = [0];
        for (const o of ops) {
          if ('add' in o) {
            const expectOk = !model.includes(o.add) && model.length < MAX_WRAPPINGS;
            try {
              file = withWrapping(file, make(o.add));
              expect(expectOk).toBe(true);
              model = [...model, o.add];
            } catch (err) {
              expect(expectOk).toBe(false);
              expect(isSecureStoreError(err, 'ERR_ARGUMENT')).toBe(true);
            }
          } else {
            const expectOk = o.remove >= 1 && o.remove <= model.length && model.length > 1;
            try {
              file = removeWrapping(file, o.remove);
              expect(expectOk).toBe(true);
              model = model.filter((_, i) => i !== o.remove - 1);
            } catch (err) {
              expect(expectOk).toBe(false);
              expect(isSecureStoreError(err, 'ERR_ARGUMENT')).toBe(true);
            }
          }
          expect(kmsOnly(file).wrappings.map((w) => w.keyArn)).toEqual(
            model.map((i) => make(i).keyArn),
          );
        }
        const text = formatWrappedKeyFile(file);
        expect(formatWrappedKeyFile(parseWrappedKeyFile(bytes(text), 'm'))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
