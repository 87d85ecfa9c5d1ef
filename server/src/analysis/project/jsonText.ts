// Strict JSON (RFC 8259) read into a tree that remembers where each value and key is, so that a
// configuration error can name its line and column. No comments, no trailing commas: the files
// virtlint reads this way (virtlint.config.json, compile_commands.json) are plain JSON.

/** 1-based line and column (UTF-16 code units). */
export interface TextPosition {
  line: number;
  column: number;
}

export type JsonNode =
  | { kind: 'object'; at: TextPosition; members: JsonMember[] }
  | { kind: 'array'; at: TextPosition; items: JsonNode[] }
  | { kind: 'string'; at: TextPosition; value: string }
  | { kind: 'number'; at: TextPosition; value: number }
  | { kind: 'boolean'; at: TextPosition; value: boolean }
  | { kind: 'null'; at: TextPosition };

export interface JsonMember {
  key: string;
  keyAt: TextPosition;
  value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: TextPosition,
  ) {
    super(message);
  }
}

/** Something wrong in a JSON file, at a 1-based line and column; the message is one line with no trailing period. */
export interface JsonProblem {
  message: string;
  line: number;
  column: number;
}

/** The tree of `text`, or the syntax error that stopped it as a problem. */
export function readJson(text: string): { root: JsonNode } | { syntaxProblem: JsonProblem } {
  try {
    return { root: parseJsonText(text) };
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { syntaxProblem: { message: `not valid JSON: ${e.message}`, ...e.at } };
  }
}

/** Deeper nesting than any configuration needs; it keeps a hostile file from exhausting the stack. */
const MAX_DEPTH = 128;

/** Parses `text` (a leading byte order mark is skipped); throws JsonSyntaxError. */
export function parseJsonText(text: string): JsonNode {
  const reader = new JsonReader(text);
  return reader.document();
}

class JsonReader {
  private offset = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.offset = 1;
    this.lineStart = this.offset;
  }

  document(): JsonNode {
    this.skipSpace();
    const value = this.value(0);
    this.skipSpace();
    if (this.offset < this.text.length) this.fail(`unexpected ${this.describeHere()} after the JSON value`);
    return value;
  }

  private position(): TextPosition {
    return { line: this.line, column: this.offset - this.lineStart + 1 };
  }

  private fail(message: string, at: TextPosition = this.position()): never {
    throw new JsonSyntaxError(message, at);
  }

  private describeHere(): string {
    if (this.offset >= this.text.length) return 'end of file';
    const rest = this.text.slice(this.offset, this.offset + 2);
    if (rest === '//' || rest === '/*') return 'a comment (comments are not allowed: the file is strict JSON)';
    return `"${this.text[this.offset]}"`;
  }

  private skipSpace(): void {
    // Stops at the end rather than reading past it (an out-of-bounds read throws optimized code away).
    while (this.offset < this.text.length) {
      const c = this.text[this.offset];
      if (c === ' ' || c === '\t' || c === '\r') this.offset++;
      else if (c === '\n') {
        this.offset++;
        this.line++;
        this.lineStart = this.offset;
      } else return;
    }
  }

  private value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`);
    const at = this.position();
    const c = this.text[this.offset];
    if (c === '{') return this.object(at, depth);
    if (c === '[') return this.array(at, depth);
    if (c === '"') return { kind: 'string', at, value: this.string() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return { kind: 'number', at, value: this.number() };
    for (const [word, make] of LITERALS) {
      if (this.text.startsWith(word, this.offset)) {
        this.offset += word.length;
        return make(at);
      }
    }
    return this.fail(`expected a value, found ${this.describeHere()}`);
  }

  private object(at: TextPosition, depth: number): JsonNode {
    this.offset++;
    const members: JsonMember[] = [];
    this.skipSpace();
    if (this.text[this.offset] === '}') {
      this.offset++;
      return { kind: 'object', at, members };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.offset] !== '"') this.fail(`expected a key in double quotes, found ${this.describeHere()}`);
      const keyAt = this.position();
      const key = this.string();
      this.skipSpace();
      if (this.text[this.offset] !== ':') this.fail(`expected ":" after the key "${key}", found ${this.describeHere()}`);
      this.offset++;
      this.skipSpace();
      members.push({ key, keyAt, value: this.value(depth + 1) });
      this.skipSpace();
      const next = this.text[this.offset];
      this.offset++;
      if (next === '}') return { kind: 'object', at, members };
      if (next !== ',') {
        this.offset--;
        this.fail(`expected "," or "}" in the object, found ${this.describeHere()}`);
      }
      this.skipSpace();
      if (this.text[this.offset] === '}') this.fail('a trailing comma is not allowed (the file is strict JSON)');
    }
  }

  private array(at: TextPosition, depth: number): JsonNode {
    this.offset++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.offset] === ']') {
      this.offset++;
      return { kind: 'array', at, items };
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value(depth + 1));
      this.skipSpace();
      const next = this.text[this.offset];
      this.offset++;
      if (next === ']') return { kind: 'array', at, items };
      if (next !== ',') {
        this.offset--;
        this.fail(`expected "," or "]" in the array, found ${this.describeHere()}`);
      }
      this.skipSpace();
      if (this.text[this.offset] === ']') this.fail('a trailing comma is not allowed (the file is strict JSON)');
    }
  }

  private string(): string {
    const start = this.position();
    this.offset++;
    let out = '';
    for (;;) {
      const c = this.text[this.offset];
      if (c === undefined || c === '\n') this.fail('unterminated string', start);
      if (c === '"') {
        this.offset++;
        return out;
      }
      if (c < ' ') this.fail('a control character must be escaped inside a string');
      if (c !== '\\') {
        out += c;
        this.offset++;
        continue;
      }
      out += this.escape();
    }
  }

  private escape(): string {
    const c = this.text[this.offset + 1];
    const simple = c === undefined ? undefined : SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      this.offset += 2;
      return simple;
    }
    if (c === 'u') {
      const hex = this.text.slice(this.offset + 2, this.offset + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('\\u needs four hexadecimal digits');
      this.offset += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail(`invalid escape \\${c ?? ''} in a string`);
  }

  private number(): number {
    NUMBER.lastIndex = this.offset;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('invalid number');
    this.offset += match[0].length;
    return Number(match[0]);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

const LITERALS: readonly [string, (at: TextPosition) => JsonNode][] = [
  ['true', (at) => ({ kind: 'boolean', at, value: true })],
  ['false', (at) => ({ kind: 'boolean', at, value: false })],
  ['null', (at) => ({ kind: 'null', at })],
];

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** The JSON kind of a node as a message names it: `a string`, `an array`... */
export function kindName(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'null':
      return 'null';
  }
}
