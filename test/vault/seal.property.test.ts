// spec/seal.md §1.1, §4, §5: every change made to a sealed vault without its key is detected,
// and none ever yields a value under a name it was not written under.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecureStoreError } from '../../src/errors.js';
import { serializeVault } from '../../src/format/vault-codec.js';
import { assertSeal, sealGeneration } from '../../src/vault/seal.js';
import { ATTACKS, isReplay, scenarioArb } from '../helpers/seal-attacks.js';
import { valuesOf } from '../helpers/sealed-docs.js';

describe('the seal against an attacker without the key (spec/seal.md §1.1)', () => {
  it('every honest version verifies, with the generation growing by one per save', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        s.versions.forEach((doc, i) => {
          const seal = assertSeal(s.key.seal, doc, 'v', true)!;
          expect(sealGeneration(seal)).toBe(i + 1);
        });
      }),
      { numRuns: 100 },
    );
  });

  for (const [name, attack] of Object.entries(ATTACKS)) {
    it(`${name}: ERR_SEAL on open, unless the result is an earlier version byte for byte`, () => {
      let detected = 0;
      fc.assert(
        fc.property(
          scenarioArb,
          fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }),
          (s, pick) => {
            const doc = attack(s, pick);
            fc.pre(doc !== null);
            const current = s.versions.at(-1)!;
            fc.pre(serializeVault(doc!) !== serializeVault(current)); // not a change at all
            let opened = true;
            try {
              assertSeal(s.key.seal, doc!, 'v', true);
            } catch (err) {
              expect(isSecureStoreError(err, 'ERR_SEAL')).toBe(true);
              opened = false;
            }
            if (opened) {
              // Only a whole earlier file passes (spec/seal.md §1.2: caught by verify --since).
              expect(isReplay(s, doc!)).toBe(true);
              // And even then every value is one written under its name.
              for (const [n, value] of valuesOf(s.key, doc!)) {
                expect(s.written.get(n)?.has(value!)).toBe(true);
              }
            } else detected++;
          },
        ),
        { numRuns: 150 },
      );
      expect(detected).toBeGreaterThan(0);
    });
  }
});
