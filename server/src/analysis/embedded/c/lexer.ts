// A C/C++ lexer that knows only what finding inline assembly needs: comments (kept, for
// suppression directives), string and character literals (raw strings too), identifiers,
// pp-numbers, punctuators, line splices, and where logical lines start (for directives). It is
// pulled one token at a time and can be moved to any offset, so an MSVC `__asm` block, which is
// not C, can be read as raw text and the lexer set past it.
import type { HostComment } from '../types';
import { isIdentPart as isCppIdentPart, isIdentStart as isCppIdentStart } from '../../project/cpp/tokens';
import { emptyList } from '../../syntax/emptyList';

export type CTokenKind = 'ident' | 'number' | 'string' | 'char' | 'punct' | 'other' | 'eof';

export interface CToken {
  readonly kind: CTokenKind;
  /** The spelling as written (splices included). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Whitespace or a comment came before it. */
  readonly space: boolean;
  /** First token of a logical line (a `#` here starts a directive). */
  readonly bol: boolean;
  /** An identifier's `nameHash` (made as its characters are read); 0 for the other kinds. */
  readonly hash: number;
}

export interface LexProblem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

const NL = 10;
const CR = 13;
const BACKSLASH = 92;
const SLASH = 47;
const STAR = 42;
const DQUOTE = 34;
const SQUOTE = 39;
const HASH = 35;

/** GCC takes `$` in identifiers. */
const DOLLARS = true;

function isIdentStart(c: number): boolean {
  return isCppIdentStart(c, DOLLARS);
}

function isIdentPart(c: number): boolean {
  return isCppIdentPart(c, DOLLARS);
}

/** ASCII characters that continue an identifier (1); every other character does. Read per character instead of calling `isIdentPart`. */
const IDENT_PART = new Uint8Array(128);
for (let c = 0; c < 128; c++) IDENT_PART[c] = isIdentPart(c) ? 1 : 0;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const DOT = 46;
const LT = 60;
const GT = 62;
const EQ = 61;
const MINUS = 45;
const PLUS = 43;
const AMP = 38;
const PIPE = 124;
const COLON = 58;

/**
 * The length of the punctuator at `at`: the longest of `...`, `<<=`, `>>=`, `->*`, `<=>`, then
 * `##`, `->`, `++`, `--`, `<<`, `>>`, `<=`, `>=`, `==`, `!=`, `&&`, `||`, `*=`, `/=`, `%=`,
 * `+=`, `-=`, `&=`, `^=`, `|=`, `::`, `.*`, else one character. Read from character codes: the
 * lexer meets a punctuator every few characters, and cutting strings to look them up in sets
 * cost more than the rest of the lexing.
 */
function punctuatorLength(text: string, at: number): number {
  const b = text.charCodeAt(at + 1);
  switch (text.charCodeAt(at)) {
    case DOT:
      if (b === DOT) return text.charCodeAt(at + 2) === DOT ? 3 : 1;
      return b === STAR ? 2 : 1;
    case LT:
      if (b === LT) return text.charCodeAt(at + 2) === EQ ? 3 : 2;
      if (b === EQ) return text.charCodeAt(at + 2) === GT ? 3 : 2;
      return 1;
    case GT:
      if (b === GT) return text.charCodeAt(at + 2) === EQ ? 3 : 2;
      return b === EQ ? 2 : 1;
    case MINUS:
      if (b === GT) return text.charCodeAt(at + 2) === STAR ? 3 : 2;
      return b === MINUS || b === EQ ? 2 : 1;
    case HASH:
      return b === HASH ? 2 : 1;
    case PLUS:
      return b === PLUS || b === EQ ? 2 : 1;
    case AMP:
      return b === AMP || b === EQ ? 2 : 1;
    case PIPE:
      return b === PIPE || b === EQ ? 2 : 1;
    case COLON:
      return b === COLON ? 2 : 1;
    default:
      // `=`, `!`, `*`, `/`, `%`, `^`, and the characters no longer punctuator starts with.
      return b === EQ && MAY_TAKE_EQUALS[text.charCodeAt(at)] === 1 ? 2 : 1;
  }
}

