/**
 * Age wrappings through the library (spec/kms-key-file.md §10): interoperability with the
 * reference `age` tool both ways, files that mix KMS (the local KMS test server, over HTTP with
 * the real SDK) and age wrappings, and the typed errors of identities and recipients.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/primitives.js';
import { isSecureStoreError, SecureStoreError } from '../../src/errors.js';
import {
  addWrapping,
  formatWrappedKeyFile,
  KeySource,
  parseWrappedKeyFile,
  removeWrapping,
  SecretsManager,
  wrapKey,
  type WrappedKeyOptions,
} from '../../src/index.js';
import { generateIdentity } from '../../src/age/age.js';
import { ageKeygen, runAge, type TestIdentity, writeText } from '../helpers/age.js';
import { tempDir } from '../helpers/vaults.js';
import { kmsControl, kmsTarget } from '../helpers/kms.js';

const target = kmsTarget();
const kms = { endpoint: target.endpoint, region: target.region };

beforeAll(() => {
  Object.assign(process.env, target.env);
});

let dir: string;
let cleanup: () => void;
let alice: TestIdentity;
let bob: TestIdentity;
let carol: TestIdentity;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('age-lib-'));
  alice = ageKeygen(dir, 'alice');
  bob = ageKeygen(dir, 'bob');
  carol = ageKeygen(dir, 'carol');
});
afterEach(() => cleanup());

/** A vault with one secret under `key`, at dir/secrets.json. */
async function vaultWith(key: Uint8Array): Promise<string> {
  const path = join(dir, 'secrets.json');
  const vault = await SecretsManager.create(KeySource.fromKey(key));
  vault.set('db', 'hunter2');
  await vault.saveAs(path);
  vault.close();
  return path;
}

/** Opens `vault` with the wrapped key file at `keyFile`; the secret, or the error's code. */
async function open(vault: string, keyFile: string, options: WrappedKeyOptions): Promise<string> {
  // Disposed after each open: a key KMS unwrapped is not kept in the per-process cache (§7.5).
  const source = KeySource.fromKmsFile(keyFile, options);
  try {
    const v = await SecretsManager.fromFile(vault, source);
    try {
      return v.get('db')!;
    } finally {
      v.close();
    }
  } catch (err) {
    if (err instanceof SecureStoreError) return `${err.code}: ${err.message}`;
    throw err;
  } finally {
    source.dispose();
  }
}

describe('interoperability with the reference age tool (age 1.1)', () => {
  it('a wrapping we write decrypts with `age -d -i IDENTITY` to the 32 key bytes', async () => {
    const key = randomBytes(32);
    const file = await wrapKey(key, {
      recipients: [{ recipient: alice.recipient, label: 'alice' }],
    });
    const w = file.wrappings[0]!;
    expect(w).toMatchObject({ provider: 'age', recipient: alice.recipient, label: 'alice' });
    const ageFile = Buffer.from((w as { ciphertext: string }).ciphertext, 'base64');
    expect(runAge(['-d', '-i', alice.file], ageFile).equals(Buffer.from(key))).toBe(true);
    // bob's identity is not a recipient: the reference tool refuses it too.
    expect(() => runAge(['-d', '-i', bob.file], ageFile)).toThrow();
  });

  it('a wrapping made by `age -r RECIPIENT` from the key bytes opens the vault', async () => {
    const key = randomBytes(32);
    const vault = await vaultWith(key);
    const ageFile = runAge(['-r', alice.recipient], key);
    const text = `{
  "type": "securestore-kms-wrapped-key",
  "version": 1,
  "wrappings": [
    {
      "provider": "age",
      "recipient": "${alice.recipient}",
      "ciphertext": "${ageFile.toString('base64')}"
    }
  ]
}
`;
    const keyFile = writeText(dir, 'secrets.kms.json', text, 0o644);
    expect(await open(vault, keyFile, { identities: [alice.file] })).toBe('hunter2');
    // The identity as text works as well as its file.
    expect(await open(vault, keyFile, { identities: [alice.secret] })).toBe('hunter2');
    // Our writer gives the same bytes back (spec §3.2).
    expect(formatWrappedKeyFile(parseWrappedKeyFile(Buffer.from(text), 'x'))).toBe(text);
  });

  it('a post-quantum hybrid recipient (age1pq1…) round-trips through the library', async () => {
    const { identity, recipient } = await generateIdentity('hybrid');
    expect(recipient.startsWith('age1pq1')).toBe(true);
    const key = randomBytes(32);
    const vault = await vaultWith(key);
    const file = await wrapKey(key, { recipients: [recipient, alice.recipient] });
    const keyFile = writeText(dir, 'secrets.kms.json', formatWrappedKeyFile(file), 0o644);
    expect(await open(vault, keyFile, { identities: [identity] })).toBe('hunter2');
    expect(await open(vault, keyFile, { identities: [alice.file] })).toBe('hunter2');
  });
});

