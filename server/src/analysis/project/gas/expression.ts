// GNU as absolute expressions, for `.if` and friends, `.rept` counts and `.set` values.
// Operators and precedence as in gas/expr.c (highest first): `* / % << >>`, `| & ^ !`
// (binary `!` is or-not), `+ -`, comparisons (true is -1), `&&`, `||` (true is 1). Values are
// 64-bit; `>>` is a logical shift, `/` and `%` are signed.
import { isNamePart, isNameStart } from './text';

/** A symbol's value; `undefined` for a symbol that is defined but has no constant value (a label). */
export type SymbolValues = ReadonlyMap<string, bigint | undefined>;

export type Evaluation =
  | { readonly kind: 'value'; readonly value: bigint }
  /** Depends on something not known here: `name` says what. */
  | { readonly kind: 'unknown'; readonly name: string }
  | { readonly kind: 'invalid'; readonly message: string };

const RANK: Readonly<Record<string, number>> = {
  '||': 1,
  '&&': 2,
  '==': 3, '!=': 3, '<>': 3, '<': 3, '>': 3, '<=': 3, '>=': 3,
  '+': 4, '-': 4,
  '|': 5, '&': 5, '^': 5, '!': 5,
  '*': 6, '/': 6, '%': 6, '<<': 6, '>>': 6,
};

const TWO_CHAR_OPERATORS = new Set(['||', '&&', '==', '!=', '<>', '<=', '>=', '<<', '>>']);

// Thrown to unwind the parser; not Errors, so no stack trace is captured (`.if` runs often).
class Invalid {
  constructor(readonly message: string = 'invalid expression') {}
}

class Unknown {
  constructor(readonly symbol: string) {}
}

const wrap = (value: bigint): bigint => BigInt.asIntN(64, value);

/** An earlier evaluation of a text: the symbols it read, with the values they had, decided its result. */
interface Remembered {
  readonly reads: readonly (string | bigint | undefined)[];
  readonly result: Evaluation;
}

/** The last evaluation of each text: every root reads the same headers' `.if` and `.set` again. */
const REMEMBERED = new Map<string, Remembered>();
/** Distinct texts kept; past it the memo starts again. */
const MAX_REMEMBERED = 50_000;

export function evaluate(text: string, symbols: SymbolValues): Evaluation {
  const known = REMEMBERED.get(text);
  if (known && sameReads(known.reads, symbols)) return known.result;
  const reads: (string | bigint | undefined)[] = [];
  const result = evaluateFresh(text, symbols, reads);
  if (!known && REMEMBERED.size >= MAX_REMEMBERED) REMEMBERED.clear();
  REMEMBERED.set(text, { reads, result });
  return result;
}

/** The symbols read (name, value, name, value…) have the same values now: the parse would take the same path. */
function sameReads(reads: readonly (string | bigint | undefined)[], symbols: SymbolValues): boolean {
  for (let i = 0; i < reads.length; i += 2) if (symbols.get(reads[i] as string) !== reads[i + 1]) return false;
  return true;
}

function evaluateFresh(text: string, symbols: SymbolValues, reads: (string | bigint | undefined)[]): Evaluation {
  const parser = new Parser(text, symbols, reads);
  try {
    const value = parser.parseExpression(0);
    parser.skipWhite();
    if (!parser.atEnd()) return { kind: 'invalid', message: `junk \`${text.slice(parser.index).trim()}\` in expression` };
    return { kind: 'value', value };
  } catch (error) {
    if (error instanceof Unknown) return { kind: 'unknown', name: error.symbol };
    if (error instanceof Invalid) return { kind: 'invalid', message: error.message };
    throw error;
  }
}

class Parser {
  index = 0;
  /** The first symbol whose value is not known; the walk goes on so a syntax error still wins. */
  private unknown: string | undefined;

  constructor(
    private readonly text: string,
    private readonly symbols: SymbolValues,
    private readonly reads: (string | bigint | undefined)[],
  ) {}

  atEnd(): boolean {
    return this.index >= this.text.length;
  }

  skipWhite(): void {
    while (this.text[this.index] === ' ' || this.text[this.index] === '\t') this.index++;
  }

