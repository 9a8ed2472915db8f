/**
 * An AWS-KMS-compatible test server on 127.0.0.1, so that the real `@aws-sdk/client-kms` can be
 * tested over HTTP without AWS. Its behaviour and control API are described in
 * docs/kms-test-server.md; errors are shaped as AWS sends them (HTTP 400, `{"__type", "message"}`).
 *
 * - `POST /` with `X-Amz-Target: TrentService.<Op>`, SigV4-signed. The region of a request is the
 *   region of its credential scope; each region has its own keys and aliases, and
 *   `alias/securestore-test-1` / `alias/securestore-test-2` are created in a region on first use.
 * - Real AES-256-GCM per key; the encryption context (sorted pairs) and the key ARN are the
 *   associated data. The ciphertext blob names its key (see {@link sealBlob}), so Decrypt without
 *   `KeyId` works and Decrypt with another key's `KeyId` gives `IncorrectKeyException`, as on AWS.
 * - Signatures made with {@link TEST_CREDENTIALS} are verified (SigV4); other access keys are
 *   accepted unverified (any dummy credentials work), except access keys starting with
 *   `AKIDINVALID`, which get `UnrecognizedClientException`.
 * - `POST /__control/<action>` (no auth) creates keys, changes key states, injects faults,
 *   reads per-operation request counts and sets a request-rate limit (throttle.ts).
 *
 * Only `node:http` and `node:crypto`: no dependencies.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  parseThrottleOptions,
  RequestThrottle,
  THROTTLED_MESSAGE,
  type ThrottleOptions,
} from './throttle.js';

export const ACCOUNT_ID = '111122223333';
export const DEFAULT_REGION = 'us-east-1';
/** Aliases that exist in every region from its first use. */
export const TEST_ALIASES = ['alias/securestore-test-1', 'alias/securestore-test-2'] as const;
/** Dummy credentials whose SigV4 signatures the server checks. */
export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIDSECURESTORETEST1',
  secretAccessKey: 'securestore-test-secret-access-key',
} as const;

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

/** A fault for the control API's `fault` action: which requests, and what happens to them. */
export interface Fault {
  /** Only requests to this operation (`Decrypt`, ...). */
  operation?: string;
  /** Only requests signed for this region. */
  region?: string;
  /** Only requests that name this key (any form), in a KeyId field or as the blob's key. */
  key?: string;
  /** Answer with this `__type` (HTTP 400; 500/503 for internal and dependency errors). */
  error?: string;
  /** The error's message (default: AWS's wording where known). */
  message?: string;
  /** How many matching requests get the fault (default: all of them). */
  times?: number;
  /** Hold the request this long first (ends early if the client goes or the server closes). */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  dropConnection?: boolean;
  /** The HTTP status of the `error` or `rawBody` answer (default: AWS's for the error; 502). */
  status?: number;
  /** Answer with this text as `text/html` instead of KMS JSON (a proxy or a wrong endpoint). */
  rawBody?: string;
}

export interface KmsServer {
  url: string;
  close(): Promise<void>;
}

interface KmsKey {
  id: string;
  arn: string;
  region: string;
  material: Buffer;
  state: KeyState;
  createdAt: number;
  description: string;
  deletionDate?: number;
}

interface KmsAlias {
  name: string;
  arn: string;
  targetKeyId: string;
  createdAt: number;
}

interface RegionStore {
  keys: Map<string, KmsKey>;
  aliases: Map<string, KmsAlias>;
}

interface ActiveFault extends Fault {
  remaining: number;
}

type Json = Record<string, unknown>;

const ALGORITHM = 'SYMMETRIC_DEFAULT';
const BLOB_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const MAX_BODY = 1024 * 1024;

/** Operations the server implements (the request count is kept for each, and for unknown ones). */
const OPERATIONS = [
  'Encrypt',
  'Decrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncrypt',
  'DescribeKey',
  'CreateKey',
  'CreateAlias',
  'DeleteAlias',
  'ListAliases',
  'EnableKey',
  'DisableKey',
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
] as const;
type Operation = (typeof OPERATIONS)[number];

/** HTTP status AWS uses for an error type; everything not listed is a client error (400). */
const ERROR_STATUS: Record<string, number> = {
  KMSInternalException: 500,
  InternalFailure: 500,
  ServiceUnavailableException: 503,
  DependencyTimeoutException: 503,
  UnrecognizedClientException: 400,
  InvalidSignatureException: 400,
  MissingAuthenticationTokenException: 400,
};

