#!/usr/bin/env node
/**
 * The KMS test server (test/kms-server/server.ts) outside vitest, for `npm run fleet` and for
 * trying things by hand:
 *
 *   node bench/kms-server.js [--port P] [--rate R] [--burst B] [--region REGION ...]
 *
 * listens on 127.0.0.1 (port 0: any free port) and prints one line, its URL; it runs until it is
 * killed (SIGINT/SIGTERM close it). `--rate` limits the cryptographic operations to R requests per
 * second (a token bucket of B, default R), only in the `--region`s given (default: every region).
 * The control API (CONTRIBUTING.md, "The KMS test server") works as under vitest: `throttle-stats` reads the
 * counters.
 *
 * The server is TypeScript and Node 20 cannot run TypeScript, so its two files are transpiled
 * (types dropped, nothing checked: `npm run typecheck` does that) into a temporary directory with
 * the compiler the project already has, and imported from there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const SERVER_DIR = fileURLToPath(new URL('../test/kms-server/', import.meta.url));
const FILES = ['server.ts', 'throttle.ts'];

/**
 * Imports test/kms-server/server.ts, transpiled; the temporary copy is removed once loaded.
 * @returns the module (startKmsServer, TEST_CREDENTIALS, ...)
 */
export async function loadKmsServer() {
  const dir = mkdtempSync(join(os.tmpdir(), 'securestore-kms-server-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    for (const file of FILES) {
      const source = readFileSync(join(SERVER_DIR, file), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), outputText);
    }
    return await import(pathToFileURL(join(dir, 'server.js')).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseArgs(argv) {
  const out = { port: 0, rate: undefined, burst: undefined, regions: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const number = () => {
      const n = Number(value);
      if (value === undefined || !Number.isFinite(n) || n < 0) {
        throw new Error(`${flag}: expected a number, got ${value ?? 'nothing'}`);
      }
      i++;
      return n;
    };
    if (flag === '--port') out.port = number();
    else if (flag === '--rate') out.rate = number();
    else if (flag === '--burst') out.burst = number();
    else if (flag === '--region' && value !== undefined) {
      out.regions.push(value);
      i++;
    } else throw new Error(`unknown argument ${flag}`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`kms-server: ${err.message}\n`);
    process.exit(2);
  }
  const { startKmsServer } = await loadKmsServer();
  const throttle =
    args.rate === undefined
      ? undefined
      : {
          rate: args.rate,
          ...(args.burst !== undefined ? { burst: args.burst } : {}),
          ...(args.regions.length > 0 ? { regions: args.regions } : {}),
        };
  const server = await startKmsServer({
    port: args.port,
    ...(throttle !== undefined ? { throttle } : {}),
  });
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
