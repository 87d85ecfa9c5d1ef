// Incremental analysis for editors. An edit re-parses the lines it touched and then keeps going
// only while the parser state after a line differs from what it was before the edit (a new
// `bits 16`, an unclosed `/*`, a `.intel_syntax` switch...). Lines after that point keep
// their parse, shifted to their new line numbers. A test checks that the result always equals
// a from-scratch analysis.
import { buildResult, detectHeader, parseAllLines, parseLineEntry, shiftCachedDirectives, type DocumentHeader, type LineEntry } from './analyze';
import { initialParserState, sameParserState } from './parser';
import type { AnalysisOptions, AnalysisResult, Range } from './types';

/** An LSP-style content change: with a range it replaces that range; without, the whole text. */
export interface ContentChange {
  range?: Range;
  text: string;
}

/** Lines whose text feeds dialect/bitness detection; an edit there re-runs detection. */
const HEADER_LINES = 4000;
const MODELINE_LINES = 20;

export class DocumentAnalyzer {
  /** Lines without their line breaks, and the break after each (`''` after the last), so the text round-trips. */
  private raw: string[];
  private eols: string[];
  private entries: LineEntry[] = [];
  private header!: DocumentHeader;
  private cached: AnalysisResult | undefined;
  /** Length of `text`, kept up to date without joining the lines. */
  private length = 0;

  constructor(text: string, private options: AnalysisOptions = {}) {
    [this.raw, this.eols] = splitKeepingBreaks(text);
    this.length = text.length;
    this.reparseAll();
  }

  /** `text.length`, in constant time (editors check it after every change). */
  get textLength(): number {
    return this.length;
  }

  get text(): string {
    let out = '';
    for (let i = 0; i < this.raw.length; i++) out += this.raw[i]! + this.eols[i]!;
    return out;
  }

  get lineCount(): number {
    return this.raw.length;
  }

  setOptions(options: AnalysisOptions): void {
    const structural = options.dialect !== this.options.dialect || options.bits !== this.options.bits || options.fileName !== this.options.fileName;
    this.options = options;
    if (structural) this.reparseAll();
    this.cached = undefined;
  }

  update(changes: readonly ContentChange[]): void {
    for (const change of changes) {
      if (!change.range) {
        [this.raw, this.eols] = splitKeepingBreaks(change.text);
        this.length = change.text.length;
        this.reparseAll();
      } else {
        this.applyRangeChange(change.range, change.text);
      }
    }
    this.cached = undefined;
  }

  result(): AnalysisResult {
    return (this.cached ??= buildResult(this.entries, this.header, this.options));
  }

  private reparseAll(): void {
    const lines = this.raw;
    this.header = detectHeader(lines, this.options);
    this.entries = parseAllLines(lines, this.header);
  }

  private charactersBetween(from: { line: number; character: number }, to: { line: number; character: number }): number {
    if (from.line === to.line) return to.character - from.character;
    let count = this.raw[from.line]!.length - from.character + this.eols[from.line]!.length;
    for (let line = from.line + 1; line < to.line; line++) count += this.raw[line]!.length + this.eols[line]!.length;
    return count + to.character;
  }