describe('mixed files: KMS plus two age recipients (spec §10.6)', () => {
  it('each door opens alone; age is tried before any KMS call; removing one leaves the others', async () => {
    const { arn } = await kmsControl.createKey();
    const key = randomBytes(32);
    const vault = await vaultWith(key);
    const file = await wrapKey(key, {
      keyIds: [arn],
      recipients: [
        { recipient: alice.recipient, label: 'alice' },
        { recipient: bob.recipient, label: 'bob' },
      ],
      ...kms,
    });
    expect(file.wrappings.map((w) => w.provider)).toEqual(['aws-kms', 'age', 'age']);
    const keyFile = writeText(dir, 'secrets.kms.json', formatWrappedKeyFile(file), 0o644);

    const decrypts = async () => (await kmsControl.counts({ key: arn })).Decrypt ?? 0;
    const before = await decrypts();
    expect(await open(vault, keyFile, { ...kms, identities: [alice.file] })).toBe('hunter2');
    expect(await open(vault, keyFile, { ...kms, identities: [bob.file] })).toBe('hunter2');
    expect(await decrypts()).toBe(before); // no KMS call for either
    expect(await open(vault, keyFile, kms)).toBe('hunter2'); // KMS alone
    expect(await decrypts()).toBe(before + 1);

    // Without KMS access and without a matching identity: one line naming what was tried.
    await kmsControl.setKeyState(arn, 'Disabled');
    try {
      const denied = await open(vault, keyFile, { ...kms, identities: [carol.file] });
      expect(denied).toBe(
        `ERR_KMS_DISABLED: KMS key ${arn} is disabled; enable it in KMS in ${target.region}, or use another wrapping; and no age identity given (${carol.recipient}) matches its 2 age wrappings`,
      );
      expect(denied).not.toContain('AGE-SECRET-KEY');
      expect(await open(vault, keyFile, { ...kms, identities: [alice.file] })).toBe('hunter2');

      // Removing bob leaves alice (and KMS, once enabled) working; bob no longer opens it.
      const without = removeWrapping(parseWrappedKeyFile(readFileSync(keyFile), keyFile), 'bob');
      writeFileSync(keyFile, formatWrappedKeyFile(without));
      expect(await open(vault, keyFile, { ...kms, identities: [alice.file] })).toBe('hunter2');
      expect(await open(vault, keyFile, { ...kms, identities: [bob.file] })).toMatch(
        /^ERR_KMS_DISABLED: .*; and no age identity given \(age1[a-z0-9]+\) matches its 1 age wrapping$/,
      );
    } finally {
      await kmsControl.setKeyState(arn, 'Enabled');
    }
    expect(await open(vault, keyFile, kms)).toBe('hunter2');
  });

  it('addWrapping adds a recipient to a KMS file; the key is the one the file wraps', async () => {
    const key = randomBytes(32);
    const vault = await vaultWith(key);
    const kmsFile = await wrapKey(key, { keyIds: [target.key1], ...kms });
    const file = await addWrapping(kmsFile, key, { recipient: carol.recipient, label: 'carol' });
    const keyFile = writeText(dir, 'secrets.kms.json', formatWrappedKeyFile(file), 0o644);
    expect(await open(vault, keyFile, { identities: [carol.file] })).toBe('hunter2');
    await expect(
      addWrapping(file, key, { recipient: carol.recipient, label: 'carol2' }),
    ).rejects.toThrow('the file already has a wrapping for that recipient (carol)');
    await expect(
      addWrapping(file, key, { recipient: alice.recipient, label: 'carol' }),
    ).rejects.toThrow('the file already has a wrapping labelled carol');
  });
});

describe("addWrapping proves the key is the file's (spec/kms-key-file.md §6.3a)", () => {
  it('an age recipient is added only with the key the file wraps: another key is ERR_WRONG_KEY, the file unchanged', async () => {
    const key = randomBytes(32);
    const file = await wrapKey(key, {
      recipients: [{ recipient: alice.recipient, label: 'alice' }],
    });
    const other = randomBytes(32);
    const err = await addWrapping(file, other, {
      recipient: carol.recipient,
      label: 'carol',
      identities: [alice.file],
    }).catch((e: unknown) => e);
    expect(isSecureStoreError(err, 'ERR_WRONG_KEY')).toBe(true);
    expect(file.wrappings).toHaveLength(1);
    const added = await addWrapping(file, key, {
      recipient: carol.recipient,
      label: 'carol',
      identities: [alice.file],
    });
    expect(added.wrappings.map((w) => (w.provider === 'age' ? w.label : w.keyArn))).toEqual([
      'alice',
      'carol',
    ]);
  });
});

