/**
 * Secret names as environment variable names (docs/workflow.md "Names as variables"), for
 * `ssclient run` and the dotenv and shell exports.
 *
 * The rule: with style `upper` (the default) every character outside `[A-Za-z0-9]` becomes `_`
 * and ASCII letters are upper-cased, so `db:password` is `DB_PASSWORD` and `café` is `CAF_`; with
 * style `keep` the name is used as it is. A prefix is then put in front. The result must be a
 * portable variable name, `[A-Za-z_][A-Za-z0-9_]*`; two names that give one variable, or a name
 * that gives no valid one, are reported, never silently resolved.
 */

export type EnvNameStyle = 'upper' | 'keep';

export const ENV_NAME_STYLES: readonly EnvNameStyle[] = ['upper', 'keep'];

/** POSIX portable variable names: what every shell can read and `set -a; . file` exports. */
export const VALID_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface EnvNameOptions {
  readonly style?: EnvNameStyle;
  readonly prefix?: string;
}

/** The variable name for one secret name (valid or not: see {@link mapEnvNames}). */
export function toEnvName(name: string, options: EnvNameOptions = {}): string {
  const prefix = options.prefix ?? '';
  if ((options.style ?? 'upper') === 'keep') return prefix + name;
  let out = '';
  // By code point, so that one emoji (two UTF-16 units) becomes one "_".
  for (const ch of name) out += /^[A-Za-z0-9]$/.test(ch) ? ch.toUpperCase() : '_';
  return prefix + out;
}

/** A secret name and the variable it becomes. */
export interface EnvMapping {
  readonly name: string;
  readonly variable: string;
}

export interface EnvMappingProblems {
  /** Variables that more than one name maps to, with those names (in the order given). */
  readonly collisions: readonly { variable: string; names: readonly string[] }[];
  /** Names whose variable is not a valid name. */
  readonly invalid: readonly EnvMapping[];
}

/**
 * Maps every name; returns the mappings (in the order given) and any collisions or invalid
 * results. The caller refuses to go on when there is any problem.
 */
export function mapEnvNames(
  names: Iterable<string>,
  options: EnvNameOptions = {},
): { mappings: EnvMapping[] } & EnvMappingProblems {
  const mappings: EnvMapping[] = [];
  const byVariable = new Map<string, string[]>();
  const invalid: EnvMapping[] = [];
  for (const name of names) {
    const variable = toEnvName(name, options);
    mappings.push({ name, variable });
    if (!VALID_ENV_NAME.test(variable)) {
      invalid.push({ name, variable });
      continue;
    }
    const list = byVariable.get(variable);
    if (list === undefined) byVariable.set(variable, [name]);
    else list.push(name);
  }
  const collisions = [...byVariable]
    .filter(([, list]) => list.length > 1)
    .map(([variable, list]) => ({ variable, names: list }));
  return { mappings, collisions, invalid };
}

/** One line describing every problem, or null when there is none. */
export function describeEnvProblems(problems: EnvMappingProblems): string | null {
  const parts: string[] = [];
  for (const c of problems.collisions) {
    const quoted = c.names.map((n) => JSON.stringify(n));
    const list = `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
    parts.push(`${list} ${quoted.length === 2 ? 'both' : 'all'} become ${c.variable}`);
  }
  for (const m of problems.invalid) {
    parts.push(
      m.variable === ''
        ? `${JSON.stringify(m.name)} becomes an empty name`
        : `${JSON.stringify(m.name)} becomes ${JSON.stringify(m.variable)}, which is not a valid variable name`,
    );
  }
  if (parts.length === 0) return null;
  return `cannot turn secret names into environment variables: ${parts.join('; ')} (leave names out with --only, add a --prefix, or rename the secrets)`;
}
