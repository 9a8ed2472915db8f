/**
 * The age wrappings of the wrapped key file codec (spec/kms-key-file.md §10.1–§10.4): canonical
 * round trips of mixed files, and every hostile wrapping refused as a typed ERR_KMS_KEY_FILE
 * before any cryptography, with the file on disk untouched when it is opened.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SecureStoreError } from '../../src/errors.js';
import { KeySource } from '../../src/auth.js';
import { formatWrappedKeyFile, parseWrappedKeyFile } from '../../src/kms/wrapped-key-file.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { ageKeygen, runAge, writeText } from '../helpers/age.js';
import { tempDir } from '../helpers/vaults.js';

const ARN1 = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const { dir } = tempDir('age-codec-');
const alice = ageKeygen(dir, 'alice');
const KEY = new Uint8Array(32).fill(9);
/** A real age file of the 32-byte key, made by the reference tool. */
const AGE_FILE = runAge(['-r', alice.recipient], KEY);
const CT = AGE_FILE.toString('base64');

const mixed = (age: string) => `{
  "type": "securestore-kms-wrapped-key",
  "version": 1,
  "wrappings": [
    {
      "provider": "aws-kms",
      "keyArn": "${ARN1}",
      "region": "us-east-1",
      "context": {
        "purpose": "securestore-vault-key"
      },
      "ciphertext": "AQIDBA=="
    },
    ${age}
  ]
}
`;
const ageWrapping = (members: string) => `{
${members
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
    }`;
const GOOD = mixed(
  ageWrapping(
    `"provider": "age",\n"recipient": "${alice.recipient}",\n"label": "alice",\n"ciphertext": "${CT}"`,
  ),
);

function parseError(text: string | Uint8Array): string {
  try {
    parseWrappedKeyFile(typeof text === 'string' ? Buffer.from(text) : text, 'x.kms.json');
  } catch (err) {
    expect(err).toBeInstanceOf(SecureStoreError);
    expect((err as SecureStoreError).code).toBe('ERR_KMS_KEY_FILE');
    return (err as Error).message;
  }
  throw new Error('parsed');
}

/** The same age file with its header edited (a string replace on the header text). */
function withHeader(edit: (header: string) => string): string {
  const end = AGE_FILE.indexOf('\n--- ') + 1;
  const macEnd = AGE_FILE.indexOf(0x0a, end) + 1;
  const header = AGE_FILE.subarray(0, end).toString('latin1');
  return Buffer.concat([
    Buffer.from(edit(header), 'latin1'),
    AGE_FILE.subarray(end, macEnd),
    AGE_FILE.subarray(macEnd),
  ]).toString('base64');
}

const replaceCt = (ct: string) => GOOD.replace(CT, ct);
const PREFIX = 'x.kms.json is not a valid wrapped key file: wrappings[1]';

