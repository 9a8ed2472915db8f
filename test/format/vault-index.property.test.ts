// spec/format.md §5 (the layout), §7 (what a reader rejects).
/**
 * The one-secret reader (src/format/vault-index.ts) against the general reader (parseVault): for
 * vault texts in the layout we write and for hostile changes to them (bytes replaced, inserted,
 * deleted; entries swapped or repeated; a seal, an extra member, no sentinel; a BOM, trailing
 * text), whenever the one-secret reader gives a document, the general reader accepts the same
 * bytes and its document, less every other secret, is exactly that one. A text in the layout
 * we write, unsealed and with a sentinel, is always read by the one-secret reader.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Blob } from '../../src/format/blob.js';
import { parseVault, serializeVault, type VaultDocument } from '../../src/format/vault-codec.js';
import { readVaultForOneSecret } from '../../src/format/vault-index.js';
import { nameArb, utf8Sorted } from '../helpers/arbitraries.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

const blobArb: fc.Arbitrary<Blob> = fc
  .tuple(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.uint8Array({ minLength: 20, maxLength: 20 }), // HMAC-SHA1
    fc
      .integer({ min: 1, max: 4 })
      .chain((blocks) => fc.uint8Array({ minLength: blocks * 16, maxLength: blocks * 16 })),
  )
  .map(([iv, hmac, payload]) => ({ iv: b64(iv), hmac: b64(hmac), payload: b64(payload) }));

/** Blobs the general reader refuses: fields of other lengths, a payload of partial blocks. */
const wrongBlobArb: fc.Arbitrary<Blob> = fc
  .tuple(
    fc.uint8Array({ minLength: 15, maxLength: 17 }),
    fc.uint8Array({ minLength: 19, maxLength: 21 }),
    fc.uint8Array({ maxLength: 40 }),
  )
  .map(([iv, hmac, payload]) => ({ iv: b64(iv), hmac: b64(hmac), payload: b64(payload) }));

interface Vault {
  text: string;
  names: string[];
}

/** A vault in the layout serializeVault writes; optionally sealed, without sentinel, or with extras. */
const vaultArb = (options: { usual: boolean }): fc.Arbitrary<Vault> =>
  fc
    .record({
      iv: fc.uint8Array({ minLength: 16, maxLength: 16 }).map(b64),
      sentinel: options.usual
        ? blobArb
        : fc.option(fc.oneof({ weight: 4, arbitrary: blobArb }, wrongBlobArb), { freq: 4 }),
      secrets: fc.uniqueArray(
        fc.tuple(
          nameArb,
          options.usual ? blobArb : fc.oneof({ weight: 6, arbitrary: blobArb }, wrongBlobArb),
        ),
        {
          selector: ([name]) => name,
          maxLength: 8,
        },
      ),
      extra: options.usual
        ? fc.constant(null)
        : fc.option(fc.constantFrom('seal', 'more', 'secrets', 'version'), { freq: 3 }),
    })
    .map(({ iv, sentinel, secrets, extra }) => {
      const byName = new Map(secrets);
      const names = utf8Sorted(byName.keys());
      const doc: VaultDocument = {
        iv,
        sentinel,
        secrets: new Map(names.map((n) => [n, byName.get(n)!])),
        extras:
          extra === null
            ? []
            : [
                [
                  extra,
                  extra === 'seal'
                    ? {
                        kind: 'object',
                        entries: [['format', { kind: 'number', raw: '1' }]],
                      }
                    : { kind: 'number', raw: '3' },
                ],
              ],
      };
      return { text: serializeVault(doc), names };
    });

/** Small hostile changes to a vault's bytes. */
type Edit =
  | { kind: 'replace' | 'insert'; at: number; byte: number }
  | { kind: 'delete' | 'truncate'; at: number }
  | { kind: 'swap' | 'repeat'; at: number }
  | { kind: 'name'; at: number; byte: number }
  | { kind: 'prefix' | 'suffix'; text: string };

