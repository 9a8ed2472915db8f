/**
 * The published package as a consumer meets it: `npm pack` of this repository, unpacked into a
 * consumer project's node_modules, then loaded with `require()` from a `.cjs` file and with
 * `import` from a `.mjs` file, in real Node processes (the Node running the suite: 20, 22 or 24
 * in CI). Its runtime dependencies resolve from this repository's node_modules (a symlink), so no
 * network is needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};

let dir: string;
let files: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-consumer-'));
  // --ignore-scripts: the suite runs after `npm run build`; packing must not build again.
  const out = execFileSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((f) => f.path);
  const target = join(dir, 'consumer', 'node_modules', 'securestore-kms');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, packed!.filename), '-C', target, '--strip-components=1']);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runConsumer(
  file: string,
  code: string,
): { status: number | null; out: string; err: string } {
  writeFileSync(join(dir, 'consumer', file), code);
  const r = spawnSync(process.execPath, [file], {
    cwd: join(dir, 'consumer'),
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    timeout: 30_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('the packed package', () => {
  it('lists LICENSE, README, the build, the bin, spec and docs, and no tests or sources', () => {
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('bin/ssclient.js');
    expect(files.some((f) => f.startsWith('spec/'))).toBe(true);
    expect(files.some((f) => f.startsWith('docs/'))).toBe(true);
    expect(files.filter((f) => /^(src|test|bench|fixtures)\//.test(f))).toEqual([]);
  });

  it('loads with require() from a .cjs file, silently, and works without KMS', () => {
    const r = runConsumer(
      'index.cjs',
      `const { SecretsManager, KeySource, SecureStoreError } = require('securestore-kms');
(async () => {
  const vault = await SecretsManager.create(KeySource.generate());
  vault.set('greeting', 'hello');
  const again = await SecretsManager.fromJSON(vault.toJSON(), { key: vault.exportKeyBytes() });
  process.stdout.write(again.get('greeting') + ' ' + (typeof SecureStoreError) + '\\n');
})();`,
    );
    expect(r).toEqual({ status: 0, out: 'hello function\n', err: '' });
  });

  it('node -e "require(...)" prints nothing and exits 0', () => {
    const r = spawnSync(process.execPath, ['-e', "require('securestore-kms')"], {
      cwd: join(dir, 'consumer'),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  it('loads with import from a .mjs file, the same module as require() gives', () => {
    const r = runConsumer(
      'index.mjs',
      `import * as esm from 'securestore-kms';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('securestore-kms');
process.stdout.write(String(esm.SecretsManager === cjs.SecretsManager) + '\\n');`,
    );
    expect(r).toEqual({ status: 0, out: 'true\n', err: '' });
  });

  it('the bin runs from the unpacked package', () => {
    const r = spawnSync(
      process.execPath,
      [join(dir, 'consumer', 'node_modules', 'securestore-kms', 'bin', 'ssclient.js'), '-V'],
      { cwd: join(dir, 'consumer'), encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ssclient \d+\.\d+\.\d+/);
  });
});

describe('declared ranges agree with engines', () => {
  const minMajor = (range: string): number => Number(/>=\s*(\d+)/.exec(range)?.[1]);

  it('engines says Node 20.19 or later: where require(esm) needs no flag', () => {
    expect(pkg.engines.node).toBe('>=20.19.0');
  });

  it('the installed AWS SDK (and every package under @aws-sdk and @smithy) supports our lowest Node', () => {
    const ours = minMajor(pkg.engines.node);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } }>;
    };
    const tooNew = Object.entries(lock.packages)
      .filter(([path]) => /node_modules\/@(aws-sdk|smithy|aws-crypto)\//.test(path))
      .filter(([, p]) => p.engines?.node !== undefined && minMajor(p.engines.node) > ours)
      .map(([path, p]) => `${path} ${p.engines!.node}`);
    expect(tooNew).toEqual([]);
  });

  it('the SDK range has an upper bound, so it cannot float to releases that need a newer Node', () => {
    expect(pkg.dependencies['@aws-sdk/client-kms']).toMatch(/^>=3\.\d+\.\d+ <3\.\d+\.\d+$/);
  });
});
