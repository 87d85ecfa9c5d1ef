// Offsets in the host text to LSP positions (line breaks as LSP counts them: \r\n, \n, lone \r).
import type { Position, Range } from '../types';

/**
 * `lineOffsets(text).starts` (text/lineBreaks.ts) without a match object per line: a line starts
 * after a `\n`, or after a `\r` that no `\n` follows. Most texts have no `\r`: `indexOf` then.
 */
export function lineStarts(text: string): number[] {
  const starts = [0];
  if (text.indexOf('\r') < 0) {
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) starts.push(nl + 1);
    return starts;
  }
  for (let s = 1; s <= text.length; s++) {
    const c = text.charCodeAt(s - 1);
    if (c === 10 || (c === 13 && text.charCodeAt(s) !== 10)) starts.push(s);
  }
  return starts;
}

export class PositionIndex {
  private readonly starts: number[];

  constructor(text: string, starts?: number[]) {
    this.starts = starts ?? lineStarts(text);
  }

  /**
   * The index of `text`, made from `old`'s (the index of the text before the edit that replaced
   * `[start, oldEnd)` with `text[start, newEnd)`): a line start depends on the two characters
   * around it, so only those between `start` and `newEnd + 1` are looked at again.
   */
  static afterEdit(old: PositionIndex, text: string, start: number, oldEnd: number, newEnd: number): PositionIndex {
    const delta = newEnd - oldEnd;
    const starts: number[] = [0];
    const before = old.starts;
    let k = 1;
    for (; k < before.length && before[k]! < start; k++) starts.push(before[k]!);
    const last = Math.min(newEnd + 1, text.length);
    for (let s = Math.max(start, 1); s <= last; s++) {
      const c = text.charCodeAt(s - 1);
      if (c === 10 || (c === 13 && text.charCodeAt(s) !== 10)) starts.push(s);
    }
    for (; k < before.length; k++) if (before[k]! + delta > last) starts.push(before[k]! + delta);
    return new PositionIndex(text, starts);
  }

  position(offset: number): Position {
    const line = this.line(offset);
    return { line, character: offset - this.starts[line]! };
  }

  /** The line of `offset` (`position(offset).line`). */
  line(offset: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }
}
