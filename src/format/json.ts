/**
 * A small, strict JSON reader and pretty writer for the vault codec.
 *
 * `JSON.parse` cannot be used for vaults: it silently keeps the last of duplicate names, and
 * plain objects reorder integer-like keys. This reader keeps every object's entries in file
 * order, reports duplicates, and keeps numbers as their source text so they are written back
 * unchanged. spec/format.md §5.
 */
import { fail } from '../errors.js';

export type JsonNode =
  | { readonly kind: 'object'; readonly entries: [string, JsonNode][] }
  | { readonly kind: 'array'; readonly items: JsonNode[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly raw: string }
  | { readonly kind: 'literal'; readonly value: boolean | null };

/** A syntax error with the 1-based line and column where it was found. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
  }
}

const MAX_DEPTH = 64;

/** Parses one JSON document; whitespace may surround it, nothing else may follow it. */
export function parseJson(text: string): JsonNode {
  const parser = new JsonReader(text);
  parser.skipWhitespace();
  const value = parser.parseValue(0);
  parser.finish();
  return value;
}

/**
 * The reader's primitives, exported so that the vault codec can read the (large) `secrets`
 * object straight into blobs without building a tree for it.
 */
export class JsonReader {
  pos = 0;
  constructor(readonly text: string) {}

  error(reason: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(reason, line, at - lineStart + 1);
  }

  /** Skips whitespace and consumes `char` (a one-character string) or fails. */
  expect(char: string, what: string): void {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== char.charCodeAt(0)) this.error(`expected ${what}`);
    this.pos++;
  }

  /** Skips whitespace and returns the next character code without consuming it. */
  peek(): number {
    this.skipWhitespace();
    return this.text.charCodeAt(this.pos);
  }

  /** After the top-level value: only whitespace may follow. */
  finish(): void {
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.error('unexpected data after the end of the document');
  }

  skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  parseValue(depth: number): JsonNode {
    if (depth > MAX_DEPTH) this.error('nesting is too deep');
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.parseObject(depth);
      case 0x5b: // [
        return this.parseArray(depth);
      case 0x22: // "
        return { kind: 'string', value: this.parseString() };
      case 0x74: // t
        return this.parseLiteral('true', true);
      case 0x66: // f
        return this.parseLiteral('false', false);
      case 0x6e: // n
        return this.parseLiteral('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        if (Number.isNaN(c)) this.error('unexpected end of the document');
        return this.error(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
    }
  }

  parseLiteral(word: string, value: boolean | null): JsonNode {
    if (!this.text.startsWith(word, this.pos)) this.error('invalid literal');
    this.pos += word.length;
    return { kind: 'literal', value };
  }

  parseNumber(): JsonNode {
    const start = this.pos;
    const match = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    match.lastIndex = start;
    if (!match.test(this.text)) this.error('invalid number');
    this.pos = match.lastIndex;
    return { kind: 'number', raw: this.text.slice(start, this.pos) };
  }

  parseObject(depth: number): JsonNode {
    const entries: [string, JsonNode][] = [];
    let seen: Set<string> | null = null; // made only for large objects; small ones scan
    this.pos++; // {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.error('expected a quoted name');
      const keyAt = this.pos;
      const key = this.parseString();
      if (seen === null && entries.length >= 16) seen = new Set(entries.map(([k]) => k));
      if (seen !== null ? seen.has(key) : entries.some(([k]) => k === key)) {
        this.error(`duplicate name ${JSON.stringify(key)}`, keyAt);
      }
      seen?.add(key);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.error('expected ":"');
      this.pos++;
      this.skipWhitespace();
      entries.push([key, this.parseValue(depth + 1)]);
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === 0x7d) {
        this.pos++;
        return { kind: 'object', entries };
      } else {
        this.error('expected "," or "}"');
      }
    }
  }

  parseArray(depth: number): JsonNode {
    const items: JsonNode[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.parseValue(depth + 1));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === 0x5d) {
        this.pos++;
        return { kind: 'array', items };
      } else {
        this.error('expected "," or "]"');
      }
    }
  }

  parseString(): string {
    const text = this.text;
    const start = this.pos + 1;
    let pos = start;
    // Fast path: no escapes, the common case for every field of a vault.
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c === 0x5c) break;
      if (c < 0x20) this.error('unescaped control character in a string', pos);
      if (Number.isNaN(c)) this.error('unterminated string', start - 1);
      pos++;
    }
    let out = text.slice(start, pos);
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        this.pos = pos + 1;
        return out;
      }
      if (Number.isNaN(c)) this.error('unterminated string', start - 1);
      if (c < 0x20) this.error('unescaped control character in a string', pos);
      if (c !== 0x5c) {
        out += text[pos];
        pos++;
        continue;
      }
      const e = text[pos + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.error('invalid \\u escape', pos);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          this.error('invalid escape', pos);
      }
      pos += 2;
    }
  }
}

/**
 * Writes a node as pretty JSON the way the reference implementation does (serde_json's pretty
 * printer): two-space indent, `"name": value`, empty containers as `{}` / `[]`.
 * `indent` is the indentation of the line the value starts on.
 */
export function writeJson(node: JsonNode, indent: string): string {
  switch (node.kind) {
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      return node.raw;
    case 'literal':
      return String(node.value);
    case 'array': {
      if (node.items.length === 0) return '[]';
      const inner = `${indent}  `;
      return `[\n${node.items.map((item) => inner + writeJson(item, inner)).join(',\n')}\n${indent}]`;
    }
    case 'object': {
      if (node.entries.length === 0) return '{}';
      const inner = `${indent}  `;
      const lines = node.entries.map(
        ([key, value]) => `${inner}${JSON.stringify(key)}: ${writeJson(value, inner)}`,
      );
      return `{\n${lines.join(',\n')}\n${indent}}`;
    }
  }
}

/**
 * Converts a plain JavaScript value (as `JSON.parse` returns it) into a JSON tree: the inverse of
 * {@link valueFromNode}. `what` names the value in errors (ERR_VAULT_FORMAT).
 */
export function nodeFromValue(value: unknown, what: string, depth = 0): JsonNode {
  if (depth > MAX_DEPTH) fail('ERR_VAULT_FORMAT', `${what} is nested too deeply`);
  if (value === null || typeof value === 'boolean') return { kind: 'literal', value };
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail('ERR_VAULT_FORMAT', `${what} holds a non-finite number`);
    return { kind: 'number', raw: JSON.stringify(value) };
  }
  if (Array.isArray(value))
    return { kind: 'array', items: value.map((v) => nodeFromValue(v, what, depth + 1)) };
  if (typeof value === 'object') {
    return {
      kind: 'object',
      entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        nodeFromValue(v, what, depth + 1),
      ]),
    };
  }
  return fail('ERR_VAULT_FORMAT', `${what} holds a ${typeof value}, which JSON cannot`);
}

/**
 * Converts a JSON tree into plain JavaScript values: objects (own properties, so "__proto__"
 * stays a name), arrays, strings, booleans, null; each number is what `number(raw)` makes of its
 * source text, so a caller decides which numbers it accepts.
 */
export function valueFromNode(node: JsonNode, number: (raw: string) => unknown): unknown {
  switch (node.kind) {
    case 'object':
      // Object.fromEntries defines own properties, so "__proto__" is kept as a name.
      return Object.fromEntries(node.entries.map(([k, v]) => [k, valueFromNode(v, number)]));
    case 'array':
      return node.items.map((item) => valueFromNode(item, number));
    case 'string':
      return node.value;
    case 'number':
      return number(node.raw);
    case 'literal':
      return node.value;
  }
}
