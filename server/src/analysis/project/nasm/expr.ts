// NASM's critical expressions (`%if`, `%assign`, `%rep`, `%rotate`): 64-bit integer arithmetic,
// comparisons and logical operators over numbers and character constants. A name that is left
// after single-line macros were expanded is a symbol nasm would only know at assembly time (or
// a standard macro such as `__?BITS?__` that only the assembler stage knows): the value is unknown.
import type { Token } from './tokens';

export type ExprResult = { value: bigint } | { unknown: string } | { error: string };

type Value = bigint | Unknown;

class Unknown {
  constructor(readonly name: string) {}
}

class ExprError extends Error {}

const OPERATORS = ['<<<', '>>>', '<=>', '||', '^^', '&&', '==', '!=', '<>', '<=', '>=', '<<', '>>', '//', '%%'];

/** Spaces dropped, multi-character operators joined. */
function lexExpr(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === 'space') continue;
    if (token.type === 'other') {
      let joined = token.text;
      let j = i;
      while (j + 1 < tokens.length && tokens[j + 1]!.type === 'other' && OPERATORS.some((op) => op.startsWith(joined + tokens[j + 1]!.text))) {
        joined += tokens[++j]!.text;
      }
      if (joined !== token.text && OPERATORS.includes(joined)) {
        out.push({ type: 'other', text: joined });
        i = j;
        continue;
      }
    }
    out.push(token);
  }
  return out;
}

const toInt = (v: bigint): bigint => BigInt.asIntN(64, v);
const toUint = (v: bigint): bigint => BigInt.asUintN(64, v);

/** Parses a NASM number token (`12`, `0x1f`, `1fh`, `$1f`, `0b101`, `101b`, `17q`, `0o17`, `12d`). */
export function parseNumber(text: string): bigint | undefined {
  const t = text.replace(/_/g, '').toLowerCase();
  const prefixed = /^0[xhdtboqy]/.test(t) && t.length > 2 ? digitsValue(t.slice(2), RADIX_OF[t[1]!]!) : undefined;
  if (prefixed !== undefined) return prefixed;
  if (t.startsWith('$')) return digitsValue(t.slice(1), 16);
  const suffix = t[t.length - 1]!;
  if (t.length > 1 && suffix in RADIX_OF && suffix !== 'x') return digitsValue(t.slice(0, -1), RADIX_OF[suffix]!);
  return digitsValue(t, 10);
}

function digitsValue(t: string, radix: number): bigint | undefined {
  const digits = radix === 16 ? /^[0-9a-f]+$/ : radix === 8 ? /^[0-7]+$/ : radix === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!digits.test(t)) return undefined;
  let value = 0n;
  const big = BigInt(radix);
  for (const c of t) value = value * big + BigInt(parseInt(c, radix));
  return toInt(value);
}

const RADIX_OF: Record<string, number> = { x: 16, h: 16, d: 10, t: 10, b: 2, y: 2, o: 8, q: 8 };

