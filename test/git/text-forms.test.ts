/** The small text forms of the git integration: .gitattributes patterns, names and values in diffs. */
import { describe, expect, it } from 'vitest';
import { isSecureStoreError } from '../../src/errors.js';
import { formatRevealed, vaultDiffText } from '../../src/git/diff-text.js';
import { displayName, fingerprint } from '../../src/git/fingerprint.js';
import { attributeLine, attributePattern } from '../../src/git/install.js';

describe('.gitattributes patterns', () => {
  it('anchors the path at the top and C-quotes it when it has spaces, quotes or backslashes', () => {
    expect(attributeLine('secrets.json')).toBe('/secrets.json merge=securestore diff=securestore');
    expect(attributePattern('config/prod.json')).toBe('/config/prod.json');
    expect(attributePattern('my vault.json')).toBe('"/my vault.json"');
    expect(attributePattern('a"b\\c.json')).toBe('"/a\\"b\\\\c.json"');
  });

  it('refuses glob and control characters rather than match other files', () => {
    for (const bad of ['*.json', 'a?.json', 'a[1].json', '!x', 'a\nb']) {
      let code: string | undefined;
      try {
        attributePattern(bad);
      } catch (err) {
        if (isSecureStoreError(err)) code = err.code;
      }
      expect(code, bad).toBe('ERR_ARGUMENT');
    }
  });
});

describe('diff text', () => {
  const blob = {
    iv: 'A'.repeat(22) + '==',
    hmac: '3q2+7wABAgMEBQYHCAkKCwwNDg8=',
    payload: 'B'.repeat(22) + '==',
  };

  it('fingerprints a blob by the first 6 bytes of its stored HMAC', () => {
    expect(fingerprint(blob)).toBe('deadbeef0001');
  });

  it('shows plain names as they are and others as JSON strings', () => {
    expect(displayName('DB_PASSWORD')).toBe('DB_PASSWORD');
    expect(displayName('ünï code 😀')).toBe('ünï code 😀');
    expect(displayName('two\nlines')).toBe('"two\\nlines"');
    expect(displayName(' padded')).toBe('" padded"');
    expect(displayName('a = b')).toBe('"a = b"');
    expect(displayName('#comment')).toBe('"#comment"');
    expect(displayName('quote"d')).toBe('"quote\\"d"');
    expect(displayName('')).toBe('""');
  });

  it('escapes what JSON quoting leaves for the terminal to act on (C1, DEL, bidi marks)', () => {
    expect(displayName('c1\u009b31m')).toBe('"c1\\u009b31m"');
    expect(displayName('bidi\u202etxt.exe')).toBe('"bidi\\u202etxt.exe"');
    expect(displayName('del\x7f')).toBe('"del\\u007f"');
    expect(displayName('esc\x1b[2J')).toBe('"esc\\u001b[2J"');
  });

  it('shows revealed values as JSON strings, or base64 when not UTF-8', () => {
    expect(formatRevealed(Buffer.from('a\tb'))).toBe('"a\\tb"');
    expect(formatRevealed(Uint8Array.of(0xff, 0x00))).toBe('base64:/wA=');
    expect(formatRevealed(new Uint8Array(0))).toBe('""');
  });

  it('prints the header and one line per secret in file order', () => {
    const doc = {
      iv: 'A'.repeat(22) + '==',
      sentinel: null,
      secrets: new Map([
        ['b', blob],
        ['a', { ...blob, hmac: 'AAECAwQFBgcICQoLDA0ODxAREhM=' }],
      ]),
      extras: [],
    };
    expect(vaultDiffText(doc)).toBe(
      '# SecureStore vault; key check none\nb = hmac:deadbeef0001\na = hmac:000102030405\n',
    );
    expect(vaultDiffText(doc, (n) => (n === 'a' ? Buffer.from('x') : null))).toBe(
      '# SecureStore vault; key check none\nb = hmac:deadbeef0001\na = "x"\n',
    );
  });
});
