// spec/kms-key-file.md §10 (age wrappings): recipients (§10.2), labels (§10.3) and the structural
// check of an age file holding a 32-byte key (§10.4). Pure functions: each rule and each edge of
// each limit, with the exact sentence a caller shows.
import { describe, expect, it } from 'vitest';
import {
  AGE_KEY_PAYLOAD_BYTES,
  MAX_AGE_ARG_CHARS,
  MAX_AGE_STANZA_ARGS,
  MAX_AGE_STANZAS,
  MAX_LABEL_CHARS,
  MAX_RECIPIENT_CHARS,
  checkAgeFile,
  labelProblem,
  recipientFingerprint,
  recipientKind,
} from '../../src/format/age-file.js';

/** 58 bech32 data characters (no 1, b, i, o). */
const X25519_DATA = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'.repeat(2).slice(0, 58);
const X25519 = `age1${X25519_DATA}`;
const GENERIC =
  'expected an X25519 recipient (age1 and 58 lowercase bech32 characters) or a post-quantum one (age1pq1…)';
const SSH =
  'SSH public keys are not supported (the age library this tool uses has no SSH recipients); use an age1… key from age-keygen';
const TAG = 'tag (hardware plugin) recipients are not supported; use an age1… key';

describe('recipientKind: every rule of spec/kms-key-file.md §10.2', () => {
  it('an X25519 recipient is age1 and exactly 58 lowercase bech32 characters', () => {
    expect(X25519.length).toBe(62);
    expect(recipientKind(X25519)).toBe('x25519');
    expect(recipientKind(X25519.slice(0, -1))).toEqual({ why: GENERIC });
    expect(recipientKind(`${X25519}q`)).toEqual({ why: GENERIC });
    expect(recipientKind(`x${X25519}`)).toEqual({ why: GENERIC });
    expect(recipientKind(X25519.toUpperCase())).toEqual({ why: GENERIC });
    for (const notBech32 of ['1', 'b', 'i', 'o']) {
      expect(recipientKind(`${X25519.slice(0, -1)}${notBech32}`)).toEqual({ why: GENERIC });
    }
  });

  it('a post-quantum recipient is age1pq1 and 1 to 2041 bech32 characters', () => {
    expect(recipientKind('age1pq1q')).toBe('hybrid');
    const longest = `age1pq1${'q'.repeat(MAX_RECIPIENT_CHARS - 7)}`;
    expect(longest.length).toBe(2048);
    expect(recipientKind(longest)).toBe('hybrid');
    expect(recipientKind(`${longest}q`)).toEqual({ why: GENERIC });
    expect(recipientKind('age1pq1')).toEqual({ why: GENERIC });
    expect(recipientKind('age1pq1B')).toEqual({ why: GENERIC });
    expect(recipientKind('xage1pq1q')).toEqual({ why: GENERIC });
    expect(recipientKind('age1pq1q!')).toEqual({ why: GENERIC });
  });

  it('SSH keys, tag recipients and control characters each get their own reason', () => {
    for (const ssh of ['ssh-ed25519 AAAA', 'ssh-rsa AAAA', 'ecdsa-sha2-nistp256 AA', 'sk-ssh-x']) {
      expect(recipientKind(ssh)).toEqual({ why: SSH });
    }
    expect(recipientKind(' ssh-rsa AAAA')).toEqual({ why: GENERIC });
    expect(recipientKind('age1tag1qqq')).toEqual({ why: TAG });
    expect(recipientKind('age1tagpq1qqq')).toEqual({ why: TAG });
    expect(recipientKind('xage1tag1qqq')).toEqual({ why: GENERIC });
    for (const c of ['\u0000', '\u001f', '\u007f', '\u009f']) {
      expect(recipientKind(`age1${c}`)).toEqual({ why: 'it contains control characters' });
    }
    for (const c of [' ', '~', '\u00a0']) {
      expect(recipientKind(`age1${c}`)).toEqual({ why: GENERIC });
    }
  });

  it('anything but a string is refused as such', () => {
    for (const v of [undefined, null, 1, {}, [X25519], Buffer.from(X25519)]) {
      expect(recipientKind(v)).toEqual({ why: 'it is not a string' });
    }
  });
});

describe('recipientFingerprint', () => {
  it('is the recipient up to 62 characters, its first 16 and last 8 beyond', () => {
    expect(recipientFingerprint(X25519)).toBe(X25519);
    const r63 = `age1pq1${'q'.repeat(47)}zzzzzzzzz`;
    expect(r63.length).toBe(63);
    expect(recipientFingerprint(r63)).toBe('age1pq1qqqqqqqqq…zzzzzzzz');
  });
});

