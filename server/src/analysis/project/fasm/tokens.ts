// FASM's preprocessor sees a line as a list of symbols: names, quoted strings and single symbol
// characters, each possibly escaped with backslashes inside macro bodies. Tokens keep the
// whitespace before them so a line rebuilt from them keeps its columns where nothing changed.
import { INITIAL_LEX_STATE, lexLine } from '../../syntax/lexer';
import { quotedStringEnd } from '../shared/quotedString';

export type TokenKind = 'name' | 'string' | 'char';

export interface Token {
  readonly kind: TokenKind;
  /** The symbol without its escaping backslashes. */
  readonly text: string;
  /** Leading backslashes (`\{` has one). */
  readonly escapes: number;
  /** Whitespace written before the token. */
  readonly gap: string;
  /** Column in the line the token was read from, or -1 for a token a substitution produced. */
  readonly start: number;
}

const SYMBOL_CHARACTERS = new Set('+-/*=<>()[]{}:,|&~#`');

/** The code part of a line: FASM comments start at `;` outside strings. */
export function codeOf(line: string): string {
  const lexed = lexLine(line, 'fasm', INITIAL_LEX_STATE);
  const comment = lexed.comments[0];
  return comment ? line.slice(0, comment.start) : line;
}

export function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = code.length;
  while (i < n) {
    const gapStart = i;
    while (i < n && (code[i] === ' ' || code[i] === '\t' || code[i] === '\r' || code[i] === '\f')) i++;
    if (i >= n) break;
    const gap = code.slice(gapStart, i);
    const start = i;
    let escapes = 0;
    while (code[i] === '\\' && i + 1 < n && !isSpace(code[i + 1]!)) {
      escapes++;
      i++;
    }
    const ch = code[i]!;
    if (ch === '\\') {
      tokens.push({ kind: 'char', text: '\\', escapes, gap, start });
      i++;
    } else if (ch === "'" || ch === '"') {
      const end = quotedStringEnd(code, i);
      tokens.push({ kind: 'string', text: code.slice(i, end), escapes, gap, start });
      i = end;
    } else if (SYMBOL_CHARACTERS.has(ch)) {
      tokens.push({ kind: 'char', text: ch, escapes, gap, start });
      i++;
    } else {
      let end = i;
      while (end < n && isNameCharacter(code[end]!)) end++;
      tokens.push({ kind: 'name', text: code.slice(i, end), escapes, gap, start });
      i = end;
    }
  }
  return tokens;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f';
}

function isNameCharacter(ch: string): boolean {
  return !isSpace(ch) && !SYMBOL_CHARACTERS.has(ch) && ch !== "'" && ch !== '"' && ch !== '\\' && ch !== ';';
}

export function render(tokens: readonly Token[]): string {
  let text = '';
  for (const token of tokens) text += token.gap + '\\'.repeat(token.escapes) + token.text;
  return text;
}

export function isChar(token: Token | undefined, ch: string): boolean {
  return token !== undefined && token.kind === 'char' && token.escapes === 0 && token.text === ch;
}

export function isName(token: Token | undefined): token is Token {
  return token !== undefined && token.kind === 'name' && token.escapes === 0;
}

/** The keyword a token spells, lower case (directives are case-insensitive); undefined for other tokens. */
export function keyword(token: Token | undefined): string | undefined {
  return isName(token) ? token.text.toLowerCase() : undefined;
}

export function withGap(token: Token, gap: string): Token {
  return token.gap === gap ? token : { ...token, gap };
}

export function generated(kind: TokenKind, text: string, gap: string): Token {
  return { kind, text, escapes: 0, gap, start: -1 };
}

/** Splits at top-level commas (not inside `<…>` groups when `angles`); an empty list gives no parts. */
export function splitCommas(tokens: readonly Token[]): Token[][] {
  const parts: Token[][] = [];
  if (tokens.length === 0) return parts;
  let current: Token[] = [];
  for (const token of tokens) {
    if (isChar(token, ',')) {
      parts.push(current);
      current = [];
    } else current.push(token);
  }
  parts.push(current);
  return parts;
}

/**
 * Macro arguments: separated by commas, an argument that starts with `<` runs to its matching
 * `>` and may hold commas (the brackets are dropped).
 */
export function splitArguments(tokens: readonly Token[]): Token[][] {
  const args: Token[][] = [];
  if (tokens.length === 0) return args;
  let current: Token[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (current.length === 0 && isChar(token, '<')) {
      let depth = 1;
      let j = i + 1;
      for (; j < tokens.length; j++) {
        if (isChar(tokens[j], '<')) depth++;
        else if (isChar(tokens[j], '>') && --depth === 0) break;
      }
      for (let k = i + 1; k < j && k < tokens.length; k++) current.push(tokens[k]!);
      i = j + 1;
      continue;
    }
    if (isChar(token, ',')) {
      args.push(trimFirstGap(current));
      current = [];
    } else current.push(token);
    i++;
  }
  args.push(trimFirstGap(current));
  return args;
}

export function trimFirstGap(tokens: Token[]): Token[] {
  if (tokens.length > 0 && tokens[0]!.gap !== '') tokens[0] = withGap(tokens[0]!, '');
  return tokens;
}

export function sameTokens(a: readonly Token[], b: readonly Token[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind !== y.kind || x.text !== y.text || x.escapes !== y.escapes || x.gap !== y.gap) return false;
  }
  return true;
}
