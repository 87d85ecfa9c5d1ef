// Preprocessing tokens as cpp lexes them after comments are gone: identifiers, pp-numbers,
// string and character literals, punctuators, and single other characters. Whitespace is not a
// token; each token records whether whitespace came before it.
import type { LogicalLine } from './lines';

export type TokenKind =
  | 'ident'
  | 'number'
  | 'string'
  | 'char'
  /** An unterminated quote: cpp keeps the rest of the line as one opaque token. */
  | 'opaque'
  | 'punct'
  | 'other'
  /** Internal: the end of a token list. */
  | 'eof'
  /** Internal: an end of line the expander went past to read a macro's arguments on the next line. */
  | 'join'
  /** Internal: an empty macro argument next to `##`. */
  | 'placemarker'
  /** Internal, `#if` only: the value of `defined X` when X is neither defined nor known to be undefined. */
  | 'unknown';

/** Names a macro is not expanded inside (the macros whose expansion produced the token). */
export interface HideSet {
  readonly name: string;
  readonly rest: HideSet | null;
  readonly size: number;
}

export interface Token {
  kind: TokenKind;
  text: string;
  /** Whitespace (or a comment) came before it. */
  space: boolean;
  hide: HideSet | null;
  next: Token | null;
  /**
   * The logical line a token as written was read from; absent on tokens a macro made (and on
   * copies), which are most tokens: they are two fields smaller. No end offset is kept (it is
   * `start + text.length`, see `endOf`), nor a list index.
   */
  line?: LogicalLine;
  /** Offset in `line.code` (tokens as written only). */
  start?: number;
}

/** Where a token as written ends in its line's `code`. */
export function endOf(t: Token): number {
  return t.start! + t.text.length;
}

/** `b` is the token right after `a` in the text they were both read from, as written. */
export function followsAsWritten(a: Token, b: Token): boolean {
  const line = a.line;
  if (line === undefined || b.line !== line) return false;
  const code = line.code;
  const from = endOf(a);
  const to = b.start!;
  if (to < from) return false;
  for (let i = from; i < to; i++) if (!isSpace(code.charCodeAt(i))) return false;
  return true;
}

export function hideSetHas(set: HideSet | null, name: string): boolean {
  for (let s = set; s; s = s.rest) if (s.name === name) return true;
  return false;
}

export function hideSetAdd(set: HideSet | null, name: string): HideSet {
  return hideSetHas(set, name) ? set! : { name, rest: set, size: (set?.size ?? 0) + 1 };
}

/**
 * Both sets' names: `b` with those of `a` it lacks put in front. A set holds each name once, so
 * each of `a`'s is looked for in `b` alone, not in what was added; and `a` is often a tail of `b`
 * (an argument written in the body of the macro now substituted), which holds it all.
 */
export function hideSetUnion(a: HideSet | null, b: HideSet | null): HideSet | null {
  if (!a) return b;
  if (!b) return a;
  for (let s: HideSet | null = b; s; s = s.rest) if (s === a) return b;
  let out = b;
  for (let s: HideSet | null = a; s; s = s.rest) if (!hideSetHas(b, s.name)) out = { name: s.name, rest: out, size: out.size + 1 };
  return out;
}

export function hideSetIntersect(a: HideSet | null, b: HideSet | null): HideSet | null {
  let out: HideSet | null = null;
  for (let s = a; s; s = s.rest) if (hideSetHas(b, s.name)) out = hideSetAdd(out, s.name);
  return out;
}

export function makeToken(kind: TokenKind, text: string, space: boolean): Token {
  return { kind, text, space, hide: null, next: null };
}

export function copyToken(t: Token): Token {
  return { kind: t.kind, text: t.text, space: t.space, hide: t.hide, next: null };
}

const enum Ch {
  Tab = 9,
  Space = 32,
  Bang = 33,
  DQuote = 34,
  Hash = 35,
  Dollar = 36,
  Percent = 37,
  Amp = 38,
  SQuote = 39,
  Star = 42,
  Plus = 43,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  UpperA = 65,
  UpperE = 69,
  UpperP = 80,
  UpperZ = 90,
  Backslash = 92,
  Caret = 94,
  Underscore = 95,
  LowerA = 97,
  LowerE = 101,
  LowerP = 112,
  LowerZ = 122,
  Bar = 124,
}

