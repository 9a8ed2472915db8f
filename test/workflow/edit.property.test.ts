/**
 * The pure logic of `ssclient edit` (src/workflow/edit.ts): for any vault and any edit (values
 * changed, names added, names removed) in each format, the text written, edited and read back
 * gives a plan naming exactly the edited names, and applying it to a real vault rewrites exactly
 * those: every other blob stays byte-identical.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeySource } from '../../src/auth.js';
import { parseVault } from '../../src/format/vault-codec.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import {
  applyEdit,
  type EditFormat,
  formatEditable,
  isEmptyEdit,
  parseEditable,
  planEdit,
} from '../../src/workflow/edit.js';
import type { NamedBytes } from '../../src/workflow/env-values.js';
import { hostileText, nameArb, valueArb } from '../helpers/arbitraries.js';
import { KEY_BYTES } from '../helpers/vaults.js';

const encoder = new TextEncoder();

const bytesOf = fc.oneof(
  valueArb.map((v) => (v.kind === 'text' ? encoder.encode(v.text) : v.bytes)),
  hostileText.map((t) => encoder.encode(t)),
  // Text that looks like our own marker, and text holding a NUL: both shown as base64.
  hostileText.map((t) => encoder.encode(`base64:${t}`)),
  fc.constant(encoder.encode('a\0b')),
);

/** Names a dotenv line holds (the others are refused: see the unit test below). */
const dotenvName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.\-:/]{0,10}$/);

function nameFor(format: EditFormat): fc.Arbitrary<string> {
  return format === 'dotenv' ? dotenvName : nameArb;
}

/** A vault (unique names) and an edit of it: which to remove, which to change, which to add. */
function vaultAndEdit(format: EditFormat) {
  const name = nameFor(format);
  return fc
    .uniqueArray(fc.tuple(name, bytesOf), { selector: ([n]) => n, maxLength: 8 })
    .chain((entries) =>
      fc.record({
        entries: fc.constant(entries),
        ops: fc.array(fc.constantFrom('keep', 'change', 'remove'), {
          minLength: entries.length,
          maxLength: entries.length,
        }),
        changes: fc.array(bytesOf, { minLength: entries.length, maxLength: entries.length }),
        added: fc.uniqueArray(fc.tuple(name, bytesOf), {
          selector: ([n]) => n,
          maxLength: 3,
        }),
      }),
    )
    .map(({ entries, ops, changes, added }) => {
      const names = new Set(entries.map(([n]) => n));
      const original: NamedBytes[] = entries.map(([n, b]) => ({ name: n, bytes: b }));
      const edited: NamedBytes[] = [];
      const expected = { added: [] as string[], changed: [] as string[], removed: [] as string[] };
      entries.forEach(([n, b], i) => {
        if (ops[i] === 'remove') {
          expected.removed.push(n);
          return;
        }
        const next = ops[i] === 'change' ? changes[i]! : b;
        if (!Buffer.from(next).equals(b)) expected.changed.push(n);
        edited.push({ name: n, bytes: next });
      });
      for (const [n, b] of added) {
        if (names.has(n)) continue;
        edited.push({ name: n, bytes: b });
        expected.added.push(n);
      }
      return { original, edited, expected };
    });
}

const copy = (list: readonly NamedBytes[]): NamedBytes[] =>
  list.map((s) => ({ name: s.name, bytes: Uint8Array.from(s.bytes) }));

