// spec/seal.md §2-§7: the seal's keys, encoding, layout, reading rules and sealed writes.
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptBlob } from '../../src/vault/blob-cipher.js';
import { SecureStoreError } from '../../src/errors.js';
import { parseVault, serializeVault, type VaultDocument } from '../../src/format/vault-codec.js';
import {
  assertSeal,
  checkSeal,
  computeTag,
  computeVaultMac,
  deriveSealKeys,
  hasSeal,
  namesFailingTags,
  readSeal,
  resealAfterWrite,
  resealHead,
  sealFailureMessage,
  sealAll,
  sealGeneration,
  sealToNode,
  setSeal,
} from '../../src/vault/seal.js';
import type { JsonNode } from '../../src/format/json.js';
import {
  cloneDoc,
  lineOf,
  newKey,
  putRawSeal,
  putSecret,
  rawSeal,
  sealedVault,
  sealedWrite,
} from '../helpers/sealed-docs.js';

const KEY_BYTES = Uint8Array.from({ length: 32 }, (_, i) => i);
const B64_32 = /^[A-Za-z0-9+/]{43}=$/;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecureStoreError) return err.code;
    throw err;
  }
  return undefined;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('keys and encoding (spec/seal.md §2, §4)', () => {
  const ns = (s: string): string => `${Buffer.byteLength(s)}:${s},`;
  const blob = {
    iv: 'AAAAAAAAAAAAAAAAAAAAAA==',
    hmac: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    payload: 'AAAAAAAAAAAAAAAAAAAAAA==',
  };
  const hkdf = (info: string): Buffer =>
    Buffer.from(hkdfSync('sha256', KEY_BYTES, Buffer.alloc(0), info, 32));

  it('the tag is HMAC-SHA256 under the HKDF tag key of netstrings, as the spec writes it', () => {
    const keys = deriveSealKeys(KEY_BYTES);
    const expected = createHmac('sha256', hkdf('securestore-kms seal v1 tag'))
      .update(
        ns('tag') +
          ns('VVVVVVVVVVVVVVVVVVVVVQ==') +
          ns('név😀') +
          ns(blob.iv) +
          ns(blob.hmac) +
          ns(blob.payload),
      )
      .digest('base64');
    expect(computeTag(keys, 'VVVVVVVVVVVVVVVVVVVVVQ==', 'név😀', blob)).toBe(expected);
  });

  it('the vault MAC covers version, iv, sentinel, generations, and each name, blob, line in order', () => {
    const keys = deriveSealKeys(KEY_BYTES);
    const doc: VaultDocument = {
      iv: 'VVVVVVVVVVVVVVVVVVVVVQ==',
      sentinel: blob,
      secrets: new Map([
        ['b', blob],
        ['a', blob],
      ]),
      extras: [],
    };
    const tag = 'T'.repeat(43) + '=';
    const lines = new Map([
      ['a', { generation: 2, tag }],
      ['b', { generation: 7, tag }],
    ]);
    const fields = (b: typeof blob): string => ns(b.iv) + ns(b.hmac) + ns(b.payload);
    const input =
      ns('vault') +
      ns('3') +
      ns(doc.iv) +
      ns('sentinel') +
      fields(blob) +
      ns('7') +
      ns('5') +
      ns('2') +
      ns('b') +
      fields(blob) +
      ns('7') +
      ns(tag) +
      ns('a') +
      fields(blob) +
      ns('2') +
      ns(tag);
    const expected = createHmac('sha256', hkdf('securestore-kms seal v1 vault'))
      .update(input)
      .digest();
    expect(Buffer.from(computeVaultMac(keys, doc, lines, 5, 7))).toEqual(expected);
    const noSentinel = createHmac('sha256', hkdf('securestore-kms seal v1 vault'))
      .update(input.replace(ns('sentinel') + fields(blob), ns('no sentinel')))
      .digest();
    expect(Buffer.from(computeVaultMac(keys, { ...doc, sentinel: null }, lines, 5, 7))).toEqual(
      noSentinel,
    );
  });

  it('never uses the vault key itself: the seal keys differ from it and from each other', () => {
    const mac = (key: Uint8Array): string => createHmac('sha256', key).update('x').digest('hex');
    const viaVaultKey = mac(KEY_BYTES);
    const keys = deriveSealKeys(KEY_BYTES);
    const tagKey = keys.tag.export();
    const vaultKey = keys.vault.export();
    expect(mac(tagKey)).not.toBe(viaVaultKey);
    expect(mac(vaultKey)).not.toBe(viaVaultKey);
    expect(tagKey.equals(vaultKey)).toBe(false);
    expect(tagKey).toEqual(hkdf('securestore-kms seal v1 tag'));
  });
});