export function isIdentStart(c: number, dollars: boolean): boolean {
  return (
    (c >= Ch.LowerA && c <= Ch.LowerZ) || (c >= Ch.UpperA && c <= Ch.UpperZ) || c === Ch.Underscore || c >= 0x80 || (dollars && c === Ch.Dollar)
  );
}

export function isIdentPart(c: number, dollars: boolean): boolean {
  return isIdentStart(c, dollars) || (c >= Ch.Zero && c <= Ch.Nine);
}

/** ASCII letters, digits and `_`: 1 (the per-character loops read this instead of calling `isIdentPart`). */
const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) WORD[c] = isIdentPart(c, false) ? 1 : 0;

/** The end of the identifier characters from `i` (before `to`): `isIdentPart` without a call per character. */
function endOfIdentifier(text: string, i: number, to: number, dollars: boolean): number {
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c < 0x80 && WORD[c] === 0 && !(dollars && c === Ch.Dollar)) break;
    i++;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

export function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === 11 || c === 12 || c === 13 || c === 10;
}

/** End of a quoted literal starting at `at` (the quote), or -1 when the line ends first. */
export function endOfQuoted(text: string, at: number): number {
  const quote = text.charCodeAt(at);
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === Ch.Backslash) i++;
    else if (c === quote) return i + 1;
  }
  return -1;
}

/** End of a pp-number starting at `at`. */
function endOfNumber(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if ((c === Ch.Plus || c === Ch.Minus) && i > at) {
      const p = text.charCodeAt(i - 1);
      if (p === Ch.LowerE || p === Ch.UpperE || p === Ch.LowerP || p === Ch.UpperP) {
        i++;
        continue;
      }
      break;
    }
    if (isIdentPart(c, false) || c === Ch.Dot) i++;
    else break;
  }
  return i;
}

const THREE_CHAR = new Set(['...', '<<=', '>>=']);
const TWO_CHAR = new Set([
  '##', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=',
]);

function punctuatorLength(text: string, at: number): number {
  const c = text.charCodeAt(at);
  // Only these characters start a multi-character punctuator.
  if (c !== Ch.Dot && c !== Ch.Lt && c !== Ch.Gt && c !== Ch.Hash && c !== Ch.Minus && c !== Ch.Plus && c !== Ch.Eq && c !== Ch.Bang && c !== Ch.Amp && c !== Ch.Bar && c !== Ch.Star && c !== Ch.Slash && c !== Ch.Percent && c !== Ch.Caret) {
    return 1;
  }
  if (THREE_CHAR.has(text.substr(at, 3))) return 3;
  if (TWO_CHAR.has(text.substr(at, 2))) return 2;
  return 1;
}

const STRING_PREFIXES = new Set(['L', 'u', 'U', 'u8']);

export interface LexOptions {
  /** `$` is an identifier character (C, not assembler). */
  dollars: boolean;
}

/** Where `scanToken` leaves the token it read (one object per lexing, not per token). */
interface Scanned {
  kind: TokenKind;
  end: number;
}

/** Reads the token starting at `i` (not a blank) up to at most `to`. */
function scanToken(text: string, i: number, to: number, options: LexOptions, into: Scanned): void {
  const c = text.charCodeAt(i);
  const start = i;
  let kind: TokenKind;
  if (isIdentStart(c, options.dollars)) {
    i = endOfIdentifier(text, i + 1, to, options.dollars);
    kind = 'ident';
    const q = i < text.length ? text.charCodeAt(i) : -1; // a read past the end would deopt
    if (options.dollars && (q === Ch.DQuote || q === Ch.SQuote) && STRING_PREFIXES.has(text.slice(start, i))) {
      const end = endOfQuoted(text, i);
      if (end > 0 && end <= to) {
        i = end;
        kind = q === Ch.DQuote ? 'string' : 'char';
      }
    }
  } else if (isDigit(c) || (c === Ch.Dot && i + 1 < to && isDigit(text.charCodeAt(i + 1)))) {
    i = Math.min(endOfNumber(text, i), to);
    kind = 'number';
  } else if (c === Ch.DQuote || c === Ch.SQuote) {
    const end = endOfQuoted(text, i);
    if (end > 0 && end <= to) {
      i = end;
      kind = c === Ch.DQuote ? 'string' : 'char';
    } else {
      i = to;
      kind = 'opaque';
    }
  } else if (c < 0x7f && c > 32 && c !== Ch.Backslash && c !== Ch.Dollar && c !== 64 && c !== 96) {
    i += Math.min(punctuatorLength(text, i), to - i);
    kind = 'punct';
  } else {
    i++;
    kind = 'other';
  }
  into.kind = kind;
  into.end = i;
}