describe.each(['dotenv', 'json', 'yaml'] as const)('edit in %s', (format) => {
  it('any vault + any edit: exactly the edited names change, every other blob stays', async () => {
    await fc.assert(
      fc.asyncProperty(vaultAndEdit(format), async ({ original, edited, expected }) => {
        // The editor's result is the text of the edited secrets, read back as edit reads it.
        const text = await formatEditable(format, edited);
        const back = await parseEditable(format, encoder.encode(text), 'the edited file');
        expect(back.map((s) => [s.name, Buffer.from(s.bytes).toString('hex')])).toEqual(
          edited.map((s) => [s.name, Buffer.from(s.bytes).toString('hex')]),
        );
        const plan = planEdit(copy(original), back);
        expect(plan.added).toEqual(expected.added);
        expect(plan.changed).toEqual(expected.changed);
        expect(plan.removed).toEqual(expected.removed);
        expect(isEmptyEdit(plan)).toBe(
          expected.added.length + expected.changed.length + expected.removed.length === 0,
        );

        const vault = await SecretsManager.create(KeySource.fromKey(KEY_BYTES));
        try {
          for (const s of original) vault.set(s.name, s.bytes);
          const before = parseVault(Buffer.from(vault.toJSON()), 'before').secrets;
          applyEdit(vault, back, plan);
          const after = parseVault(Buffer.from(vault.toJSON()), 'after').secrets;
          const touched = new Set([...plan.added, ...plan.changed, ...plan.removed]);
          for (const [n, blob] of before) {
            if (!touched.has(n)) expect(after.get(n)).toEqual(blob);
            else if (plan.changed.includes(n)) expect(after.get(n)).not.toEqual(blob);
          }
          for (const n of plan.removed) expect(after.has(n)).toBe(false);
          expect(new Map([...vault.getAllBytes()].map(([n, b]) => [n, Buffer.from(b)]))).toEqual(
            new Map(edited.map((s) => [s.name, Buffer.from(s.bytes)])),
          );
        } finally {
          vault.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the text as written reads back as no change at all', async () => {
    await fc.assert(
      fc.asyncProperty(vaultAndEdit(format), async ({ original }) => {
        const text = await formatEditable(format, original);
        const back = await parseEditable(format, encoder.encode(text), 'f');
        expect(isEmptyEdit(planEdit(original, back))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the text shown', () => {
  const secrets: NamedBytes[] = [
    { name: 'PLAIN', bytes: encoder.encode('hello') },
    { name: 'QUOTES', bytes: encoder.encode(`it's "q" $x`) },
    { name: 'BIN', bytes: Uint8Array.of(0xff, 0x00) },
    { name: 'MARK', bytes: encoder.encode('base64:xyz') },
    { name: 'DOTENVX', bytes: encoder.encode('encrypted:abc') },
  ];

  it('dotenv: our dotenv quoting, else the shell quoting; binary and base64: as base64', async () => {
    expect(await formatEditable('dotenv', secrets)).toBe(
      [
        "# ssclient edit: NAME='value' per line; a line removed removes its secret; base64:… is bytes",
        "PLAIN='hello'",
        `QUOTES='it'\\''s "q" $x'`,
        "BIN='base64:/wA='",
        "MARK='base64:YmFzZTY0Onh5eg=='",
        "DOTENVX='encrypted:abc'",
        '',
      ].join('\n'),
    );
  });

  it('json and yaml: one flat mapping', async () => {
    expect(await formatEditable('json', secrets.slice(0, 3))).toBe(
      '{\n  "PLAIN": "hello",\n  "QUOTES": "it\'s \\"q\\" $x",\n  "BIN": "base64:/wA="\n}\n',
    );
    expect(await formatEditable('yaml', secrets.slice(0, 1))).toBe('"PLAIN": "hello"\n');
    expect(await formatEditable('json', [])).toBe('{}\n');
  });

  it('a name a dotenv line cannot hold is refused, naming it and the formats that can', async () => {
    await expect(
      formatEditable('dotenv', [{ name: 'a b', bytes: encoder.encode('x') }]),
    ).rejects.toThrow(
      'the name "a b" cannot be written in a dotenv file: edit with --format json or --format yaml',
    );
  });

  it('a value written base64:… that is not base64, and an empty file, are parse errors', async () => {
    await expect(parseEditable('dotenv', encoder.encode('A=base64:%%%\n'), 'f')).rejects.toThrow(
      'f: the value of "A" starts with base64: but the rest is not base64 (standard alphabet, = padding)',
    );
    await expect(parseEditable('json', new Uint8Array(0), 'f')).rejects.toThrow(
      'f is empty (to remove every secret, leave {} in it)',
    );
    // Kept as written: a dotenvx public key name and a value that looks encrypted are secrets here.
    const back = await parseEditable(
      'dotenv',
      encoder.encode("DOTENV_PUBLIC_KEY='k'\nX='encrypted:1'\n"),
      'f',
    );
    expect(back.map((s) => s.name)).toEqual(['DOTENV_PUBLIC_KEY', 'X']);
  });
});
