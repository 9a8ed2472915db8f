#!/usr/bin/env node
/**
 * `node bench/lib-floor.js [--runs N] [--previous DIR]` (after `npm run build`): the two library
 * rows of the goals (open + `get(name)` of each of 10 000 secrets, open + `getAll()`), beside
 * the floor that `node:crypto` allows for the same work and the peer (@neosmart/securestore), all
 * interleaved in one process on one vault so that the machine's load hits them alike.
 * docs/benchmarks.md, "The library against @neosmart/securestore". `--previous DIR` adds a built
 * checkout of ours (DIR/dist/index.js), for an A/B of a change. Not a test: it asserts nothing
 * but that every secret was read.
 *
 * The floors do the per-secret work of the format (spec/format.md §3: HMAC-SHA1 over iv ‖
 * ciphertext, compared in constant time, then AES-128-CBC) with node:crypto's per-call API and
 * nothing of ours, after the least an open can do (read the file and `JSON.parse` it, which
 * checks nothing):
 *   floor: naive      per secret: base64 decode, createHmac, timingSafeEqual, a fresh
 *                     createDecipheriv with update/final, UTF-8 decode (keys as raw Buffers,
 *                     imported again by every call, or as KeyObjects imported once)
 *   floor: HMAC only  per secret: one createHmac/update/digest and nothing else, no decryption:
 *                     no reader of the format can do less with node:crypto
 */
import { createDecipheriv, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { settle } from './settle.js';

const valueOf = (flag) => {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const RUNS = Number(valueOf('--runs') ?? 15);
const PREVIOUS = valueOf('--previous');

const ours = await import('../dist/index.js');
const previous =
  PREVIOUS === undefined
    ? null
    : await import(pathToFileURL(join(resolve(PREVIOUS), 'dist', 'index.js')).href);
const peer = await import('@neosmart/securestore');

const N = 10_000;
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const KEY_PEM = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(KEY).toString('base64')}\n-----END PRIVATE KEY-----\n`;
const names = Array.from({ length: N }, (_, i) => `secret-${String(i).padStart(6, '0')}`);

const dir = mkdtempSync(join(os.tmpdir(), 'lib-floor-'));
try {
  const keyFile = join(dir, 'bench.key');
  writeFileSync(keyFile, KEY_PEM, { mode: 0o600 });
  const path = join(dir, 'vault.json');
  const made = await ours.SecretsManager.create(ours.KeySource.fromKey(KEY), { seal: false });
  names.forEach((name, i) => made.set(name, `value ${i} of the benchmark vault`.padEnd(40, '.')));
  await made.saveAs(path);
  made.close();
  const auth = { keyFile };
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  const openFloor = async () => {
    const doc = JSON.parse(await readFile(path, 'utf8'));
    await readFile(keyFile);
    return doc;
  };
  const keysAs = (keyObjects) => {
    const aes = Buffer.from(KEY.subarray(0, 16));
    const mac = Buffer.from(KEY.subarray(16));
    return keyObjects ? [createSecretKey(aes), createSecretKey(mac)] : [aes, mac];
  };
  const naive = (keyObjects) => async () => {
    const doc = await openFloor();
    const [aes, mac] = keysAs(keyObjects);
    for (const name of names) {
      const blob = doc.secrets[name];
      const iv = Buffer.from(blob.iv, 'base64');
      const payload = Buffer.from(blob.payload, 'base64');
      const digest = createHmac('sha1', mac).update(iv).update(payload).digest();
      if (!timingSafeEqual(digest, Buffer.from(blob.hmac, 'base64'))) throw new Error('MAC');
      const decipher = createDecipheriv('aes-128-cbc', aes, iv);
      utf8.decode(Buffer.concat([decipher.update(payload), decipher.final()]));
    }
  };
  const hmacOnly = async () => {
    const doc = await openFloor();
    const [, mac] = keysAs(true);
    for (const name of names) {
      const blob = doc.secrets[name];
      createHmac('sha1', mac).update(blob.iv, 'base64').update(blob.payload, 'base64').digest();
    }
  };
  const getEach = (lib) => async () => {
    const vault = await lib.SecretsManager.fromFile(path, auth);
    for (const name of names) if (vault.get(name) === null) throw new Error('lost one');
    vault.close();
  };
  const getAll = (lib) => async () => {
    const vault = await lib.SecretsManager.fromFile(path, auth);
    if (vault.getAll().size !== N) throw new Error('lost some');
    vault.close();
  };

  const rows = [
    ['floor: open (readFile + JSON.parse)', async () => void (await openFloor())],
    ['floor: naive, raw key Buffers', naive(false)],
    ['floor: naive, KeyObjects', naive(true)],
    ['floor: HMAC only', hmacOnly],
    ['ours: open', async () => (await ours.SecretsManager.fromFile(path, auth)).close()],
    ['ours: open + get(name) of each', getEach(ours)],
    ['ours: open + getAll()', getAll(ours)],
  ];
  if (previous !== null) {
    rows.push(['previous: open + get(name) of each', getEach(previous)]);
    rows.push(['previous: open + getAll()', getAll(previous)]);
  }
  rows.push([
    'peer: open + Promise.all(get)',
    async () => {
      const vault = await peer.SecretsManager.fromFile(path, auth);
      const values = await Promise.all(vault.keys().map((k) => vault.get(k)));
      if (values.length !== N) throw new Error('the peer lost secrets');
    },
  ]);

  const times = rows.map(() => []);
  for (let w = 0; w < 2; w++) for (const [, fn] of rows) await fn();
  for (let r = 0; r < RUNS; r++) {
    const order = rows.map((_, j) => (r % 2 === 0 ? j : rows.length - 1 - j));
    for (const j of order) {
      await settle();
      const t0 = performance.now();
      await rows[j][1]();
      times[j].push(performance.now() - t0);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const peerMs = median(times[rows.length - 1]);
  const load = os.loadavg().map((x) => x.toFixed(2));
  console.log(`${N} secrets, Node ${process.version}, median of ${RUNS}, load ${load.join(' ')}`);
  console.log(`${'row'.padEnd(38)} ${'ms'.padStart(7)}  peer ÷ row`);
  rows.forEach(([label], j) => {
    const ms = median(times[j]);
    console.log(`${label.padEnd(38)} ${ms.toFixed(1).padStart(7)}  ${(peerMs / ms).toFixed(1)}`);
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
