// Fixes must not change how the rest of the file is read. The dialect and the starting bitness
// are detected from the text, and every line of it is evidence, the code a fix adds included:
// `mov rax, cr0` written after a `bits 64` that follows some code makes the whole file start
// in 64-bit mode, and `mov ecx, cr0` (the only MOV from CR0 there is) turns a 16-bit boot
// sector into 32-bit code. So when the fixed text would be read differently, the fixes come
// with a modeline that keeps the reading they were written for.
import { insertedComment } from '../syntax/dialects';
import { detectHeader } from '../document/documentHeader';
import { MODELINE_LINES, SAMPLE_LINES } from '../syntax/detect';
import { breakForAddedLines, splitKeepingBreaks } from '../text/lineBreaks';
import type { AnalysisOptions, AnalysisResult, SourceLines } from '../types';
import type { TextEdit } from './layout';

export type Reading = Pick<AnalysisResult, 'dialect' | 'dialectSource' | 'bits' | 'bitsSource'>;

/** The edit that pins `reading` at the top of the file, or undefined when the edits leave the reading alone. */
export function readingPin(source: SourceLines, edits: readonly TextEdit[], reading: Reading): TextEdit | undefined {
  if (edits.length === 0) return undefined;
  const options = detectionOptions(reading);
  const before = detectHeader(detectedLines(source, []), options);
  const after = detectHeader(detectedLines(source, edits), options);
  if (before.dialect === after.dialect && before.bits === after.bits) return undefined;
  const body = `virtlint: dialect=${reading.dialect} bits=${reading.bits}`;
  const top = { line: 0, character: 0 };
  return { range: { start: top, end: top }, newText: insertedComment(reading.dialect, body) + breakForAddedLines((index) => source.lineBreak(index), 0) };
}

/**
 * The options detection ran with, as far as the result tells: an override stays an override,
 * and a reading taken from the file name is taken from a name with the same hint.
 */
function detectionOptions(reading: Reading): AnalysisOptions {
  const options: AnalysisOptions = {};
  if (reading.dialectSource === 'override') options.dialect = reading.dialect;
  if (reading.dialectSource === 'extension') options.fileName = `fixed${HINTING_EXTENSION[reading.dialect]}`;
  if (reading.bitsSource === 'override' || reading.bitsSource === 'extension') options.bits = reading.bits;
  return options;
}

const HINTING_EXTENSION: Record<Reading['dialect'], string> = { nasm: '.nasm', 'gas-att': '.s', 'gas-intel': '.s', masm: '.masm', fasm: '.fasm' };

/** The lines detection reads, after `edits` (each within one line): all of a small file, else its head and tail. */
function detectedLines(source: SourceLines, edits: readonly TextEdit[]): string[] {
  const byLine = new Map<number, TextEdit[]>();
  for (const edit of edits) {
    const list = byLine.get(edit.range.start.line) ?? [];
    list.push(edit);
    byLine.set(edit.range.start.line, list);
  }
  const out: string[] = [];
  const count = source.lineCount;
  const whole = count <= SAMPLE_LINES + MODELINE_LINES;
  appendEdited(source, byLine, 0, whole ? count : SAMPLE_LINES, out);
  if (!whole) appendEdited(source, byLine, count - MODELINE_LINES, count, out);
  return out;
}

function appendEdited(source: SourceLines, byLine: ReadonlyMap<number, TextEdit[]>, from: number, to: number, out: string[]): void {
  for (let line = from; line < to; line++) {
    let text = source.line(line);
    const edits = (byLine.get(line) ?? []).slice().sort((a, b) => b.range.start.character - a.range.start.character);
    for (const edit of edits) text = text.slice(0, edit.range.start.character) + edit.newText + text.slice(edit.range.end.character);
    if (edits.length === 0) out.push(text);
    else for (const piece of splitKeepingBreaks(text).lines) out.push(piece);
  }
}
