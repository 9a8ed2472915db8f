// spec/seal.md §1, §3: a sealed vault is still a SecureStore v3 vault: NeoSmart's
// @neosmart/securestore reads every secret of it, after sealing, after sealed writes and
// through the CLI; and the reference vectors still round-trip byte for byte while unsealed.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsManager as NeoSecretsManager } from '@neosmart/securestore';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../src/index.js';
import { runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { manifests, VECTORS } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-interop-seal-');
afterAll(() => tmp.cleanup());
let counter = 0;
const tempPath = (name: string): string => join(tmp.dir, `${counter++}-${name}`);

const VALUES: Record<string, string> = {
  '': 'the empty name',
  '10': 'integer-like',
  __proto__: 'x',
  'é😀～': 'astral name',
  'quote"back\\slash': 'escaped name',
  'ctl\u0001\n': 'control characters',
  big: 'y'.repeat(100_000),
};

async function expectAllInNeo(path: string, keyFile: string): Promise<void> {
  const ours = await SecretsManager.fromFile(path, { keyFile }, { requireSeal: true });
  expect(ours.sealed).toBe(true);
  const neo = await NeoSecretsManager.fromFile(path, { keyFile });
  expect(new Set(neo.keys())).toEqual(new Set(ours.keys()));
  for (const name of ours.keys()) {
    // What its decoder makes of our bytes (it drops a leading BOM; see neosmart.test.ts).
    expect(await neo.get(name), name).toBe(new TextDecoder().decode(ours.getBytes(name)!));
  }
  ours.close();
}

describe('sealed vaults open in @neosmart/securestore with every secret', () => {
  it('created sealed, then after sealed sets and deletes', async () => {
    const keyFile = tempPath('k.key');
    const path = tempPath('sealed.json');
    const vault = await SecretsManager.create(
      { keyFile: join(VECTORS, '03-key-only.key') },
      { seal: true },
    );
    for (const [n, v] of Object.entries(VALUES)) vault.set(n, v);
    await vault.saveAs(path);
    await vault.exportKey(keyFile);
    vault.close();
    await expectAllInNeo(path, keyFile);
    await SecretsManager.update(path, { keyFile }, (v) => {
      v.set('é😀～', 'changed');
      v.delete('10');
    });
    await expectAllInNeo(path, keyFile);
    const neo = await NeoSecretsManager.fromFile(path, { keyFile });
    expect(await neo.get('é😀～')).toBe('changed');
    expect(await neo.get('10')).toBeNull();
  });

  it('every reference vector with a PEM key, sealed by `ssclient seal`', async () => {
    for (const m of manifests().filter((x) => x.keyfile !== null && x.keyfile_format === 'pem')) {
      const path = tempPath(m.vault);
      copyFileSync(join(VECTORS, m.vault), path);
      const keyFile = join(VECTORS, m.keyfile!);
      const r = runProcess(['-s', path, '-k', keyFile, 'seal'], { cwd: tmp.dir });
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${path}: sealed (generation 1)\n`, '']);
      await expectAllInNeo(path, keyFile);
      // And the values are the manifest's, read by us from the sealed file.
      const ours = await SecretsManager.fromFile(path, { keyFile });
      for (const [name, value] of Object.entries(m.secrets)) expect(ours.get(name)).toBe(value);
      ours.close();
    }
  });
});

describe('reference vectors stay unsealed, byte for byte, through writes', () => {
  it.each(manifests().map((m) => [m.vault, m] as const))('%s', async (_n, m) => {
    const auth =
      m.keyfile !== null ? { keyFile: join(VECTORS, m.keyfile) } : { password: m.password! };
    const vault = await SecretsManager.fromFile(join(VECTORS, m.vault), auth);
    expect([vault.sealed, vault.generation]).toEqual([false, null]);
    const before = vault.toJSON();
    vault.set('a name no vector has', 'x');
    vault.delete('a name no vector has');
    // A sentinel-less vector gets a sentinel on its first write (spec/format.md §4.2), nothing else.
    const after = vault.toJSON();
    expect(after).not.toContain('"seal"');
    if (m.vault !== '11-deleted.json' && before.includes('"sentinel"')) expect(after).toBe(before);
    expect(vault.sealed).toBe(false);
    vault.close();
  });
});
