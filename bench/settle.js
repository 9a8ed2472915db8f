// Full GCs before every timed run, so that neither library is billed for collecting the other's
// garbage (bench/run.js, bench/lib-floor.js). `node bench/…` without --expose-gc gets gc() this way.
import { setImmediate } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

if (typeof globalThis.gc !== 'function') {
  v8.setFlagsFromString('--expose-gc');
  globalThis.gc = vm.runInNewContext('gc');
}

/**
 * Three full GCs with a turn of the event loop between them. One is not enough: objects with
 * native parts (the peer's WebCrypto keys and jobs, each Hmac of ours) are freed by callbacks
 * that run after a GC, and what they let go is only collected by the next one. Measured on
 * 10 000 secrets: ours took 54 ms after its own round and 72 ms after the peer's with one GC,
 * 46 and 48 ms with this.
 */
export async function settle() {
  for (let i = 0; i < 3; i++) {
    if (i > 0) await setImmediate();
    globalThis.gc();
  }
}