/**
 * Tokens of `text` from `from` to `to`, at most `max` of them. `code` lines have their comments
 * blanked already, so nothing here knows about comments.
 */
export function lex(text: string, options: LexOptions, from = 0, to = text.length, line: LogicalLine | null = null, max = Infinity): Token[] {
  const out: Token[] = [];
  const scanned: Scanned = { kind: 'other', end: 0 };
  let space = false;
  let i = from;
  while (i < to && out.length < max) {
    if (isSpace(text.charCodeAt(i))) {
      space = true;
      i++;
      continue;
    }
    scanToken(text, i, to, options, scanned);
    const spelling = text.slice(i, scanned.end);
    out.push(line ? { kind: scanned.kind, text: spelling, space, hide: null, next: null, line, start: i } : makeToken(scanned.kind, spelling, space));
    space = false;
    i = scanned.end;
  }
  return out;
}

/** The token `text` lexes as when it is one token (blanks around it allowed), made by no line; else undefined. */
export function lexOne(text: string, options: LexOptions): Token | undefined {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (i === text.length) return undefined;
  const scanned: Scanned = { kind: 'other', end: 0 };
  scanToken(text, i, text.length, options, scanned);
  for (let k = scanned.end; k < text.length; k++) if (!isSpace(text.charCodeAt(k))) return undefined;
  return makeToken(scanned.kind, text.slice(i, scanned.end), false);
}

/** Links a token array into a list ending in a fresh `eof` token; returns the head. */
export function link(tokens: readonly Token[], last?: Token): Token {
  const end = last ?? makeToken('eof', '', false);
  let next = end;
  for (let i = tokens.length - 1; i >= 0; i--) {
    tokens[i]!.next = next;
    next = tokens[i]!;
  }
  return next;
}

/** Two tokens that would lex as one if written side by side. */
export function wouldPaste(a: Token, b: Token, dollars: boolean): boolean {
  const x = a.text.charCodeAt(a.text.length - 1);
  const y = b.text.charCodeAt(0);
  if (Number.isNaN(x) || Number.isNaN(y)) return false;
  if (isIdentPart(x, dollars) && (isIdentPart(y, dollars) || y === Ch.DQuote || y === Ch.SQuote)) return true;
  if (a.kind === 'number' && (y === Ch.Dot || y === Ch.Plus || y === Ch.Minus)) return true;
  if (a.kind !== 'punct' || b.kind !== 'punct') return false;
  return TWO_CHAR.has(String.fromCharCode(x, y)) || (x === Ch.Dot && y === Ch.Dot) || (x === Ch.Slash && (y === Ch.Slash || y === Ch.Star));
}

/**
 * Whether `code` names an identifier `isMacro` accepts, read as the lexer would (not inside
 * numbers or literals), without making tokens: most lines have no macro in them.
 */
export function mentionsMacro(code: string, dollars: boolean, isMacro: (name: string) => boolean): boolean {
  const n = code.length;
  let i = 0;
  while (i < n) {
    const c = code.charCodeAt(i);
    if (c >= 0x80 || WORD[c] === 1 || (dollars && c === Ch.Dollar)) {
      if (isDigit(c)) {
        i = endOfNumber(code, i);
        continue;
      }
      const start = i;
      i = endOfIdentifier(code, i + 1, n, dollars);
      if (isMacro(code.slice(start, i))) return true;
    } else if (c === Ch.DQuote || c === Ch.SQuote) {
      const end = endOfQuoted(code, i);
      if (end < 0) return false;
      i = end;
    } else {
      i++;
    }
  }
  return false;
}
