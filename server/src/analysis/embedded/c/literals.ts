// String literals decoded the way the compiler reads them, keeping for every character the
// source offsets it was written at (an escape covers its whole spelling, a plain character one).
import { spliceEnd } from './lexer';

/** Decoded characters with, per character, the source offsets `[from, to)` it came from (-1 when unknown). */
export interface Chars {
  text: string;
  from: number[];
  to: number[];
}

export function emptyChars(): Chars {
  return { text: '', from: [], to: [] };
}

export function pushChar(out: Chars, ch: string, from: number, to: number): void {
  out.text += ch;
  out.from.push(from);
  out.to.push(to);
}

/** Appends `text[from, to)`, each character mapped to its own offset past `base` (base -1: unknown). */
export function pushRun(out: Chars, text: string, from: number, to: number, base: number): void {
  out.text += text.slice(from, to);
  for (let i = from; i < to; i++) {
    out.from.push(base < 0 ? -1 : base + i);
    out.to.push(base < 0 ? -1 : base + i + 1);
  }
}

/** Appends the characters `[from, to)` of `more`, with their offsets. */
export function appendCharRange(out: Chars, more: Chars, from: number, to: number): void {
  out.text += more.text.slice(from, to);
  for (let i = from; i < to; i++) {
    out.from.push(more.from[i]!);
    out.to.push(more.to[i]!);
  }
}

const BACKSLASH = 92;

const SIMPLE: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b', E: '\x1b', '\\': '\\', "'": "'", '"': '"', '?': '?',
};

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/**
 * The characters of a string literal token `spelling` written at `base` (base -1: positions
 * unknown), appended to `out` when given. Prefixes (`L`, `u8`…) and raw strings (`R"x(…)x"`)
 * are understood.
 */
export function decodeStringLiteral(spelling: string, base: number, out: Chars = emptyChars()): Chars {
  const quote = spelling.indexOf('"');
  if (quote < 0) return out;
  const at = (i: number): number => (base < 0 ? -1 : base + i);
  if (quote > 0 && spelling[quote - 1] === 'R') {
    const open = spelling.indexOf('(', quote);
    const delimiter = spelling.slice(quote + 1, open);
    const end = spelling.length - delimiter.length - 2;
    if (open + 1 < end) pushRun(out, spelling, open + 1, end, base);
    return out;
  }
  const last = spelling.endsWith('"') && spelling.length > quote + 1 ? spelling.length - 1 : spelling.length;
  let i = quote + 1;
  while (i < last) {
    if (spelling.charCodeAt(i) !== BACKSLASH) {
      // A run of plain characters, each its own spelling.
      let end = i + 1;
      while (end < last && spelling.charCodeAt(end) !== BACKSLASH) end++;
      pushRun(out, spelling, i, end, base);
      i = end;
      continue;
    }
    const splice = spliceEnd(spelling, i);
    if (splice > 0) {
      i = splice;
      continue;
    }
    const start = i;
    const e = spelling[i + 1];
    let value: string;
    if (e === undefined) {
      value = '\\';
      i++;
    } else if (e in SIMPLE) {
      value = SIMPLE[e]!;
      i += 2;
    } else if (e === 'x') {
      let j = i + 2;
      while (j < last && isHex(spelling[j])) j++;
      value = String.fromCharCode(parseInt(spelling.slice(i + 2, j) || '0', 16) & 0xffff);
      i = j;
    } else if (isOctal(e)) {
      let j = i + 1;
      while (j < last && j < i + 4 && isOctal(spelling[j])) j++;
      value = String.fromCharCode(parseInt(spelling.slice(i + 1, j), 8) & 0xff);
      i = j;
    } else if (e === 'u' || e === 'U') {
      const digits = e === 'u' ? 4 : 8;
      const hex = spelling.slice(i + 2, i + 2 + digits);
      value = /^[0-9a-fA-F]+$/.test(hex) ? String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)) : e;
      i += 2 + (value === e ? 0 : digits);
    } else {
      value = e;
      i += 2;
    }
    for (const ch of value) pushChar(out, ch, at(start), at(start) < 0 ? -1 : at(i));
  }
  return out;
}
