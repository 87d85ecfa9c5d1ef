// `#if` arithmetic: C's integer expressions in 64 bits (intmax_t / uintmax_t as cpp uses), with a
// third value, unknown, for names the project does not define. Unknown spreads through an
// expression except where C's rules decide anyway (`0 && x`, `1 || x`, `x * 0`, `c ? v : v`).
import type { Token } from './tokens';

interface Known {
  readonly value: bigint;
  readonly unsigned: boolean;
}

/** null is unknown. */
type Value = Known | null;

export type Condition = { value: boolean } | { unknown: string[] } | { error: string };

class Unreadable extends Error {}

const ZERO: Known = { value: 0n, unsigned: false };
const ONE: Known = { value: 1n, unsigned: false };

function known(value: bigint, unsigned: boolean): Known {
  return { value: unsigned ? BigInt.asUintN(64, value) : BigInt.asIntN(64, value), unsigned };
}

function truth(v: boolean): Known {
  return v ? ONE : ZERO;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '*': 10, '/': 10, '%': 10,
  '+': 9, '-': 9,
  '<<': 8, '>>': 8,
  '<': 7, '<=': 7, '>': 7, '>=': 7,
  '==': 6, '!=': 6,
  '&': 5,
  '^': 4,
  '|': 3,
  '&&': 2,
  '||': 1,
};

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, E: 27, '\\': 92, "'": 39, '"': 34, '?': 63 };

function charValue(text: string): Known {
  const quote = text.indexOf("'");
  const wide = quote > 0;
  const body = text.slice(quote + 1, -1);
  const chars: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      chars.push(body.codePointAt(i)!);
      if (body.codePointAt(i)! > 0xffff) i++;
      continue;
    }
    const e = body[++i] ?? '';
    if (e in SIMPLE_ESCAPES) chars.push(SIMPLE_ESCAPES[e]!);
    else if (e === 'x') {
      let j = i + 1;
      while (j < body.length && /[0-9a-fA-F]/.test(body[j]!)) j++;
      chars.push(parseInt(body.slice(i + 1, j) || '0', 16));
      i = j - 1;
    } else if (e >= '0' && e <= '7') {
      let j = i;
      while (j < body.length && j < i + 3 && body[j]! >= '0' && body[j]! <= '7') j++;
      chars.push(parseInt(body.slice(i, j), 8));
      i = j - 1;
    } else chars.push(e.charCodeAt(0));
  }
  if (chars.length === 0) throw new Unreadable('empty character constant');
  if (wide) return known(BigInt(chars[chars.length - 1]!), false);
  if (chars.length === 1) return known(BigInt.asIntN(8, BigInt(chars[0]! & 0xff)), false);
  let v = 0n;
  for (const c of chars) v = (v << 8n) | BigInt(c & 0xff);
  return known(BigInt.asIntN(32, v), false);
}

function numberValue(text: string): Known {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
  if (!m || !/^(u?(l|L|ll|LL)?|(l|L|ll|LL)u?)$/i.test(m[2]!)) throw new Unreadable(`${text} is not an integer`);
  const digits = m[1]!;
  let value: bigint;
  if (/^0[bB]/.test(digits)) value = BigInt(digits);
  else if (digits.length > 1 && digits[0] === '0' && !/^0[xX]/.test(digits)) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  const unsigned = /u/i.test(m[2]!) || value > 0x7fffffffffffffffn;
  return known(value, unsigned);
}

class Parser {
  private at = 0;
  readonly unknownNames = new Set<string>();

  constructor(
    private readonly tokens: readonly Token[],
    /** An identifier left after expansion: 0 when the implementation decides it, else unknown. */
    private readonly identifierValue: (name: string) => 0 | 'unknown',
  ) {}

  parse(): Value {
    if (this.tokens.length === 0) throw new Unreadable('no expression');
    let v = this.conditional();
    while (this.peekPunct(',')) {
      this.at++;
      v = this.conditional();
    }
    if (this.at < this.tokens.length) throw new Unreadable(`unexpected ${this.tokens[this.at]!.text}`);
    return v;
  }

  private peekPunct(text: string): boolean {
    const t = this.tokens[this.at];
    return t !== undefined && t.kind === 'punct' && t.text === text;
  }

  private expect(text: string): void {
    if (!this.peekPunct(text)) throw new Unreadable(`expected ${text}`);
    this.at++;
  }

  private conditional(): Value {
    const test = this.binary(1);
    if (!this.peekPunct('?')) return test;
    this.at++;
    const ifTrue = this.conditional();
    this.expect(':');
    const ifFalse = this.conditional();
    if (ifTrue && ifFalse && (ifTrue.unsigned || ifFalse.unsigned)) {
      const u = true;
      const a = known(ifTrue.value, u);
      const b = known(ifFalse.value, u);
      return test ? (test.value !== 0n ? a : b) : a.value === b.value ? a : null;
    }
    if (test) return test.value !== 0n ? ifTrue : ifFalse;
    return ifTrue && ifFalse && ifTrue.value === ifFalse.value ? ifTrue : null;
  }

