/**
 * The wrapped key file (spec/kms-key-file.md): a strict parser, a validator shared by the parser
 * and the writer, the canonical writer, and pure helpers to add or drop a wrapping. No KMS, no
 * age cryptography and no I/O here: bytes and objects in, bytes and objects out. Its wrappings
 * are KMS ones (§5) and age ones (§10).
 */
import { fail } from '../errors.js';
import { checkAgeFile, labelProblem, recipientKind } from '../format/age-file.js';
import { decodeBase64, decodedLength, isCanonicalBase64 } from '../format/base64.js';
import {
  type JsonNode,
  JsonSyntaxError,
  parseJson,
  valueFromNode,
  writeJson,
} from '../format/json.js';
import { compareCodePoints, hasLoneSurrogate } from '../format/text.js';

/** spec/kms-key-file.md §4.1: the type marker. */
export const WRAPPED_KEY_TYPE = 'securestore-kms-wrapped-key';
/** spec/kms-key-file.md §4.2. */
export const WRAPPED_KEY_VERSION = 1;
/** spec/kms-key-file.md §4.3: at most this many wrappings are read or written. */
export const MAX_WRAPPINGS = 16;
/** spec/kms-key-file.md §3.1: larger files are refused before they are read. */
export const MAX_WRAPPED_KEY_FILE_BYTES = 65_536;
/** spec/kms-key-file.md §5.4. */
export const MAX_CONTEXT_PAIRS = 16;
/** spec/kms-key-file.md §5.5: KMS ciphertexts are at most 6 144 bytes. */
export const MAX_CIPHERTEXT_BYTES = 6144;
/** spec/kms-key-file.md §6.2: the default encryption context, naming what the ciphertext is. */
export const DEFAULT_CONTEXT: Readonly<Record<string, string>> = Object.freeze({
  purpose: 'securestore-vault-key',
});

/** An encryption context: names to values, all strings (spec/kms-key-file.md §5.4). */
export type EncryptionContext = Readonly<Record<string, string>>;

/** One wrapping of the vault key: under a KMS key (§5) or for an age recipient (§10). */
export type Wrapping = KmsWrapping | AgeWrapping;

/** One wrapping of the vault key under a KMS key (spec/kms-key-file.md §5). */
export interface KmsWrapping {
  readonly provider: 'aws-kms';
  /** The key ARN KMS returned when wrapping (never an alias). */
  readonly keyArn: string;
  /** The region of the key, equal to the region in `keyArn`. */
  readonly region: string;
  /** The encryption context, sent with every Decrypt. */
  readonly context: EncryptionContext;
  /** The CiphertextBlob, canonical base64. */
  readonly ciphertext: string;
}

/** One wrapping of the vault key for an age recipient (spec/kms-key-file.md §10). */
export interface AgeWrapping {
  readonly provider: 'age';
  /** The recipient's public key text (`age1…`, `age1pq1…`), matched against identities (§10.6). */
  readonly recipient: string;
  /** Who the recipient is ("alice"), for listings and `access remove NAME` (§10.3). */
  readonly label?: string;
  /** The binary age file that holds the 32-byte key, canonical base64 (§10.4). */
  readonly ciphertext: string;
}

/** True for a KMS wrapping. */
export function isKmsWrapping(w: Wrapping): w is KmsWrapping {
  return w.provider === 'aws-kms';
}

/** True for an age wrapping. */
export function isAgeWrapping(w: Wrapping): w is AgeWrapping {
  return w.provider === 'age';
}

/** A wrapped key file (spec/kms-key-file.md §4). */
export interface WrappedKeyFile<W extends Wrapping = Wrapping> {
  readonly type: typeof WRAPPED_KEY_TYPE;
  readonly version: typeof WRAPPED_KEY_VERSION;
  readonly wrappings: readonly W[];
}

const ARN = /^arn:(aws(?:-[a-z]+)*):kms:([a-z0-9-]{1,32}):(\d{12}):key\/([A-Za-z0-9-]{1,128})$/;
const REGION = /^[a-z0-9-]{1,32}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The region named in a KMS key or alias ARN, or `null` when `id` is not an ARN. */
export function regionOfArn(id: string): string | null {
  const match = /^arn:aws(?:-[a-z]+)*:kms:([a-z0-9-]{1,32}):/.exec(id);
  return match ? match[1]! : null;
}

/** The key id (UUID or `mrk-…`) at the end of a key ARN, or `null` when `arn` is not one. */
export function keyIdOfArn(arn: string): string | null {
  const match = ARN.exec(arn);
  return match ? match[4]! : null;
}