describe('labelProblem: every rule of spec/kms-key-file.md §10.3', () => {
  it('accepts 1 to 64 printable characters that are not a number', () => {
    for (const ok of ['a', 'laptop', 'a b', 'a1', '1a', '😀', 'é'.repeat(MAX_LABEL_CHARS)]) {
      expect(labelProblem(ok)).toBeNull();
    }
  });

  it('names each problem', () => {
    const length = 'it must be 1 to 64 characters';
    expect(labelProblem('')).toBe(length);
    expect(labelProblem('a'.repeat(MAX_LABEL_CHARS + 1))).toBe(length);
    for (const c of ['\u0000', '\n', '\u007f', '\u0085', '\u202e', '\u200b', '\u2028', '\u2029']) {
      expect(labelProblem(`a${c}b`)).toBe('it contains control characters');
    }
    for (const s of ['\uD800', 'a\uDC00', '\uDC00\uD800', '😀\uD83D']) {
      expect(labelProblem(s)).toBe('it is not valid Unicode');
    }
    expect(labelProblem(' a')).toBe('it starts or ends with a space');
    expect(labelProblem('a ')).toBe('it starts or ends with a space');
    expect(labelProblem('\u00a0a')).toBe('it starts or ends with a space');
    expect(labelProblem('0')).toBe('it is a number (numbers name wrappings by position)');
    expect(labelProblem('123')).toBe('it is a number (numbers name wrappings by position)');
    for (const v of [undefined, null, 1, {}, ['a']]) {
      expect(labelProblem(v)).toBe('it is not a string');
    }
  });
});

/** Canonical unpadded base64 of `n` zero bytes. */
const zeros64 = (n: number): string => Buffer.alloc(n).toString('base64').replace(/=+$/, '');
const STANZA = `-> X25519 ${zeros64(32)}\n${zeros64(32)}\n`;
const MAC = `--- ${zeros64(32)}\n`;
const PAYLOAD = Buffer.alloc(AGE_KEY_PAYLOAD_BYTES, 7);

/** An age file from its header text (after the intro line) and a payload. */
function ageFile(header: string, payload: Uint8Array = PAYLOAD, intro = 'age-encryption.org/v1\n') {
  return new Uint8Array(Buffer.concat([Buffer.from(intro + header, 'latin1'), payload]));
}