/** The punctuators of more than one character `punctuatorLength` reads. */
const LONG_PUNCTUATORS = ['...', '<<=', '>>=', '->*', '<=>', '##', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '::', '.*'];

/** Two or three ASCII characters as one number. */
function punctuatorKey(text: string, start: number, end: number): number {
  let key = 0;
  for (let i = start; i < end; i++) key = key * 128 + text.charCodeAt(i);
  return key;
}

const LONG_PUNCTUATOR_TEXT = new Map<number, string>();
for (const p of LONG_PUNCTUATORS) LONG_PUNCTUATOR_TEXT.set(punctuatorKey(p, 0, p.length), p);

/**
 * A punctuator's text, one string for all its tokens: V8 keeps a literal (and a one-character
 * string) internalized, and compares two such strings by address. A cut copy of the text is
 * compared by content, and code optimized while it met only the first kind at a comparison
 * (`t.text === '('`) deoptimizes when the other comes.
 */
function punctuatorText(text: string, start: number, end: number): string {
  if (end - start === 1) return text.slice(start, end);
  return LONG_PUNCTUATOR_TEXT.get(punctuatorKey(text, start, end)) ?? text.slice(start, end);
}

/** `==`, `!=`, `*=`, `/=`, `%=`, `^=`: the other characters a `=` makes a two-character punctuator with. */
const MAY_TAKE_EQUALS = new Uint8Array(128);
for (const ch of '=!*/%^') MAY_TAKE_EQUALS[ch.charCodeAt(0)] = 1;

/** Where a skip ends: the end, or a token first on its line (for `directive`, only a `#` there). */
function stopsSkip(kind: CTokenKind, bol: boolean, hash: boolean, directive: boolean): boolean {
  return kind === 'eof' || (bol && (!directive || hash));
}

const STRING_PREFIXES = new Set(['L', 'u', 'U', 'u8']);
const RAW_PREFIXES = new Set(['R', 'LR', 'uR', 'UR', 'u8R']);

export class CLexer {
  private at = 0;
  private bol = true;
  private peeked: CToken | undefined;
  // The scanner's checkpoints read their lengths, empty or not: `emptyList`.
  readonly comments = emptyList<HostComment>();
  readonly problems = emptyList<LexProblem>();
  /** Problems are not reported while reading a branch the preprocessor skips. */
  quiet = false;
  /** What `scanToken` last found (what `scanOnLine` read). */
  private readonly scannedToken: { kind: CTokenKind; start: number; end: number; space: boolean; bol: boolean; hash: number } = {
    kind: 'eof', start: 0, end: 0, space: false, bol: true, hash: 0,
  };

  /** `lineOf` places the comments kept; without it none are (a header's comments are never reported). */
  constructor(
    readonly text: string,
    private readonly lineOf?: (offset: number) => { line: number; column: number },
  ) {}

  get offset(): number {
    return this.peeked ? this.peeked.start : this.at;
  }

  /** Goes on reading at `offset` (after raw text read by someone else). */
  seek(offset: number, bol: boolean): void {
    this.peeked = undefined;
    this.at = offset;
    this.bol = bol;
  }

  peek(): CToken {
    this.peeked ??= this.read();
    return this.peeked;
  }

