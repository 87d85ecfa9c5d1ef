// Carrying ranges from the small assembly document a block becomes back to the host file.
import type { Operand, ParsedInstruction, Position, Range } from '../types';
import type { AsmLine } from './types';
import { isBefore } from '../text/position';

/** The host position of character `character` of `line` (an end position when `isEnd`). */
function hostPosition(line: AsmLine, character: number, isEnd: boolean): Position {
  const segments = line.segments;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const inside = isEnd ? character > segment.textStart && character <= segment.textEnd : character >= segment.textStart && character < segment.textEnd;
    if (!inside) continue;
    if (segment.exact) return { line: segment.host.start.line, character: segment.host.start.character + (character - segment.textStart) };
    return isEnd ? segment.host.end : segment.host.start;
  }
  return isEnd ? line.fallback.end : line.fallback.start;
}

/** Maps a range of the block's document (its line `n` is `lines[n]`) to the host file. */
export function hostRange(lines: readonly AsmLine[], range: Range): Range {
  const first = lines[range.start.line];
  const last = lines[range.end.line] ?? first;
  if (!first || !last) return range;
  const start = hostPosition(first, range.start.character, false);
  let end = hostPosition(last, range.end.character, true);
  // A range that runs backwards in the host (operands substituted from elsewhere) covers the start's segment instead.
  if (isBefore(end, start) || (end.line === start.line && end.character === start.character)) end = range.end.line === range.start.line ? hostPosition(first, range.start.character + 1, true) : end;
  if (isBefore(end, start)) end = start;
  return { start, end };
}

function hostOperand(lines: readonly AsmLine[], operand: Operand): Operand {
  return { ...operand, range: hostRange(lines, operand.range) };
}

/** The instruction with every range on the host file's text. */
export function hostInstruction(lines: readonly AsmLine[], ins: ParsedInstruction): ParsedInstruction {
  const range = hostRange(lines, ins.range);
  return {
    ...ins,
    range,
    mnemonicRange: hostRange(lines, ins.mnemonicRange),
    operands: ins.operands.map((operand) => hostOperand(lines, operand)),
    line: range.start.line,
  };
}