  parseExpression(minRank: number): bigint {
    let left = this.parseUnary();
    for (;;) {
      const operator = this.peekOperator();
      if (operator === undefined) break;
      const rank = RANK[operator]!;
      if (rank <= minRank) break;
      this.index += operator.length;
      const right = this.parseExpression(rank);
      left = this.unknown === undefined ? apply(operator, left, right) : 0n;
    }
    if (minRank === 0 && this.unknown !== undefined) throw new Unknown(this.unknown);
    return left;
  }

  private peekOperator(): string | undefined {
    this.skipWhite();
    const two = this.text.slice(this.index, this.index + 2);
    if (TWO_CHAR_OPERATORS.has(two)) return two;
    const one = this.text[this.index];
    return one !== undefined && RANK[one] !== undefined ? one : undefined;
  }

  private parseUnary(): bigint {
    this.skipWhite();
    const c = this.text[this.index];
    if (c === '-' || c === '~' || c === '!' || c === '+') {
      this.index++;
      const operand = this.parseUnary();
      if (c === '-') return wrap(-operand);
      if (c === '~') return wrap(~operand);
      if (c === '!') return operand === 0n ? 1n : 0n;
      return operand;
    }
    if (c === '(') {
      this.index++;
      const value = this.parseExpression(0);
      this.skipWhite();
      if (this.text[this.index] !== ')') throw new Invalid('missing `)` in expression');
      this.index++;
      return value;
    }
    if (c === "'") return this.parseCharacter();
    if (c !== undefined && c >= '0' && c <= '9') return this.parseNumber();
    if (isNameStart(c)) return this.parseSymbol();
    throw new Invalid(c === undefined ? 'missing operand' : `unexpected \`${c}\` in expression`);
  }

  private parseCharacter(): bigint {
    const c = this.text[this.index + 1];
    if (c === undefined) throw new Invalid('missing character after `\'`');
    if (c !== '\\') {
      this.index += 2;
      return BigInt(c.charCodeAt(0));
    }
    const escaped = this.text[this.index + 2];
    this.index += 3;
    const known: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, '\\': 92, "'": 39, '"': 34, '0': 0 };
    if (escaped === undefined || known[escaped] === undefined) throw new Invalid('character escape not understood');
    return BigInt(known[escaped]!);
  }

  private parseNumber(): bigint {
    const match = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([0-9A-Za-z_$.]*)/.exec(this.text.slice(this.index));
    const [whole, digits, suffix] = match!;
    this.index += whole.length;
    if (suffix === 'b' || suffix === 'f') return this.noteUnknown(`${digits}${suffix}`);
    if (suffix !== '') throw new Invalid(`number \`${whole}\` not understood`);
    if (/^0[0-7]+$/.test(digits!)) return wrap(BigInt('0o' + digits!.slice(1)));
    if (/^0[0-9]+$/.test(digits!)) throw new Invalid(`bad octal number \`${digits}\``);
    return wrap(BigInt(digits!));
  }

  private parseSymbol(): bigint {
    const start = this.index;
    this.index++;
    while (isNamePart(this.text[this.index])) this.index++;
    const name = this.text.slice(start, this.index);
    const value = this.symbols.get(name);
    this.reads.push(name, value);
    return value === undefined ? this.noteUnknown(name) : value;
  }

  private noteUnknown(name: string): bigint {
    this.unknown ??= name;
    return 0n;
  }
}

function apply(operator: string, left: bigint, right: bigint): bigint {
  switch (operator) {
    case '||': return left !== 0n || right !== 0n ? 1n : 0n;
    case '&&': return left !== 0n && right !== 0n ? 1n : 0n;
    case '==': return left === right ? -1n : 0n;
    case '!=':
    case '<>': return left !== right ? -1n : 0n;
    case '<': return left < right ? -1n : 0n;
    case '>': return left > right ? -1n : 0n;
    case '<=': return left <= right ? -1n : 0n;
    case '>=': return left >= right ? -1n : 0n;
    case '+': return wrap(left + right);
    case '-': return wrap(left - right);
    case '|': return left | right;
    case '&': return left & right;
    case '^': return left ^ right;
    case '!': return wrap(left | ~right);
    case '*': return wrap(left * right);
    case '/':
    case '%':
      if (right === 0n) throw new Invalid('division by zero');
      return wrap(operator === '/' ? left / right : left % right);
    case '<<': return right >= 64n || right < 0n ? 0n : wrap(left << right);
    case '>>': return right >= 64n || right < 0n ? 0n : wrap(BigInt.asUintN(64, left) >> right);
    default: throw new Invalid(`operator \`${operator}\` not understood`);
  }
}