const INTERESTING = [...'"\\{}[],: \n\r\t=AQw_-+/0e'].map((c) => c.charCodeAt(0));
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('replace' as const, 'insert' as const),
    at: fc.nat(),
    byte: fc.oneof(fc.constantFrom(...INTERESTING, 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xed, 0xff)),
  }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constantFrom('swap' as const, 'repeat' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('name' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0x00, 0x09, 0x0a, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xed, 0xff, 0x61),
  }),
  fc.record({
    kind: fc.constantFrom('prefix' as const, 'suffix' as const),
    text: fc.constantFrom('\uFEFF', ' ', '\n', '\r\n', '\t', 'x', '}', '\u00a0'),
  }),
);

/** The lines of one secret's entry (6 lines in the layout we write) start at these offsets. */
function entryStarts(text: string): number[] {
  const starts: number[] = [];
  const re = /\n {4}"/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) starts.push(m.index);
  return starts;
}

function applyEdit(bytes: Buffer, edit: Edit): Buffer {
  const at = (n: number): number => (bytes.length === 0 ? 0 : n % (bytes.length + 1));
  switch (edit.kind) {
    case 'replace': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[at(edit.at) % copy.length] = edit.byte;
      return copy;
    }
    case 'insert':
      return Buffer.concat([
        bytes.subarray(0, at(edit.at)),
        Buffer.of(edit.byte),
        bytes.subarray(at(edit.at)),
      ]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at(edit.at)), bytes.subarray(at(edit.at) + 1)]);
    case 'truncate':
      return bytes.subarray(0, at(edit.at));
    case 'prefix':
      return Buffer.concat([Buffer.from(edit.text), bytes]);
    case 'suffix':
      return Buffer.concat([bytes, Buffer.from(edit.text)]);
    case 'name': {
      // A byte put at the start of a secret's name (a control character, a quote, a backslash,
      // a byte that is not UTF-8 there).
      const starts = entryStarts(bytes.toString('latin1'));
      if (starts.length === 0) return bytes;
      const at = starts[edit.at % starts.length]! + 6;
      return Buffer.concat([bytes.subarray(0, at), Buffer.of(edit.byte), bytes.subarray(at)]);
    }
    case 'swap':
    case 'repeat': {
      // Whole entries: `"a": {…},` moved after the next, or given twice (a duplicate name).
      const text = bytes.toString('latin1');
      const starts = entryStarts(text);
      if (starts.length === 0) return bytes;
      const i = edit.at % starts.length;
      const end = i + 1 < starts.length ? starts[i + 1]! : text.indexOf('\n  }', starts[i]!);
      const entry = text.slice(starts[i]!, end);
      const withComma = entry.endsWith(',') ? entry : `${entry},`;
      const out =
        edit.kind === 'repeat'
          ? text.slice(0, starts[i]!) + withComma + text.slice(starts[i]!)
          : i + 1 < starts.length
            ? text.slice(0, starts[i]!) +
              text.slice(end, starts[i + 2] ?? text.indexOf('\n  }', end)).replace(/,?$/, ',') +
              entry.replace(/,$/, '') +
              text.slice(starts[i + 2] ?? text.indexOf('\n  }', end))
            : text;
      return Buffer.from(out, 'latin1');
    }
  }
}

/** The general reader's verdict, restricted to the one secret `name`. */
function viaGeneralReader(bytes: Uint8Array, name: string): VaultDocument | string {
  try {
    const doc = parseVault(bytes, 'v');
    const blob = doc.secrets.get(name);
    return { ...doc, secrets: new Map(blob === undefined ? [] : [[name, blob]]) };
  } catch (err) {
    return (err as Error).message;
  }
}

/** Which name to ask for: one of the vault's, or any other (a lone surrogate included). */
const askArb = (names: string[]): fc.Arbitrary<string> =>
  names.length === 0
    ? fc.oneof(nameArb, fc.constant('\uD800'))
    : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, nameArb, fc.constant('\uD800'));

