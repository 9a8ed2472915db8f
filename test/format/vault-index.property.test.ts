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
import { applyVaultEdit, nameArb, utf8Sorted, vaultEditArb } from '../helpers/arbitraries.js';

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
    let runs = 0;
    let read = 0;
    fc.assert(
      fc.property(
        vaultArb({ usual: false }).chain((v) =>
          fc.tuple(
            fc.constant(v),
            askArb(v.names),
            fc.oneof(fc.constant([]), fc.array(vaultEditArb, { minLength: 1, maxLength: 3 })),
          ),
        ),
        ([vault, name, edits]) => {
          const bytes = edits.reduce(applyVaultEdit, Buffer.from(vault.text, 'utf8'));
          const one = readVaultForOneSecret(bytes, name);
          runs++;
          if (one === null) return;
          read++;
          expect(viaGeneralReader(bytes, name)).toEqual(one);
        },
      ),
      { numRuns: 5000 },
    );
    // Not vacuous: many of the changed vaults are still read here (whitespace after the end, a
    // byte changed inside a base64 field that stays canonical, an unchanged vault). Counted over
    // the 5 000 runs of `npm test`: the mutation run caps every property at 20 runs
    // (test/helpers/fast-check-mutate.ts), where none being read is a likely draw, not a fault.
    if (runs === 5000) expect(read).toBeGreaterThan(100);
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