  next(): CToken {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** The next token when it is on the same logical line, else undefined (the line's end stays for `next`). */
  nextOnLine(): CToken | undefined {
    const t = this.peek();
    if (t.kind === 'eof' || t.bol) return undefined;
    this.peeked = undefined;
    return t;
  }

  /** The token `scanOnLine` or `scanNext` read (overwritten by the next). */
  get scanned(): Readonly<{ kind: CTokenKind; start: number; end: number; space: boolean; bol: boolean; hash: number }> {
    return this.scannedToken;
  }

  /** `next` without the token object: the token is then read from `scanned` (a peeked one is copied there). */
  scanNext(): void {
    const peeked = this.peeked;
    if (peeked === undefined) this.scanToken();
    else this.takePeeked(peeked);
  }

  /** Moves the peeked token into `scanned`. */
  private takePeeked(peeked: CToken): void {
    this.peeked = undefined;
    const out = this.scannedToken;
    out.kind = peeked.kind;
    out.start = peeked.start;
    out.end = peeked.end;
    out.space = peeked.space;
    out.bol = peeked.bol;
    out.hash = peeked.hash;
  }

  /** The token in `scanned` as the object `next` would have returned. */
  tokenOfScanned(): CToken {
    return this.madeToken();
  }

  /**
   * `nextOnLine` without the token object: whether there was a token on the line, then read
   * from `scanned`. At the line's end, its next token is peeked, as `nextOnLine` leaves it.
   */
  scanOnLine(): boolean {
    const peeked = this.peeked;
    if (peeked) {
      if (peeked.kind === 'eof' || peeked.bol) return false;
      this.takePeeked(peeked);
      return true;
    }
    this.scanToken();
    const out = this.scannedToken;
    if (out.kind !== 'eof' && !out.bol) return true;
    this.peeked = this.madeToken();
    return false;
  }

  /** Offset of the end of the logical line holding `from` (splices followed). */
  endOfLogicalLine(from: number): number {
    const text = this.text;
    let i = from;
    for (;;) {
      const nl = nextBreak(text, i);
      if (nl < 0) return text.length;
      if (isSpliceBefore(text, nl)) {
        i = afterBreak(text, nl);
        continue;
      }
      return nl;
    }
  }

  private read(): CToken {
    this.scanToken();
    return this.madeToken();
  }

  /**
   * Skips the rest of the current logical line as `nextOnLine` would read it (comments are still
   * kept, problems reported unless quiet) without making its tokens: a directive whose tokens
   * nobody needs. The next line's first token is then peeked.
   */
  skipRestOfLine(): void {
    this.skipUntil(false);
  }

  /**
   * Skips tokens as `next` would read them, without making them, up to the next `#` that starts a
   * logical line (peeked) or the end: the code of a branch the preprocessor does not take.
   */
  skipToDirective(): void {
    this.skipUntil(true);
  }

  /** Scans without making tokens up to the first that starts a line (`directive`: a line's `#`) or the end, and peeks it. */
  private skipUntil(directive: boolean): void {
    const peeked = this.peeked;
    if (peeked) {
      if (stopsSkip(peeked.kind, peeked.bol, peeked.text === '#', directive)) return;
      this.peeked = undefined;
    }
    const text = this.text;
    const scanned = this.scannedToken;
    for (;;) {
      this.scanToken();
      const hash = scanned.kind === 'punct' && scanned.end - scanned.start === 1 && text.charCodeAt(scanned.start) === HASH;
      if (stopsSkip(scanned.kind, scanned.bol, hash, directive)) break;
    }
    this.peeked = this.madeToken();
  }

  private madeToken(): CToken {
    const { kind, start, end, space, bol, hash } = this.scannedToken;
    const text = kind === 'punct' ? punctuatorText(this.text, start, end) : kind === 'eof' ? '' : this.text.slice(start, end);
    return { kind, text, start, end, space, bol, hash };
  }

  /** Reads the next token's extent into `scanned` (comments kept, problems noted). */
  private scanToken(): void {
    const text = this.text;
    const n = text.length;
    const out = this.scannedToken;
    let space = false;
    let bol = this.bol;
    let i = this.at;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === NL || c === CR) {
        bol = true;
        space = true;
        i++;
        continue;
      }
      if (c === 32 || c === 9 || c === 11 || c === 12) {
        space = true;
        i++;
        continue;
      }
      if (c === BACKSLASH && spliceEnd(text, i) > 0) {
        i = spliceEnd(text, i);
        space = true;
        continue;
      }
      if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
        i = this.lineComment(i);
        space = true;
        continue;
      }
      if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
        i = this.blockComment(i);
        space = true;
        continue;
      }
      break;
    }
    this.bol = false;
    out.space = space;
    if (i >= n) {
      this.at = n;
      out.kind = 'eof';
      out.start = n;
      out.end = n;
      out.bol = true;
      out.hash = 0;
      return;
    }
    out.bol = bol;
    const start = i;
    const c = text.charCodeAt(i);
    let kind: CTokenKind;
    let hash = 0;
    if (isIdentStart(c)) {
      // `nameHash` of the name, made while its characters are read.
      hash = c;
      i++;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d < 128 && IDENT_PART[d] === 0) break;
        hash = (Math.imul(hash, 31) + d) | 0;
      }
      kind = 'ident';
      // Not read past the end: optimized code that meets an index out of a string's bounds deoptimizes.
      const q = i < n ? text.charCodeAt(i) : 0;
      if (q === DQUOTE || q === SQUOTE) {
        const prefix = text.slice(start, i);
        if (q === DQUOTE && RAW_PREFIXES.has(prefix)) {
          i = this.rawString(start, i);
          kind = 'string';
        } else if (STRING_PREFIXES.has(prefix)) {
          i = this.quoted(start, i);
          kind = q === DQUOTE ? 'string' : 'char';
        }
      }
    } else if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i = endOfNumber(text, i);
      kind = 'number';
    } else if (c === DQUOTE || c === SQUOTE) {
      i = this.quoted(start, i);
      kind = c === DQUOTE ? 'string' : 'char';
    } else if (c > 32 && c < 127 && c !== BACKSLASH && c !== 64 && c !== 96) {
      i += punctuatorLength(text, i);
      kind = 'punct';
    } else {
      i++;
      kind = 'other';
    }
    this.at = i;
    out.kind = kind;
    out.start = start;
    out.end = i;
    out.hash = kind === 'ident' ? hash : 0;
  }

  /** End of a quoted literal whose quote is at `quote`; at the line's end when it does not close (reported). */
  private quoted(start: number, quote: number): number {
    const text = this.text;
    const q = text.charCodeAt(quote);
    let i = quote + 1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        const splice = spliceEnd(text, i);
        i = splice > 0 ? splice : i + 2;
        continue;
      }
      if (c === q) return i + 1;
      if (c === NL || c === CR) break;
      i++;
    }
    const end = Math.min(i, text.length);
    this.problem(start, end, q === DQUOTE ? 'unterminated string literal' : 'unterminated character constant');
    return end;
  }

  /** `R"delim( … )delim"`, which may span lines and holds no escapes. */
  private rawString(start: number, quote: number): number {
    const text = this.text;
    const open = text.indexOf('(', quote + 1);
    const delimiter = open < 0 ? '' : text.slice(quote + 1, open);
    if (open < 0 || delimiter.length > 16 || /[\s\\)]/.test(delimiter)) {
      return this.quoted(start, quote);
    }
    const close = text.indexOf(`)${delimiter}"`, open + 1);
    if (close < 0) {
      this.problem(start, text.length, 'unterminated raw string literal');
      return text.length;
    }
    return close + delimiter.length + 2;
  }

  private lineComment(from: number): number {
    const end = this.endOfLogicalLine(from);
    this.addComment(from, end);
    return end;
  }

  private blockComment(from: number): number {
    const close = this.text.indexOf('*/', from + 2);
    if (close < 0) {
      this.problem(from, this.text.length, 'unterminated comment');
      this.addComment(from, this.text.length);
      return this.text.length;
    }
    this.addComment(from, close + 2);
    return close + 2;
  }

  /** A comment cut at each line break, one `HostComment` per line. */
  private addComment(from: number, to: number): void {
    const lineOf = this.lineOf;
    if (lineOf === undefined) return;
    const text = this.text;
    let i = from;
    while (i < to) {
      const nl = nextBreak(text, i);
      const end = nl < 0 || nl > to ? to : nl;
      const where = lineOf(i);
      this.comments.push({ line: where.line, start: where.column, text: text.slice(i, end) });
      if (end >= to) break;
      i = afterBreak(text, end);
    }
  }

  private problem(start: number, end: number, message: string): void {
    if (!this.quiet) this.problems.push({ start, end, message });
  }
}