/**
 * The message of an injected fault that gives none: AWS's wording where known, `undefined` for
 * errors AWS sends without one.
 */
function defaultFaultMessage(type: string, operation: string, keys: KmsKey[]): string | undefined {
  switch (type) {
    case 'InvalidCiphertextException':
      return undefined;
    case 'ThrottlingException':
      return 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.';
    case 'AccessDeniedException': {
      const resource = keys[0]?.arn ?? `arn:aws:kms:*:${ACCOUNT_ID}:key/*`;
      return `User: arn:aws:iam::${ACCOUNT_ID}:user/securestore-test is not authorized to perform: kms:${operation} on resource: ${resource} because no identity-based policy allows the kms:${operation} action`;
    }
    case 'KMSInternalException':
      return 'An internal error occurred.';
    case 'DependencyTimeoutException':
      return 'The system timed out while trying to fulfill the request.';
    default:
      return `injected ${type}`;
  }
}

/** A KMS error reply: `{"__type": type, "message": message}` with `status`. */
export class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string | undefined,
    readonly status = ERROR_STATUS[type] ?? 400,
  ) {
    super(message ?? '');
    this.hasMessage = message !== undefined;
  }
  readonly hasMessage: boolean;
}

class ControlError extends Error {}

/** The in-memory KMS: regions, keys, aliases, faults, counts. */
class KmsState {
  private readonly regions = new Map<string, RegionStore>();
  private faults: ActiveFault[] = [];
  /** Requests per operation since the last reset (Maps: operation names come from the wire). */
  private counts = new Map<string, number>();
  /** Requests per operation for each key a request named (by key ARN), since the last reset. */
  private keyCounts = new Map<string, Map<string, number>>();
  /** The request-rate limit of the cryptographic operations (throttle.ts); none by default. */
  readonly throttle = new RequestThrottle();