/**
 * spec/kms-key-file.md §1.1: the default wrapped key file of a vault (`secrets.json` →
 * `secrets.kms.json`; a name without `.json` gets `.kms.json` appended).
 */
export function defaultWrappedKeyPath(vaultPath: string): string {
  return vaultPath.endsWith('.json')
    ? `${vaultPath.slice(0, -'.json'.length)}.kms.json`
    : `${vaultPath}.kms.json`;
}

/**
 * Parses the bytes of a wrapped key file (spec/kms-key-file.md §3–§5). `source` names the file
 * in messages.
 * @throws SecureStoreError ERR_KMS_KEY_FILE, naming the file and what is wrong with it.
 */
export function parseWrappedKeyFile(bytes: Uint8Array, source: string): WrappedKeyFile {
  const bad = (what: string, cause?: unknown): never =>
    fail('ERR_KMS_KEY_FILE', `${source} is not a valid wrapped key file: ${what}`, cause);
  if (bytes.length > MAX_WRAPPED_KEY_FILE_BYTES) {
    bad(`it is ${bytes.length} bytes; the limit is ${MAX_WRAPPED_KEY_FILE_BYTES}`);
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    bad('it starts with a byte-order mark');
  }
  let text = '';
  try {
    text = utf8.decode(bytes);
  } catch (err) {
    bad('it is not UTF-8', err);
  }
  let node: JsonNode | undefined;
  try {
    node = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) bad(`bad JSON: ${err.message}`, err);
    throw err;
  }
  return checkDocument(valueFromNode(node, numberValue), (what) => bad(what));
}

/**
 * Checks that `file` is a well-formed wrapped key file and returns a frozen copy of it.
 * @throws SecureStoreError ERR_ARGUMENT naming the field that is wrong.
 */
export function validateWrappedKeyFile(file: unknown): WrappedKeyFile {
  return checkDocument(file, (what) => fail('ERR_ARGUMENT', `wrapped key file: ${what}`));
}

/**
 * The canonical text of a wrapped key file (spec/kms-key-file.md §3.2): fixed member order,
 * context pairs sorted by name, two-space indentation, one trailing newline.
 * @throws SecureStoreError ERR_ARGUMENT when `file` is not a valid wrapped key file.
 */
export function formatWrappedKeyFile(file: WrappedKeyFile): string {
  const doc = validateWrappedKeyFile(file);
  const string = (value: string): JsonNode => ({ kind: 'string', value });
  const object = (entries: [string, JsonNode][]): JsonNode => ({ kind: 'object', entries });
  const wrappings: JsonNode = {
    kind: 'array',
    items: doc.wrappings.map((w) =>
      isKmsWrapping(w)
        ? object([
            ['provider', string(w.provider)],
            ['keyArn', string(w.keyArn)],
            ['region', string(w.region)],
            ['context', object(sortedPairs(w.context).map(([k, v]) => [k, string(v)]))],
            ['ciphertext', string(w.ciphertext)],
          ])
        : // spec §10.1: provider, recipient, label (only when there is one), ciphertext.
          object([
            ['provider', string(w.provider)],
            ['recipient', string(w.recipient)],
            ...(w.label !== undefined ? [['label', string(w.label)] as [string, JsonNode]] : []),
            ['ciphertext', string(w.ciphertext)],
          ]),
    ),
  };
  const root = object([
    ['type', string(doc.type)],
    ['version', { kind: 'number', raw: String(doc.version) }],
    ['wrappings', wrappings],
  ]);
  const text = `${writeJson(root, '')}\n`;
  // spec §10.9: a file this tool writes is one it (and every reader) will read.
  if (Buffer.byteLength(text, 'utf8') > MAX_WRAPPED_KEY_FILE_BYTES) {
    fail(
      'ERR_ARGUMENT',
      `the wrapped key file would be ${Buffer.byteLength(text, 'utf8')} bytes; the limit is ${MAX_WRAPPED_KEY_FILE_BYTES} (post-quantum age recipients take about 4 KiB each)`,
    );
  }
  return text;
}

/** A new wrapped key file holding `wrappings` (checked as a file would be). */
export function makeWrappedKeyFile(wrappings: readonly Wrapping[]): WrappedKeyFile {
  return validateWrappedKeyFile({
    type: WRAPPED_KEY_TYPE,
    version: WRAPPED_KEY_VERSION,
    wrappings,
  });
}

