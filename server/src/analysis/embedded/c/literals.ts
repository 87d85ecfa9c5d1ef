// String literals decoded the way the compiler reads them, keeping for every character the
// source offsets it was written at (an escape covers its whole spelling, a plain character one).
import { spliceEnd } from './lexer';

/**
 * Decoded characters with, per character, the source offsets `[from, to)` it came from (-1 when
 * unknown). The offsets are kept as runs, not per character: a run either advances (character
 * `k` of it came from `[from + k, from + k + 1)`, a plain spelling) or repeats one `[from, to)`
 * (an escape, a substituted operand, text some macro made). Most templates are never asked
 * where a character came from (no finding), so building them costs a few runs, not two numbers
 * per character.
 */
export class Chars {
  text = '';
  /** Characters with an offset; runs cover `[0, count)`. */
  private count = 0;
  /** Four numbers a run: its first character, `from`, `to`, 1 when it advances. */
  private readonly runs: number[] = [];
  /** The run the last lookup found: lookups mostly go forwards. */
  private hint = 0;

  get length(): number {
    return this.count;
  }

  /** One more character written at `[from, to)`. */
  pushOffsets(from: number, to: number): void {
    const runs = this.runs;
    const last = runs.length - 4;
    if (last >= 0) {
      const length = this.count - runs[last]!;
      const runFrom = runs[last + 1]!;
      const runTo = runs[last + 2]!;
      if (runs[last + 3] === 1) {
        if (from === runFrom + length && to === from + 1) {
          this.count++;
          return;
        }
      } else if (from === runFrom && to === runTo) {
        this.count++;
        return;
      } else if (length === 1 && runTo === runFrom + 1 && from === runTo && to === from + 1) {
        runs[last + 3] = 1;
        this.count++;
        return;
      }
    }
    runs.push(this.count, from, to, 0);
    this.count++;
  }

  /** `n` more characters, character `k` written at `[from + k, from + k + 1)`. */
  pushAdvancing(n: number, from: number): void {
    if (n <= 0) return;
    this.pushOffsets(from, from + 1);
    if (n === 1) return;
    const runs = this.runs;
    const last = runs.length - 4;
    if (runs[last + 3] === 1 || runs[last] === this.count - 1) runs[last + 3] = 1;
    else runs.push(this.count, from + 1, from + 2, 1);
    this.count += n - 1;
  }

  /** `n` more characters, each written at `[from, to)`. */
  pushRepeated(n: number, from: number, to: number): void {
    if (n <= 0) return;
    this.pushOffsets(from, to);
    if (n === 1) return;
    const runs = this.runs;
    // The first one may have extended an advancing run: the rest repeat it in a run of their own.
    if (runs[runs.length - 1] === 1) runs.push(this.count, from, to, 0);
    this.count += n - 1;
  }

  /**
   * Appends the offsets of characters `[start, end)` of `more`; with `anchored`, a character
   * whose place is unknown gets `[anchorFrom, anchorTo)` instead.
   */
  appendOffsets(more: Chars, start: number, end: number, anchorFrom: number, anchorTo: number, anchored = false): void {
    end = Math.min(end, more.count);
    if (start >= end) return;
    const runs = more.runs;
    for (let r = more.runOf(start); r < runs.length && runs[r]! < end; r += 4) {
      const runEnd = r + 4 < runs.length ? runs[r + 4]! : more.count;
      const s = Math.max(start, runs[r]!);
      const n = Math.min(end, runEnd) - s;
      const from = runs[r + 1]!;
      if (runs[r + 3] !== 1) {
        if (anchored && from < 0) this.pushRepeated(n, anchorFrom, anchorTo);
        else this.pushRepeated(n, from, runs[r + 2]!);
        continue;
      }
      const first = from + (s - runs[r]!);
      if (first >= 0 || !anchored) {
        this.pushAdvancing(n, first);
        continue;
      }
      for (let k = 0; k < n; k++) {
        if (first + k >= 0) this.pushOffsets(first + k, first + k + 1);
        else this.pushOffsets(anchorFrom, anchorTo);
      }
    }
  }

  /** Forgets the offsets of characters `[at, count)`; as many come back through the push methods. */
  truncateOffsets(at: number): void {
    const runs = this.runs;
    while (runs.length > 0 && runs[runs.length - 4]! >= at) runs.length -= 4;
    this.count = at;
    this.hint = 0;
  }

  /** The index in `runs` of the run holding character `i` (`0 <= i < count`). */
  private runOf(i: number): number {
    const runs = this.runs;
    const runCount = runs.length >> 2;
    let k = this.hint;
    if (k >= runCount || runs[k * 4]! > i) k = 0;
    // Forwards from the last run found; far off, a binary search.
    if (k + 1 < runCount && runs[(k + 1) * 4]! <= i) {
      if (k + 2 >= runCount || runs[(k + 2) * 4]! > i) k++;
      else {
        let lo = k + 2;
        let hi = runCount - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (runs[mid * 4]! <= i) lo = mid;
          else hi = mid - 1;
        }
        k = lo;
      }
    }
    this.hint = k;
    return k * 4;
  }

  /** Where character `i` starts in the source (-1: unknown). */
  fromAt(i: number): number {
    if (i < 0 || i >= this.count) return -1;
    const r = this.runOf(i);
    const runs = this.runs;
    return runs[r + 3] === 1 ? runs[r + 1]! + (i - runs[r]!) : runs[r + 1]!;
  }

  /** Where character `i` ends in the source (-1: unknown). */
  toAt(i: number): number {
    if (i < 0 || i >= this.count) return -1;
    const r = this.runOf(i);
    const runs = this.runs;
    return runs[r + 3] === 1 ? runs[r + 1]! + (i - runs[r]!) + 1 : runs[r + 2]!;
  }
}

export function emptyChars(): Chars {
  return new Chars();
}

/** Appends `ch` (one code point), written at `[from, to)`. */
export function pushChar(out: Chars, ch: string, from: number, to: number): void {
  out.text += ch;
  out.pushRepeated(ch.length, from, to);
}

/** Appends `text[from, to)`, each character mapped to its own offset past `base` (base -1: unknown). */
export function pushRun(out: Chars, text: string, from: number, to: number, base: number): void {
  out.text += text.slice(from, to);
  if (base < 0) out.pushRepeated(to - from, -1, -1);
  else out.pushAdvancing(to - from, base + from);
}

/** Appends the characters `[from, to)` of `more`, with their offsets. */
export function appendCharRange(out: Chars, more: Chars, from: number, to: number): void {
  out.text += more.text.slice(from, to);
  out.appendOffsets(more, from, to, -1, -1);
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
