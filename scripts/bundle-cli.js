// Bundles the CLI (dist/cli/process-main.js, as tsc built it, and everything it imports, eagerly
// or lazily) into one CommonJS file, dist/cli/ssclient.cjs, which bin/ssclient.js loads. One file
// instead of a module graph saves about a fifth of a short command's CPU time on Node 20, 22 and
// 24 (docs/benchmarks.md, "The CLI"). CommonJS, because in an ES module bundle esbuild hoists
// every package import to the top (so commander would load for `get`), while `require` stays
// where the code runs it; packages stay external, and those loaded with `import()` (the AWS
// SDK, age-encryption, yaml, csv-parse, prompts) still load only when used. Modules the CLI
// imports with `import()` become lazily initialised parts of the file, so a command still runs
// the top-level code only of what it uses. Any warning fails the build: a construct that does
// not survive the move to CommonJS (top-level await, another use of import.meta) must be seen.
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['dist/cli/process-main.js'],
  outfile: 'dist/cli/ssclient.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  // The two `new URL(…, import.meta.url)` of the CLI (help.ts: docs/; git/install.ts:
  // bin/ssclient.js) resolve from dist/cli/, where the bundle is too.
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl' },
  logLevel: 'silent',
});
const problems = [...result.errors, ...result.warnings];
if (problems.length > 0) {
  for (const p of problems) {
    const where = p.location ? `${p.location.file}:${p.location.line}: ` : '';
    process.stderr.write(`bundle-cli: ${where}${p.text}\n`);
  }
  process.exit(1);
}
