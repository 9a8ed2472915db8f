/**
 * One process of the fleet simulation (bench/fleet.js): loads the library, says `ready`, waits at
 * the start line for `go` on stdin, then opens the vault with its wrapped key file, reads one
 * secret, checks it and says `ok` (or `fail: <the error's one line>`), and exits.
 *
 *   node bench/fleet-child.js VAULT KEY_FILE NAME EXPECTED [KMS_OPTIONS_JSON]
 *
 * The SDK is loaded and warmed before `ready` (the library would load it lazily at its first KMS
 * call): on a real fleet every process starts on its own CPU, so all of them call Decrypt within
 * the same moment; on two cores they can only start one after another, so each one's start-up is
 * done before the start line and the wave's Decrypts are released together.
 */
import { SecretsManager } from '../dist/index.js';

const [vaultPath, keyFile, name, expected, kmsJson] = process.argv.slice(2);
const kms = kmsJson === undefined ? undefined : JSON.parse(kmsJson);

// Warm the SDK: one ListAliases (not a cryptographic operation: neither limited nor counted)
// loads what a first call needs (credential chain, endpoint rules, signer, HTTP handler). A
// process on its own machine does that work on its own CPU; here 100 processes released together
// would otherwise do it at once on two cores, and the wave's Decrypts would be spread out by CPU
// starvation instead of arriving together.
const { KMSClient, ListAliasesCommand } = await import('@aws-sdk/client-kms');
const warm = new KMSClient({});
await warm.send(new ListAliasesCommand({ Limit: 1 }));
warm.destroy();

process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();

try {
  const vault = await SecretsManager.fromFile(vaultPath, {
    keyFile,
    ...(kms !== undefined ? { kms } : {}),
  });
  const value = vault.get(name);
  vault.close();
  if (value !== expected) throw new Error(`${name}: read a different value`);
  process.stdout.write('ok\n');
} catch (err) {
  const code = err?.code ?? err?.name ?? 'Error';
  process.stdout.write(`fail: ${code}: ${String(err?.message).replace(/\s+/g, ' ')}\n`);
  process.exitCode = 1;
}