  private applyRangeChange(range: Range, text: string): void {
    const lastLine = this.raw.length - 1;
    const start = clampPosition(this.raw, range.start, lastLine);
    const end = clampPosition(this.raw, range.end, lastLine);
    const [from, to] = comparePositions(start, end) <= 0 ? [start, end] : [end, start];
    this.length += text.length - this.charactersBetween(from, to);
    const prefix = this.raw[from.line]!.slice(0, from.character);
    const suffix = this.raw[to.line]!.slice(to.character);
    const trailingBreak = this.eols[to.line]!;
    // A `\r` next to a new `\n` could merge into one break: let a full re-split decide.
    if (text.includes('\r') || (from.line > 0 && this.eols[from.line - 1] === '\r' && from.character === 0 && text.startsWith('\n'))) {
      const whole = this.text;
      const start = offsetOf(this.raw, this.eols, from);
      const end = offsetOf(this.raw, this.eols, to);
      const next = whole.slice(0, start) + text + whole.slice(end);
      [this.raw, this.eols] = splitKeepingBreaks(next);
      this.length = next.length;
      this.reparseAll();
      return;
    }
    const [inserted, insertedBreaks] = splitKeepingBreaks(prefix + text + suffix);
    insertedBreaks[insertedBreaks.length - 1] = trailingBreak;
    const removedCount = to.line - from.line + 1;
    this.raw.splice(from.line, removedCount, ...inserted);
    this.eols.splice(from.line, removedCount, ...insertedBreaks);
    const delta = inserted.length - removedCount;

    const touchesHeader = from.line < HEADER_LINES || to.line >= lastLine - MODELINE_LINES || this.raw.length - 1 - MODELINE_LINES <= from.line + inserted.length;
    if (touchesHeader) {
      const header = detectHeader(this.raw, this.options);
      if (!sameHeader(header, this.header)) {
        this.header = header;
        this.entries = parseAllLines(this.raw, header);
        return;
      }
    }

    const old = this.entries;
    let state = from.line === 0 ? initialParserState(this.header.dialect, this.header.bits) : old[from.line - 1]!.after;
    const fresh: LineEntry[] = [];
    let line = from.line;
    for (; line < from.line + inserted.length; line++) {
      const entry = parseLineEntry(this.raw[line]!, line, state);
      fresh.push(entry);
      state = entry.after;
    }
    // Continue through the old tail until the state entering a line matches what it was.
    let keptFrom = to.line + 1;
    while (keptFrom < old.length && !sameParserState(old[keptFrom]!.before, state)) {
      const entry = parseLineEntry(this.raw[line]!, line, state);
      fresh.push(entry);
      state = entry.after;
      line++;
      keptFrom++;
    }
    if (delta !== 0) for (let i = keptFrom; i < old.length; i++) shiftEntry(old[i]!, delta);
    // A new array, not an in-place splice: a result built earlier still reads the old one.
    this.entries = replaced(old, from.line, keptFrom, fresh);
  }
}

/** `items` with `items[start..end)` replaced by `middle`, as a new array. */
function replaced<T>(items: readonly T[], start: number, end: number, middle: readonly T[]): T[] {
  const out: T[] = new Array<T>(items.length - (end - start) + middle.length);
  let at = 0;
  for (let i = 0; i < start; i++) out[at++] = items[i]!;
  for (const item of middle) out[at++] = item;
  for (let i = end; i < items.length; i++) out[at++] = items[i]!;
  return out;
}

function splitKeepingBreaks(text: string): [string[], string[]] {
  const parts = text.split(/(\r\n|\r|\n)/);
  const lines: string[] = [];
  const breaks: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    lines.push(parts[i]!);
    breaks.push(parts[i + 1] ?? '');
  }
  return [lines, breaks];
}

function offsetOf(lines: readonly string[], breaks: readonly string[], pos: { line: number; character: number }): number {
  let offset = 0;
  for (let i = 0; i < pos.line; i++) offset += lines[i]!.length + breaks[i]!.length;
  return offset + pos.character;
}

function sameHeader(a: DocumentHeader, b: DocumentHeader): boolean {
  return a.dialect === b.dialect && a.bits === b.bits && a.dialectSource === b.dialectSource && a.bitsSource === b.bitsSource;
}

function clampPosition(lines: readonly string[], pos: { line: number; character: number }, lastLine: number): { line: number; character: number } {
  if (pos.line < 0) return { line: 0, character: 0 };
  if (pos.line > lastLine) return { line: lastLine, character: lines[lastLine]!.length };
  const text = lines[pos.line]!;
  return { line: pos.line, character: Math.max(0, Math.min(pos.character, text.length)) };
}

function comparePositions(a: { line: number; character: number }, b: { line: number; character: number }): number {
  return a.line - b.line || a.character - b.character;
}

function shiftRange(range: Range, delta: number): void {
  range.start.line += delta;
  range.end.line += delta;
}

function shiftEntry(entry: LineEntry, delta: number): void {
  for (const ins of entry.parsed.instructions) {
    ins.line += delta;
    shiftRange(ins.range, delta);
    // The mnemonic range may share position objects with the statement range.
    if (ins.mnemonicRange.start !== ins.range.start) ins.mnemonicRange.start.line += delta;
    if (ins.mnemonicRange.end !== ins.range.end) ins.mnemonicRange.end.line += delta;
    for (const op of ins.operands) shiftRange(op.range, delta);
  }
  shiftCachedDirectives(entry, delta);
  // Comments carry only columns; their line comes from the entry's position.
}
