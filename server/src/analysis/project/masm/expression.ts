// Constant expressions for MASM's IF/ELSEIF/WHILE/REPT and `=`: numbers, numeric symbols and
// text macros that compute, with MASM's operator precedence (relational results are -1 or 0).
// Anything else (labels, TYPE, SIZEOF, @Version…) leaves the expression undecided.
import { arithmetic } from '../shared/arithmetic';
import { quotedStringEnd } from '../shared/quotedString';
import { parseMasmNumber } from './text';

/** A symbol's meaning: a number, a text macro's text, or unknown. */
export type SymbolValue = { number: number } | { text: string } | undefined;
export type SymbolResolver = (name: string) => SymbolValue;

type Tok = { kind: 'num'; value: number } | { kind: 'id'; text: string } | { kind: 'op'; text: string };

const LEVELS: readonly (readonly string[])[] = [['or', 'xor'], ['and'], ['not'], ['eq', 'ne', 'lt', 'le', 'gt', 'ge'], ['+', '-'], ['*', '/', 'mod', 'shl', 'shr']];
const MAX_NESTING = 32;

export function evaluateMasm(text: string, resolve: SymbolResolver, nesting = 0): number | undefined {
  const tokens = lex(text);
  if (!tokens) return undefined;
  const parser = { tokens, at: 0, resolve, nesting };
  const value = level(parser, 0);
  return parser.at === tokens.length ? value : undefined;
}

interface Parser {
  tokens: Tok[];
  at: number;
  resolve: SymbolResolver;
  nesting: number;
}

function level(p: Parser, index: number): number | undefined {
  if (index >= LEVELS.length) return unary(p);
  const ops = LEVELS[index]!;
  if (ops.includes('not')) {
    if (isOp(p.tokens[p.at], 'not')) {
      p.at++;
      const value = level(p, index);
      return value === undefined ? undefined : -value - 1;
    }
    return level(p, index + 1);
  }
  let left = level(p, index + 1);
  for (;;) {
    const token = p.tokens[p.at];
    if (!token || token.kind !== 'op' || !ops.includes(token.text)) return left;
    p.at++;
    const right = level(p, index + 1);
    left = left === undefined || right === undefined ? undefined : binary(token.text, left, right);
  }
}

function unary(p: Parser): number | undefined {
  const token = p.tokens[p.at];
  if (!token) return undefined;
  if (isOp(token, '-') || isOp(token, '+')) {
    p.at++;
    const value = unary(p);
    return value === undefined ? undefined : isOp(token, '-') ? -value : value;
  }
  if (isOp(token, '(')) {
    p.at++;
    const value = level(p, 0);
    if (!isOp(p.tokens[p.at], ')')) return undefined;
    p.at++;
    return value;
  }
  p.at++;
  if (token.kind === 'num') return token.value;
  if (token.kind !== 'id') return undefined;
  const meaning = p.resolve(token.text);
  if (!meaning) return undefined;
  if ('number' in meaning) return meaning.number;
  return p.nesting < MAX_NESTING ? evaluateMasm(meaning.text, p.resolve, p.nesting + 1) : undefined;
}

function binary(op: string, a: number, b: number): number | undefined {
  const compare = COMPARISONS.get(op);
  if (compare) return compare(a, b) ? -1 : 0;
  return arithmetic(op, a, b);
}

const COMPARISONS: ReadonlyMap<string, (a: number, b: number) => boolean> = new Map([
  ['eq', (a, b) => a === b],
  ['ne', (a, b) => a !== b],
  ['lt', (a, b) => a < b],
  ['le', (a, b) => a <= b],
  ['gt', (a, b) => a > b],
  ['ge', (a, b) => a >= b],
]);

function isOp(token: Tok | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'op' && token.text === text;
}

const WORD_OPERATORS = new Set(['or', 'xor', 'and', 'not', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'mod', 'shl', 'shr']);

function lex(text: string): Tok[] | undefined {
  const tokens: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if ('+-*/()'.includes(ch)) {
      tokens.push({ kind: 'op', text: ch });
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = quotedStringEnd(text, i);
      const chars = text.slice(i + 1, end - 1);
      if (chars.length === 0 || chars.length > 4) return undefined;
      let value = 0;
      for (const c of chars) value = value * 256 + c.charCodeAt(0);
      tokens.push({ kind: 'num', value });
      i = end;
      continue;
    }
    const word = /^[A-Za-z0-9_@$?.]+/.exec(text.slice(i));
    if (!word) return undefined;
    const lower = word[0].toLowerCase();
    if (/^[0-9]/.test(lower)) {
      const value = parseMasmNumber(lower);
      if (value === undefined) return undefined;
      tokens.push({ kind: 'num', value });
    } else if (WORD_OPERATORS.has(lower)) tokens.push({ kind: 'op', text: lower });
    else tokens.push({ kind: 'id', text: word[0] });
    i += word[0].length;
  }
  return tokens;
}
