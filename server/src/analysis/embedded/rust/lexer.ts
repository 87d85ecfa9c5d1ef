// A Rust lexer that knows only what finding `asm!` and intrinsic calls needs: comments (nested
// block comments; kept, for suppression directives), string literals (raw, byte and C strings
// too), char literals told apart from lifetimes and labels, identifiers (raw `r#ident` too),
// numbers and punctuation. Unterminated literals and comments are reported and end at the text's end.
export type RustTokenKind = 'ident' | 'lifetime' | 'string' | 'char' | 'number' | 'punct';

import { isIdentPart as isCppIdentPart, isIdentStart as isCppIdentStart } from '../../project/cpp/tokens';
export interface RustToken {
  readonly kind: RustTokenKind;
  readonly start: number;
  readonly end: number;
  /** Identifiers without `r#`, punctuation as written; empty for literals (read them from the text). */
  readonly text: string;
  /** Strings: where the contents start and end (inside the quotes). */
  readonly contentStart?: number;
  readonly contentEnd?: number;
  /** Strings: raw (`r"…"`, `r#"…"#`): no escapes. */
  readonly raw?: boolean;
  /** Strings: the prefix (`b`, `c`, `br`…) or `''` for a plain string. */
  readonly prefix?: string;
}

export interface RustComment {
  readonly start: number;
  readonly end: number;
}

export interface RustLexProblem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

export interface RustLexResult {
  readonly tokens: RustToken[];
  readonly comments: RustComment[];
  readonly problems: RustLexProblem[];
}

const NL = 10;
const CR = 13;
const BACKSLASH = 92;
const SLASH = 47;
const STAR = 42;
const DQUOTE = 34;
const SQUOTE = 39;
const HASH = 35;

function isIdentStart(c: number): boolean {
  return isCppIdentStart(c, false);
}

function isIdentPart(c: number): boolean {
  return isCppIdentPart(c, false);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === NL || c === CR || c === 11 || c === 12;
}