describe('layout (spec/seal.md §3)', () => {
  it('is written after secrets, head then one five-line entry per secret in name order', () => {
    const key = newKey();
    const doc = sealedVault(key, [
      ['b', '2'],
      ['a', '1'],
    ]);
    const text = serializeVault(doc);
    const after = text.slice(text.indexOf('\n  "seal"') + 1);
    const lines = after.split('\n');
    expect(lines[0]).toBe('  "seal": {');
    expect(lines[1]).toBe('    "format": 1,');
    expect(lines[2]).toBe('    "generation": 1,');
    expect(lines[3]).toMatch(/^ {4}"mac": "[A-Za-z0-9+/]{43}=",$/);
    expect(lines[4]).toBe('    "names": {');
    expect(lines[5]).toBe('      "a": {');
    expect(lines[6]).toBe('        "generation": 1,');
    expect(lines[7]).toMatch(/^ {8}"tag": "[A-Za-z0-9+/]{43}=",$/);
    expect(lines[8]).toMatch(/^ {8}"mac": "[A-Za-z0-9+/]{43}="$/);
    expect(lines[9]).toBe('      },');
    expect(lines[10]).toBe('      "b": {');
    expect(lines.slice(14)).toEqual(['      }', '    }', '  }', '}']);
    // Read back: the same seal, the same bytes.
    const again = parseVault(Buffer.from(text), 'v');
    expect(serializeVault(again)).toBe(text);
    expect(readSeal(again, 'v')).toEqual(readSeal(doc, 'v'));
  });

  it('an empty vault has a head and no lines', () => {
    const key = newKey();
    const doc = sealedVault(key, []);
    expect(serializeVault(doc)).toMatch(/"names": \{\}\n {2}\}\n\}$/);
    expect(assertSeal(key.seal, doc, 'v', true)).toEqual({
      generation: 1,
      mac: expect.stringMatching(B64_32),
      lines: new Map(),
    });
  });
});

