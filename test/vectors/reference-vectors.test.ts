/**
 * Every vault the reference ssclient 2.0.1 wrote (fixtures/vectors) opens with its password
 * and/or key file, yields exactly its manifest's secrets, and round-trips byte for byte.
 * spec/format.md §5.4 (canonical bytes), §6 (key files).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVault, serializeVault } from '../../src/format/vault-codec.js';
import { type AuthOptions, SecretsManager } from '../../src/index.js';
import { manifests, NEGATIVE, negativeCases, VECTORS } from '../helpers/vaults.js';

describe.each(manifests())('reference vector $vault', (m) => {
  const vaultPath = join(VECTORS, m.vault);
  const auths: [string, AuthOptions][] = [];
  if (m.password !== null) auths.push(['password', { password: m.password }]);
  if (m.keyfile !== null)
    auths.push([`key file (${m.keyfile_format})`, { keyFile: join(VECTORS, m.keyfile) }]);
  if (m.equivalent_pem_keyfile)
    auths.push(['PEM twin', { keyFile: join(VECTORS, m.equivalent_pem_keyfile) }]);

  it.each(auths)(
    'opens with its %s and yields exactly the manifest secrets',
    async (_label, auth) => {
      const vault = await SecretsManager.fromFile(vaultPath, auth);
      expect(vault.keys()).toEqual(m.names_in_file_order);
      for (const [name, b64] of Object.entries(m.secrets_base64)) {
        expect(Buffer.from(vault.getBytes(name)!).toString('base64')).toBe(b64);
      }
      for (const [name, text] of Object.entries(m.secrets)) expect(vault.get(name)).toBe(text);
      for (const name of m.absent_names) {
        expect(vault.has(name)).toBe(false);
        expect(vault.get(name)).toBeNull();
      }
      vault.close();
    },
  );

  it('parses and re-serialises to the identical bytes', () => {
    const bytes = readFileSync(vaultPath);
    expect(Buffer.from(serializeVault(parseVault(bytes, m.vault)), 'utf8').equals(bytes)).toBe(
      true,
    );
  });

  if (m.password !== null && m.keyfile !== null) {
    it('PBKDF2(password, iv) equals the key file', async () => {
      const a = await SecretsManager.fromFile(vaultPath, { password: m.password! });
      const b = await SecretsManager.fromFile(vaultPath, { keyFile: join(VECTORS, m.keyfile!) });
      expect(a.exportKeyBytes()).toEqual(b.exportKeyBytes());
    });
  }
});

const expectedCodes: Record<string, string | null> = {
  'wrong-password.json': 'ERR_WRONG_KEY',
  'tampered-secret-hmac.json': 'ERR_INTEGRITY',
  'tampered-secret-payload.json': 'ERR_INTEGRITY',
  'tampered-secret-iv.json': 'ERR_INTEGRITY',
  'tampered-other-secret-ok.json': null,
  'tampered-sentinel.json': 'ERR_WRONG_KEY',
  'version-2.json': 'ERR_VAULT_VERSION',
  'missing-sentinel-correct-password.json': null,
  'corrupted-empty.json': 'ERR_VAULT_FORMAT',
  'missing-secret.json': 'ERR_NOT_FOUND_SECRET',
};

describe.each(negativeCases())('negative vector $vault', (c) => {
  it(`${c.description} → ${expectedCodes[c.vault]}`, async () => {
    const name = c.ssclient_argv.at(-1)!;
    const expected = expectedCodes[c.vault];
    expect(expected).not.toBeUndefined();
    const attempt = async () => {
      const vault = await SecretsManager.fromFile(join(NEGATIVE, c.vault), {
        password: c.password,
      });
      return vault.get(name);
    };
    if (expected === null) {
      expect(c.expected_exit_code).toBe(0);
      expect(`${await attempt()}\n`).toBe(c.expected_stdout);
    } else if (expected === 'ERR_NOT_FOUND_SECRET') {
      expect(await attempt()).toBeNull();
    } else {
      expect(c.expected_exit_code).toBe(1);
      await expect(attempt()).rejects.toMatchObject({ name: 'SecureStoreError', code: expected });
    }
  });
});