/**
 * The index (0-based) of the wrapping `which` names: a 1-based position as `kms list` and
 * `access list` show it (number or decimal string), a key ARN, the key id at the end of one, an
 * age wrapping's label, or its recipient.
 * @throws SecureStoreError ERR_ARGUMENT when no wrapping (or more than one) matches.
 */
export function findWrapping(file: WrappedKeyFile, which: string | number): number {
  const count = file.wrappings.length;
  if (typeof which === 'number' || /^[0-9]+$/.test(which)) {
    const n = Number(which);
    if (!Number.isInteger(n) || n < 1 || n > count) {
      fail('ERR_ARGUMENT', `there is no wrapping number ${which}: the file has 1 to ${count}`);
    }
    return n - 1;
  }
  const names = (w: Wrapping): boolean =>
    isKmsWrapping(w)
      ? w.keyArn === which || keyIdOfArn(w.keyArn) === which
      : w.label === which || w.recipient === which;
  const matches = file.wrappings.map((w, i) => (names(w) ? i : -1)).filter((i) => i >= 0);
  if (matches.length === 0) {
    if (!file.wrappings.some(isAgeWrapping)) {
      fail(
        'ERR_ARGUMENT',
        `no wrapping under KMS key ${which}: give a key ARN, key id or number as "ssclient kms list" shows them`,
      );
    }
    const shown = which.length > 100 || /[\p{Cc}\p{Cf}]/u.test(which) ? 'that name' : which;
    fail(
      'ERR_ARGUMENT',
      `no wrapping named ${shown}: give a number, label, age recipient, key ARN or key id as "ssclient access list" shows them`,
    );
  }
  if (matches.length > 1) {
    fail('ERR_ARGUMENT', `${which} matches ${matches.length} wrappings: give the full key ARN`);
  }
  return matches[0]!;
}

/**
 * A copy of `file` with `wrapping` appended (spec/kms-key-file.md §5.6: not a second one under
 * the same key, §4.3: at most 16).
 * @throws SecureStoreError ERR_ARGUMENT
 */
export function withWrapping(file: WrappedKeyFile, wrapping: Wrapping): WrappedKeyFile {
  if (isKmsWrapping(wrapping)) checkRoomFor(file, wrapping.keyArn);
  else checkRoomForRecipient(file, wrapping.recipient, wrapping.label);
  return makeWrappedKeyFile([...file.wrappings, wrapping]);
}

/**
 * Refuses an age wrapping {@link withWrapping} would refuse (spec §10.5): the recipient or the
 * label already in the file, or a full file. Run before encrypting, too.
 * @throws SecureStoreError ERR_ARGUMENT
 */
export function checkRoomForRecipient(
  file: WrappedKeyFile,
  recipient: string,
  label: string | undefined,
): void {
  const ages = file.wrappings.filter(isAgeWrapping);
  const same = ages.find((w) => w.recipient === recipient);
  if (same !== undefined) {
    fail(
      'ERR_ARGUMENT',
      `the file already has a wrapping for that recipient${same.label !== undefined ? ` (${same.label})` : ''}`,
    );
  }
  if (label !== undefined && ages.some((w) => w.label === label)) {
    fail('ERR_ARGUMENT', `the file already has a wrapping labelled ${label}`);
  }
  if (file.wrappings.length >= MAX_WRAPPINGS) {
    fail('ERR_ARGUMENT', `a wrapped key file holds at most ${MAX_WRAPPINGS} wrappings`);
  }
}

/**
 * Refuses a wrapping under `keyArn` that {@link withWrapping} would refuse: one already there,
 * or a full file. Callers run it before asking KMS to encrypt, too.
 * @throws SecureStoreError ERR_ARGUMENT
 */
export function checkRoomFor(file: WrappedKeyFile, keyArn: string): void {
  if (file.wrappings.some((w) => isKmsWrapping(w) && w.keyArn === keyArn)) {
    fail('ERR_ARGUMENT', `the file already has a wrapping under KMS key ${keyArn}`);
  }
  if (file.wrappings.length >= MAX_WRAPPINGS) {
    fail('ERR_ARGUMENT', `a wrapped key file holds at most ${MAX_WRAPPINGS} wrappings`);
  }
}

/**
 * A copy of `file` without the wrapping `which` names (see {@link findWrapping}). The last
 * wrapping cannot be removed: the file would open nothing.
 * @throws SecureStoreError ERR_ARGUMENT
 */
export function removeWrapping(file: WrappedKeyFile, which: string | number): WrappedKeyFile {
  const index = findWrapping(file, which);
  if (file.wrappings.length === 1) {
    fail(
      'ERR_ARGUMENT',
      'cannot remove the only wrapping: the file would open nothing (delete the file instead)',
    );
  }
  return makeWrappedKeyFile(file.wrappings.filter((_, i) => i !== index));
}

