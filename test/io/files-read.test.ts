// spec/format.md §7.1 (the size cap) and §8: reading a whole file in one read, as readFileCapped does.
/**
 * readFileCapped reads the size fstat reports in one read, plus one byte to notice a file that
 * grew. Files whose size fstat does not know (Linux /proc files report 0) take the path for a
 * file that grew while being read: their content is read whole, and the cap still holds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecureStoreError } from '../../src/errors.js';
import { readFileCapped } from '../../src/io/files.js';
import { tempDir } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-read-');
afterAll(() => tmp.cleanup());
const TOO_LARGE = { code: 'ERR_VAULT_FORMAT', what: 'a vault' } as const;

describe('readFileCapped', () => {
  it('returns exactly the bytes of files of every size around its buffer', async () => {
    for (const size of [0, 1, 2, 4095, 4096, 4097, 65_536, 524_288, 524_289, 3 * 1024 * 1024 + 7]) {
      const path = join(tmp.dir, `f-${size}`);
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
      writeFileSync(path, bytes);
      expect((await readFileCapped(path, 16 << 20, TOO_LARGE)).equals(bytes), `${size}`).toBe(true);
    }
  });

  it('refuses a file over the cap before reading it, with the caller’s code', async () => {
    const path = join(tmp.dir, 'big');
    writeFileSync(path, Buffer.alloc(101));
    await expect(readFileCapped(path, 100, TOO_LARGE)).rejects.toMatchObject({
      code: 'ERR_VAULT_FORMAT',
      message: `${path} is too large to be a vault (101 bytes; the limit is 100)`,
    });
    expect((await readFileCapped(path, 101, TOO_LARGE)).length).toBe(101);
  });

  it.runIf(process.platform === 'linux')(
    'reads a file that has more bytes than fstat said (a /proc file, /dev/zero), under the cap',
    async () => {
      const path = '/proc/self/cmdline';
      const expected = readFileSync(path);
      expect(expected.length).toBeGreaterThan(2);
      expect((await readFileCapped(path, 1 << 20, TOO_LARGE)).equals(expected)).toBe(true);
      const err = await readFileCapped(path, 2, TOO_LARGE).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecureStoreError);
      expect(err).toMatchObject({
        code: 'ERR_VAULT_FORMAT',
        message: `${path} is too large to be a vault (more than 2 bytes)`,
      });
      // A device without end: refused at the cap, not read until memory runs out.
      await expect(readFileCapped('/dev/zero', 200_000, TOO_LARGE)).rejects.toMatchObject({
        code: 'ERR_VAULT_FORMAT',
        message: '/dev/zero is too large to be a vault (more than 200000 bytes)',
      });
    },
  );
});