/** A character constant: the string's characters, first one in the lowest byte. */
export function stringValue(token: string): bigint {
  const body = token.slice(1, token.endsWith(token[0]!) && token.length > 1 ? -1 : undefined);
  let value = 0n;
  for (let i = Math.min(body.length, 8) - 1; i >= 0; i--) value = (value << 8n) | BigInt(body.charCodeAt(i) & 0xff);
  return toInt(value);
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Value {
    const value = this.ternary();
    if (this.pos < this.tokens.length) throw new ExprError(`unexpected \`${this.tokens[this.pos]!.text}\``);
    return value;
  }

  private peek(): string | undefined {
    const token = this.tokens[this.pos];
    return token && token.type === 'other' ? token.text : undefined;
  }

  private accept(op: string): boolean {
    if (this.peek() !== op) return false;
    this.pos++;
    return true;
  }

  private ternary(): Value {
    const condition = this.binary(0);
    if (!this.accept('?')) return condition;
    const yes = this.ternary();
    if (!this.accept(':')) throw new ExprError('expected `:`');
    const no = this.ternary();
    if (condition instanceof Unknown) return condition;
    return condition !== 0n ? yes : no;
  }

  private binary(level: number): Value {
    if (level >= LEVELS.length) return this.unary();
    const ops = LEVELS[level]!;
    let left = this.binary(level + 1);
    for (;;) {
      const op = this.peek();
      if (op === undefined || !ops.includes(op)) return left;
      this.pos++;
      const right = this.binary(level + 1);
      left = apply(op, left, right);
    }
  }

  private unary(): Value {
    const op = this.peek();
    if (op === '-' || op === '+' || op === '~' || op === '!') {
      this.pos++;
      const v = this.unary();
      if (v instanceof Unknown) return v;
      return op === '-' ? toInt(-v) : op === '+' ? v : op === '~' ? toInt(~v) : v === 0n ? 1n : 0n;
    }
    return this.primary();
  }

  private primary(): Value {
    const token = this.tokens[this.pos++];
    if (!token) throw new ExprError('expression expected');
    if (token.type === 'other' && token.text === '(') {
      const v = this.ternary();
      if (!this.accept(')')) throw new ExprError('expected `)`');
      return v;
    }
    if (token.type === 'number') {
      const v = parseNumber(token.text);
      if (v === undefined) throw new ExprError(`invalid number \`${token.text}\``);
      return v;
    }
    if (token.type === 'string') return stringValue(token.text);
    if (token.type === 'id' || token.type === 'percent' || token.text === '$') return new Unknown(token.text);
    throw new ExprError(`unexpected \`${token.text}\``);
  }
}

const LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['^^'],
  ['&&'],
  ['=', '==', '!=', '<>', '<', '<=', '>', '>=', '<=>'],
  ['|'],
  ['^'],
  ['&'],
  ['<<', '>>', '<<<', '>>>'],
  ['+', '-'],
  ['*', '/', '//', '%', '%%'],
];

function apply(op: string, left: Value, right: Value): Value {
  // A logical operator whose left side already decides it does not need the right side.
  if (!(left instanceof Unknown)) {
    if (op === '&&' && left === 0n) return 0n;
    if (op === '||' && left !== 0n) return 1n;
  }
  if (left instanceof Unknown) return left;
  if (right instanceof Unknown) return right;
  const bool = (b: boolean): bigint => (b ? 1n : 0n);
  switch (op) {
    case '||':
      return bool(left !== 0n || right !== 0n);
    case '^^':
      return bool(left !== 0n !== (right !== 0n));
    case '&&':
      return bool(left !== 0n && right !== 0n);
    case '=':
    case '==':
      return bool(left === right);
    case '!=':
    case '<>':
      return bool(left !== right);
    case '<':
      return bool(left < right);
    case '<=':
      return bool(left <= right);
    case '>':
      return bool(left > right);
    case '>=':
      return bool(left >= right);
    case '<=>':
      return left < right ? -1n : left > right ? 1n : 0n;
    case '|':
      return left | right;
    case '^':
      return left ^ right;
    case '&':
      return left & right;
    case '<<':
    case '<<<':
      return toInt(left << (right & 63n));
    case '>>':
      return toInt(toUint(left) >> (right & 63n));
    case '>>>':
      return toInt(left >> (right & 63n));
    case '+':
      return toInt(left + right);
    case '-':
      return toInt(left - right);
    case '*':
      return toInt(left * right);
    default:
      return divide(op, left, right);
  }
}

function divide(op: string, left: bigint, right: bigint): bigint {
  if (right === 0n) throw new ExprError('division by zero');
  if (op === '/') return toInt(toUint(left) / toUint(right));
  if (op === '%') return toInt(toUint(left) % toUint(right));
  if (op === '//') return toInt(left / right);
  return toInt(left % right);
}

export function evaluate(tokens: readonly Token[]): ExprResult {
  const lexed = lexExpr(tokens);
  try {
    const value = new Parser(lexed).parse();
    return value instanceof Unknown ? { unknown: value.name } : { value };
  } catch (e) {
    if (e instanceof ExprError) return { error: e.message };
    throw e;
  }
}