  /** Counts a request to `operation` (any name a client sent). */
  countRequest(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  /** Counts a request to `operation` for each key it names. */
  countForKeys(operation: string, keys: KmsKey[]): void {
    for (const key of new Set(keys)) {
      const counts = this.keyCounts.get(key.arn) ?? new Map<string, number>();
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      this.keyCounts.set(key.arn, counts);
    }
  }

  /** The counts as a JSON object: all requests, or those that named `key`. */
  countsOf(key?: KmsKey): Json {
    const counts = key === undefined ? this.counts : this.keyCounts.get(key.arn);
    return Object.fromEntries(counts ?? []);
  }

  resetCounts(): void {
    this.counts.clear();
    this.keyCounts.clear();
    this.throttle.resetStats();
  }

  region(name: string): RegionStore {
    let store = this.regions.get(name);
    if (store === undefined) {
      store = { keys: new Map(), aliases: new Map() };
      this.regions.set(name, store);
      for (const alias of TEST_ALIASES) {
        const key = this.createKey(name, `securestore test key ${alias}`);
        this.createAlias(name, alias, key);
      }
    }
    return store;
  }

  createKey(region: string, description = ''): KmsKey {
    const store = this.region(region);
    const id = randomUUID();
    const key: KmsKey = {
      id,
      arn: `arn:aws:kms:${region}:${ACCOUNT_ID}:key/${id}`,
      region,
      material: randomBytes(32),
      state: 'Enabled',
      createdAt: Math.floor(Date.now() / 1000),
      description,
    };
    store.keys.set(id, key);
    return key;
  }

  createAlias(region: string, name: string, key: KmsKey): void {
    const store = this.region(region);
    const arn = aliasArn(region, name);
    if (store.aliases.has(name)) {
      throw new KmsError('AlreadyExistsException', `An alias with the name ${arn} already exists`);
    }
    store.aliases.set(name, {
      name,
      arn,
      targetKeyId: key.id,
      createdAt: Math.floor(Date.now() / 1000),
    });
  }

  /** Resolves a key id, key ARN, alias name or alias ARN in `region` (AWS's NotFound wording). */
  resolve(region: string, keyId: string): KmsKey {
    const store = this.region(region);
    if (keyId.length === 0 || keyId.length > 2048) {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value '${keyId}' at 'keyId' failed to satisfy constraint: Member must have length between 1 and 2048`,
      );
    }
    let name = keyId;
    const arn = /^arn:aws:kms:([^:]*):([^:]*):((?:key|alias)\/.+)$/.exec(keyId);
    if (arn !== null) {
      if (arn[1] !== region || arn[2] !== ACCOUNT_ID) {
        throw new KmsError('NotFoundException', `Invalid arn ${arn[1] ?? ''}`);
      }
      name = arn[3] ?? '';
    }
    if (name.startsWith('alias/')) {
      const alias = store.aliases.get(name);
      const key = alias === undefined ? undefined : store.keys.get(alias.targetKeyId);
      if (key === undefined) {
        throw new KmsError('NotFoundException', `Alias ${aliasArn(region, name)} is not found.`);
      }
      return key;
    }
    const id = name.startsWith('key/') ? name.slice(4) : name;
    if (name.startsWith('key/') && arn === null) {
      throw new KmsError('NotFoundException', `Invalid keyId ${keyId}`);
    }
    if (!UUID_RE.test(id)) throw new KmsError('NotFoundException', `Invalid keyId ${keyId}`);
    const key = store.keys.get(id);
    if (key === undefined) {
      throw new KmsError(
        'NotFoundException',
        `Key '${`arn:aws:kms:${region}:${ACCOUNT_ID}:key/${id}`}' does not exist`,
      );
    }
    return key;
  }

  /** Like {@link resolve} but `undefined` when it does not resolve (for fault matching). */
  tryResolve(region: string, keyId: unknown): KmsKey | undefined {
    if (typeof keyId !== 'string') return undefined;
    try {
      return this.resolve(region, keyId);
    } catch {
      return undefined;
    }
  }

  keyOfBlob(region: string, blob: unknown): KmsKey | undefined {
    if (typeof blob !== 'string') return undefined;
    const bytes = Buffer.from(blob, 'base64');
    if (bytes.length < 17 || bytes[0] !== BLOB_VERSION) return undefined;
    return this.region(region).keys.get(uuidFromBytes(bytes.subarray(1, 17)));
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The first fault that matches, with one use taken from it. */
  takeFault(operation: string, region: string, keys: KmsKey[]): ActiveFault | undefined {
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      if (fault.operation !== undefined && fault.operation !== operation) continue;
      if (fault.region !== undefined && fault.region !== region) continue;
      if (fault.key !== undefined) {
        const target = this.tryResolve(region, fault.key);
        if (target === undefined || !keys.includes(target)) continue;
      }
      fault.remaining -= 1;
      return fault;
    }
    return undefined;
  }

  allKeys(): KmsKey[] {
    return [...this.regions.values()].flatMap((store) => [...store.keys.values()]);
  }

  reset(): void {
    this.clearFaults();
    this.resetCounts();
    this.throttle.clear();
    for (const key of this.allKeys()) {
      key.state = 'Enabled';
      delete key.deletionDate;
    }
  }
}

function aliasArn(region: string, name: string): string {
  return `arn:aws:kms:${region}:${ACCOUNT_ID}:${name}`;
}

function uuidToBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function uuidFromBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The associated data of a blob: the key ARN and the encryption context as sorted pairs, so the
 * order in which a caller lists the pairs does not matter and `{}` equals no context (as on AWS).
 */
function associatedData(key: KmsKey, context: Record<string, string>): Buffer {
  const pairs = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify([key.arn, pairs]), 'utf8');
}

/** Blob layout: version 0x01 ‖ key UUID (16 bytes) ‖ IV (12) ‖ GCM tag (16) ‖ ciphertext. */
function sealBlob(key: KmsKey, plaintext: Buffer, context: Record<string, string>): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(associatedData(key, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([
    Buffer.from([BLOB_VERSION]),
    uuidToBytes(key.id),
    iv,
    cipher.getAuthTag(),
    body,
  ]);
}

/** Opens a blob sealed under `key`; any mismatch (context, key, bytes) is `InvalidCiphertextException`. */
function openBlob(key: KmsKey, blob: Buffer, context: Record<string, string>): Buffer {
  const headerBytes = 1 + 16 + IV_BYTES + TAG_BYTES;
  if (blob.length <= headerBytes) throw new KmsError('InvalidCiphertextException', undefined);
  const iv = blob.subarray(17, 17 + IV_BYTES);
  const tag = blob.subarray(17 + IV_BYTES, headerBytes);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, iv);
    decipher.setAAD(associatedData(key, context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(headerBytes)), decipher.final()]);
  } catch {
    throw new KmsError('InvalidCiphertextException', undefined);
  }
}

function validation(message: string): KmsError {
  return new KmsError('ValidationException', `1 validation error detected: ${message}`);
}

function serialization(message = 'Start of structure or map found where not expected.'): KmsError {
  return new KmsError('SerializationException', message);
}

function requiredString(body: Json, field: string, member: string): string {
  const value = body[field];
  if (value === undefined || value === null) {
    throw validation(
      `Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string') throw serialization();
  return value;
}

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw serialization();
  return value;
}

function optionalNumber(body: Json, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization();
  return value;
}

function bytesField(
  body: Json,
  field: string,
  member: string,
  maxBytes: number,
  required: true,
): Buffer;
function bytesField(
  body: Json,
  field: string,
  member: string,
  maxBytes: number,
): Buffer | undefined;
function bytesField(
  body: Json,
  field: string,
  member: string,
  maxBytes: number,
  required = false,
): Buffer | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) {
      throw validation(
        `Value null at '${member}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return undefined;
  }
  if (
    typeof value !== 'string' ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(value) ||
    value.length % 4 !== 0
  ) {
    throw serialization('Invalid base64 value');
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 1 || bytes.length > maxBytes) {
    throw validation(
      `Value at '${member}' failed to satisfy constraint: Member must have length between 1 and ${maxBytes}`,
    );
  }
  return bytes;
}

function contextField(body: Json, field: string): Record<string, string> {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw serialization();
  const pairs = Object.entries(value as Json);
  for (const [, v] of pairs) if (typeof v !== 'string') throw serialization();
  // fromEntries, not assignment: a pair named "__proto__" stays a pair.
  return Object.fromEntries(pairs) as Record<string, string>;
}

function algorithmField(body: Json, field: string): void {
  const value = optionalString(body, field);
  if (value !== undefined && value !== ALGORITHM) {
    throw new KmsError(
      'InvalidKeyUsageException',
      `You cannot use the encryption algorithm ${value} with a symmetric encryption KMS key.`,
    );
  }
}

function assertUsable(key: KmsKey): void {
  if (key.state === 'Disabled') throw new KmsError('DisabledException', `${key.arn} is disabled.`);
  if (key.state === 'PendingDeletion') {
    throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  }
}

function keyMetadata(key: KmsKey): Json {
  return {
    AWSAccountId: ACCOUNT_ID,
    KeyId: key.id,
    Arn: key.arn,
    CreationDate: key.createdAt,
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: key.state,
    ...(key.deletionDate === undefined ? {} : { DeletionDate: key.deletionDate }),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: ALGORITHM,
    KeySpec: ALGORITHM,
    EncryptionAlgorithms: [ALGORITHM],
    MultiRegion: false,
  };
}

/** Decrypts a blob as Decrypt does (shared with ReEncrypt). */
function decryptBlob(
  state: KmsState,
  region: string,
  blob: Buffer,
  keyId: string | undefined,
  context: Record<string, string>,
): { key: KmsKey; plaintext: Buffer } {
  const named = keyId === undefined ? undefined : state.resolve(region, keyId);
  if (blob.length < 17 || blob[0] !== BLOB_VERSION) {
    throw new KmsError('InvalidCiphertextException', undefined);
  }
  const blobKeyId = uuidFromBytes(blob.subarray(1, 17));
  if (named !== undefined && named.id !== blobKeyId) {
    throw new KmsError(
      'IncorrectKeyException',
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
  }
  const key = state.region(region).keys.get(blobKeyId);
  if (key === undefined) throw new KmsError('InvalidCiphertextException', undefined);
  assertUsable(key);
  return { key, plaintext: openBlob(key, blob, context) };
}

function dataKeyLength(body: Json): number {
  const spec = optionalString(body, 'KeySpec');
  const count = optionalNumber(body, 'NumberOfBytes');
  // Exactly one of the two, as AWS demands.
  if ((spec === undefined) === (count === undefined)) {
    throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec.');
  }
  if (spec !== undefined) {
    if (spec === 'AES_256') return 32;
    if (spec === 'AES_128') return 16;
    throw validation(
      `Value '${spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
    );
  }
  if (count === undefined || count < 1 || count > 1024) {
    throw validation(
      `Value '${String(count)}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024`,
    );
  }
  return count;
}

