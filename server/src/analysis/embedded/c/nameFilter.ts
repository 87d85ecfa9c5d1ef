// The pre-filter's one pass over a host file: every identifier is hashed as it is read, and only
// one whose hash some wanted name shares is cut out of the text and looked up, so a file with
// nothing to find costs one walk over its characters and no allocation per identifier.
import { isIdentPart, isIdentStart } from '../../project/cpp/tokens';

const FILTER_BITS = 1 << 20;
const FILTER_MASK = FILTER_BITS - 1;

/** The hash `NameHashes` keeps of a name (the C lexer makes the same one as it reads an identifier: `CToken.hash`). */
export function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
  return h;
}

/** A set of names as bits of their hashes: no false negatives, few false positives. */
export class NameHashes {
  /** Made on the first name: most sets a scan makes stay empty. */
  private bits: Uint32Array | undefined;

  add(name: string): void {
    this.addHash(nameHash(name));
  }

  /** `add` for a name whose hash is known (a token's, `CToken.hash`). */
  addHash(hash: number): void {
    const slot = hash & FILTER_MASK;
    const bits = (this.bits ??= new Uint32Array(FILTER_BITS >>> 5));
    bits[slot >>> 5]! |= 1 << (slot & 31);
  }

  /** Adds every name `other` holds. */
  addAll(other: NameHashes): void {
    const from = other.bits;
    if (from === undefined) return;
    const bits = (this.bits ??= new Uint32Array(FILTER_BITS >>> 5));
    for (let k = 0; k < bits.length; k++) bits[k]! |= from[k]!;
  }

  get empty(): boolean {
    return this.bits === undefined;
  }

  mayHold(hash: number): boolean {
    const bits = this.bits;
    if (bits === undefined) return false;
    const slot = hash & FILTER_MASK;
    return (bits[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }
}

/** `#include`, `#include_next`, `#import` at the start of a line (the header name there is no code). */
const INCLUDE_LINE = /[ \t]*#[ \t]*(?:include_next|include|import)\b/y;

/** Whether the line holding `offset` is an include directive. */
export function onIncludeLine(text: string, offset: number): boolean {
  const nl = Math.max(text.lastIndexOf('\n', offset), text.lastIndexOf('\r', offset));
  INCLUDE_LINE.lastIndex = nl + 1;
  return INCLUDE_LINE.test(text);
}

/**
 * Whether some identifier of `text` outside comments and literals (`$` and non-ASCII characters
 * taken as GCC takes them) is one `wanted` accepts, or some `#` that starts a line is a
 * directive `stop` accepts; `wanted` is asked only about identifiers whose hash one of
 * `filters` holds. Where a literal's end is not certain (a C++ raw string) or a comment is
 * never closed, the answer is yes: the caller then lexes the file. A `#` after a splice or a
 * `//` comment's splice counts as starting a line: `stop` may be asked more often than cpp would.
 */
export function someIdentifier(
  text: string,
  filters: readonly NameHashes[],
  wanted: (name: string, start: number) => boolean,
  stop: (hash: number) => boolean,
): boolean {
  const n = text.length;
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      lineStart = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    if (c === HASH && lineStart && stop(i)) return true;
    lineStart = false;
    if (c >= 48 && c <= 57) {
      i = endOfNumber(text, i);
      continue;
    }
    if (c === SLASH) {
      i = afterComment(text, i);
      // A comment never closed may hide code the author meant: the lexer says so.
      if (i < 0) return true;
      continue;
    }
    if (c === DQUOTE || c === SQUOTE) {
      i = afterQuoted(text, i);
      continue;
    }
    if (c < 128 && IDENT_CHARS[c] !== IDENT_START) {
      i++;
      continue;
    }
    const start = i;
    let h = 0;
    for (; i < n; i++) {
      const d = text.charCodeAt(i);
      if (d < 128 && IDENT_CHARS[d] === 0) break;
      h = (Math.imul(h, 31) + d) | 0;
    }
    if (text.charCodeAt(i) === DQUOTE && text.charCodeAt(i - 1) === 82 /* R */) return true;
    for (let k = 0; k < filters.length; k++) {
      if (!filters[k]!.mayHold(h)) continue;
      if (wanted(text.slice(start, i), start)) return true;
      break;
    }
  }
  return false;
}

const IDENT_START = 1;
const IDENT_DIGIT = 2;
/** ASCII characters that start (1) or only continue (2) an identifier; 0 for the others. Every other character is an identifier's. */
const IDENT_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) IDENT_CHARS[c] = isIdentStart(c, true) ? IDENT_START : isIdentPart(c, true) ? IDENT_DIGIT : 0;

const SLASH = 47;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;

/**
 * After a comment at `at` (a `/` that starts none: the next character); -1 for a block comment
 * never closed. A `//` comment ends at its physical line: what a splice continues is read as code.
 */
function afterComment(text: string, at: number): number {
  const next = text.charCodeAt(at + 1);
  if (next === 42) {
    const close = text.indexOf('*/', at + 2);
    return close < 0 ? -1 : close + 2;
  }
  if (next !== SLASH) return at + 1;
  for (let i = at + 2; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return text.length;
}

/** After a quoted literal at `at`: its closing quote, or its line's end as the lexer ends an unterminated one. */
function afterQuoted(text: string, at: number): number {
  const quote = text.charCodeAt(at);
  let i = at + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === quote) return i + 1;
    else if (c === 10 || c === 13) return i;
    else i++;
  }
  return text.length;
}

/** After a preprocessing number (`0x1f`, `1e+5`, `1'000`), as the lexer reads one. */
function endOfNumber(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if ((c === 43 || c === 45) && ((text.charCodeAt(i - 1) | 32) === 101 || (text.charCodeAt(i - 1) | 32) === 112)) i++;
    else if (isIdentPart(c, true) || c === 46 || (c === SQUOTE && isIdentPart(text.charCodeAt(i + 1), true))) i++;
    else break;
  }
  return i;
}
