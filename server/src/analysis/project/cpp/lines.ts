// cpp's first phases: physical lines become logical lines. A backslash at the end of a line
// (spaces after it allowed, as gcc does) joins the next line; a block comment left open joins the
// lines up to its end, as cpp reads it as one space. Comments are blanked to spaces of the same
// length, so an offset in `code` is an offset in `raw` and maps back to a physical line.
import type { ExpandedLine } from '../source';
import { endOfQuoted, type Token } from './tokens';

export interface LogicalLine {
  /** The physical input lines, in order (more than one after a splice or a comment across lines). */
  readonly parts: readonly ExpandedLine[];
  /** Where each part starts in `raw`. */
  readonly starts: readonly number[];
  /** The parts joined: splices removed, a comment's line ends kept as `\n`. */
  readonly raw: string;
  /** `raw` with every comment blanked to spaces. */
  readonly code: string;
  readonly spliced: boolean;
  /** Offset of the first non-blank character of `code`, -1 for a blank line. */
  readonly first: number;
  /** A block comment is still open at the end (it ran to the end of the file). */
  readonly openComment?: boolean;
  /** The line's tokens, once lexed. */
  tokens?: Token[];
}

const BACKSLASH = 92;
const SLASH = 47;
const STAR = 42;
const DQUOTE = 34;
const SQUOTE = 39;

/** Length of `text` without a line-ending splice, or -1 when it has none. */
function spliceAt(text: string): number {
  let i = text.length - 1;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) break;
    i--;
  }
  return i >= 0 && text.charCodeAt(i) === BACKSLASH ? i : -1;
}

function mayHoldComment(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === SLASH || c === DQUOTE || c === SQUOTE) return true;
  }
  return false;
}

/** Blanks comments in `raw` from `from`; returns whether a block comment is still open at the end. */
class CommentScanner {
  /** Pairs of [start, end) offsets to blank. */
  readonly blanks: number[] = [];
  inBlock = false;
  private opaque = false;

  /** Ready for the next logical line (one scanner serves a whole file). */
  reset(): void {
    this.blanks.length = 0;
    this.inBlock = false;
    this.opaque = false;
  }

  scan(raw: string, from: number): void {
    let i = from;
    const n = raw.length;
    if (!this.inBlock && (this.opaque || !mayHoldComment(raw, from))) return;
    while (i < n) {
      if (this.inBlock) {
        const close = raw.indexOf('*/', i);
        if (close < 0) {
          this.blanks.push(i, n);
          return;
        }
        this.blanks.push(i, close + 2);
        this.inBlock = false;
        i = close + 2;
        continue;
      }
      const c = raw.charCodeAt(i);
      if (c === SLASH) {
        const d = raw.charCodeAt(i + 1);
        if (d === STAR) {
          this.inBlock = true;
          this.blanks.push(i, i + 2);
          i += 2;
          continue;
        }
        if (d === SLASH) {
          this.blanks.push(i, n);
          return;
        }
        i++;
      } else if (c === DQUOTE || c === SQUOTE) {
        const end = endOfQuoted(raw, i);
        if (end < 0) {
          // cpp keeps the rest of the line as it is: no comment starts in it.
          this.opaque = true;
          return;
        }
        i = end;
      } else {
        i++;
      }
    }
  }

  blank(raw: string): string {
    if (this.blanks.length === 0) return raw;
    let out = '';
    let at = 0;
    for (let k = 0; k < this.blanks.length; k += 2) {
      const start = this.blanks[k]!;
      const end = this.blanks[k + 1]!;
      out += raw.slice(at, start) + spaces(end - start);
      at = end;
    }
    return out + raw.slice(at);
  }
}

const SPACES = ' '.repeat(256);

/** `n` spaces: a slice of one string for the usual comment lengths. */
function spaces(n: number): string {
  return n <= SPACES.length ? SPACES.slice(0, n) : ' '.repeat(n);
}

function firstNonBlank(code: string): number {
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13) return i;
  }
  return -1;
}

/** `starts` of every one-part line (most lines): one shared array rather than one per line. */
const ONE_PART: readonly number[] = Object.freeze([0]);

/** Reads logical lines from physical ones; lines can be put back (a macro's arguments that did not close). */
export class LineReader {
  private readonly putBack: LogicalLine[] = [];
  private readonly scanner = new CommentScanner();
  /** The line where a comment that never closed started. */
  unterminatedComment: ExpandedLine | undefined;

  constructor(private readonly input: Iterator<ExpandedLine>) {}

  unread(line: LogicalLine): void {
    this.putBack.push(line);
  }

  next(): LogicalLine | undefined {
    const back = this.putBack.pop();
    if (back) return back;
    const head = this.input.next();
    if (head.done) return undefined;
    const first = head.value;
    const text = first.text;
    // The common line: no splice, nothing that could start a comment.
    if (spliceAt(text) < 0 && !mayHoldComment(text, 0)) {
      return { parts: [first], starts: ONE_PART, raw: text, code: text, spliced: false, first: firstNonBlank(text) };
    }
    return this.readJoined(first);
  }

  private readJoined(first: ExpandedLine): LogicalLine {
    const parts: ExpandedLine[] = [];
    const starts: number[] = [];
    const scanner = this.scanner;
    scanner.reset();
    let raw = '';
    let spliced = false;
    let line: ExpandedLine | undefined = first;
    let commentOpenedAt: ExpandedLine | undefined;
    while (line) {
      // The line end inside an open comment is scanned (blanked) with the comment.
      const scanFrom = raw.length;
      if (parts.length > 0) raw += '\n';
      // One physical line and the lines its splices join.
      for (;;) {
        parts.push(line);
        starts.push(raw.length);
        const cut = spliceAt(line.text);
        if (cut < 0) {
          raw += line.text;
          break;
        }
        raw += line.text.slice(0, cut);
        spliced = true;
        const more = this.input.next();
        if (more.done) break;
        line = more.value;
      }
      const wasInBlock = scanner.inBlock;
      scanner.scan(raw, scanFrom);
      if (!scanner.inBlock) break;
      if (!wasInBlock) commentOpenedAt = line;
      const more = this.input.next();
      if (more.done) {
        this.unterminatedComment = commentOpenedAt;
        break;
      }
      line = more.value;
    }
    const code = scanner.blank(raw);
    const logical: LogicalLine = { parts, starts, raw, code, spliced, first: firstNonBlank(code) };
    return scanner.inBlock ? { ...logical, openComment: true } : logical;
  }
}

/** The physical part holding offset `at` of a logical line. */
export function partAt(line: LogicalLine, at: number): number {
  let k = line.starts.length - 1;
  while (k > 0 && line.starts[k]! > at) k--;
  return k;
}