describe('typed errors, never key material (spec §10.6, §10.7)', () => {
  async function ageOnly(): Promise<{ vault: string; keyFile: string; key: Uint8Array }> {
    const key = randomBytes(32);
    const vault = await vaultWith(key);
    const file = await wrapKey(key, {
      recipients: [{ recipient: alice.recipient, label: 'alice' }],
    });
    const keyFile = writeText(dir, 'secrets.kms.json', formatWrappedKeyFile(file), 0o644);
    return { vault, keyFile, key };
  }

  it('no identity, or none that matches: ERR_AGE_NO_IDENTITY naming what was tried', async () => {
    const { vault, keyFile } = await ageOnly();
    expect(await open(vault, keyFile, {})).toBe(
      `ERR_AGE_NO_IDENTITY: ${keyFile}: no age identity was given for its 1 age wrapping (use -i/--identity, SSCLIENT_AGE_IDENTITY or SOPS_AGE_KEY_FILE)`,
    );
    expect(await open(vault, keyFile, { identities: [bob.file, carol.secret] })).toBe(
      `ERR_AGE_NO_IDENTITY: ${keyFile}: no age identity given (${bob.recipient}, ${carol.recipient}) matches its 1 age wrapping`,
    );
  });

  it('a wrapping that names alice but was made for bob: ERR_AGE_DECRYPT', async () => {
    const { vault, keyFile, key } = await ageOnly();
    const forBob = runAge(['-r', bob.recipient], key).toString('base64');
    const text = readFileSync(keyFile, 'utf8').replace(
      /"ciphertext": "[^"]+"/,
      `"ciphertext": "${forBob}"`,
    );
    writeFileSync(keyFile, text);
    expect(await open(vault, keyFile, { identities: [alice.file] })).toBe(
      `ERR_AGE_DECRYPT: the age wrapping alice in ${keyFile} is not for the recipient it names (${alice.recipient}); restore the file from version control`,
    );
    expect(readFileSync(keyFile, 'utf8')).toBe(text);
  });

  it('a wrapping of another key: the vault says wrong key (ERR_WRONG_KEY)', async () => {
    const { vault, keyFile } = await ageOnly();
    const other = runAge(['-r', alice.recipient], randomBytes(32)).toString('base64');
    writeFileSync(
      keyFile,
      readFileSync(keyFile, 'utf8').replace(/"ciphertext": "[^"]+"/, `"ciphertext": "${other}"`),
    );
    expect(await open(vault, keyFile, { identities: [alice.file] })).toMatch(/^ERR_WRONG_KEY: /);
  });

  it('identity files: a bad line is named by number, never shown; others-readable warns', async () => {
    const { vault, keyFile } = await ageOnly();
    const bad = writeText(
      dir,
      'bad.txt',
      `# comment\n\nAGE-SECRET-KEY-1\u0007oops\nsecret-ish-line\n`,
    );
    expect(await open(vault, keyFile, { identities: [bad] })).toBe(
      `ERR_AGE_IDENTITY: line 3 of the age identity file ${bad} is not a valid age identity`,
    );
    const notAge = writeText(dir, 'ssh.txt', `-----BEGIN OPENSSH PRIVATE KEY-----\n`);
    expect(await open(vault, keyFile, { identities: [notAge] })).toBe(
      `ERR_AGE_IDENTITY: line 1 of the age identity file ${notAge} is not an age identity (AGE-SECRET-KEY-1…); SSH keys and plugins are not supported`,
    );
    expect(await open(vault, keyFile, { identities: [join(dir, 'missing.txt')] })).toBe(
      `ERR_AGE_IDENTITY: the age identity file ${join(dir, 'missing.txt')} does not exist`,
    );
    const open644 = writeText(dir, 'open.txt', readFileSync(alice.file, 'utf8'), 0o644);
    const warnings: string[] = [];
    expect(
      await open(vault, keyFile, { identities: [open644], onWarning: (m) => warnings.push(m) }),
    ).toBe('hunter2');
    expect(warnings).toEqual([
      `warning: the age identity file ${open644} can be read by other users (mode 0644); run chmod 600 ${open644}`,
    ]);
  });

  it('recipients: SSH keys, control characters and bad checksums are ERR_AGE_RECIPIENT, not echoed', async () => {
    const key = randomBytes(32);
    const sshKey = execFileSync(
      'sh',
      ['-c', 'echo ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA user@host'],
      {
        encoding: 'utf8',
      },
    ).trim();
    const cases: [string, string][] = [
      [
        sshKey,
        'not an age recipient: SSH public keys are not supported (the age library this tool uses has no SSH recipients); use an age1… key from age-keygen',
      ],
      [`${alice.recipient}\u001b[2J`, 'not an age recipient: it contains control characters'],
      [
        `${alice.recipient.slice(0, -1)}${alice.recipient.endsWith('q') ? 'p' : 'q'}`,
        'the age recipient is malformed (its checksum or length is wrong)',
      ],
      [
        alice.recipient.toUpperCase(),
        'not an age recipient: expected an X25519 recipient (age1 and 58 lowercase bech32 characters) or a post-quantum one (age1pq1…)',
      ],
    ];
    for (const [recipient, message] of cases) {
      const err = await wrapKey(key, { recipients: [recipient] }).catch((e: unknown) => e);
      expect(isSecureStoreError(err, 'ERR_AGE_RECIPIENT'), recipient).toBe(true);
      expect((err as Error).message).toBe(message);
    }
  });
});