const b64 = (bytes: Buffer): string => bytes.toString('base64');

/** The operations: each takes the region and the parsed body, returns the reply body. */
const HANDLERS: Record<Operation, (state: KmsState, region: string, body: Json) => Json | null> = {
  Encrypt(state, region, body) {
    const keyId = requiredString(body, 'KeyId', 'keyId');
    const plaintext = bytesField(body, 'Plaintext', 'plaintext', 4096, true);
    const context = contextField(body, 'EncryptionContext');
    algorithmField(body, 'EncryptionAlgorithm');
    const key = state.resolve(region, keyId);
    assertUsable(key);
    return {
      CiphertextBlob: b64(sealBlob(key, plaintext, context)),
      KeyId: key.arn,
      EncryptionAlgorithm: ALGORITHM,
    };
  },
  Decrypt(state, region, body) {
    const blob = bytesField(body, 'CiphertextBlob', 'ciphertextBlob', 6144, true);
    const keyId = optionalString(body, 'KeyId');
    const context = contextField(body, 'EncryptionContext');
    algorithmField(body, 'EncryptionAlgorithm');
    const { key, plaintext } = decryptBlob(state, region, blob, keyId, context);
    return { KeyId: key.arn, Plaintext: b64(plaintext), EncryptionAlgorithm: ALGORITHM };
  },
  GenerateDataKey(state, region, body) {
    const keyId = requiredString(body, 'KeyId', 'keyId');
    const length = dataKeyLength(body);
    const context = contextField(body, 'EncryptionContext');
    const key = state.resolve(region, keyId);
    assertUsable(key);
    const plaintext = randomBytes(length);
    return {
      CiphertextBlob: b64(sealBlob(key, plaintext, context)),
      Plaintext: b64(plaintext),
      KeyId: key.arn,
    };
  },
  GenerateDataKeyWithoutPlaintext(state, region, body) {
    const reply = HANDLERS.GenerateDataKey(state, region, body) ?? {};
    return { CiphertextBlob: reply['CiphertextBlob'], KeyId: reply['KeyId'] };
  },
  ReEncrypt(state, region, body) {
    const blob = bytesField(body, 'CiphertextBlob', 'ciphertextBlob', 6144, true);
    const destinationId = requiredString(body, 'DestinationKeyId', 'destinationKeyId');
    const sourceId = optionalString(body, 'SourceKeyId');
    const sourceContext = contextField(body, 'SourceEncryptionContext');
    const destinationContext = contextField(body, 'DestinationEncryptionContext');
    algorithmField(body, 'SourceEncryptionAlgorithm');
    algorithmField(body, 'DestinationEncryptionAlgorithm');
    const destination = state.resolve(region, destinationId);
    const { key, plaintext } = decryptBlob(state, region, blob, sourceId, sourceContext);
    assertUsable(destination);
    return {
      CiphertextBlob: b64(sealBlob(destination, plaintext, destinationContext)),
      SourceKeyId: key.arn,
      KeyId: destination.arn,
      SourceEncryptionAlgorithm: ALGORITHM,
      DestinationEncryptionAlgorithm: ALGORITHM,
    };
  },
  DescribeKey(state, region, body) {
    const key = state.resolve(region, requiredString(body, 'KeyId', 'keyId'));
    return { KeyMetadata: keyMetadata(key) };
  },
  CreateKey(state, region, body) {
    const description = optionalString(body, 'Description') ?? '';
    const usage = optionalString(body, 'KeyUsage') ?? 'ENCRYPT_DECRYPT';
    const spec = optionalString(body, 'KeySpec') ?? optionalString(body, 'CustomerMasterKeySpec');
    if (usage !== 'ENCRYPT_DECRYPT' || (spec !== undefined && spec !== ALGORITHM)) {
      throw new KmsError(
        'UnsupportedOperationException',
        'This test server only creates SYMMETRIC_DEFAULT keys for ENCRYPT_DECRYPT.',
      );
    }
    return { KeyMetadata: keyMetadata(state.createKey(region, description)) };
  },
  CreateAlias(state, region, body) {
    const name = requiredString(body, 'AliasName', 'aliasName');
    const target = requiredString(body, 'TargetKeyId', 'targetKeyId');
    if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(name)) {
      throw validation(
        `Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`,
      );
    }
    if (name.startsWith('alias/aws/')) {
      throw new KmsError(
        'InvalidAliasNameException',
        `Alias ${aliasArn(region, name)} cannot begin with alias/aws/.`,
      );
    }
    if (target.startsWith('alias/') || target.includes(':alias/')) {
      throw new KmsError('ValidationException', 'Aliases must refer to keys. Not aliases');
    }
    const key = state.resolve(region, target);
    if (key.state === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    state.createAlias(region, name, key);
    return null;
  },
  DeleteAlias(state, region, body) {
    const name = requiredString(body, 'AliasName', 'aliasName');
    if (!state.region(region).aliases.delete(name)) {
      throw new KmsError('NotFoundException', `Alias ${aliasArn(region, name)} is not found.`);
    }
    return null;
  },
  ListAliases(state, region, body) {
    const keyId = optionalString(body, 'KeyId');
    const key = keyId === undefined ? undefined : state.resolve(region, keyId);
    const aliases = [...state.region(region).aliases.values()]
      .filter((alias) => key === undefined || alias.targetKeyId === key.id)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((alias) => ({
        AliasName: alias.name,
        AliasArn: alias.arn,
        TargetKeyId: alias.targetKeyId,
        CreationDate: alias.createdAt,
        LastUpdatedDate: alias.createdAt,
      }));
    return { Aliases: aliases, Truncated: false };
  },
  EnableKey(state, region, body) {
    const key = state.resolve(region, requiredString(body, 'KeyId', 'keyId'));
    if (key.state === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    key.state = 'Enabled';
    return null;
  },
  DisableKey(state, region, body) {
    const key = state.resolve(region, requiredString(body, 'KeyId', 'keyId'));
    if (key.state === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    key.state = 'Disabled';
    return null;
  },
  ScheduleKeyDeletion(state, region, body) {
    const key = state.resolve(region, requiredString(body, 'KeyId', 'keyId'));
    const days = optionalNumber(body, 'PendingWindowInDays') ?? 30;
    if (days < 7 || days > 30) {
      throw validation(
        `Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`,
      );
    }
    if (key.state === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    setKeyState(key, 'PendingDeletion', days);
    return {
      KeyId: key.arn,
      DeletionDate: key.deletionDate,
      KeyState: key.state,
      PendingWindowInDays: days,
    };
  },
  CancelKeyDeletion(state, region, body) {
    const key = state.resolve(region, requiredString(body, 'KeyId', 'keyId'));
    if (key.state !== 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    }
    // AWS leaves a key whose deletion was cancelled disabled.
    setKeyState(key, 'Disabled');
    return { KeyId: key.arn };
  },
};

function setKeyState(key: KmsKey, state: KeyState, days = 7): void {
  key.state = state;
  if (state === 'PendingDeletion') {
    key.deletionDate = Math.floor(Date.now() / 1000) + days * 86_400;
  } else {
    delete key.deletionDate;
  }
}

function isOperation(name: string): name is Operation {
  return (OPERATIONS as readonly string[]).includes(name);
}

/** The keys a request names (for fault matching): KeyId fields and the key inside a blob. */
function requestKeys(state: KmsState, region: string, body: Json): KmsKey[] {
  const keys = [
    state.tryResolve(region, body['KeyId']),
    state.tryResolve(region, body['SourceKeyId']),
    state.tryResolve(region, body['DestinationKeyId']),
    state.tryResolve(region, body['TargetKeyId']),
    state.keyOfBlob(region, body['CiphertextBlob']),
  ];
  return keys.filter((key): key is KmsKey => key !== undefined);
}

interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** The SigV4 `Authorization` header, or a KMS error shaped as AWS sends it. */
function parseAuthorization(req: IncomingMessage): ParsedAuth {
  const header = req.headers.authorization;
  if (header === undefined || header === '') {
    throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const match = AUTH_RE.exec(header);
  if (match === null) {
    throw new KmsError(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${header.split(' ')[0] ?? ''}`,
    );
  }
  const [, accessKeyId = '', date = '', region = '', service = '', signed = '', signature = ''] =
    match;
  if (!REGION_RE.test(region) || service !== 'kms') {
    throw new KmsError(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region and to the service 'kms'.`,
    );
  }
  return { accessKeyId, date, region, service, signedHeaders: signed.split(';'), signature };
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** Verifies a SigV4 signature made with {@link TEST_CREDENTIALS}. */
function verifySignature(req: IncomingMessage, auth: ParsedAuth, body: Buffer): void {
  const amzDate = req.headers['x-amz-date'];
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const headers = auth.signedHeaders.map((name) => {
    const value = req.headers[name];
    const text = Array.isArray(value) ? value.join(',') : (value ?? '');
    return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
  });
  // The payload hash is always computed from the body; a client-sent x-amz-content-sha256 (the
  // SDK sends one) must match it, or a changed body would pass with the original signature.
  const payloadHash = sha256(body);
  const claimedHash = req.headers['x-amz-content-sha256'];
  const canonical = [
    req.method ?? 'POST',
    url.pathname,
    query,
    headers.join(''),
    auth.signedHeaders.join(';'),
    typeof claimedHash === 'string' ? claimedHash : payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', String(amzDate), scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${TEST_CREDENTIALS.secretAccessKey}`, auth.date);
  for (const part of [auth.region, auth.service, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(toSign, 'utf8').digest();
  const given = Buffer.from(auth.signature, 'hex');
  if (
    typeof amzDate !== 'string' ||
    !amzDate.startsWith(auth.date) ||
    (claimedHash !== undefined && claimedHash !== payloadHash) ||
    !auth.signedHeaders.includes('host') ||
    given.length !== expected.length ||
    !timingSafeEqual(given, expected)
  ) {
    throw new KmsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
}

function authenticate(req: IncomingMessage, auth: ParsedAuth, body: Buffer): void {
  if (auth.accessKeyId.startsWith('AKIDINVALID')) {
    throw new KmsError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  if (auth.accessKeyId === TEST_CREDENTIALS.accessKeyId) verifySignature(req, auth, body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new KmsError('ValidationException', 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, contentType: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(body);
}

function sendKmsError(res: ServerResponse, error: KmsError): void {
  const body: Json = { __type: error.type };
  if (error.hasMessage) body['message'] = error.message;
  send(res, error.status, JSON.stringify(body), 'application/x-amz-json-1.1');
}

function parseJsonObject(bytes: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(bytes.length === 0 ? '{}' : bytes.toString('utf8'));
  } catch {
    throw serialization('Unable to parse the request body as JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw serialization();
  return value as Json;
}

function controlString(body: Json, field: string, required: true): string;
function controlString(body: Json, field: string): string | undefined;
function controlString(body: Json, field: string, required = false): string | undefined {
  const value = body[field];
  if (value === undefined) {
    if (required) throw new ControlError(`${field}: required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ControlError(`${field}: expected a string`);
  return value;
}

function controlRegion(body: Json): string {
  const region = controlString(body, 'region') ?? DEFAULT_REGION;
  if (!REGION_RE.test(region)) throw new ControlError(`region: not a region name: ${region}`);
  return region;
}

function parseFault(body: Json): Fault {
  const fault: Fault = {};
  for (const field of ['operation', 'region', 'key', 'error', 'message', 'rawBody'] as const) {
    const value = controlString(body, field);
    if (value !== undefined) fault[field] = value;
  }
  for (const field of ['times', 'delayMs'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new ControlError(`${field}: expected a non-negative integer`);
    }
    fault[field] = value;
  }
  const status = body['status'];
  if (status !== undefined) {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
      throw new ControlError('status: expected an HTTP status between 200 and 599');
    }
    fault.status = status;
  }
  if (body['dropConnection'] !== undefined) {
    if (typeof body['dropConnection'] !== 'boolean') {
      throw new ControlError('dropConnection: expected a boolean');
    }
    fault.dropConnection = body['dropConnection'];
  }
  if (fault.operation !== undefined && !isOperation(fault.operation)) {
    throw new ControlError(`operation: unknown operation ${fault.operation}`);
  }
  if (
    fault.error === undefined &&
    fault.rawBody === undefined &&
    fault.delayMs === undefined &&
    fault.dropConnection !== true
  ) {
    throw new ControlError('fault: give error, rawBody, delayMs or dropConnection');
  }
  return fault;
}

function control(state: KmsState, action: string, body: Json): Json {
  switch (action) {
    case 'create-key': {
      const region = controlRegion(body);
      const alias = controlString(body, 'alias');
      if (alias !== undefined && !/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(alias)) {
        throw new ControlError(`alias: not an alias name: ${alias}`);
      }
      if (alias !== undefined && state.region(region).aliases.has(alias)) {
        throw new ControlError(`alias: ${alias} already exists in ${region}`);
      }
      const key = state.createKey(region, 'created through the control API');
      if (alias !== undefined) state.createAlias(region, alias, key);
      return { keyId: key.id, arn: key.arn };
    }
    case 'key-state': {
      const region = controlRegion(body);
      const name = controlString(body, 'key', true);
      const target = controlString(body, 'state', true);
      if (target !== 'Enabled' && target !== 'Disabled' && target !== 'PendingDeletion') {
        throw new ControlError(`state: expected Enabled, Disabled or PendingDeletion`);
      }
      const key = state.tryResolve(region, name);
      if (key === undefined) throw new ControlError(`key: ${name} not found in ${region}`);
      setKeyState(key, target);
      return {};
    }
    case 'fault':
      state.addFault(parseFault(body));
      return {};
    case 'clear-faults':
      state.clearFaults();
      return {};
    case 'counts': {
      const name = controlString(body, 'key');
      if (name === undefined) return state.countsOf();
      const region = controlRegion(body);
      const key = state.tryResolve(region, name);
      if (key === undefined) throw new ControlError(`key: ${name} not found in ${region}`);
      return state.countsOf(key);
    }
    case 'reset-counts':
      state.resetCounts();
      return {};
    case 'throttle':
      try {
        state.throttle.set(parseThrottleOptions(body));
      } catch (error) {
        throw new ControlError(error instanceof Error ? error.message : String(error));
      }
      return {};
    case 'clear-throttle':
      state.throttle.clear();
      return {};
    case 'throttle-stats':
      return { ...state.throttle.stats() };
    case 'reset':
      state.reset();
      return {};
    default:
      throw new ControlError(`unknown control action ${action}`);
  }
}

/**
 * Starts a KMS test server on 127.0.0.1 (`port` 0 or absent: any free port). `close()` stops it
 * and cuts open connections, including requests held by a delay fault.
 */
export async function startKmsServer(
  options: { port?: number; throttle?: ThrottleOptions } = {},
): Promise<KmsServer> {
  const state = new KmsState();
  if (options.throttle !== undefined) state.throttle.set(options.throttle);
  const sockets = new Set<Socket>();
  const closing = new AbortController();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    if (url.pathname.startsWith('/__control/')) {
      if (req.method !== 'POST') {
        send(res, 405, JSON.stringify({ error: 'use POST' }), 'application/json');
        return;
      }
      try {
        const reply = control(
          state,
          url.pathname.slice('/__control/'.length),
          parseJsonObject(body),
        );
        send(res, 200, JSON.stringify(reply), 'application/json');
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        send(res, 400, JSON.stringify({ error: message }), 'application/json');
      }
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/') {
      send(res, 404, JSON.stringify({ message: 'Not Found' }), 'application/json');
      return;
    }
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith('TrentService.')
        ? target.slice('TrentService.'.length)
        : undefined;
    if (operation !== undefined) state.countRequest(operation);

    const auth = parseAuthorization(req);
    authenticate(req, auth, body);
    if (operation === undefined || !isOperation(operation)) {
      throw new KmsError('UnknownOperationException', undefined);
    }
    const region = auth.region;
    const json = parseJsonObject(body);
    const keys = requestKeys(state, region, json);
    state.countForKeys(operation, keys);
    // The quota is checked before anything else is done with the request, as on AWS.
    if (!state.throttle.admit(operation, region)) {
      throw new KmsError('ThrottlingException', THROTTLED_MESSAGE);
    }
    const fault = state.takeFault(operation, region, keys);
    if (fault !== undefined) {
      if (fault.delayMs !== undefined && fault.delayMs > 0) {
        await delay(fault.delayMs, res);
        if (res.destroyed) return;
      }
      if (fault.dropConnection === true) {
        req.socket.destroy();
        return;
      }
      if (fault.rawBody !== undefined) {
        send(res, fault.status ?? 502, fault.rawBody, 'text/html');
        return;
      }
      if (fault.error !== undefined) {
        const message = fault.message ?? defaultFaultMessage(fault.error, operation, keys);
        throw fault.status === undefined
          ? new KmsError(fault.error, message)
          : new KmsError(fault.error, message, fault.status);
      }
    }
    const reply = HANDLERS[operation](state, region, json);
    state.throttle.answered(operation, region);
    send(res, 200, reply === null ? '' : JSON.stringify(reply), 'application/x-amz-json-1.1');
  }

  /** Waits `ms`, or less if the client goes away or the server closes. */
  function delay(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        res.off('close', done);
        closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      res.on('close', done);
      closing.signal.addEventListener('abort', done);
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof KmsError) {
        sendKmsError(res, error);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        sendKmsError(res, new KmsError('KMSInternalException', message, 500));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        for (const socket of sockets) socket.destroy();
      }),
  };
}