/**
 * The context a new wrapping gets: the default pair plus `extra` (spec/kms-key-file.md §6.2),
 * checked against §5.4.
 * @throws SecureStoreError ERR_ARGUMENT
 */
export function wrappingContext(extra: EncryptionContext = {}): EncryptionContext {
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
    fail('ERR_ARGUMENT', 'context: expected an object of string values');
  }
  const merged = Object.fromEntries([...Object.entries(DEFAULT_CONTEXT), ...Object.entries(extra)]);
  return checkContext(merged, (what) => fail('ERR_ARGUMENT', `context: ${what}`));
}

// ------------------------------------------------------------------ internals

/** A JSON number that is not a plain integer literal ("1.0", "1e0"): never valid here. */
class NonIntegerNumber {
  constructor(readonly raw: string) {}
}

/** A JSON number as a value: a plain integer literal, or a {@link NonIntegerNumber}. */
function numberValue(raw: string): unknown {
  return /^-?(0|[1-9][0-9]{0,14})$/.test(raw) ? Number(raw) : new NonIntegerNumber(raw);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof NonIntegerNumber) return value.raw;
  if (typeof value === 'string') {
    return value.length > 100 ? `${JSON.stringify(value.slice(0, 100))}…` : JSON.stringify(value);
  }
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function onlyMembers(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
  bad: (what: string) => never,
): void {
  for (const name of Object.keys(obj)) {
    if (!allowed.includes(name)) bad(`${where}unknown member ${JSON.stringify(name)}`);
  }
  for (const name of allowed) {
    if (!Object.hasOwn(obj, name)) bad(`${where}missing member "${name}"`);
  }
}

function checkDocument(value: unknown, bad: (what: string) => never): WrappedKeyFile {
  if (!isPlainObject(value)) return bad(`expected a JSON object, got ${describe(value)}`);
  // spec §4.1 and §4.2 first, so that another kind of JSON file gets the clearest message.
  if (value.type !== WRAPPED_KEY_TYPE) {
    bad(
      Object.hasOwn(value, 'type')
        ? `"type" is ${describe(value.type)}, not "${WRAPPED_KEY_TYPE}"`
        : `no "type": "${WRAPPED_KEY_TYPE}" member`,
    );
  }
  const version = value.version;
  if (version !== WRAPPED_KEY_VERSION) {
    if (typeof version === 'number' && Number.isInteger(version) && version > 0) {
      bad(
        `it is version ${version}; this tool reads version ${WRAPPED_KEY_VERSION} (${version > WRAPPED_KEY_VERSION ? 'upgrade securestore-kms' : 'the file is from an unknown tool'})`,
      );
    }
    bad(`"version" must be ${WRAPPED_KEY_VERSION}, got ${describe(version)}`);
  }
  onlyMembers(value, ['type', 'version', 'wrappings'], '', bad);
  const list = value.wrappings;
  if (!Array.isArray(list)) return bad(`"wrappings" must be an array, got ${describe(list)}`);
  if (list.length === 0) bad('"wrappings" is empty: the file opens nothing');
  if (list.length > MAX_WRAPPINGS) {
    bad(`it has ${list.length} wrappings; at most ${MAX_WRAPPINGS} are read`);
  }
  const wrappings = list.map((item, i) => checkWrapping(item, `wrappings[${i}]`, bad));
  const seen = new Set<string>();
  for (const [i, w] of wrappings.entries()) {
    // spec §5.6 and §10.5: one door per KMS key, per age recipient, per label.
    const ids = isKmsWrapping(w)
      ? [[`kms ${w.keyArn}`, `KMS key ${w.keyArn}`]]
      : [
          [`age ${w.recipient}`, 'an age recipient'],
          ...(w.label !== undefined ? [[`label ${w.label}`, `the label ${w.label}`]] : []),
        ];
    for (const [id, what] of ids) {
      if (seen.has(id!)) bad(`wrappings[${i}] repeats ${what}`);
      seen.add(id!);
    }
  }
  return Object.freeze({
    type: WRAPPED_KEY_TYPE,
    version: WRAPPED_KEY_VERSION,
    wrappings: Object.freeze(wrappings),
  });
}

