// NASM's preprocessor tokens: enough of them to find macro names, parameters and arguments
// without looking inside strings. The text of every token is kept, so joining the tokens of a
// line gives the line back.

export type TokenType =
  /** An identifier (`foo`, `.local`, `$escaped`, `..@1.x`). */
  | 'id'
  | 'number'
  | 'string'
  | 'space'
  /** `%1`, `%-1`, `%+1`, `%0`, `%00`, `%{…}`, `%%name`, `%$name`, `%?`, `%??`, `%+`, `%[`, `%name`: anything the preprocessor owns. */
  | 'percent'
  /** Any other character (or `%` as an operator). */
  | 'other';

export interface Token {
  type: TokenType;
  text: string;
}

const IDENT_START = /[A-Za-z_.?@]/;
const IDENT_PART = /[A-Za-z0-9_.?@$#~]/;

export function isIdentStart(ch: string | undefined): boolean {
  return ch !== undefined && IDENT_START.test(ch);
}

function isIdentPart(ch: string | undefined): boolean {
  return ch !== undefined && IDENT_PART.test(ch);
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function identEnd(text: string, from: number): number {
  let i = from;
  while (isIdentPart(text[i])) i++;
  return i;
}

/** Index just past a string starting at `start` (its quote), or the text's length when unterminated. */
function stringEnd(text: string, start: number): number {
  const quote = text[start]!;
  for (let j = start + 1; j < text.length; j++) {
    const c = text[j];
    if (quote === '`' && c === '\\') {
      j++;
      continue;
    }
    if (c === quote) return j + 1;
  }
  return text.length;
}

/** Index just past the `%` token starting at `start`. */
function percentEnd(text: string, start: number): number {
  const next = text[start + 1];
  if (isDigit(next)) {
    let i = start + 1;
    while (isDigit(text[i])) i++;
    return i;
  }
  if ((next === '+' || next === '-') && isDigit(text[start + 2])) {
    let i = start + 2;
    while (isDigit(text[i])) i++;
    return i;
  }
  if (next === '+' || next === '[') return start + 2;
  if (next === '{') {
    const close = text.indexOf('}', start + 2);
    return close < 0 ? text.length : close + 1;
  }
  if (next === '%') {
    // `%%name` is a local label; a bare `%%` is the signed modulo operator.
    return isIdentPart(text[start + 2]) ? identEnd(text, start + 2) : start + 2;
  }
  if (next === '$') {
    let i = start + 1;
    while (text[i] === '$') i++;
    return identEnd(text, i);
  }
  if (next === '?') return text[start + 2] === '?' ? start + 3 : start + 2;
  if (next === '!') return identEnd(text, start + 2);
  if (isIdentStart(next)) return identEnd(text, start + 1);
  return start + 1;
}

/** The tokens of a line's code (comments already removed). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    let end: number;
    let type: TokenType;
    if (ch === ' ' || ch === '\t') {
      end = i + 1;
      while (end < n && (text[end] === ' ' || text[end] === '\t')) end++;
      type = 'space';
    } else if (ch === '"' || ch === "'" || ch === '`') {
      end = stringEnd(text, i);
      type = 'string';
    } else if (ch === '%') {
      end = percentEnd(text, i);
      type = end === i + 1 || (end === i + 2 && text[i + 1] === '%') ? 'other' : 'percent';
    } else if (isDigit(ch) || (ch === '$' && isDigit(text[i + 1]))) {
      end = identEnd(text, i + 1);
      type = 'number';
    } else if (isIdentStart(ch) || (ch === '$' && isIdentStart(text[i + 1]))) {
      end = identEnd(text, i + 1);
      type = 'id';
    } else {
      end = i + 1;
      type = 'other';
    }
    tokens.push({ type, text: text.slice(i, end) });
    i = end;
  }
  return tokens;
}

export function joinTokens(tokens: readonly Token[]): string {
  let text = '';
  for (const token of tokens) text += token.text;
  return text;
}

export function trimSpaces(tokens: readonly Token[]): Token[] {
  let start = 0;
  let end = tokens.length;
  while (start < end && tokens[start]!.type === 'space') start++;
  while (end > start && tokens[end - 1]!.type === 'space') end--;
  return tokens.slice(start, end);
}

/**
 * Splits a multi-line macro's arguments at top-level commas. A `{…}` argument is one argument
 * with its braces removed. Each argument is trimmed of spaces. No text at all is no argument.
 */
export function splitMacroArgs(tokens: readonly Token[]): Token[][] {
  return splitMacroArgsAt(tokens).args;
}

/** The arguments and the index in `tokens` where each one's text starts. */
export function splitMacroArgsAt(tokens: readonly Token[]): { args: Token[][]; starts: number[] } {
  const args: Token[][] = [];
  const starts: number[] = [];
  if (trimSpaces(tokens).length === 0) return { args, starts };
  let current: Token[] = [];
  let depth = 0;
  starts.push(0);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === 'other') {
      if (token.text === '{') depth++;
      else if (token.text === '}' && depth > 0) depth--;
      else if (token.text === ',' && depth === 0) {
        args.push(unbrace(trimSpaces(current)));
        current = [];
        starts.push(i + 1);
        continue;
      }
    }
    current.push(token);
  }
  args.push(unbrace(trimSpaces(current)));
  return { args, starts };
}

function unbrace(tokens: Token[]): Token[] {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (tokens.length >= 2 && first!.text === '{' && last!.text === '}' && first!.type === 'other' && last!.type === 'other') {
    return trimSpaces(tokens.slice(1, -1));
  }
  return tokens;
}

/** Index of the first token that is not a space, from `from`; `tokens.length` when none. */
export function skipSpaces(tokens: readonly Token[], from: number): number {
  let i = from;
  while (i < tokens.length && tokens[i]!.type === 'space') i++;
  return i;
}

/** The tokens that are not white space. */
export function nonSpace(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.type !== 'space');
}

/** The text inside a string token's quotes; undefined for any other token. */
export function stringContents(token: Token | undefined): string | undefined {
  if (!token || token.type !== 'string' || token.text.length < 2) return undefined;
  return token.text.slice(1, -1);
}