describe('checkAgeFile: the structure of spec/kms-key-file.md §10.4', () => {
  it('accepts one or more stanzas and a 64-byte payload, and returns the stanza types', () => {
    expect(checkAgeFile(ageFile(STANZA + MAC))).toEqual({ types: ['X25519'] });
    const mlkem = `-> mlkem768x25519 ${zeros64(20)}\n${'A'.repeat(64)}\n${'A'.repeat(64)}\n\n`;
    expect(checkAgeFile(ageFile(STANZA + mlkem + MAC))).toEqual({
      types: ['X25519', 'mlkem768x25519'],
    });
    const eight = `-> ${Array.from({ length: 8 }, (_, i) => `a${i}~`).join(' ')}\n\n`;
    expect(checkAgeFile(ageFile(eight + MAC))).toEqual({ types: ['a0~'] });
  });

  it('refuses an armored file, and reads a file whose first byte is "-" from its start', () => {
    const armor = '-----BEGIN AGE ENCRYPTED FILE-----\n';
    expect(checkAgeFile(ageFile(STANZA + MAC, PAYLOAD, armor))).toBe(
      'it is an armored age file; store the binary age file in base64',
    );
    expect(checkAgeFile(ageFile(STANZA + MAC, PAYLOAD, `-x\nage-encryption.org/v1\n`))).toBe(
      'it is not an age file (no age-encryption.org/v1 line)',
    );
  });

  it('refuses a file without the intro line', () => {
    const no = 'it is not an age file (no age-encryption.org/v1 line)';
    for (const intro of ['age-encryption.org/v2\n', 'age-encryption.org/v1x\n', 'x\n', '']) {
      expect(checkAgeFile(ageFile(STANZA + MAC, PAYLOAD, intro))).toBe(no);
    }
    expect(checkAgeFile(new TextEncoder().encode('age-encryption.org/v1'))).toBe(no);
    expect(checkAgeFile(new Uint8Array(0))).toBe(no);
  });

  it('refuses a header line that is truncated, too long or not printable ASCII', () => {
    const bad = 'its age header is truncated or has a line that is too long';
    expect(checkAgeFile(ageFile(''))).toBe(bad);
    expect(checkAgeFile(ageFile(STANZA + MAC.slice(0, -1), new Uint8Array(0)))).toBe(bad);
    for (const c of ['\u0000', '\u001f', '\u007f', '\u0080', '\u00ff']) {
      expect(checkAgeFile(ageFile(`-> X25519 a${c}\n\n${MAC}`))).toBe(bad);
    }
    // The longest line read is 3 + 8 × 2049 = 16 395 characters: one that long reaches the
    // argument check (its last argument is one character too long), one longer does not.
    const args = [...Array<string>(7).fill('a'.repeat(MAX_AGE_ARG_CHARS)), 'a'.repeat(2049)];
    const longest = `-> ${args.join(' ')}`;
    expect(longest.length).toBe(3 + MAX_AGE_STANZA_ARGS * (MAX_AGE_ARG_CHARS + 1));
    expect(checkAgeFile(ageFile(`${longest}\n\n${MAC}`))).toBe(
      'its age header has a stanza with empty, too many or too long arguments',
    );
    expect(checkAgeFile(ageFile(`${longest}a\n\n${MAC}`))).toBe(bad);
  });

  it('refuses a header without a stanza, a line that is not one, and more than 8 stanzas', () => {
    expect(checkAgeFile(ageFile(MAC))).toBe('its age header has no stanza');
    expect(checkAgeFile(ageFile(`${STANZA}x\n${MAC}`))).toBe(
      'its age header has a line that is not a stanza',
    );
    expect(checkAgeFile(ageFile(`->X25519 a\n\n${MAC}`))).toBe(
      'its age header has a line that is not a stanza',
    );
    expect(checkAgeFile(ageFile(`${STANZA.repeat(MAX_AGE_STANZAS)}${MAC}`))).toEqual({
      types: Array<string>(MAX_AGE_STANZAS).fill('X25519'),
    });
    expect(checkAgeFile(ageFile(`${STANZA.repeat(MAX_AGE_STANZAS + 1)}${MAC}`))).toBe(
      'its age header has more than 8 stanzas',
    );
  });

  it('refuses stanza arguments that are empty, too many or too long', () => {
    const bad = 'its age header has a stanza with empty, too many or too long arguments';
    const nine = `-> ${Array<string>(9).fill('a').join(' ')}\n\n`;
    expect(checkAgeFile(ageFile(nine + MAC))).toBe(bad);
    expect(checkAgeFile(ageFile(`-> X25519  a\n\n${MAC}`))).toBe(bad);
    expect(checkAgeFile(ageFile(`-> X25519 \n\n${MAC}`))).toBe(bad);
    expect(checkAgeFile(ageFile(`-> \n\n${MAC}`))).toBe(bad);
    const at = 'a'.repeat(MAX_AGE_ARG_CHARS);
    expect(checkAgeFile(ageFile(`-> ${at}\n\n${MAC}`))).toEqual({ types: [at] });
    expect(checkAgeFile(ageFile(`-> ${at}a\n\n${MAC}`))).toBe(bad);
  });

  it('reads a stanza body in lines of 64, ended by a shorter one, up to 1024 bytes', () => {
    const truncated = 'its age header has a stanza body that is truncated or malformed';
    const full = `${'A'.repeat(64)}\n`;
    // 21 full lines and 22 characters: 1 366 characters, ⌈1024 × 4 / 3⌉.
    const most = `-> X25519\n${full.repeat(21)}${'A'.repeat(22)}\n`;
    expect(checkAgeFile(ageFile(most + MAC))).toEqual({ types: ['X25519'] });
    expect(checkAgeFile(ageFile(`-> X25519\n${full.repeat(21)}${'A'.repeat(23)}\n${MAC}`))).toBe(
      'its age header has a stanza body over 1024 bytes',
    );
    expect(checkAgeFile(ageFile(`-> X25519\n${'A'.repeat(65)}\n${MAC}`))).toBe(truncated);
    expect(checkAgeFile(ageFile('-> X25519\n', new Uint8Array(0)))).toBe(truncated);
    expect(checkAgeFile(ageFile(`-> X25519\n${full}`, new Uint8Array(0)))).toBe(truncated);
    // A full line is not the end of the body: the MAC line after it is read as body.
    expect(checkAgeFile(ageFile(`-> X25519\n${full}${MAC}`))).toBe(
      'its age header has a stanza body that is not base64',
    );
  });

  it('refuses a stanza body that is not canonical unpadded base64', () => {
    const bad = 'its age header has a stanza body that is not base64';
    for (const body of ['AA==', 'A', 'AAAAA', 'AB', 'AAB', 'A-', 'A_', '!AAA', 'AA A']) {
      expect(checkAgeFile(ageFile(`-> X25519\n${body}\n${MAC}`))).toBe(bad);
    }
    for (const body of ['AA', 'AAA', 'AAAA', 'AQ', '+/+/', 'AAAAAw']) {
      expect(checkAgeFile(ageFile(`-> X25519\n${body}\n${MAC}`))).toEqual({ types: ['X25519'] });
    }
  });

  it('refuses a MAC that is not 32 bytes of canonical unpadded base64', () => {
    const bad = 'its age header MAC is malformed';
    const mac = zeros64(32);
    for (const m of [zeros64(31), zeros64(33), `${mac}=`, `${mac.slice(0, -1)}B`, '', `${mac} `]) {
      expect(checkAgeFile(ageFile(`${STANZA}--- ${m}\n`))).toBe(bad);
    }
    const other = Buffer.alloc(32, 0xab).toString('base64').replace(/=+$/, '');
    expect(checkAgeFile(ageFile(`${STANZA}--- ${other}\n`))).toEqual({ types: ['X25519'] });
  });

  it('wants a payload of exactly 64 bytes after the header', () => {
    for (const n of [0, 63, 65, 128]) {
      expect(checkAgeFile(ageFile(STANZA + MAC, new Uint8Array(n)))).toBe(
        `its age payload is ${n} bytes, not the 64 of a 32-byte key`,
      );
    }
  });
});
