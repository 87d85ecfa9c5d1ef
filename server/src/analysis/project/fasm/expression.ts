// The numeric expressions FASM's preprocessor computes itself: `rept` counts and counter bases.
// Every value is a number written out or a symbolic constant whose own value computes.
import { arithmetic } from '../shared/arithmetic';
import { isChar, keyword, type Token } from './tokens';

export interface ExpressionResult {
  value: number | undefined;
  /** Index of the first token after the expression. */
  end: number;
}

/** Looks up a symbolic constant's tokens; undefined when the name is not one. */
export type SymbolLookup = (name: string) => readonly Token[] | undefined;

const BINARY_LEVELS: readonly (readonly string[])[] = [['or', 'xor'], ['and'], ['shl', 'shr'], ['+', '-'], ['*', '/', 'mod']];
const MAX_NESTING = 32;

export function evaluate(tokens: readonly Token[], start: number, lookup: SymbolLookup, nesting = 0): ExpressionResult {
  const parser = new ExpressionParser(tokens, start, lookup, nesting);
  const value = parser.binary(0);
  return { value, end: parser.position };
}

class ExpressionParser {
  position: number;
  constructor(
    private readonly tokens: readonly Token[],
    start: number,
    private readonly lookup: SymbolLookup,
    private readonly nesting: number,
  ) {
    this.position = start;
  }

  binary(level: number): number | undefined {
    if (level >= BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = this.operatorAt(BINARY_LEVELS[level]!);
      if (!op) return left;
      this.position++;
      const right = this.binary(level + 1);
      left = left === undefined || right === undefined ? undefined : arithmetic(op, left, right);
    }
  }

  private operatorAt(ops: readonly string[]): string | undefined {
    const token = this.tokens[this.position];
    if (!token || token.escapes !== 0) return undefined;
    const text = token.kind === 'char' ? token.text : keyword(token);
    return text !== undefined && ops.includes(text) ? text : undefined;
  }

  private unary(): number | undefined {
    const token = this.tokens[this.position];
    if (!token) return undefined;
    if (isChar(token, '-') || isChar(token, '+')) {
      this.position++;
      const value = this.unary();
      return value === undefined ? undefined : isChar(token, '-') ? -value : value;
    }
    if (keyword(token) === 'not') {
      this.position++;
      const value = this.unary();
      return value === undefined ? undefined : ~value;
    }
    if (isChar(token, '(')) {
      this.position++;
      const value = this.binary(0);
      if (!isChar(this.tokens[this.position], ')')) return undefined;
      this.position++;
      return value;
    }
    if (token.kind !== 'name' || token.escapes !== 0) return undefined;
    this.position++;
    const number = parseNumber(token.text);
    if (number !== undefined) return number;
    const value = this.lookup(token.text);
    if (!value || this.nesting >= MAX_NESTING) return undefined;
    const inner = evaluate(value, 0, this.lookup, this.nesting + 1);
    return inner.end === value.length ? inner.value : undefined;
  }
}

/** FASM number syntax: decimal, `0x`/`$` or `h` hex, `b` binary, `o`/`q` octal. */
export function parseNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  let digits = lower;
  let radix = 10;
  if (/^0x[0-9a-f]+$/.test(lower)) {
    digits = lower.slice(2);
    radix = 16;
  } else if (/^\$[0-9a-f]+$/.test(lower)) {
    digits = lower.slice(1);
    radix = 16;
  } else if (/^[0-9][0-9a-f]*h$/.test(lower)) {
    digits = lower.slice(0, -1);
    radix = 16;
  } else if (/^[01]+b$/.test(lower)) {
    digits = lower.slice(0, -1);
    radix = 2;
  } else if (/^[0-7]+[oq]$/.test(lower)) {
    digits = lower.slice(0, -1);
    radix = 8;
  } else if (/^[0-9]+d?$/.test(lower)) {
    digits = lower.replace(/d$/, '');
  } else return undefined;
  const value = parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : undefined;
}