describe('age wrappings in the codec', () => {
  it('a mixed file round-trips byte for byte; label is optional and then not written', () => {
    expect(formatWrappedKeyFile(parseWrappedKeyFile(Buffer.from(GOOD), 'x'))).toBe(GOOD);
    const unlabelled = GOOD.replace('      "label": "alice",\n', '');
    const file = parseWrappedKeyFile(Buffer.from(unlabelled), 'x');
    expect(file.wrappings[1]).toEqual({
      provider: 'age',
      recipient: alice.recipient,
      ciphertext: CT,
    });
    expect(formatWrappedKeyFile(file)).toBe(unlabelled);
  });

  const payloadCut = Buffer.from(CT, 'base64');
  const huge = `${'A'.repeat(64)}\n`.repeat(22);
  const cases: [string, string, string][] = [
    [
      'bad armor: an armored age file',
      replaceCt(Buffer.from(runAge(['-a', '-r', alice.recipient], KEY)).toString('base64')),
      '.ciphertext: it is an armored age file; store the binary age file in base64',
    ],
    [
      'bad armor: armor text in place of base64',
      replaceCt('-----BEGIN AGE ENCRYPTED FILE-----'),
      '.ciphertext is an armored age file; store the binary age file in base64',
    ],
    [
      'not canonical base64',
      replaceCt(`${CT.slice(0, -4)}@@@@`),
      '.ciphertext must be non-empty canonical base64',
    ],
    [
      'not an age file',
      replaceCt('AQIDBA=='),
      '.ciphertext: it is not an age file (no age-encryption.org/v1 line)',
    ],
    [
      'truncated age header',
      replaceCt(payloadCut.subarray(0, payloadCut.indexOf('\n--- ') + 3).toString('base64')),
      '.ciphertext: its age header is truncated or has a line that is too long',
    ],
    [
      'header cut inside a stanza body',
      replaceCt(payloadCut.subarray(0, payloadCut.indexOf('\n--- ') - 5).toString('base64')),
      '.ciphertext: its age header has a stanza body that is truncated or malformed',
    ],
    [
      'a payload of another length (not a 32-byte key)',
      replaceCt(runAge(['-r', alice.recipient], new Uint8Array(33)).toString('base64')),
      '.ciphertext: its age payload is 65 bytes, not the 64 of a 32-byte key',
    ],
    [
      'huge stanza body',
      replaceCt(withHeader((h) => h.replace(/\n([A-Za-z0-9+/]{43})\n$/, `\n${huge}$1\n`))),
      '.ciphertext: its age header has a stanza body over 1024 bytes',
    ],
    [
      'too many stanzas',
      replaceCt(withHeader((h) => h.replace('-> X25519', '-> a\n\n'.repeat(8) + '-> X25519'))),
      '.ciphertext: its age header has more than 8 stanzas',
    ],
    [
      'a control character in a stanza',
      replaceCt(withHeader((h) => h.replace('-> X25519', '-> X\u001b25519'))),
      '.ciphertext: its age header is truncated or has a line that is too long',
    ],
    [
      'a huge ciphertext',
      replaceCt(Buffer.alloc(6145).toString('base64')),
      '.ciphertext is longer than 6144 bytes',
    ],
    [
      'recipient with control characters',
      GOOD.replace(alice.recipient, `${alice.recipient}\\u001b[31m`),
      '.recipient is not an age recipient: it contains control characters',
    ],
    [
      'recipient with a newline',
      GOOD.replace(alice.recipient, `age1\\n${alice.recipient.slice(4)}`),
      '.recipient is not an age recipient: it contains control characters',
    ],
    [
      'an SSH recipient',
      GOOD.replace(alice.recipient, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA'),
      '.recipient is not an age recipient: SSH public keys are not supported (the age library this tool uses has no SSH recipients); use an age1… key from age-keygen',
    ],
    [
      'a recipient that is not a string',
      GOOD.replace(`"${alice.recipient}"`, '7'),
      '.recipient is not an age recipient: it is not a string',
    ],
    [
      'a label with a bidi override',
      GOOD.replace('"alice"', '"\\u202eecila"'),
      '.label is not a valid label: it contains control characters',
    ],
    [
      'a numeric label',
      GOOD.replace('"alice"', '"2"'),
      '.label is not a valid label: it is a number (numbers name wrappings by position)',
    ],
    [
      'an empty label',
      GOOD.replace('"alice"', '""'),
      '.label is not a valid label: it must be 1 to 64 characters',
    ],
    [
      'an unknown member',
      GOOD.replace('"label": "alice",', '"label": "alice",\n      "keyArn": "x",'),
      ': unknown member "keyArn"',
    ],
    [
      'a missing ciphertext',
      GOOD.replace(`,\n      "ciphertext": "${CT}"`, ''),
      ': missing member "ciphertext"',
    ],
  ];

  it.each(cases)('%s: ERR_KMS_KEY_FILE, one line', (_name, text, reason) => {
    const message = parseError(text);
    expect(message).toBe(PREFIX + reason);
    expect(message).not.toContain('\n');
    expect(message).not.toContain('\u001b');
  });

  it('the same recipient or label twice is refused', () => {
    const again = GOOD.replace(
      '\n  ]',
      `,\n    ${ageWrapping(`"provider": "age",\n"recipient": "${alice.recipient}",\n"ciphertext": "${CT}"`)}\n  ]`,
    );
    expect(parseError(again)).toBe(
      'x.kms.json is not a valid wrapped key file: wrappings[2] repeats an age recipient',
    );
  });

  it('a hostile wrapping met while opening a vault: typed error, files untouched', async () => {
    for (const [name, text] of cases) {
      const keyFile = writeText(dir, 'h.kms.json', text, 0o644);
      const vault = writeText(
        dir,
        'v.json',
        '{"version":3,"iv":"AAAAAAAAAAAAAAAAAAAAAA==","secrets":{}}',
        0o644,
      );
      const err = await SecretsManager.fromFile(
        vault,
        KeySource.fromFile(keyFile, { identities: [alice.file] }),
      ).catch((e: unknown) => e);
      expect((err as SecureStoreError).code, name).toBe('ERR_KMS_KEY_FILE');
      expect(readFileSync(keyFile, 'utf8'), name).toBe(text);
    }
  });
});
