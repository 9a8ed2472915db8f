/**
 * Settings for a repository (docs/workflow.md "Configuration"): the project file
 * `.ssclient.json`, found by searching upward from the working directory, and the environment.
 * Precedence for each setting: a command-line flag, then the environment, then the project file,
 * then the built-in default. Nothing here is secret: the project file holds paths and KMS
 * settings, never a password, and a password in the environment is reported only as "set".
 *
 * The search stops at the root of the git work tree (a directory holding `.git`) and at the
 * home directory, so a file planted higher up (say in /tmp) never redirects a repository's
 * store, key or KMS endpoint. A project file that another user owns, or that anyone may write,
 * is ignored with a note for the same reason.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fail } from '../errors.js';

export const PROJECT_FILE = '.ssclient.json';

/** The settings a project file or the environment can give. */
export type SettingName = 'store' | 'key' | 'region' | 'profile' | 'kmsEndpoint';
export const SETTING_NAMES: readonly SettingName[] = [
  'store',
  'key',
  'region',
  'profile',
  'kmsEndpoint',
];
/** Settings that are paths: relative paths in a project file are relative to that file. */
const PATH_SETTINGS = new Set<SettingName>(['store', 'key']);

/** Environment variables per setting, first found wins. The AWS ones are the SDK's own. */
export const SETTING_ENV: Readonly<Record<SettingName, readonly string[]>> = {
  store: ['SSCLIENT_STORE'],
  key: ['SSCLIENT_KEY'],
  region: ['SSCLIENT_REGION', 'AWS_REGION'],
  profile: ['SSCLIENT_PROFILE', 'AWS_PROFILE'],
  kmsEndpoint: ['SSCLIENT_KMS_ENDPOINT', 'AWS_ENDPOINT_URL_KMS'],
};

/** The command-line flag per setting, as shown by `ssclient config`. */
export const SETTING_FLAG: Readonly<Record<SettingName, string>> = {
  store: '-s/--store',
  key: '-k/--key',
  region: '--region',
  profile: '--profile',
  kmsEndpoint: '--kms-endpoint',
};

export interface ProjectConfig {
  /** The absolute path of the project file. */
  readonly path: string;
  /** Its settings; paths already resolved to absolute paths. */
  readonly settings: Readonly<Partial<Record<SettingName, string>>>;
  /** `"requireSeal": true`: refuse vaults without a seal (spec/seal.md §8). */
  readonly requireSeal?: boolean;
}

export type SettingSource =
  | { readonly kind: 'flag'; readonly flag: string }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'project'; readonly path: string }
  | { readonly kind: 'default' };

export interface Setting {
  /** The effective value; paths from a project file are given relative to `cwd` when shorter. */
  readonly value: string | undefined;
  readonly source: SettingSource;
}

export interface ProjectSearch {
  readonly config: ProjectConfig | null;
  /** Project files that were found but ignored, and why (for a note on stderr). */
  readonly ignored: readonly string[];
}

/**
 * Looks for `.ssclient.json` from `cwd` upward (see the module comment for where it stops).
 * @throws SecureStoreError ERR_ARGUMENT naming the file when it is not valid.
 */
export function findProjectConfig(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): ProjectSearch {
  const home = env.HOME !== undefined && env.HOME !== '' ? resolve(env.HOME) : null;
  const ignored: string[] = [];
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, PROJECT_FILE);
    const stat = statOrNull(candidate);
    if (stat?.isFile()) {
      const why = untrusted(stat);
      if (why === null) return { config: readProjectConfig(candidate), ignored };
      ignored.push(`ignoring ${candidate}: ${why}`);
    }
    const parent = dirname(dir);
    if (parent === dir || dir === home || statOrNull(join(dir, '.git')) !== null) break;
    dir = parent;
  }
  return { config: null, ignored };
}

/**
 * Reads and checks one project file: a JSON object whose fields are among the setting names
 * (and `$schema`), each a non-empty string.
 * @throws SecureStoreError ERR_ARGUMENT
 */
export function readProjectConfig(path: string): ProjectConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(
      'ERR_ARGUMENT',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      err,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error, newlines included: keep it to one line.
    const why = (err as Error).message.replace(/\s+/g, ' ').slice(0, 160);
    return fail('ERR_ARGUMENT', `${path} is not valid JSON: ${why}`, err);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    fail('ERR_ARGUMENT', `${path} must hold a JSON object of settings`);
  }
  const settings: Partial<Record<SettingName, string>> = {};
  let requireSeal: boolean | undefined;
  for (const [field, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (field === '$schema') continue;
    if (field === 'requireSeal') {
      if (typeof value !== 'boolean')
        fail('ERR_ARGUMENT', `${path}: "requireSeal" must be true or false`);
      requireSeal = value;
      continue;
    }
    if (/pass(word|phrase)/i.test(field)) {
      fail(
        'ERR_ARGUMENT',
        `${path}: "${field}" does not belong in a project file (it is committed to git); use SSCLIENT_PASSWORD or --password-file`,
      );
    }
    if (!(SETTING_NAMES as readonly string[]).includes(field)) {
      fail(
        'ERR_ARGUMENT',
        `${path}: unknown setting ${JSON.stringify(field)} (known: ${SETTING_NAMES.join(', ')})`,
      );
    }
    if (typeof value !== 'string' || value === '') {
      fail('ERR_ARGUMENT', `${path}: "${field}" must be a non-empty string`);
    }
    const name = field as SettingName;
    settings[name] = PATH_SETTINGS.has(name) ? resolve(dirname(path), value) : value;
  }
  return requireSeal === undefined ? { path, settings } : { path, settings, requireSeal };
}

/** The effective value of one setting and where it came from (`project` may be read lazily). */
export function resolveSetting(
  name: SettingName,
  flagValue: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  project: ProjectConfig | null | (() => ProjectConfig | null),
  cwd: string,
): Setting {
  if (flagValue !== undefined)
    return { value: flagValue, source: { kind: 'flag', flag: SETTING_FLAG[name] } };
  for (const variable of SETTING_ENV[name]) {
    const value = env[variable];
    if (value !== undefined && value !== '') return { value, source: { kind: 'env', variable } };
  }
  // Read only when needed: a flag or variable for every setting means no project file is read.
  const config = typeof project === 'function' ? project() : project;
  const fromFile = config?.settings[name];
  if (fromFile !== undefined && config !== null && config !== undefined) {
    return {
      value: PATH_SETTINGS.has(name) ? displayPath(fromFile, cwd) : fromFile,
      source: { kind: 'project', path: config.path },
    };
  }
  return { value: undefined, source: { kind: 'default' } };
}

/** An absolute path as a person would type it from `cwd`: relative when inside, else absolute. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(resolve(cwd), path);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** How `ssclient config` names a source. */
export function describeSource(source: SettingSource): string {
  switch (source.kind) {
    case 'flag':
      return `flag ${source.flag}`;
    case 'env':
      return `environment ${source.variable}`;
    case 'project':
      return `project file ${source.path}`;
    case 'default':
      return 'built-in default';
  }
}

function statOrNull(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function untrusted(stat: NonNullable<ReturnType<typeof statSync>>): string | null {
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  if (uid !== null && uid !== 0 && Number(stat.uid) !== uid) return 'it belongs to another user';
  if ((Number(stat.mode) & 0o002) !== 0) return 'anyone may write it';
  return null;
}