describe('readVaultForOneSecret: the document the general reader gives, or null', () => {
  it('reads every vault in the layout we write (unsealed, with a sentinel), as the general reader does', () => {
    fc.assert(
      fc.property(
        vaultArb({ usual: true }).chain((v) => fc.tuple(fc.constant(v), askArb(v.names))),
        ([vault, name]) => {
          const bytes = Buffer.from(vault.text, 'utf8');
          const one = readVaultForOneSecret(bytes, name);
          // A name the writer escapes (spec/format.md §5.6), or a lone surrogate asked for, is
          // left to the general reader.
          if (name === '\uD800' || vault.names.some((n) => /["\\\x00-\x1f]/.test(n))) {
            expect(one).toBeNull();
            return;
          }
          expect(one).not.toBeNull();
          expect(one).toEqual(viaGeneralReader(bytes, name));
          expect(one!.secrets.size).toBe(vault.names.includes(name) ? 1 : 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('on hostile changes it never accepts what the general reader refuses or reads otherwise', () => {
    let read = 0;
    fc.assert(
      fc.property(
        vaultArb({ usual: false }).chain((v) =>
          fc.tuple(
            fc.constant(v),
            askArb(v.names),
            fc.oneof(fc.constant([]), fc.array(editArb, { minLength: 1, maxLength: 3 })),
          ),
        ),
        ([vault, name, edits]) => {
          const bytes = edits.reduce(applyEdit, Buffer.from(vault.text, 'utf8'));
          const one = readVaultForOneSecret(bytes, name);
          if (one === null) return;
          read++;
          expect(viaGeneralReader(bytes, name)).toEqual(one);
        },
      ),
      { numRuns: 5000 },
    );
    // Not vacuous: many of the changed vaults are still read here (whitespace after the end, a
    // byte changed inside a base64 field that stays canonical, an unchanged vault).
    expect(read).toBeGreaterThan(100);
  });

  it('refuses, for the general reader, exactly the layouts it does not know', () => {
    const doc = (sentinel: Blob | null, extras: VaultDocument['extras'] = []): Uint8Array =>
      Buffer.from(
        serializeVault({
          iv: 'AAAAAAAAAAAAAAAAAAAAAA==',
          sentinel,
          secrets: new Map([
            ['a', BLOB],
            ['b', BLOB],
          ]),
          extras,
        }),
      );
    const BLOB = {
      iv: 'AAAAAAAAAAAAAAAAAAAAAA==',
      hmac: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      payload: 'AAAAAAAAAAAAAAAAAAAAAA==',
    };
    const usual = doc(BLOB);
    expect(readVaultForOneSecret(usual, 'b')?.secrets).toEqual(new Map([['b', BLOB]]));
    expect(readVaultForOneSecret(usual, 'c')?.secrets).toEqual(new Map());
    // Judged by all of its secrets (spec/format.md §4.2): the general reader reads it.
    expect(readVaultForOneSecret(doc(null), 'a')).toBeNull();
    // A seal covers every line (spec/seal.md §4); any other member is kept by a save.
    const seal = { kind: 'object' as const, entries: [] };
    expect(readVaultForOneSecret(doc(BLOB, [['seal', seal]]), 'a')).toBeNull();
    expect(readVaultForOneSecret(doc(BLOB, [['x', { kind: 'number', raw: '1' }]]), 'a')).toBeNull();
    // Names out of order, or given twice: the general reader decides.
    const text = Buffer.from(usual).toString();
    expect(readVaultForOneSecret(Buffer.from(text.replace('"b"', '"a"')), 'a')).toBeNull();
    expect(readVaultForOneSecret(Buffer.from(text.replace('"a"', '"c"')), 'a')).toBeNull();
    // Another layout of the same JSON (CRLF line ends), and an escape in a name.
    expect(readVaultForOneSecret(Buffer.from(text.replaceAll('\n', '\r\n')), 'a')).toBeNull();
    expect(readVaultForOneSecret(Buffer.from(text.replace('"a"', '"\\u0061"')), 'a')).toBeNull();
    // Whitespace after the document is read (the general reader allows it).
    expect(readVaultForOneSecret(Buffer.from(`${text}\n`), 'a')?.secrets.size).toBe(1);
  });
});
