/* global module */
/**
 * The import boundaries of src/ (the layer order of the layout; low to high):
 *   errors.ts, version.ts < format/, crypto/, io/ < keys/, age/ < vault/, kms/ < auth.ts
 *   < workflow/, git/, rekey/ < cli/ ; index.ts is the public surface, imported by nothing.
 * An import may only point down. Type-only imports count (keys/ must not even name a kms/ type).
 * Run by `npm run lint:imports`; test/import-boundaries.test.ts shows it failing on a
 * wrong-way import and on a cycle.
 */
const below = (folders) => `^src/(?!(${folders.join('|')})(/|\\.ts$))`;
const layer = (name, from, allowed) => ({
  name,
  severity: 'error',
  comment: `${from} may import only ${allowed.join(', ')}`,
  from: { path: `^src/${from}` },
  to: { path: below(allowed) },
});
const base = ['errors', 'version'];

module.exports = {
  forbidden: [
    layer('leaves', '(errors|version)\\.ts', base),
    layer('format', 'format/', [...base, 'format']),
    layer('crypto', 'crypto/', [...base, 'crypto']),
    // io/ takes random temp-file names from crypto/, the only importer of node:crypto.
    layer('io', 'io/', [...base, 'crypto', 'io']),
    layer('keys', 'keys/', [...base, 'format', 'crypto', 'io', 'keys']),
    layer('vault', 'vault/', [...base, 'format', 'crypto', 'io', 'keys', 'vault']),
    // age/ (spec/kms-key-file.md §10): the age provider, below kms/, which loads it lazily.
    layer('age', 'age/', [...base, 'format', 'crypto', 'io', 'age']),
    layer('kms', 'kms/', [...base, 'format', 'crypto', 'io', 'keys', 'age', 'kms']),
    layer('auth', 'auth\\.ts', [...base, 'format', 'crypto', 'io', 'keys', 'vault', 'age', 'kms']),
    layer('features', '(workflow|git|rekey)/', [
      ...base,
      'format',
      'crypto',
      'io',
      'keys',
      'vault',
      'age',
      'kms',
      'auth',
      'workflow',
      'git',
      'rekey',
    ]),
    {
      name: 'index-is-the-surface',
      severity: 'error',
      comment: 'src/index.ts is what the package exports; nothing inside imports it',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'bodies-never-import-registrations',
      severity: 'error',
      comment: 'cli/actions/ (command bodies) never import cli/commands/ (registrations)',
      from: { path: '^src/cli/actions/' },
      to: { path: '^src/cli/commands/' },
    },
    {
      name: 'registrations-load-bodies-lazily',
      severity: 'error',
      comment: 'cli/commands/ takes a body with a dynamic import, or only its types',
      from: { path: '^src/cli/commands/' },
      to: { path: '^src/cli/actions/', dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
    {
      name: 'only-crypto-imports-node-crypto',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/crypto/' },
      to: { path: '^(node:)?crypto$' },
    },
    {
      name: 'only-aws-kms-imports-the-sdk',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/kms/aws-kms\\.ts$' },
      to: { path: '@aws-sdk/client-kms' },
    },
    {
      name: 'only-age-imports-age-encryption',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/age/age\\.ts$' },
      to: { path: 'age-encryption' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycle between modules (type-only imports included)',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types'] },
  },
};
