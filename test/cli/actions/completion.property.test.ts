/**
 * Properties of how completion quotes secret names for bash (src/cli/actions/completion.ts):
 * whatever a name holds (bar control characters, which are never offered), the candidate bash
 * inserts is read back by the shell as exactly that name, also after a ":" or "=" where readline
 * inserts only the rest. Checked against our own reading of the line and, for a batch of
 * generated names, by a real bash.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bashCandidates, tokenizeLine } from '../../../src/cli/actions/completion.js';
import { hasLoneSurrogate } from '../../../src/format/text.js';
import { nameArb } from '../../helpers/arbitraries.js';

/** The names completion offers: one line each, well-formed Unicode, not empty. */
const offered = nameArb.filter((n) => n !== '' && !hasLoneSurrogate(n) && !/[\0-\x1f\x7f]/.test(n));

describe('bash candidates', () => {
  it('read back as the name, typed whole or after what precedes a ":"/"=" break', () => {
    fc.assert(
      fc.property(offered, (name) => {
        const [whole] = bashCandidates([name], '', undefined);
        expect(tokenizeLine(`ssclient get ${whole}`).current.text).toBe(name);
        const at = Math.max(name.lastIndexOf(':'), name.lastIndexOf('='));
        if (at < 0) return;
        // Typed up to the name's last ":" or "=": bash's current word is that character alone,
        // and readline inserts what the answer holds after what was typed.
        const typed = bashCandidates([name.slice(0, at + 1)], '', undefined)[0]!;
        const [rest] = bashCandidates([name], typed, name[at]);
        expect(tokenizeLine(`ssclient get ${typed}${rest}`).current.text).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });

  it('a real bash reads each candidate of a generated batch as its name', () => {
    const names = fc.sample(offered, { numRuns: 300, seed: 15 });
    const quoted = names.map((n) => bashCandidates([n], '', undefined)[0]!);
    const script = `for w in ${quoted.map((c) => `${c}`).join(' ')}; do printf '%s\\0' "$w"; done`;
    const res = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\0').slice(0, -1)).toEqual(names);
  });
});
