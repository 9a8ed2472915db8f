/** The name rule for variables, and the small pure pieces the commands rely on. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GET_FORMATS } from '../../src/cli/option-values.js';
import { displayPath, resolveSetting } from '../../src/workflow/config.js';
import {
  describeEnvProblems,
  mapEnvNames,
  toEnvName,
  VALID_ENV_NAME,
} from '../../src/workflow/env-names.js';
import { EXPORT_FORMATS } from '../../src/workflow/export-formats.js';

describe('names as variables', () => {
  it.each([
    ['db:password', 'DB_PASSWORD'],
    ['api.key-2', 'API_KEY_2'],
    ['café', 'CAF_'],
    ['a😀b', 'A_B'],
    ['already_OK', 'ALREADY_OK'],
    ['', ''],
  ])('upper: %j → %j', (name, variable) => {
    expect(toEnvName(name)).toBe(variable);
  });

  it('upper: one character out per code point in, only [A-Z0-9_]', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (name) => {
        const v = toEnvName(name);
        expect(v).toMatch(/^[A-Z0-9_]*$/);
        expect(v.length).toBe([...name].length);
      }),
    );
  });

  it('keep and prefix', () => {
    expect(toEnvName('Db_Pass', { style: 'keep' })).toBe('Db_Pass');
    expect(toEnvName('db:x', { prefix: 'APP_' })).toBe('APP_DB_X');
    expect(toEnvName('1st', { prefix: 'V' })).toBe('V1ST');
  });

  it('every mapped name is valid, or reported; collisions list every name', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 12 }), (names) => {
        const unique = [...new Set(names)];
        const r = mapEnvNames(unique);
        const invalid = new Set(r.invalid.map((m) => m.name));
        const collided = new Set(r.collisions.flatMap((c) => c.names));
        const seen = new Map<string, number>();
        for (const m of r.mappings) {
          if (VALID_ENV_NAME.test(m.variable))
            seen.set(m.variable, (seen.get(m.variable) ?? 0) + 1);
          else expect(invalid.has(m.name)).toBe(true);
        }
        for (const m of r.mappings) {
          if ((seen.get(m.variable) ?? 0) > 1) expect(collided.has(m.name)).toBe(true);
        }
        expect(describeEnvProblems(r) === null).toBe(invalid.size === 0 && collided.size === 0);
      }),
    );
  });
});

describe('small pieces', () => {
  it('get --format lists exactly json, text and the export formats', () => {
    expect(GET_FORMATS).toEqual(['json', 'text', ...EXPORT_FORMATS]);
  });

  it('displayPath: relative inside the working directory, absolute outside', () => {
    expect(displayPath('/a/b/c.json', '/a')).toBe('b/c.json');
    expect(displayPath('/a/c.json', '/a/b')).toBe('/a/c.json');
    expect(displayPath('/a', '/a')).toBe('.');
  });

  it('resolveSetting: flag, then the first environment variable set, then the file', () => {
    const project = {
      path: '/p/.ssclient.json',
      settings: { region: 'file-r', store: '/p/s.json' },
    };
    expect(resolveSetting('region', 'flag-r', { AWS_REGION: 'x' }, project, '/p')).toEqual({
      value: 'flag-r',
      source: { kind: 'flag', flag: '--region' },
    });
    expect(
      resolveSetting(
        'region',
        undefined,
        { AWS_REGION: 'aws', SSCLIENT_REGION: 'ss' },
        project,
        '/p',
      ),
    ).toEqual({ value: 'ss', source: { kind: 'env', variable: 'SSCLIENT_REGION' } });
    expect(resolveSetting('region', undefined, { SSCLIENT_REGION: '' }, project, '/p')).toEqual({
      value: 'file-r',
      source: { kind: 'project', path: '/p/.ssclient.json' },
    });
    expect(resolveSetting('store', undefined, {}, project, '/p').value).toBe('s.json');
    expect(resolveSetting('profile', undefined, {}, project, '/p')).toEqual({
      value: undefined,
      source: { kind: 'default' },
    });
  });
});
