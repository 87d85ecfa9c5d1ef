// Where lines end. The analysis, LSP and the fix engine all count lines the same way: `\r\n`,
// `\n` and a lone `\r` each end a line. Everything that turns a line number back into an
// offset, or writes new lines into a text, goes through here.

/** A line break as the analysis counts them. */
export const LINE_BREAK = /\r\n|\r|\n/;
const LINE_BREAK_GLOBAL = /\r\n|\r|\n/g;

/** The lines of a text, without their breaks. */
export function splitLines(text: string): string[] {
  return text.split(LINE_BREAK);
}

/** The lines of a text without their breaks, and the break after each (`''` after the last). */
export interface LinesAndBreaks {
  lines: string[];
  breaks: string[];
}

export function splitKeepingBreaks(text: string): LinesAndBreaks {
  const lines: string[] = [];
  const breaks: string[] = [];
  let start = 0;
  LINE_BREAK_GLOBAL.lastIndex = 0;
  for (let m = LINE_BREAK_GLOBAL.exec(text); m; m = LINE_BREAK_GLOBAL.exec(text)) {
    lines.push(text.slice(start, m.index));
    breaks.push(m[0]);
    start = m.index + m[0].length;
  }
  lines.push(text.slice(start));
  breaks.push('');
  return { lines, breaks };
}

/** Whether a line starts at offset `s` (1 or more) of `text`: after a `\n`, or after a `\r` no `\n` follows. */
export function lineStartsAt(text: string, s: number): boolean {
  const c = text.charCodeAt(s - 1);
  return c === 10 || (c === 13 && text.charCodeAt(s) !== 10);
}

/**
 * Where each line of `text` starts (`lineOffsets(text).starts`), without a match object per line:
 * most texts have no `\r`, and `indexOf` finds their breaks.
 */
export function lineStarts(text: string): number[] {
  const starts = [0];
  if (text.indexOf('\r') < 0) {
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) starts.push(nl + 1);
    return starts;
  }
  for (let s = 1; s <= text.length; s++) if (lineStartsAt(text, s)) starts.push(s);
  return starts;
}

/** Offsets in `text` where each line starts, and where its content ends (before its break). */
export interface LineOffsets {
  starts: number[];
  ends: number[];
}

export function lineOffsets(text: string): LineOffsets {
  const starts = [0];
  const ends: number[] = [];
  LINE_BREAK_GLOBAL.lastIndex = 0;
  for (let m = LINE_BREAK_GLOBAL.exec(text); m; m = LINE_BREAK_GLOBAL.exec(text)) {
    ends.push(m.index);
    starts.push(m.index + m[0].length);
  }
  ends.push(text.length);
  return { starts, ends };
}

/** The offset of an LSP position: past the end of a line means its end, past the last line the text's end. */
export function offsetAt(offsets: LineOffsets, position: { line: number; character: number }, textLength: number): number {
  const start = offsets.starts[position.line];
  if (start === undefined) return textLength;
  return Math.min(start + Math.max(0, position.character), offsets.ends[position.line]!);
}

/**
 * The break to end lines added inside line `line` with: that line's own break, else (the last
 * line has none) the nearest break above it, else `\n`. So a fix writes what its neighbourhood
 * already uses, and one CRLF line elsewhere in an LF file changes nothing.
 */
export function breakForAddedLines(lineBreak: (index: number) => string, line: number): string {
  for (let i = line; i >= 0; i--) {
    const found = lineBreak(i);
    if (found !== '') return found;
  }
  return '\n';
}
