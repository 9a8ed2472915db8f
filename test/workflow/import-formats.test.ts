/**
 * The import parsers (src/workflow/import-formats.ts): each of our export formats read back
 * exactly over generated hostile names and values, then what other tools write (credstash
 * getall, decrypted sops YAML/JSON, dotenvx), and bad input refused in one line without values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJson, toSecretValue } from '../../src/cli/output.js';
import { isSecureStoreError } from '../../src/errors.js';
import { toEnvValues } from '../../src/workflow/env-values.js';
import {
  dotenvQuote,
  formatCsv,
  formatDotenv,
  formatShell,
  formatYaml,
} from '../../src/workflow/export-formats.js';
import {
  guessImportFormat,
  type ImportFormat,
  parseImport,
} from '../../src/workflow/import-formats.js';
import { hostileText } from '../helpers/arbitraries.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const varName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const textValue = hostileText.filter((v) => !v.includes('\0'));

async function parsed(format: ImportFormat, text: string | Uint8Array) {
  const r = await parseImport(format, typeof text === 'string' ? utf8(text) : text, 'in');
  return r.secrets.map((s) => [s.name, Buffer.from(s.bytes).toString('utf8')]);
}

async function refusal(format: ImportFormat, text: string): Promise<string> {
  try {
    await parseImport(format, utf8(text), 'in.txt');
  } catch (err) {
    expect(isSecureStoreError(err, 'ERR_IMPORT')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

const isText = (b: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

describe('our exports read back exactly', () => {
  const entries = fc.uniqueArray(fc.tuple(varName, textValue), {
    selector: ([n]) => n,
    maxLength: 8,
  });

  it("shell (export NAME='…', with '\\'' inside)", async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const text = formatShell(
          toEnvValues(
            list.map(([name, v]) => ({ name, bytes: utf8(v) })),
            { style: 'keep' },
          ),
        );
        expect(await parsed('dotenv', text)).toEqual(list);
      }),
      { numRuns: 300 },
    );
  });

  it('dotenv (every value it writes)', async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const kept = list.filter(([, v]) => typeof dotenvQuote(v) === 'string');
        const text = formatDotenv(
          toEnvValues(
            kept.map(([name, v]) => ({ name, bytes: utf8(v) })),
            { style: 'keep' },
          ),
        );
        expect(await parsed('dotenv', text)).toEqual(kept);
      }),
      { numRuns: 300 },
    );
  });

  const anyValue = fc.oneof(textValue.map(utf8), fc.uint8Array({ maxLength: 24 }));
  const anyEntries = fc.uniqueArray(fc.tuple(textValue, anyValue), {
    selector: ([n]) => n,
    maxLength: 8,
  });

  it('json (get --all: text, and binary as byte arrays) and yaml (!!binary)', async () => {
    await fc.assert(
      fc.asyncProperty(anyEntries, async (list) => {
        const secrets = list.map(([name, bytes]) => ({ name, bytes }));
        const json = formatJson(secrets.map((s) => toSecretValue(s.name, s.bytes)));
        const yaml = await formatYaml(secrets);
        for (const [format, text] of [
          ['json', json],
          ['yaml', yaml],
        ] as const) {
          const back = (await parseImport(format, utf8(text), 'in')).secrets;
          expect(back.map((s) => [s.name, Buffer.from(s.bytes)])).toEqual(
            list.map(([n, b]) => [n, Buffer.from(b)]),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('csv (text values; --binary base64 writes base64 text, which is read as text)', async () => {
    await fc.assert(
      fc.asyncProperty(anyEntries, async (list) => {
        const text = list.filter(([, b]) => isText(b));
        const csv = formatCsv(text.map(([name, bytes]) => ({ name, bytes })));
        const back = (await parseImport('csv', utf8(csv), 'in')).secrets;
        expect(back.map((s) => [s.name, Buffer.from(s.bytes)])).toEqual(
          text.map(([n, b]) => [n, Buffer.from(b)]),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('what other tools write', () => {
  it('credstash getall: a JSON object of names to values', async () => {
    expect(await parsed('json', '{"db.password": "p w", "api.key": "k", "n": 5432}\n')).toEqual([
      ['db.password', 'p w'],
      ['api.key', 'k'],
      ['n', '5432'],
    ]);
  });

  it('a decrypted sops file: nested names are dotted, the sops metadata is skipped', async () => {
    const yaml = [
      'db:',
      '    user: admin',
      '    password: "s3cr#t: x"',
      '    port: 0x1F',
      'api_key: abc',
      'sops:',
      '    version: 3.9.0',
      '    mac: ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]',
      '',
    ].join('\n');
    const r = await parseImport('yaml', utf8(yaml), 'secrets.dec.yaml');
    expect(r.secrets.map((s) => [s.name, Buffer.from(s.bytes).toString()])).toEqual([
      ['db.user', 'admin'],
      ['db.password', 's3cr#t: x'],
      ['db.port', '0x1F'],
      ['api_key', 'abc'],
    ]);
    expect(r.skipped).toEqual(['sops (the metadata of a sops file)']);
    const json = '{"db": {"password": "x"}, "sops": {"version": "3.9.0"}}';
    expect(await parsed('json', json)).toEqual([['db.password', 'x']]);
    expect(await refusal('yaml', 'a: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]\n')).toBe(
      '"a" in in.txt is still encrypted by sops: import the output of "sops -d"',
    );
  });

  it('a decrypted dotenvx file: its public key is skipped; an encrypted value is refused', async () => {
    const env = [
      '#/-------------------[DOTENV_PUBLIC_KEY]--------------------/',
      '#/            public-key encryption for .env files          /',
      '#/----------------------------------------------------------/',
      'DOTENV_PUBLIC_KEY="03f2a1"',
      '',
      '# .env',
      'HELLO="World"',
      'MULTI="a\\nb"',
      "export RAW='$NOT_EXPANDED'",
      'PLAIN=two words # a comment',
      'EMPTY=',
      'WIN=C:\\Users\\me',
      '',
    ].join('\n');
    const r = await parseImport('dotenv', utf8(env), '.env');
    expect(r.secrets.map((s) => [s.name, Buffer.from(s.bytes).toString()])).toEqual([
      ['HELLO', 'World'],
      ['MULTI', 'a\nb'],
      ['RAW', '$NOT_EXPANDED'],
      ['PLAIN', 'two words'],
      ['EMPTY', ''],
      ['WIN', 'C:\\Users\\me'],
    ]);
    expect(r.skipped).toEqual(["DOTENV_PUBLIC_KEY (dotenvx's public key, not a secret)"]);
    expect(await refusal('dotenv', 'A="encrypted:BD9paBaun2284WcqdFQZUlDKapPiuE/ruoLY"\n')).toBe(
      '"A" in in.txt is still encrypted by dotenvx: import the output of "dotenvx decrypt --stdout"',
    );
  });

  it('CRLF line ends between entries; a carriage return inside quotes is kept', async () => {
    expect(await parsed('dotenv', "A=1\r\nB='x\r\ny'\r\n")).toEqual([
      ['A', '1'],
      ['B', 'x\r\ny'],
    ]);
  });
});

describe('bad input: one line naming the file and line, never a value', () => {
  it.each([
    ['dotenv', "A=1\nB='secret-value\n", "in.txt line 2: the value of B has no closing '"],
    ['dotenv', 'A=1\n  = secret-value\n', 'in.txt line 2: expected NAME=value'],
    [
      'dotenv',
      'A secret-value\n',
      'in.txt line 1: expected NAME=value, found no = after the first word (not shown: it may be a value)',
    ],
    // A value alone on a line (a password pasted there, a PEM's next line) is not a name to show.
    [
      'dotenv',
      'A=1\nsecret-value\n',
      'in.txt line 2: expected NAME=value, found no = after the first word (not shown: it may be a value)',
    ],
    ['dotenv', "A='x' secret-value\n", 'in.txt line 1: unexpected text after the value of A'],
    ['dotenv', 'A=1\nA=2\n', 'in.txt sets "A" more than once'],
    [
      'json',
      '{"a": "secret-value",}',
      'in.txt is not JSON: expected a quoted name at line 1, column 22',
    ],
    // JSON's reason names the character found, which could be a value's: left out.
    ['json', '{"a": secret-value}', 'in.txt is not JSON: unexpected character at line 1, column 7'],
    ['json', '{"a": ["secret-value"]}', 'in.txt: "a" is a list, not a value'],
    ['json', '{"a": null}', 'in.txt: "a" is null, not a value'],
    [
      'json',
      '"secret-value"',
      'in.txt: expected an object of names to values, or our get --all array',
    ],
    [
      'json',
      '[{"key": "a", "value": [256]}]',
      'in.txt: item 1: the value of "a" is neither a string nor an array of bytes',
    ],
    [
      'yaml',
      'a: secret-value\na: other\n',
      'in.txt is not YAML: Map keys must be unique at line 2, column 1',
    ],
    ['yaml', '- secret-value\n', 'in.txt: expected a mapping of names to values'],
    [
      'csv',
      'name,value\n"a","secret-value\n',
      'in.txt is not CSV (line 2): a quoted field is never closed',
    ],
    [
      'csv',
      'name,value\n"a","secret"-value"\n',
      'in.txt is not CSV (line 2): a quote inside a quoted field is not doubled',
    ],
    [
      'csv',
      'name,value\na,secret-value,x\n',
      'in.txt is not CSV (line 2): a record has another number of fields than the first',
    ],
    ['csv', 'user,pass\na,secret-value\n', 'in.txt: the first row must be the header name,value'],
  ] as const)('%s: %j', async (format, text, message) => {
    const got = await refusal(format, text);
    expect(got).toBe(message);
    expect(got).not.toContain('secret-value');
    expect(got).not.toContain('"s"');
  });

  it('not UTF-8', async () => {
    await expect(parseImport('dotenv', Uint8Array.of(0x41, 0x3d, 0xff), 'x.env')).rejects.toThrow(
      'x.env is not UTF-8 text',
    );
  });

  it('the format is guessed from the file name', () => {
    expect(
      [
        '.env',
        '.env.production',
        'prod.env',
        'vars.sh',
        'prod.dotenv',
        'a.JSON',
        's.yaml',
        's.yml',
        'x.csv',
        'x.txt',
      ].map(guessImportFormat),
    ).toEqual([
      'dotenv',
      'dotenv',
      'dotenv',
      'dotenv',
      'dotenv',
      'json',
      'yaml',
      'yaml',
      'csv',
      null,
    ]);
  });
});
