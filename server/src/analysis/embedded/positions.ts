// Offsets in the host text to LSP positions (line breaks as LSP counts them: \r\n, \n, lone \r).
import { lineStarts, lineStartsAt } from '../text/lineBreaks';
import type { Position, Range } from '../types';

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
    for (let s = Math.max(start, 1); s <= last; s++) if (lineStartsAt(text, s)) starts.push(s);
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