const PUNCT2 = new Set(['::', '=>', '->', '..', '==', '!=', '<=', '>=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '^=', '&=', '|=', '<<', '>>']);
const STRING_PREFIXES = new Set(['b', 'c', 'r', 'br', 'cr']);

export function lexRust(text: string): RustLexResult {
  return lexRustFrom(text, 0, text.length);
}

/**
 * The tokens, comments and problems that start in `[from, limit)`, read from `from`, which must be
 * a token boundary outside every comment and literal (an incremental scan's checkpoint). `end` is
 * where the last one read ends: `limit` exactly when none runs past it.
 */
export function lexRustFrom(text: string, from: number, limit: number): RustLexResult & { end: number } {
  const lexer = new Lexer(text, from);
  lexer.run(limit);
  return { tokens: lexer.tokens, comments: lexer.comments, problems: lexer.problems, end: lexer.offset };
}

class Lexer {
  readonly tokens: RustToken[] = [];
  readonly comments: RustComment[] = [];
  readonly problems: RustLexProblem[] = [];

  constructor(
    private readonly text: string,
    private at: number,
  ) {}

  get offset(): number {
    return this.at;
  }

  run(limit: number): void {
    const text = this.text;
    while (this.at < limit) {
      const c = text.charCodeAt(this.at);
      if (isSpace(c)) this.at++;
      else if (c === SLASH && text.charCodeAt(this.at + 1) === SLASH) this.lineComment();
      else if (c === SLASH && text.charCodeAt(this.at + 1) === STAR) this.blockComment();
      else if (isIdentStart(c)) this.identOrPrefixed();
      else if (isDigit(c)) this.number();
      else if (c === DQUOTE) this.string(this.at, '', this.at);
      else if (c === SQUOTE) this.quote(this.at, this.at);
      else this.punct();
    }
  }

  private lineComment(): void {
    const start = this.at;
    let i = start + 2;
    while (i < this.text.length && this.text.charCodeAt(i) !== NL && this.text.charCodeAt(i) !== CR) i++;
    this.comments.push({ start, end: i });
    this.at = i;
  }

  private blockComment(): void {
    const text = this.text;
    const start = this.at;
    let depth = 0;
    let i = start;
    while (i < text.length) {
      if (text.charCodeAt(i) === SLASH && text.charCodeAt(i + 1) === STAR) {
        depth++;
        i += 2;
      } else if (text.charCodeAt(i) === STAR && text.charCodeAt(i + 1) === SLASH) {
        depth--;
        i += 2;
        if (depth === 0) break;
      } else i++;
    }
    if (depth > 0) this.problems.push({ start, end: text.length, message: 'unterminated block comment' });
    this.comments.push({ start, end: Math.min(i, text.length) });
    this.at = Math.min(i, text.length);
  }

  private identOrPrefixed(): void {
    const text = this.text;
    const start = this.at;
    let i = start;
    while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
    const word = text.slice(start, i);
    const next = text.charCodeAt(i);
    if (STRING_PREFIXES.has(word) && (next === DQUOTE || (next === HASH && word.endsWith('r') && this.rawStringAhead(i)))) {
      this.string(start, word, i);
      return;
    }
    if (word === 'b' && next === SQUOTE) {
      this.quote(start, i);
      return;
    }
    if (word === 'r' && next === HASH && isIdentStart(text.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < text.length && isIdentPart(text.charCodeAt(j))) j++;
      this.tokens.push({ kind: 'ident', start, end: j, text: text.slice(i + 1, j) });
      this.at = j;
      return;
    }
    this.tokens.push({ kind: 'ident', start, end: i, text: word });
    this.at = i;
  }

  /** `#…#"` follows: a raw string, not a raw identifier or an attribute. */
  private rawStringAhead(i: number): boolean {
    let j = i;
    while (this.text.charCodeAt(j) === HASH) j++;
    return this.text.charCodeAt(j) === DQUOTE;
  }

  private number(): void {
    const text = this.text;
    let i = this.at;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (isIdentPart(c)) i++;
      else if (c === 46 && isDigit(text.charCodeAt(i + 1))) i++; // `1.5`, but not `1..2` or `x.0.method`
      else break;
    }
    this.tokens.push({ kind: 'number', start: this.at, end: i, text: text.slice(this.at, i) });
    this.at = i;
  }

  /** A string literal; `quoteAt` is where the hashes or the opening quote are. */
  private string(start: number, prefix: string, quoteAt: number): void {
    const text = this.text;
    const raw = prefix.endsWith('r');
    let hashes = 0;
    let i = quoteAt;
    while (raw && text.charCodeAt(i) === HASH) {
      hashes++;
      i++;
    }
    const contentStart = i + 1;
    i = contentStart;
    let contentEnd = -1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (!raw && c === BACKSLASH) {
        i += 2;
        continue;
      }
      if (c === DQUOTE && this.hashesAt(i + 1, hashes)) {
        contentEnd = i;
        i += 1 + hashes;
        break;
      }
      i++;
    }
    if (contentEnd < 0) {
      this.problems.push({ start, end: text.length, message: 'unterminated string literal' });
      contentEnd = text.length;
      i = text.length;
    }
    this.tokens.push({ kind: 'string', start, end: i, text: '', contentStart, contentEnd, raw, prefix });
    this.at = i;
  }

  private hashesAt(i: number, count: number): boolean {
    for (let k = 0; k < count; k++) if (this.text.charCodeAt(i + k) !== HASH) return false;
    return true;
  }

  /** `'` starts a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime / label (`'a`, `'static`). */
  private quote(start: number, quoteAt: number): void {
    const text = this.text;
    const first = text.charCodeAt(quoteAt + 1);
    if (first === BACKSLASH) {
      let i = quoteAt + 2;
      if (text.charCodeAt(i) === 117 /* u */ && text.charCodeAt(i + 1) === 123 /* { */) {
        const close = text.indexOf('}', i);
        i = close < 0 ? text.length : close + 1;
      } else if (text.charCodeAt(i) === 120 /* x */) i += 3;
      else i++;
      this.finishChar(start, i);
      return;
    }
    const width = first >= 0xd800 && first <= 0xdbff ? 2 : 1;
    if (text.charCodeAt(quoteAt + 1 + width) === SQUOTE && first !== NL && first !== CR && !Number.isNaN(first)) {
      this.finishChar(start, quoteAt + 1 + width);
      return;
    }
    if (isIdentStart(first)) {
      let i = quoteAt + 1;
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
      this.tokens.push({ kind: 'lifetime', start, end: i, text: text.slice(quoteAt, i) });
      this.at = i;
      return;
    }
    this.tokens.push({ kind: 'punct', start, end: quoteAt + 1, text: "'" });
    this.at = quoteAt + 1;
  }

  private finishChar(start: number, closeAt: number): void {
    if (this.text.charCodeAt(closeAt) !== SQUOTE) {
      this.problems.push({ start, end: Math.min(closeAt, this.text.length), message: 'unterminated character literal' });
      const end = Math.min(closeAt, this.text.length);
      this.tokens.push({ kind: 'char', start, end, text: '' });
      this.at = Math.max(end, start + 1);
      return;
    }
    this.tokens.push({ kind: 'char', start, end: closeAt + 1, text: '' });
    this.at = closeAt + 1;
  }

  private punct(): void {
    const two = this.text.slice(this.at, this.at + 2);
    const width = PUNCT2.has(two) ? 2 : this.isSurrogatePair() ? 2 : 1;
    this.tokens.push({ kind: 'punct', start: this.at, end: this.at + width, text: this.text.slice(this.at, this.at + width) });
    this.at += width;
  }

  private isSurrogatePair(): boolean {
    const c = this.text.charCodeAt(this.at);
    return c >= 0xd800 && c <= 0xdbff;
  }
}