  private binary(minPrecedence: number): Value {
    let left = this.unary();
    for (;;) {
      const t = this.tokens[this.at];
      if (!t || t.kind !== 'punct') return left;
      const precedence = BINARY_PRECEDENCE[t.text];
      if (precedence === undefined || precedence < minPrecedence) return left;
      this.at++;
      const right = this.binary(precedence + 1);
      left = apply(t.text, left, right);
    }
  }

  private unary(): Value {
    const t = this.tokens[this.at];
    if (!t) throw new Unreadable('expression ends early');
    if (t.kind === 'punct') {
      if (t.text === '(') {
        this.at++;
        let v = this.conditional();
        while (this.peekPunct(',')) {
          this.at++;
          v = this.conditional();
        }
        this.expect(')');
        return v;
      }
      if (t.text === '+' || t.text === '-' || t.text === '~' || t.text === '!') {
        this.at++;
        const v = this.unary();
        if (!v) return null;
        if (t.text === '+') return v;
        if (t.text === '-') return known(-v.value, v.unsigned);
        if (t.text === '~') return known(~v.value, v.unsigned);
        return truth(v.value === 0n);
      }
      throw new Unreadable(`unexpected ${t.text}`);
    }
    this.at++;
    switch (t.kind) {
      case 'number':
        return numberValue(t.text);
      case 'char':
        return charValue(t.text);
      case 'unknown':
        this.unknownNames.add(t.text);
        return null;
      case 'ident':
        return this.identifier(t);
      default:
        throw new Unreadable(`unexpected ${t.text}`);
    }
  }

  private identifier(t: Token): Value {
    // `__has_include(…)`, `__has_attribute(…)` and the like: not decided here.
    if (this.peekPunct('(') && t.text.startsWith('__has_')) {
      let depth = 0;
      while (this.at < this.tokens.length) {
        const p = this.tokens[this.at++]!;
        if (p.text === '(') depth++;
        else if (p.text === ')' && --depth === 0) break;
      }
      this.unknownNames.add(t.text);
      return null;
    }
    if (this.identifierValue(t.text) === 0) return ZERO;
    this.unknownNames.add(t.text);
    return null;
  }
}

function isZero(v: Value): boolean {
  return v !== null && v.value === 0n;
}

function apply(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '&&':
      if (isZero(a) || isZero(b)) return ZERO;
      return a && b ? ONE : null;
    case '||':
      if ((a && !isZero(a)) || (b && !isZero(b))) return ONE;
      return a && b ? ZERO : null;
    case '*':
    case '&':
      if (isZero(a) || isZero(b)) return known(0n, (a?.unsigned ?? false) || (b?.unsigned ?? false));
      break;
  }
  if (!a || !b) return null;
  const unsigned = a.unsigned || b.unsigned;
  const x = unsigned ? BigInt.asUintN(64, a.value) : a.value;
  const y = unsigned ? BigInt.asUintN(64, b.value) : b.value;
  switch (op) {
    case '*': return known(x * y, unsigned);
    case '/': return y === 0n ? null : known(x / y, unsigned);
    case '%': return y === 0n ? null : known(x % y, unsigned);
    case '+': return known(x + y, unsigned);
    case '-': return known(x - y, unsigned);
    case '<<': return shift(a, b.value, true);
    case '>>': return shift(a, b.value, false);
    case '<': return truth(x < y);
    case '<=': return truth(x <= y);
    case '>': return truth(x > y);
    case '>=': return truth(x >= y);
    case '==': return truth(x === y);
    case '!=': return truth(x !== y);
    case '&': return known(x & y, unsigned);
    case '^': return known(x ^ y, unsigned);
    case '|': return known(x | y, unsigned);
  }
  return null;
}

/** The result has the left operand's type; a negative count shifts the other way, as cpp does. */
function shift(a: Known, count: bigint, left: boolean): Known {
  if (count < 0n) return shift(a, -count, !left);
  if (count >= 64n) return left || a.unsigned || a.value >= 0n ? known(0n, a.unsigned) : known(-1n, false);
  if (left) return known(a.value << count, a.unsigned);
  const v = a.unsigned ? BigInt.asUintN(64, a.value) >> count : a.value >> count;
  return known(v, a.unsigned);
}

/** Evaluates a `#if` line's tokens after macro expansion (`defined` already replaced). */
export function evaluateCondition(tokens: readonly Token[], identifierValue: (name: string) => 0 | 'unknown'): Condition {
  const parser = new Parser(tokens, identifierValue);
  try {
    const v = parser.parse();
    if (v) return { value: v.value !== 0n };
    if (parser.unknownNames.size === 0) return { error: 'division by zero' };
    return { unknown: Array.from(parser.unknownNames) };
  } catch (e) {
    if (e instanceof Unreadable) return { error: e.message };
    throw e;
  }
}
