/**
 * Selecting secrets by glob, credstash-style (docs/workflow.md "Wildcards"): the rules of
 * Python's `fnmatch.fnmatchcase`, which credstash uses.
 *
 * - `*` matches any run of characters, including none and including `:` and `/`;
 * - `?` matches exactly one character;
 * - `[abc]`, `[a-z]` match one character of the set, `[!abc]` one character outside it; a `]`
 *   right after `[` or `[!` is part of the set; a `[` without a closing `]` is a literal `[`;
 * - everything else matches itself, case-sensitively. There is no backslash escape: write `[*]`
 *   for a literal `*`.
 *
 * An exact name always wins: when a secret is named exactly like the pattern (`a*b`), the pattern
 * selects that secret alone.
 */

/** True when `pattern` contains a character that makes it a glob (`*`, `?` or `[`). */
export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** The regular expression that matches whole names against `pattern`. */
export function globToRegExp(pattern: string): RegExp {
  const chars = [...pattern];
  let source = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      source += '[\\s\\S]*';
    } else if (c === '?') {
      source += '[\\s\\S]';
    } else if (c === '[') {
      let j = i + 1;
      if (chars[j] === '!') j++;
      if (chars[j] === ']') j++;
      while (j < chars.length && chars[j] !== ']') j++;
      if (j >= chars.length) {
        source += '\\[';
        continue;
      }
      let body = chars.slice(i + 1, j);
      const negate = body[0] === '!';
      if (negate) body = body.slice(1);
      const set = classBody(body);
      if (set === '') source += negate ? '[\\s\\S]' : '(?!)';
      else source += negate ? `[^${set}]` : `[${set}]`;
      i = j;
    } else {
      source += escapeRegExp(c);
    }
  }
  // "u": patterns and names are matched by code point, so `?` is one character, not one unit.
  return new RegExp(`^(?:${source})$`, 'u');
}

/**
 * The names that `patterns` select, in the order of `names`. Each pattern that is exactly one of
 * the names selects that name alone; any other pattern selects the names its glob matches.
 */
export function selectNames(names: readonly string[], patterns: readonly string[]): string[] {
  const exact = new Set(names);
  const matchers = patterns.map((p) => {
    if (exact.has(p)) return (n: string) => n === p;
    if (!hasGlob(p)) return (n: string) => n === p;
    const re = globToRegExp(p);
    return (n: string) => re.test(n);
  });
  return names.filter((n) => matchers.some((m) => m(n)));
}

function escapeRegExp(c: string): string {
  // The regular-expression syntax characters: in "u" mode only these may be escaped.
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** The inside of a character class: single characters and `a-z` ranges (empty ones dropped). */
function classBody(body: readonly string[]): string {
  let out = '';
  for (let k = 0; k < body.length;) {
    const lo = body[k]!;
    const hi = body[k + 2];
    if (body[k + 1] === '-' && hi !== undefined) {
      if (lo.codePointAt(0)! <= hi.codePointAt(0)!)
        out += `${escapeInClass(lo)}-${escapeInClass(hi)}`;
      k += 3;
    } else {
      out += escapeInClass(lo);
      k++;
    }
  }
  return out;
}

function escapeInClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