function checkWrapping(value: unknown, where: string, bad: (what: string) => never): Wrapping {
  if (!isPlainObject(value)) return bad(`${where} must be an object, got ${describe(value)}`);
  // spec §5.1: an unknown provider is named before anything else is checked.
  if (value.provider === 'age') return checkAgeWrapping(value, where, bad);
  if (value.provider !== 'aws-kms') {
    bad(
      typeof value.provider === 'string'
        ? `${where} uses provider ${describe(value.provider)}, which this tool does not know (only "aws-kms" and "age")`
        : `${where}.provider must be "aws-kms" or "age", got ${describe(value.provider)}`,
    );
  }
  onlyMembers(value, ['provider', 'keyArn', 'region', 'context', 'ciphertext'], `${where}: `, bad);
  const { keyArn, region, ciphertext } = value;
  if (typeof keyArn !== 'string' || !ARN.test(keyArn)) {
    bad(
      `${where}.keyArn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got ${describe(keyArn)}`,
    );
  }
  if (typeof region !== 'string' || !REGION.test(region)) {
    bad(`${where}.region must be an AWS region name, got ${describe(region)}`);
  }
  if (regionOfArn(keyArn) !== region) {
    bad(`${where}.region ${describe(region)} is not the region of its keyArn`);
  }
  const context = checkContext(value.context, (what) => bad(`${where}.context ${what}`));
  if (typeof ciphertext !== 'string' || ciphertext === '' || !isCanonicalBase64(ciphertext)) {
    bad(`${where}.ciphertext must be non-empty canonical base64`);
  }
  if (decodedLength(ciphertext) > MAX_CIPHERTEXT_BYTES) {
    bad(`${where}.ciphertext is longer than ${MAX_CIPHERTEXT_BYTES} bytes`);
  }
  return Object.freeze({
    provider: 'aws-kms',
    keyArn: keyArn,
    region: region,
    context,
    ciphertext: ciphertext,
  });
}

/** spec/kms-key-file.md §10.2–§10.4. */
function checkAgeWrapping(
  value: Record<string, unknown>,
  where: string,
  bad: (what: string) => never,
): AgeWrapping {
  const allowed = ['provider', 'recipient', 'label', 'ciphertext'];
  onlyMembers(
    value,
    Object.hasOwn(value, 'label') ? allowed : allowed.filter((m) => m !== 'label'),
    `${where}: `,
    bad,
  );
  const { recipient, label, ciphertext } = value;
  // The recipient is never repeated in a message: it may hold control characters.
  const kind = recipientKind(recipient);
  if (typeof kind !== 'string') bad(`${where}.recipient is not an age recipient: ${kind.why}`);
  if (label !== undefined) {
    const problem = labelProblem(label);
    if (problem !== null) bad(`${where}.label is not a valid label: ${problem}`);
  }
  if (typeof ciphertext !== 'string' || ciphertext === '' || !isCanonicalBase64(ciphertext)) {
    bad(
      typeof ciphertext === 'string' && ciphertext.startsWith('-----BEGIN')
        ? `${where}.ciphertext is an armored age file; store the binary age file in base64`
        : `${where}.ciphertext must be non-empty canonical base64`,
    );
  }
  if (decodedLength(ciphertext) > MAX_CIPHERTEXT_BYTES) {
    bad(`${where}.ciphertext is longer than ${MAX_CIPHERTEXT_BYTES} bytes`);
  }
  const checked = checkAgeFile(decodeBase64(ciphertext));
  if (typeof checked === 'string') bad(`${where}.ciphertext: ${checked}`);
  return Object.freeze({
    provider: 'age',
    recipient: recipient as string,
    ...(label !== undefined ? { label: label as string } : {}),
    ciphertext: ciphertext,
  });
}

function checkContext(value: unknown, bad: (what: string) => never): EncryptionContext {
  if (!isPlainObject(value)) return bad(`must be an object, got ${describe(value)}`);
  const entries = Object.entries(value);
  if (entries.length > MAX_CONTEXT_PAIRS) {
    bad(`has ${entries.length} pairs; at most ${MAX_CONTEXT_PAIRS} are allowed`);
  }
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 256 || hasLoneSurrogate(k)) {
      bad(`has a name that is empty, longer than 256 characters, or not valid Unicode`);
    }
    if (typeof v !== 'string') bad(`${JSON.stringify(k)} must be a string, got ${describe(v)}`);
    if (v.length > 1024 || hasLoneSurrogate(v)) {
      bad(`${JSON.stringify(k)} is longer than 1024 characters or not valid Unicode`);
    }
  }
  return Object.freeze(Object.fromEntries(sortedPairs(value as Record<string, string>)));
}

function sortedPairs(context: EncryptionContext): [string, string][] {
  return Object.entries(context).sort(([a], [b]) => compareCodePoints(a, b));
}
