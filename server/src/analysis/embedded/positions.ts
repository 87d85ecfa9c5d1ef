// Offsets in the host text to LSP positions (line breaks as LSP counts them: \r\n, \n, lone \r).
import { lineOffsets } from '../text/lineBreaks';
import type { Position, Range } from '../types';

export class PositionIndex {
  private readonly starts: number[];

  constructor(text: string) {
    this.starts = lineOffsets(text).starts;
  }

  position(offset: number): Position {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo]! };
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }
}
