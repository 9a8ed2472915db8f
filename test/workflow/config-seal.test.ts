// spec/seal.md §8: "requireSeal" in .ssclient.json is a boolean; anything else is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectConfig } from '../../src/workflow/config.js';
import { tempDir } from '../helpers/vaults.js';

const t = tempDir('ss-config-seal-');
afterAll(() => t.cleanup());

function configWith(text: string): ReturnType<typeof readProjectConfig> {
  const path = join(t.dir, '.ssclient.json');
  writeFileSync(path, text);
  return readProjectConfig(path);
}

describe('"requireSeal" in the project file', () => {
  it('true and false are kept; absent leaves the config as before', () => {
    expect(configWith('{ "requireSeal": true }').requireSeal).toBe(true);
    expect(configWith('{ "requireSeal": false, "store": "s.json" }')).toEqual({
      path: join(t.dir, '.ssclient.json'),
      settings: { store: join(t.dir, 's.json') },
      requireSeal: false,
    });
    expect(configWith('{ "store": "s.json" }')).toEqual({
      path: join(t.dir, '.ssclient.json'),
      settings: { store: join(t.dir, 's.json') },
    });
  });

  it.each(['"yes"', '1', 'null', '"true"'])('%s is refused with one line', (value) => {
    expect(() => configWith(`{ "requireSeal": ${value} }`)).toThrow(
      `${join(t.dir, '.ssclient.json')}: "requireSeal" must be true or false`,
    );
  });
});