describe('reading (spec/seal.md §3, §5)', () => {
  const key = newKey();
  const base = sealedVault(key, [
    ['a', '1'],
    ['b', '2'],
  ]);
  const edit = (fn: (raw: ReturnType<typeof rawSeal>) => void): VaultDocument => {
    const doc = cloneDoc(base);
    const raw = rawSeal(doc);
    fn(raw);
    putRawSeal(doc, raw);
    return doc;
  };
  const num = (raw: string) => ({ kind: 'number' as const, raw });
  const setHead = (name: string, node: unknown) => (raw: ReturnType<typeof rawSeal>) => {
    const at = raw.head.findIndex(([k]) => k === name);
    raw.head[at] = [name, node as never];
  };

  it('a vault without a seal reads as unsealed, and is ERR_SEAL only when required', () => {
    const doc = cloneDoc(base);
    doc.extras.length = 0;
    expect(readSeal(doc, 'v')).toBeNull();
    expect(assertSeal(key.seal, doc, 'v', false)).toBeNull();
    expect(messageOf(() => assertSeal(key.seal, doc, 'secrets.json', true))).toBe(
      'secrets.json has no seal, and the seal is required: it was written by a tool that does not seal, or the seal was removed; check it with `git log -p secrets.json`, then run `ssclient seal` if you trust it',
    );
  });

  it.each([
    [
      'a newer format',
      setHead('format', num('2')),
      'v has a seal of format 2, made by a newer version of this tool; upgrade to check it',
    ],
    [
      'format as text',
      setHead('format', { kind: 'string', value: '1' }),
      'v: the seal is malformed ("format" is not a number); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'generation 0',
      setHead('generation', num('0')),
      'v: the seal is malformed (the seal has a generation that is not a positive whole number); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'generation 01',
      setHead('generation', num('01')),
      'v: the seal is malformed (the seal has a generation that is not a positive whole number); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'generation 1.0',
      setHead('generation', num('1.0')),
      'v: the seal is malformed (the seal has a generation that is not a positive whole number); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'generation 2^53',
      setHead('generation', num('9007199254740992')),
      'v: the seal is malformed (the seal has a generation above 2^53 - 1); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'a short mac',
      setHead('mac', { kind: 'string', value: 'AAAA' }),
      'v: the seal is malformed (the seal "mac" is not 32 bytes of canonical base64); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'an unknown member',
      (raw: ReturnType<typeof rawSeal>) => raw.head.push(['extra', num('1')]),
      'v: the seal is malformed (the seal has an unknown member "extra"); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'no generation',
      (raw: ReturnType<typeof rawSeal>) => raw.head.splice(1, 1),
      'v: the seal is malformed (the seal has no "generation"); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'a line without a secret',
      (raw: ReturnType<typeof rawSeal>) => raw.lines.push(['c', raw.lines[0]![1]]),
      'v: the seal is malformed (a line names "c", which is no secret); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
    [
      'a secret without a line',
      (raw: ReturnType<typeof rawSeal>) => raw.lines.pop(),
      'v: the seal is malformed (secret "b" has no line); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    ],
  ])('%s is ERR_SEAL with one clear line', (_, change, message) => {
    const doc = edit(change);
    expect(codeOf(() => readSeal(doc, 'v'))).toBe('ERR_SEAL');
    expect(messageOf(() => readSeal(doc, 'v'))).toBe(message);
  });

  it('a seal that is not an object is malformed', () => {
    const doc = cloneDoc(base);
    doc.extras[0] = ['seal', { kind: 'literal', value: null }];
    expect(messageOf(() => readSeal(doc, 'v'))).toBe(
      'v: the seal is malformed (the seal is not an object); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    );
  });

  it('lowering or raising a stale line generation is detected (every line generation is MACed)', () => {
    // a: 1, b: 2 (stale), c: 3 (the carrier)
    const v2 = sealedWrite(key, sealedWrite(key, base, [{ set: 'b', value: 'x' }]), [
      { set: 'c', value: 'y' },
    ]);
    expect(assertSeal(key.seal, v2, 'v', true)!.lines.get('b')!.generation).toBe(2);
    for (const raw of ['1', '3']) {
      const doc = cloneDoc(v2);
      const r = rawSeal(doc);
      const line = r.lines[1]![1] as { entries: [string, unknown][] };
      expect(r.lines[1]![0]).toBe('b');
      line.entries[0] = ['generation', { kind: 'number', raw }];
      putRawSeal(doc, r);
      expect(codeOf(() => assertSeal(key.seal, doc, 'v', false))).toBe('ERR_SEAL');
    }
    // A stale MAC is not a carrier: changing it changes nothing.
    const doc = cloneDoc(v2);
    const r = rawSeal(doc);
    const line = r.lines[1]![1] as { entries: [string, unknown][] };
    line.entries[2] = ['mac', { kind: 'string', value: 'A'.repeat(43) + '=' }];
    putRawSeal(doc, r);
    expect(checkSeal(key.seal, doc, readSeal(doc, 'v')!)).toEqual({ ok: true, generation: 3 });
  });

  it('two carriers that disagree are reported as a textual merge', () => {
    const x = sealedWrite(key, base, [{ set: 'c', value: 'from x' }]);
    const y = sealedWrite(key, base, [{ set: 'd', value: 'from y' }]);
    const merged = cloneDoc(x);
    putSecret(merged, 'd', y.secrets.get('d'), lineOf(y, 'd'));
    const check = checkSeal(key.seal, merged, readSeal(merged, 'v')!);
    expect(check).toEqual({ ok: false, generation: 2, reason: 'merge' });
    expect(sealFailureMessage('secrets.json', check)).toBe(
      'secrets.json was changed without its key (two seals of generation 2 disagree, as after a merge of the file as text); see what changed with `git log -p secrets.json`, and run `ssclient seal --after-merge` only if you trust the change',
    );
    // Every tag still binds its blob; the head re-seal makes it verify again.
    expect(namesFailingTags(key.seal, merged, readSeal(merged, 'v')!)).toEqual([]);
    const resealed = resealHead(key.seal, merged, readSeal(merged, 'v')!.lines, 3);
    expect(resealed.lines).toEqual(readSeal(merged, 'v')!.lines);
    const doc = cloneDoc(merged);
    doc.extras.length = 0;
    doc.extras.push(...merged.extras);
    setSeal(doc, resealed);
    expect(assertSeal(key.seal, doc, 'v', true)!.generation).toBe(3);
    expect(sealGeneration(readSeal(doc, 'v')!)).toBe(3);
  });

  it('namesFailingTags names swapped blobs', () => {
    const doc = cloneDoc(base);
    const [a, b] = [doc.secrets.get('a')!, doc.secrets.get('b')!];
    doc.secrets.set('a', b);
    doc.secrets.set('b', a);
    expect(namesFailingTags(key.seal, doc, readSeal(doc, 'v')!)).toEqual(['a', 'b']);
  });
});

describe('sealed writes (spec/seal.md §6.1)', () => {
  const key = newKey();
  const v1 = sealedVault(key, [
    ['a', '1'],
    ['b', '2'],
    ['c', '3'],
  ]);

  it('a set rewrites only its own line; the head is kept', () => {
    const v2 = sealedWrite(key, v1, [{ set: 'b', value: 'new' }]);
    const [s1, s2] = [readSeal(v1, 'v')!, readSeal(v2, 'v')!];
    expect(s2.generation).toBe(1);
    expect(s2.mac).toBe(s1.mac);
    expect(s2.lines.get('a')).toEqual(s1.lines.get('a'));
    expect(s2.lines.get('c')).toEqual(s1.lines.get('c'));
    expect(s2.lines.get('b')!.generation).toBe(2);
    expect(sealGeneration(s2)).toBe(2);
    // Only the b line changed in the text.
    const before = serializeVault(v1).split('\n');
    const after = serializeVault(v2).split('\n');
    const changed = after.filter((line, i) => line !== before[i]);
    expect(changed).toHaveLength(6); // b's blob iv, hmac, payload; b's line generation, tag, mac
  });

  it('a save that only deletes moves the head to the new generation', () => {
    const v2 = sealedWrite(key, v1, [{ delete: 'b' }]);
    const s2 = readSeal(v2, 'v')!;
    expect(s2.generation).toBe(2);
    expect([...s2.lines.keys()]).toEqual(['a', 'c']);
    expect(assertSeal(key.seal, v2, 'v', true)).not.toBeNull();
  });

  it('a blob under another key, with a line made under it, is still caught by the vault MAC', () => {
    const other = newKey();
    const doc = cloneDoc(v1);
    const blob = encryptBlob(other.keys, new TextEncoder().encode('evil'));
    putSecret(doc, 'a', blob, lineOf(sealedWrite(key, v1, [{ set: 'a', value: 'x' }]), 'a'));
    expect(codeOf(() => assertSeal(key.seal, doc, 'v', false))).toBe('ERR_SEAL');
  });
});

// What the mutation run (npm run mutate, test/README.md) found no test reaching: the seal member
// found, replaced in place and removed; the reader's message for each malformed line; and the
// internal errors of a seal that lacks a secret's line.
describe('hasSeal and setSeal: the seal member found, replaced in place, removed (spec/seal.md §3)', () => {
  const other = (name: string): [string, JsonNode] => [name, { kind: 'string', value: name }];
  const keysOf = (doc: VaultDocument): string[] => doc.extras.map(([k]) => k);

  it('removes the seal wherever it is, and nothing else; adds one last or in place', () => {
    const key = newKey();
    const doc = sealedVault(key, [['a', '1']]);
    expect(hasSeal(doc)).toBe(true);
    const seal = readSeal(doc, 'v.json')!;
    doc.extras.push(other('after'));
    expect(keysOf(doc)).toEqual(['seal', 'after']);
    setSeal(doc, null);
    expect(keysOf(doc)).toEqual(['after']);
    expect(hasSeal(doc)).toBe(false);
    expect(readSeal(doc, 'v.json')).toBeNull();
    setSeal(doc, null);
    expect(keysOf(doc)).toEqual(['after']);
    setSeal(doc, seal);
    expect(keysOf(doc)).toEqual(['after', 'seal']);
    doc.extras.push(other('last'));
    setSeal(doc, sealAll(key.seal, doc, 2));
    expect(keysOf(doc)).toEqual(['after', 'seal', 'last']);
    expect(readSeal(doc, 'v.json')!.generation).toBe(2);
    setSeal(doc, null);
    expect(keysOf(doc)).toEqual(['after', 'last']);
  });
});

describe('readSeal: the message for each malformed line (spec/seal.md §5)', () => {
  const malformed = (what: string): string =>
    `v.json: the seal is malformed (${what}); the vault was changed without its key: see what changed with \`git log -p\` on it, and if you trust it, remove its "seal" member and run \`ssclient seal\``;
  const num = (raw: string): JsonNode => ({ kind: 'number', raw });
  const str = (value: string): JsonNode => ({ kind: 'string', value });

  function withLines(edit: (lines: [string, JsonNode][]) => void): string {
    const doc = sealedVault(newKey(), [['a', '1']]);
    const raw = rawSeal(doc);
    edit(raw.lines);
    putRawSeal(doc, raw);
    return messageOf(() => readSeal(doc, 'v.json'));
  }
  const lineEntries = (lines: [string, JsonNode][]): [string, JsonNode][] => {
    const line = lines[0]![1];
    if (line.kind !== 'object') throw new Error('not a line');
    return line.entries;
  };

  it('names the member and the line', () => {
    const doc = sealedVault(newKey(), [['a', '1']]);
    const seal = doc.extras.find(([k]) => k === 'seal')![1];
    if (seal.kind !== 'object') throw new Error('not a seal');
    const names = seal.entries.findIndex(([k]) => k === 'names');
    seal.entries[names] = ['names', str('a')];
    expect(messageOf(() => readSeal(doc, 'v.json'))).toBe(malformed('"names" is not an object'));
    expect(withLines((lines) => lineEntries(lines).push(['mac', str('x')]))).toBe(
      malformed('the line of "a" has a member twice'),
    );
    expect(withLines((lines) => (lineEntries(lines)[0] = ['generation', num('0')]))).toBe(
      malformed('the line of "a" has a generation that is not a positive whole number'),
    );
    expect(withLines((lines) => (lineEntries(lines)[1] = ['tag', str('AAAA')]))).toBe(
      malformed('the line of "a" "tag" is not 32 bytes of canonical base64'),
    );
    expect(withLines((lines) => (lineEntries(lines)[2] = ['mac', num('1')]))).toBe(
      malformed('the line of "a" "mac" is not a string'),
    );
    expect(withLines((lines) => lines.push(structuredClone(lines[0]!)))).toBe(
      malformed('the line of "a" appears twice'),
    );
  });
});

describe('netstring lengths of names are UTF-8 byte counts (spec/seal.md §4.1)', () => {
  it('for 1-, 2-, 3- and 4-byte characters at each edge', () => {
    const keys = deriveSealKeys(KEY_BYTES);
    const tagKey = Buffer.from(
      hkdfSync('sha256', KEY_BYTES, Buffer.alloc(0), 'securestore-kms seal v1 tag', 32),
    );
    const ns = (s: string): string => `${Buffer.byteLength(s)}:${s},`;
    const iv = 'VVVVVVVVVVVVVVVVVVVVVQ==';
    const blob = {
      iv: 'AAAAAAAAAAAAAAAAAAAAAA==',
      hmac: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      payload: 'AAAAAAAAAAAAAAAAAAAAAA==',
    };
    const names = ['\u007f', '\u0080', '\u07ff', '\u0800', '€é', '€a', '\ud7ff', '\ue000é'];
    names.push('\uffffé', '\ud800\udc00é', '\udbff\udfffé', 'a😀é€');
    for (const name of names) {
      const expected = createHmac('sha256', tagKey)
        .update(ns('tag') + ns(iv) + ns(name) + ns(blob.iv) + ns(blob.hmac) + ns(blob.payload))
        .digest('base64');
      expect([name, computeTag(keys, iv, name, blob)]).toEqual([name, expected]);
    }
  });
});

describe('readSeal: a seal of a newer format, and a line that is not an object', () => {
  it('shows at most 20 characters of the format, and names the line', () => {
    const doc = sealedVault(newKey(), [['a', '1']]);
    const raw = rawSeal(doc);
    const at = raw.head.findIndex(([k]) => k === 'format');
    raw.head[at] = ['format', { kind: 'number', raw: '123456789012345678901234' }];
    putRawSeal(doc, raw);
    expect(messageOf(() => readSeal(doc, 'v.json'))).toBe(
      'v.json has a seal of format 12345678901234567890, made by a newer version of this tool; upgrade to check it',
    );
    const other = sealedVault(newKey(), [['a', '1']]);
    const lines = rawSeal(other);
    lines.lines[0] = ['a', { kind: 'number', raw: '1' }];
    putRawSeal(other, lines);
    expect(messageOf(() => readSeal(other, 'v.json'))).toBe(
      'v.json: the seal is malformed (the line of "a" is not an object); the vault was changed without its key: see what changed with `git log -p` on it, and if you trust it, remove its "seal" member and run `ssclient seal`',
    );
  });
});

describe('a seal without the line of a secret is an internal error (spec/seal.md §4.3)', () => {
  it('computeVaultMac and sealToNode name the secret', () => {
    const key = newKey();
    const doc = sealedVault(key, [['a', '1']]);
    const seal = readSeal(doc, 'v.json')!;
    const empty = { ...seal, lines: new Map() };
    expect(messageOf(() => computeVaultMac(key.seal, doc, new Map(), 1, 1))).toBe(
      'internal: no seal line for "a"',
    );
    expect(messageOf(() => sealToNode(empty, doc))).toBe('internal: no seal line for "a"');
  });
});

describe('resealHead: a new line where the old one is missing (spec/seal.md §7.2)', () => {
  it('keeps the lines that bind their blobs and writes the missing one at the new generation', () => {
    const key = newKey();
    const doc = sealedVault(key, [
      ['a', '1'],
      ['b', '2'],
    ]);
    const seal = readSeal(doc, 'v.json')!;
    const lines = new Map(seal.lines);
    lines.delete('b');
    const next = resealHead(key.seal, doc, lines, 5);
    expect(next.lines.get('a')).toEqual(seal.lines.get('a'));
    expect(next.lines.get('b')!.generation).toBe(5);
    expect(next.lines.get('b')!.tag).toBe(computeTag(key.seal, doc.iv, 'b', doc.secrets.get('b')!));
    setSeal(doc, next);
    expect(checkSeal(key.seal, doc, readSeal(doc, 'v.json')!).ok).toBe(true);
    // A line whose tag does not bind its blob is written anew too.
    const wrong = new Map(seal.lines);
    wrong.set('a', { ...seal.lines.get('a')!, tag: seal.lines.get('b')!.tag });
    const again = resealHead(key.seal, doc, wrong, 6);
    expect(again.lines.get('a')!.generation).toBe(6);
    expect(again.lines.get('a')!.tag).toBe(seal.lines.get('a')!.tag);
    expect(again.lines.get('b')).toEqual(seal.lines.get('b'));
  });
});

describe('readSeal: a line of three members that are not generation, tag and mac', () => {
  it('names the member missing or unknown', () => {
    const message = (keys: string[]): string => {
      const doc = sealedVault(newKey(), [['a', '1']]);
      const raw = rawSeal(doc);
      const line = raw.lines[0]![1];
      if (line.kind !== 'object') throw new Error('not a line');
      const value = new Map(line.entries);
      raw.lines[0] = [
        'a',
        { kind: 'object', entries: keys.map((k) => [k, value.get(k) ?? value.get('mac')!]) },
      ];
      putRawSeal(doc, raw);
      return messageOf(() => readSeal(doc, 'v.json'));
    };
    const malformed = (what: string): string =>
      `v.json: the seal is malformed (the line of "a" ${what}); the vault was changed without its key: see what changed with \`git log -p\` on it, and if you trust it, remove its "seal" member and run \`ssclient seal\``;
    expect(message(['generation', 'generation', 'mac'])).toBe(malformed('has no "tag"'));
    expect(message(['tag', 'tag', 'mac'])).toBe(malformed('has no "generation"'));
    expect(message(['generation', 'tag', 'tag'])).toBe(malformed('has no "mac"'));
    expect(message(['generation', 'tag', 'x'])).toBe(malformed('has an unknown member "x"'));
    expect(message(['generation', 'tag', 'mac'])).toBe('');
  });
});

describe('checkSeal: only the newest generation carries the vault MAC (spec/seal.md §5.1)', () => {
  const mac = (byte: number): JsonNode => ({
    kind: 'string',
    value: Buffer.alloc(32, byte).toString('base64'),
  });
  const gen = (n: number): JsonNode => ({ kind: 'number', raw: String(n) });
  const setMember = (entries: [string, JsonNode][], key: string, value: JsonNode): void => {
    entries[entries.findIndex(([k]) => k === key)] = [key, value];
  };
  const lineEntries = (node: JsonNode): [string, JsonNode][] => {
    if (node.kind !== 'object') throw new Error('not a line');
    return node.entries;
  };

  it('an older head or an older line is not a carrier: one wrong carrier is a mismatch', () => {
    const key = newKey();
    // A line newer than the head: the head's MAC is not a carrier.
    const doc = sealedVault(key, [['a', '1']]);
    const raw = rawSeal(doc);
    setMember(lineEntries(raw.lines[0]![1]), 'generation', gen(2));
    setMember(lineEntries(raw.lines[0]![1]), 'mac', mac(1));
    putRawSeal(doc, raw);
    expect(checkSeal(key.seal, doc, readSeal(doc, 'v.json')!)).toEqual({
      ok: false,
      generation: 2,
      reason: 'mismatch',
    });
    // A head newer than the lines: the lines' MACs are not carriers.
    const two = sealedVault(key, [
      ['a', '1'],
      ['b', '2'],
    ]);
    const raw2 = rawSeal(two);
    setMember(raw2.head, 'generation', gen(2));
    setMember(lineEntries(raw2.lines[0]![1]), 'mac', mac(2));
    setMember(lineEntries(raw2.lines[1]![1]), 'mac', mac(3));
    putRawSeal(two, raw2);
    expect(checkSeal(key.seal, two, readSeal(two, 'v.json')!)).toEqual({
      ok: false,
      generation: 2,
      reason: 'mismatch',
    });
  });
});

describe('resealHead: lines of the new generation or later are written anew (issue 14 item 18)', () => {
  it('keeps only lines older than the head it writes (spec/seal.md §6.1: untouched lines are below G)', () => {
    const key = newKey();
    const doc = sealedVault(key, [
      ['a', '1'],
      ['b', '2'],
    ]);
    const seal = readSeal(doc, 'v.json')!;
    const lines = new Map(seal.lines);
    lines.set('a', { ...seal.lines.get('a')!, generation: 7 });
    lines.set('b', { ...seal.lines.get('b')!, generation: 8 });
    const next = resealHead(key.seal, doc, lines, 7);
    expect(next.generation).toBe(7);
    expect(next.mac).not.toBe(seal.mac);
    for (const name of ['a', 'b']) {
      expect(next.lines.get(name)).toEqual({
        generation: 7,
        tag: seal.lines.get(name)!.tag,
        mac: next.mac,
      });
    }
    setSeal(doc, next);
    expect(checkSeal(key.seal, doc, readSeal(doc, 'v.json')!).ok).toBe(true);
  });
});

describe('resealAfterWrite: a secret without a line gets one (issue 14 item 18)', () => {
  it('writes the missing line at G + 1 even when the name is not among the changed', () => {
    const key = newKey();
    const doc = sealedVault(key, [
      ['a', '1'],
      ['b', '2'],
    ]);
    const seal = readSeal(doc, 'v.json')!;
    const lines = new Map(seal.lines);
    lines.delete('b');
    const next = resealAfterWrite(key.seal, doc, { ...seal, lines }, new Set());
    expect(next.lines.get('a')).toEqual(seal.lines.get('a'));
    expect(next.lines.get('b')).toEqual({
      generation: 2,
      tag: computeTag(key.seal, doc.iv, 'b', doc.secrets.get('b')!),
      mac: next.lines.get('b')!.mac,
    });
    expect(next.generation).toBe(1); // the head is kept: a line carries generation 2
    setSeal(doc, next);
    expect(checkSeal(key.seal, doc, readSeal(doc, 'v.json')!).ok).toBe(true);
  });
});
