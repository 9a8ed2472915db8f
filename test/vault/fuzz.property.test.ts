// spec/format.md §7 (what a reader must reject: typed errors, never a crash) and §6.2 (reading key files), by fuzzing.
/**
 * Random damage to a valid vault (flipped, deleted, inserted and duplicated bytes, truncation)
 * gives either a vault or a SecureStoreError with a reading code: never a TypeError, RangeError or
 * stack overflow. The strict JSON reader agrees with JSON.parse on what is JSON (except that it
 * refuses duplicate names). Random key files give a key or ERR_KEY_FILE.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJson } from '../../src/format/json.js';
import { decodeKeyFile } from '../../src/format/key-file.js';
import { parseVault, serializeVault } from '../../src/format/vault-codec.js';
import { KeySource, SecretsManager, SecureStoreError } from '../../src/index.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 3 + 11) & 0xff);
const key = (): KeySource => KeySource.fromKey(KEY);
let valid: Buffer;

beforeAll(async () => {
  const vault = await SecretsManager.create(key(), { seal: false });
  vault.set('alpha', 'one');
  vault.set('é😀', 'two');
  vault.set('10', Uint8Array.from([0, 255]));
  valid = Buffer.from(vault.toJSON(), 'utf8');
  vault.close();
});

type Damage =
  | { op: 'flip'; at: number; mask: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'truncate'; at: number };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({
    op: fc.constant('flip' as const),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    op: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.constantFrom(
        ...[
          '"',
          '{',
          '}',
          '[',
          ']',
          ',',
          ':',
          '\\',
          '=',
          ' ',
          '\n',
          '\\u0000',
          '"x": 1,',
          '{"a":',
        ].map((t) => Buffer.from(t)),
      ),
    ),
  }),
  fc.record({
    op: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 120 }),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

function apply(bytes: Buffer, d: Damage): Buffer {
  const at = d.at % (bytes.length + 1);
  switch (d.op) {
    case 'flip': {
      const out = Buffer.from(bytes);
      if (at < out.length) out[at]! ^= d.mask;
      return out;
    }
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + d.length)]);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), d.bytes, bytes.subarray(at)]);
    case 'duplicate':
      return Buffer.concat([bytes.subarray(0, at + d.length), bytes.subarray(at)]);
    case 'truncate':
      return bytes.subarray(0, at);
  }
}

const READ_CODES = [
  'ERR_VAULT_FORMAT',
  'ERR_VAULT_VERSION',
  'ERR_WRONG_KEY',
  'ERR_INTEGRITY',
  'ERR_NOT_UTF8',
];

describe('damaged vaults', () => {
  it('give a vault or a typed error, never a crash; what parses re-serialises stably', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(damageArb, { minLength: 1, maxLength: 4 }), async (damage) => {
        const bytes = damage.reduce(apply, valid);
        let vault: SecretsManager | undefined;
        try {
          vault = await SecretsManager.fromJSON(bytes, key());
          vault.getAllBytes();
          for (const name of vault.keys()) vault.getBytes(name);
          // Whatever was accepted is canonical after one write and stable from then on.
          const once = vault.toJSON();
          expect(serializeVault(parseVault(Buffer.from(once), 'x'))).toBe(once);
        } catch (err) {
          if (!(err instanceof SecureStoreError)) throw err;
          expect(READ_CODES).toContain(err.code);
          expect(err.message.length).toBeLessThan(500);
        } finally {
          vault?.close();
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('base64 fields: one character outside the alphabet (spec/format.md §5.3, §7)', () => {
  const ALPHABET = /^[A-Za-z0-9+/]$/;
  /** Every iv, hmac and payload value in the text: [start, end) of the characters between quotes. */
  const fields = (text: string): [number, number][] =>
    [...text.matchAll(/"(?:iv|hmac|payload)": "([^"]*)"/g)].map((m) => {
      const start = m.index + m[0].length - 1 - m[1]!.length;
      return [start, start + m[1]!.length];
    });
  const refuse = (text: string, field: [number, number], at: number, c: string): void => {
    const pos = field[0] + (at % (field[1] - field[0]));
    const damaged = text.slice(0, pos) + c + text.slice(pos + 1);
    let error: unknown;
    try {
      parseVault(Buffer.from(damaged), 'v');
    } catch (err) {
      error = err;
    }
    expect(error, `${JSON.stringify(c)} at ${pos}`).toBeInstanceOf(SecureStoreError);
    expect((error as SecureStoreError).code).toBe('ERR_VAULT_FORMAT');
  };

  it('is refused in every iv, hmac and payload, including "_" and "-" (URL-safe base64)', () => {
    // The reader's pattern for the usual layout matches `[\w+/]`, which also lets `_` through;
    // these fixed cases check each field of each secret for `_` and `-`.
    const text = valid.toString('utf8');
    const all = fields(text);
    expect(all.length).toBe(1 + 3 * 4); // the vault iv, the sentinel and three secrets
    for (const field of all) {
      for (const c of ['_', '-']) {
        for (const at of [0, 5, field[1] - field[0] - 3]) refuse(text, field, at, c);
      }
    }
    const nonAlphabet = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 1 })
      .filter((c) => !ALPHABET.test(c));
    fc.assert(
      fc.property(fc.nat(all.length - 1), fc.nat(), nonAlphabet, (f, at, c) => {
        refuse(text, all[f]!, at, c);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the strict JSON reader against JSON.parse', () => {
  /** JSON.parse's verdict, and whether the text holds a repeated name in some object. */
  function reference(text: string): 'invalid' | 'valid' {
    try {
      JSON.parse(text);
      return 'valid';
    } catch {
      return 'invalid';
    }
  }
  function ours(text: string): 'invalid' | 'valid' | 'duplicate' {
    try {
      parseJson(text);
      return 'valid';
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      return err.reason.startsWith('duplicate name') ? 'duplicate' : 'invalid';
    }
  }

  it('accepts every JSON document (shallower than 64 levels, no repeated names)', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'small' }), (text) => {
        expect(ours(text)).toBe('valid');
        expect(ours(JSON.stringify(JSON.parse(text), null, 2))).toBe('valid');
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with JSON.parse on damaged JSON, except that it refuses repeated names first', () => {
    const jsonBytes = fc
      .json({ depthSize: 'small' })
      .map((t) => Buffer.from(JSON.stringify(JSON.parse(t), null, 1)));
    fc.assert(
      fc.property(
        jsonBytes,
        fc.array(damageArb, { minLength: 1, maxLength: 3 }),
        (bytes, damage) => {
          const text = damage.reduce(apply, bytes).toString('utf8');
          const verdict = ours(text);
          // A repeated name is refused as soon as it is read, whatever follows it.
          if (verdict !== 'duplicate') expect(verdict).toBe(reference(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('random key files', () => {
  it('give 32 bytes or ERR_KEY_FILE', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(KEY).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const candidates = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .array(damageArb, { minLength: 1, maxLength: 3 })
        .map((d) => d.reduce(apply, Buffer.from(pem))),
    );
    fc.assert(
      fc.property(candidates, (bytes) => {
        try {
          expect(decodeKeyFile(bytes, 'k')).toHaveLength(32);
        } catch (err) {
          if (!(err instanceof SecureStoreError)) throw err;
          expect(err.code).toBe('ERR_KEY_FILE');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
