// spec/format.md §5 (canonical layout, §5.2 order) and §8 (saving): SecretsManager against a plain Map, model-based.
/**
 * Model-based run: random sequences of set / delete / get / keys / save / reopen on a real vault
 * file behave exactly like a Map (for the current state) plus a copy taken at each save (what a
 * reopen must find).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KeySource, SecretsManager } from '../../src/index.js';
import { nameArb, utf8Sorted, type Value, valueArb } from '../helpers/arbitraries.js';
import { tempDir } from '../helpers/vaults.js';

const tmp = tempDir('ssclient-model-');
afterAll(() => tmp.cleanup());
let counter = 0;
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 17 + 5) & 0xff);
const key = (): KeySource => KeySource.fromKey(KEY);

interface Model {
  current: Map<string, Buffer>;
  saved: Map<string, Buffer>;
}
interface Real {
  vault: SecretsManager;
  readonly path: string;
}
type Cmd = fc.AsyncCommand<Model, Real>;

const bytesOf = (v: Value): Buffer =>
  v.kind === 'text' ? Buffer.from(v.text, 'utf8') : Buffer.from(v.bytes);

class SetCmd implements Cmd {
  constructor(
    readonly name: string,
    readonly value: Value,
  ) {}
  check = (): true => true;
  async run(m: Model, r: Real): Promise<void> {
    r.vault.set(this.name, this.value.kind === 'text' ? this.value.text : this.value.bytes);
    m.current.set(this.name, bytesOf(this.value));
    expect(r.vault.dirty).toBe(true);
  }
  toString = (): string => `set(${JSON.stringify(this.name)}, ${JSON.stringify(this.value)})`;
}

class DeleteCmd implements Cmd {
  constructor(readonly name: string) {}
  check = (): true => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(r.vault.delete(this.name)).toBe(m.current.delete(this.name));
  }
  toString = (): string => `delete(${JSON.stringify(this.name)})`;
}

class GetCmd implements Cmd {
  constructor(readonly name: string) {}
  check = (): true => true;
  async run(m: Model, r: Real): Promise<void> {
    const want = m.current.get(this.name);
    expect(r.vault.has(this.name)).toBe(want !== undefined);
    const got = r.vault.getBytes(this.name);
    if (want === undefined) {
      expect(got).toBeNull();
      expect(r.vault.get(this.name)).toBeNull();
    } else {
      expect(Buffer.from(got!).equals(want)).toBe(true);
    }
  }
  toString = (): string => `get(${JSON.stringify(this.name)})`;
}

class KeysCmd implements Cmd {
  check = (): true => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(r.vault.keys()).toEqual(utf8Sorted(m.current.keys()));
    expect(r.vault.size).toBe(m.current.size);
  }
  toString = (): string => 'keys()';
}

class SaveCmd implements Cmd {
  check = (): true => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.vault.save();
    expect(r.vault.dirty).toBe(false);
    m.saved = new Map(m.current);
  }
  toString = (): string => 'save()';
}

class ReopenCmd implements Cmd {
  check = (): true => true;
  async run(m: Model, r: Real): Promise<void> {
    r.vault.close();
    r.vault = await SecretsManager.fromFile(r.path, key());
    m.current = new Map(m.saved);
    expect(r.vault.keys()).toEqual(utf8Sorted(m.saved.keys()));
  }
  toString = (): string => 'reopen()';
}

/** A small pool of names makes collisions (overwrite, delete existing) common. */
const pooled = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', '', '__proto__', '10', '2', '\u{1F600}', '\uFF5E') },
  { weight: 1, arbitrary: nameArb },
);

const commands = fc.commands(
  [
    fc.tuple(pooled, valueArb).map(([n, v]) => new SetCmd(n, v)),
    pooled.map((n) => new DeleteCmd(n)),
    pooled.map((n) => new GetCmd(n)),
    fc.constant(new KeysCmd()),
    fc.constant(new SaveCmd()),
    fc.constant(new ReopenCmd()),
  ],
  { maxCommands: 60, size: 'large' },
);

describe('SecretsManager behaves like a Map', () => {
  it('for random sequences of set, delete, get, keys, save and reopen', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const path = join(tmp.dir, `${counter++}.json`);
        const created = await SecretsManager.create(key());
        await created.saveAs(path);
        const real: Real = { vault: created, path };
        const model: Model = { current: new Map(), saved: new Map() };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          // Whatever happened, the file on disk holds exactly the last saved state.
          const check = await SecretsManager.fromFile(path, key());
          expect(check.keys()).toEqual(utf8Sorted(model.saved.keys()));
          for (const [name, want] of model.saved) {
            expect(Buffer.from(check.getBytes(name)!).equals(want)).toBe(true);
          }
          check.close();
        } finally {
          real.vault.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