function nextBreak(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NL || c === CR) return i;
  }
  return -1;
}

function afterBreak(text: string, at: number): number {
  return text.charCodeAt(at) === CR && text.charCodeAt(at + 1) === NL ? at + 2 : at + 1;
}

/** Whether the line break at `nl` ends a line whose last non-blank character is a backslash. */
function isSpliceBefore(text: string, nl: number): boolean {
  let i = nl - 1;
  while (i >= 0 && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i--;
  return i >= 0 && text.charCodeAt(i) === BACKSLASH;
}

/** After a backslash at `at` that ends its line (blanks allowed, as gcc does): the next line's start; else -1. */
export function spliceEnd(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  const c = text.charCodeAt(i);
  if (c !== NL && c !== CR) return -1;
  return afterBreak(text, i);
}

function endOfNumber(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 43 || c === 45) {
      const p = text.charCodeAt(i - 1) | 32;
      if (p === 101 || p === 112) {
        i++;
        continue;
      }
      break;
    }
    if (isIdentPart(c) || c === 46 || (c === SQUOTE && isIdentPart(text.charCodeAt(i + 1)))) i++;
    else break;
  }
  return i;
}

/**
 * Offset of the next `#` that starts a directive at or after `from` (itself at the start of a
 * logical line), or -1. Reads comments, literals and splices without making tokens: a header is
 * read for its directives only, and most of its lines are not.
 */
