/**
 * Stdout byte for byte as the reference prints it (spec/cli.md §2), for every shared vector:
 * `get NAME` (value + newline, `base64:` for non-UTF-8), `get --all` as serde_json's pretty JSON
 * (identical to `JSON.stringify(list, null, 2)` plus a newline: 2-space indent, byte arrays one
 * number per line, `[]` when empty) and as `name: value` text. The expected bytes are built here
 * from the manifests, independently of src/cli/output.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySource } from '../../src/auth.js';
import { SecretsManager } from '../../src/vault/secrets-manager.js';
import { runCli, runProcess } from '../helpers/cli.js';
import {
  type Manifest,
  manifests,
  NEGATIVE,
  negativeCases,
  tempDir,
  VECTORS,
} from '../helpers/vaults.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The reference's reading of a value: its text, or null when the bytes are not UTF-8. */
function textOf(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Names in UTF-8 byte order (the reference's order), not JavaScript's UTF-16 order. */
function byteOrder(names: string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function expectedGet(bytes: Buffer): Buffer {
  const text = textOf(bytes);
  return Buffer.from(`${text ?? `base64:${bytes.toString('base64')}`}\n`);
}

function expectedJson(secrets: Record<string, Buffer>): Buffer {
  const list = byteOrder(Object.keys(secrets)).map((key) => {
    const bytes = secrets[key]!;
    return { key, value: textOf(bytes) ?? [...bytes] };
  });
  return Buffer.from(`${JSON.stringify(list, null, 2)}\n`);
}

function expectedText(secrets: Record<string, Buffer>): Buffer {
  return Buffer.concat(
    byteOrder(Object.keys(secrets)).map((name) =>
      Buffer.concat([Buffer.from(`${name}: `), expectedGet(secrets[name]!)]),
    ),
  );
}

/** The auth arguments for a vector: its key file if it has one (fast), else its password. */
function authArgs(m: Manifest): string[] {
  if (m.keyfile !== null) return ['-k', join(VECTORS, m.keyfile)];
  return ['-p', m.password ?? ''];
}

const scratch = tempDir('ssclient-vec-');

function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of [VECTORS, NEGATIVE]) {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      const st = statSync(p);
      if (st.isFile()) out[p] = `${st.mtimeMs} ${readFileSync(p).toString('base64')}`;
    }
  }
  return out;
}
const fixturesBefore = snapshot();
afterAll(() => scratch.cleanup());

