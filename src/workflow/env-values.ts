/**
 * Secrets as environment variables: the name rule of env-names.ts plus the value rule. A value
 * must be UTF-8 text without NUL (a variable cannot hold a NUL byte); other values are binary and
 * are refused unless the caller asks for them base64-encoded. Shared by `ssclient run` and the
 * dotenv and shell exports, so that both turn one vault into the same variables.
 */
import { fail } from '../errors.js';
import { describeEnvProblems, type EnvNameOptions, mapEnvNames } from './env-names.js';

/** What to do with a value that is not UTF-8 text (or holds a NUL). */
export type BinaryMode = 'refuse' | 'base64';
export const BINARY_MODES: readonly BinaryMode[] = ['refuse', 'base64'];

export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface EnvValue {
  readonly name: string;
  readonly variable: string;
  readonly value: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes`, or null when they are not UTF-8. */
export function decodeText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Each secret's value as text, in the order given: its UTF-8 text, or, for a value that is not
 * text, its base64 when `binary` is `base64`. A value is not text when it is not UTF-8, or (with
 * `nulIsBinary`, for consumers that cannot hold a NUL) when it holds a NUL byte.
 * @throws SecureStoreError ERR_NOT_UTF8 with `refusal`'s message naming every value that is not
 *   text, when `binary` is not `base64`.
 */
export function textValues(
  secrets: readonly NamedBytes[],
  options: {
    readonly binary?: BinaryMode | undefined;
    readonly nulIsBinary: boolean;
    readonly refusal: (names: readonly string[]) => string;
  },
): string[] {
  const binary: string[] = [];
  const values = secrets.map((secret) => {
    const text = decodeText(secret.bytes);
    if (text !== null && !(options.nulIsBinary && text.includes('\0'))) return text;
    if (options.binary === 'base64') return Buffer.from(secret.bytes).toString('base64');
    binary.push(secret.name);
    return '';
  });
  if (binary.length > 0) fail('ERR_NOT_UTF8', options.refusal(binary));
  return values;
}

/**
 * Every secret as a variable and a string value, in the order given.
 * @throws SecureStoreError ERR_ARGUMENT when names collide or give invalid variables;
 *   ERR_NOT_UTF8 naming the binary values when `binary` is `refuse`.
 */
export function toEnvValues(
  secrets: readonly NamedBytes[],
  options: EnvNameOptions & { binary?: BinaryMode } = {},
): EnvValue[] {
  const mapped = mapEnvNames(
    secrets.map((s) => s.name),
    options,
  );
  const problem = describeEnvProblems(mapped);
  if (problem !== null) fail('ERR_ARGUMENT', problem);
  const values = textValues(secrets, {
    binary: options.binary,
    nulIsBinary: true,
    refusal: (binary) =>
      `${binary.length === 1 ? 'secret' : 'secrets'} ${binary.map((n) => JSON.stringify(n)).join(', ')} ${binary.length === 1 ? 'is' : 'are'} binary (not UTF-8 text, or holding a NUL byte), which a variable cannot hold: add --binary base64 to pass ${binary.length === 1 ? 'it' : 'them'} base64-encoded, or leave ${binary.length === 1 ? 'it' : 'them'} out with --only`,
  });
  return secrets.map((secret, i) => ({
    name: secret.name,
    variable: mapped.mappings[i]!.variable,
    value: values[i]!,
  }));
}
