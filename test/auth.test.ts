/** src/auth.ts: the public KeySource factories. */
import { describe, expect, it } from 'vitest';
import { KeySource } from '../src/auth.js';

describe('KeySource', () => {
  it('instanceof KeySource holds for every built-in source and for a provider of its own, as when it was a class', () => {
    const own = {
      type: 'own',
      description: 'own',
      keyFor: async () => new Uint8Array(32),
      dispose() {},
    };
    const sources = [
      KeySource.fromPassword('pw'),
      KeySource.fromFile('/nonexistent.key'),
      KeySource.fromKmsFile('/nonexistent.kms.json'),
      KeySource.fromKey(new Uint8Array(32)),
      KeySource.generate(),
      own,
    ];
    expect(sources.map((s) => s instanceof KeySource)).toEqual(sources.map(() => true));
  });

  it('instanceof KeySource is false for what is not a key source', () => {
    const values: unknown[] = [
      null,
      undefined,
      1,
      'key',
      {},
      { keyFor: 1, dispose() {} },
      [],
      () => {},
    ];
    expect(values.map((v) => v instanceof KeySource)).toEqual(values.map(() => false));
  });
});