export function nextDirective(text: string, from: number): number {
  const n = text.length;
  let i = from;
  let lineStart = true;
  while (i < n) {
    if (lineStart) {
      while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
      if (text.charCodeAt(i) === 35) return i;
      lineStart = false;
    }
    const c = text.charCodeAt(i);
    if (c === NL || c === CR) {
      i++;
      lineStart = true;
      continue;
    }
    if (c === BACKSLASH) {
      const splice = spliceEnd(text, i);
      i = splice > 0 ? splice : i + 1;
      continue;
    }
    if (c === SLASH) {
      const d = text.charCodeAt(i + 1);
      if (d === STAR) {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) return -1;
        i = close + 2;
        continue;
      }
      if (d === SLASH) {
        const nl = nextBreak(text, i);
        if (nl < 0) return -1;
        i = isSpliceBefore(text, nl) ? afterBreak(text, nl) : nl;
        continue;
      }
    }
    if (c === DQUOTE || c === SQUOTE) {
      i++;
      while (i < n) {
        const q = text.charCodeAt(i);
        if (q === BACKSLASH) i += 2;
        else if (q === c) {
          i++;
          break;
        } else if (q === NL || q === CR) break;
        else i++;
      }
      continue;
    }
    i++;
  }
  return -1;
}

/**
 * Every branch of the scanners, once: directives and splices, both comments, prefixed, raw and
 * escaped literals, numbers, punctuators of each length, characters no token starts with.
 */
const WARM_UP_SAMPLE = [
  '  #define a(x) x \\',
  '\t+ 1 /* c */ // d \\',
  ' e\r\n#if 1\r',
  'L"s\\n" u8\'c\' R"d(r)d" x\'y\' .5e+1 0x1p-2 \'\\\'\' "t" \u00e9t $z',
  '... <<= ->* <=> ## -> ++ == .* :: , @ ` \\ \u00a0 \v\f "open',
  '#endif',
].join('\n');

let warmedUp = false;

/**
 * Lexes the sample, once per thread, before the first scan (not when the module loads: a run with
 * no C pays nothing). V8 optimizes `scanToken` and `nextDirective` early, on header text, before
 * it has met a comment, a prefixed literal or a stray character; the first one then deoptimizes
 * them and they are compiled again (~13 ms each, 6 times on arch/x86's C). With every branch taken
 * once, each is compiled once.
 */
export function warmUpLexer(): void {
  if (warmedUp) return;
  warmedUp = true;
  // Twice: V8 allocates a function's feedback only after its first few calls.
  for (let round = 0; round < 2; round++) warmUpRound();
}

function warmUpRound(): void {
  const lexer = new CLexer(WARM_UP_SAMPLE);
  while (lexer.next().kind !== 'eof') lexer.peek();
  const skipping = new CLexer(WARM_UP_SAMPLE);
  skipping.skipToDirective();
  while (skipping.scanOnLine()) skipping.skipRestOfLine();
  for (let at = nextDirective(WARM_UP_SAMPLE, 0); at >= 0; at = nextDirective(WARM_UP_SAMPLE, at + 1));
}

