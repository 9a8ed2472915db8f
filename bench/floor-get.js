// The least a Node.js program does to answer `ssclient -s VAULT -k KEY get NAME`, for the bench's
// start-up row (docs/benchmarks.md, "The CLI"): read the PEM key file and the vault, parse it
// with JSON.parse, check the secret's HMAC-SHA1 and decrypt it (AES-128-CBC, spec/format.md),
// print it. No option parsing, no checks of the vault's shape or sentinel, no error messages,
// no seal: what is left is node's start, loading node:crypto, and the I/O. Not a tool.
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [vaultPath, keyPath, name] = process.argv.slice(2);
const pem = readFileSync(keyPath, 'latin1');
const key = Buffer.from(pem.replace(/-----[^-]*-----|\s/g, ''), 'base64');
const blob = JSON.parse(readFileSync(vaultPath, 'utf8')).secrets[name];
const [iv, mac, payload] = [blob.iv, blob.hmac, blob.payload].map((b) => Buffer.from(b, 'base64'));
const hmac = createHmac('sha1', key.subarray(16)).update(iv).update(payload).digest();
if (!timingSafeEqual(hmac, mac)) process.exit(1);
const decipher = createDecipheriv('aes-128-cbc', key.subarray(0, 16), iv);
process.stdout.write(`${Buffer.concat([decipher.update(payload), decipher.final()]).toString()}\n`);