describe.each(manifests())('stdout for vector $vault', (m) => {
  const store = join(VECTORS, m.vault);
  const base = ['-s', store, ...authArgs(m)];
  const secrets = Object.fromEntries(
    Object.entries(m.secrets_base64).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  );
  const names = Object.keys(secrets);
  // 09 has 1000 secrets: every 37th name is enough to cover every value length.
  const sample = names.length > 100 ? names.filter((_, i) => i % 37 === 0) : names;
  // Per-name reads of a password-only vault use its equivalent key (one PBKDF2, not one per
  // name); the password itself is used by the --all reads below.
  let fast = base;
  beforeAll(async () => {
    if (m.keyfile !== null) return;
    const keyFile = join(scratch.dir, `${m.vault}.key`);
    const vault = await SecretsManager.fromFile(store, { password: m.password ?? '' });
    await vault.exportKey(keyFile);
    vault.close();
    fast = ['-s', store, '-k', keyFile];
  });

  it('get NAME prints the value and a newline (in-process)', async () => {
    const mtime = statSync(store).mtimeMs;
    for (const name of sample) {
      const r = await runCli([...fast, 'get', name], { cwd: scratch.dir });
      expect(r.code, name).toBe(0);
      expect(r.stdoutBytes.equals(expectedGet(secrets[name]!)), name).toBe(true);
      expect(r.stderr).toBe('');
    }
    for (const name of m.absent_names) {
      const r = await runCli([...fast, 'get', name], { cwd: scratch.dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`error: no secret named ${JSON.stringify(name)} in ${store}\n`);
    }
    expect(statSync(store).mtimeMs).toBe(mtime); // reading never rewrites
  });

  it('get --all (json by default) as a real process', () => {
    const json = runProcess([...base, 'get', '--all'], { cwd: scratch.dir });
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(json.stdoutBytes.equals(expectedJson(secrets))).toBe(true);
  });

  it('get -a --format json and --format text (in-process)', async () => {
    const json = await runCli([...base, 'get', '--format', 'json', '-a'], { cwd: scratch.dir });
    expect(json.code).toBe(0);
    expect(json.stdoutBytes.equals(expectedJson(secrets))).toBe(true);
    const text = await runCli([...base, 'get', '-a', '--format', 'text'], { cwd: scratch.dir });
    expect(text.code).toBe(0);
    expect(text.stdoutBytes.equals(expectedText(secrets))).toBe(true);
  });
});

describe('real processes print the same bytes', () => {
  it('get NAME and get --all --format text for the unicode and whitespace vectors', () => {
    for (const m of manifests().filter((v) => /^(05|10)-/.test(v.vault))) {
      const base = ['-s', join(VECTORS, m.vault), ...authArgs(m)];
      const secrets = Object.fromEntries(
        Object.entries(m.secrets_base64).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      );
      const text = runProcess([...base, 'get', '-a', '--format', 'text'], { cwd: scratch.dir });
      expect(text.stdoutBytes.equals(expectedText(secrets))).toBe(true);
      const name = Object.keys(secrets)[0]!;
      const one = runProcess([...base, 'get', name], { cwd: scratch.dir });
      expect(one.stdoutBytes.equals(expectedGet(secrets[name]!))).toBe(true);
    }
  });
});

describe('exact bytes for known shapes', () => {
  it('an empty vault prints [] in json and nothing in text', async () => {
    const args = ['-s', join(VECTORS, '16-empty-vault.json'), '-p', 'nothing-here', 'get', '-a'];
    expect((await runCli(args, { cwd: scratch.dir })).stdout).toBe('[]\n');
    const text = await runCli([...args, '--format', 'text'], { cwd: scratch.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('');
  });

  it('the empty name and the empty value (vector 04)', async () => {
    const args = ['-s', join(VECTORS, '04-empty.json'), '-p', 'emptyvalues'];
    expect((await runCli([...args, 'get', ''], { cwd: scratch.dir })).stdout).toBe(
      'secret with the empty string as its name\n',
    );
    expect((await runCli([...args, 'get', 'empty'], { cwd: scratch.dir })).stdout).toBe('\n');
    expect(
      (await runCli([...args, 'get', '-a', '--format', 'text'], { cwd: scratch.dir })).stdout,
    ).toBe(': secret with the empty string as its name\nempty: \nx: x\n');
    expect((await runCli([...args, 'get', '-a'], { cwd: scratch.dir })).stdout).toBe(
      '[\n  {\n    "key": "",\n    "value": "secret with the empty string as its name"\n  },\n' +
        '  {\n    "key": "empty",\n    "value": ""\n  },\n  {\n    "key": "x",\n    "value": "x"\n  }\n]\n',
    );
  });

  it('control characters: raw in text, escaped serde-style in json (vector 05 "controls")', async () => {
    const args = [
      '-s',
      join(VECTORS, '05-unicode-values.json'),
      '-k',
      join(VECTORS, '05-unicode-values.key'),
    ];
    const get = await runCli([...args, 'get', 'controls'], { cwd: scratch.dir });
    expect(get.stdout).toBe('tab\there, bell\u0007, esc\u001b[0m, del\u007f, unit-sep\u001f\n');
    const json = await runCli([...args, 'get', '-a'], { cwd: scratch.dir });
    expect(json.stdout).toContain(
      '"value": "tab\\there, bell\\u0007, esc\\u001b[0m, del\u007f, unit-sep\\u001f"',
    );
    expect(json.stdout).toContain('"value": "a\u2028b\u2029c\u0085d"');
    // a value that starts with U+FEFF keeps it
    const bom = await runCli([...args, 'get', 'bom_and_zw'], { cwd: scratch.dir });
    expect(bom.stdoutBytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('negative vectors: the reference exit code and stdout, one error line, no stack', async () => {
    // every case in-process; a failing and a succeeding one also as real processes
    const asProcess = new Set(['wrong-password.json', 'tampered-other-secret-ok.json']);
    for (const c of negativeCases()) {
      const argv = c.ssclient_argv.slice(1).map((a) => (a === c.vault ? join(NEGATIVE, a) : a));
      const r = asProcess.has(c.vault)
        ? runProcess(argv, { cwd: scratch.dir })
        : await runCli(argv, { cwd: scratch.dir });
      expect(r.code, c.vault).toBe(c.expected_exit_code);
      expect(r.stdout, c.vault).toBe(c.expected_stdout);
      if (c.expected_exit_code !== 0) {
        expect(r.stderr, c.vault).toMatch(/^error: [^\n]+\n$/);
        expect(r.stderr).toContain(c.vault);
        expect(r.stderr).not.toContain(c.password);
      }
    }
  });

  it('where the reference crashes: a secret failing its MAC during get --all is exit 1, nothing printed', async () => {
    for (const format of ['json', 'text']) {
      const r = await runCli(
        [
          '-s',
          join(NEGATIVE, 'tampered-other-secret-ok.json'),
          '-p',
          'correct horse battery staple',
          'get',
          '-a',
          '--format',
          format,
        ],
        { cwd: scratch.dir },
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: [^\n]*tampered-other-secret-ok\.json[^\n]*\n$/);
    }
  });
});

describe('export-key writes the same bytes as the reference', () => {
  it.each([
    ['02-password-exported-key.json', ['-p', 'hunter2hunter2'], '02-password-exported-key.key'],
    ['17-export-key-later.json', ['-p', 'export me later'], '17-export-key-later.key'],
    [
      '12-legacy-binary-key.json',
      ['-k', join(VECTORS, '12-legacy-binary-key.bin.key')],
      '12-legacy-binary-key.pem.key',
    ],
    ['03-key-only.json', ['--key-file', join(VECTORS, '03-key-only.key')], '03-key-only.key'],
  ])('%s', (vault, auth, reference) => {
    const out = join(scratch.dir, `export-${vault}.key`);
    const r = runProcess(['-s', join(VECTORS, vault), ...auth, 'export-key', out, '--no-vcs'], {
      cwd: scratch.dir,
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect(readFileSync(out)).toEqual(readFileSync(join(VECTORS, reference)));
  });
});

describe('binary (non-UTF-8) values', () => {
  const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
  const binary = {
    invalid: Buffer.from([0xff, 0xfe, 0x00, 0x41]),
    lone_continuation: Buffer.from([0x80]),
    overlong: Buffer.from([0xc0, 0xaf]),
    surrogate: Buffer.from([0xed, 0xa0, 0x80]),
    truncated: Buffer.from('caf\xc3', 'latin1'),
    text: Buffer.from('plain'),
    empty: Buffer.alloc(0),
  };

  async function binaryVault(): Promise<{ store: string; keyFile: string }> {
    const dir = tempDir('ssclient-bin-');
    afterAll(() => dir.cleanup());
    const store = join(dir.dir, 'bin.json');
    const keyFile = join(dir.dir, 'bin.key');
    const vault = await SecretsManager.create(KeySource.fromKey(key));
    for (const [name, bytes] of Object.entries(binary)) vault.set(name, new Uint8Array(bytes));
    await vault.saveAs(store);
    await vault.exportKey(keyFile);
    vault.close();
    return { store, keyFile };
  }

  it('get prints base64:, get --all prints byte arrays (json) and base64: (text)', async () => {
    const { store, keyFile } = await binaryVault();
    const base = ['-s', store, '-k', keyFile];
    for (const [name, bytes] of Object.entries(binary)) {
      const r = await runCli([...base, 'get', name], { cwd: scratch.dir });
      expect(r.stdoutBytes.equals(expectedGet(bytes)), name).toBe(true);
    }
    expect((await runCli([...base, 'get', 'invalid'], { cwd: scratch.dir })).stdout).toBe(
      'base64://4AQQ==\n',
    );
    const json = runProcess([...base, 'get', '-a'], { cwd: scratch.dir });
    expect(json.stdoutBytes.equals(expectedJson(binary))).toBe(true);
    expect(json.stdout).toContain(
      '    "key": "invalid",\n    "value": [\n      255,\n      254,\n      0,\n      65\n    ]\n',
    );
    expect(json.stdout).toContain('    "key": "empty",\n    "value": ""\n');
    const text = runProcess([...base, 'get', '-a', '--format', 'text'], { cwd: scratch.dir });
    expect(text.stdoutBytes.equals(expectedText(binary))).toBe(true);
    expect(text.stdout).toContain('lone_continuation: base64:gA==\n');
  });
});

it('no command above changed a fixture (bytes and mtime)', () => {
  expect(snapshot()).toEqual(fixturesBefore);
});
