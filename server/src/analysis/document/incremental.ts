// Incremental analysis for editors. An edit re-parses the lines it touched and then keeps going
// only while the parser state after a line differs from what it was before the edit (a new
// `bits 16`, an unclosed `/*`, a `.intel_syntax` switch...). Lines after that point keep
// their parse, shifted to their new line numbers. A test checks that the result always equals
// a from-scratch analysis.
import { detectHeader, sameHeader, type DocumentHeader } from './documentHeader';
import { parseAllLines, parseLineEntry, settleEntry, type LineEntry } from './lineEntries';
import { buildResult } from './result';
import { splitKeepingBreaks } from '../text/lineBreaks';
import type { LineTable } from '../text/lineTable';
import { MODELINE_LINES, SAMPLE_LINES } from '../syntax/detect';
import { initialParserState, sameParserState } from '../syntax/parser';
import type { AnalysisOptions, AnalysisResult, Range, SourceLines } from '../types';

/** An LSP-style content change: with a range it replaces that range; without, the whole text. */
export interface ContentChange {
  range?: Range;
  text: string;
}


export class DocumentAnalyzer {
  /** Lines without their line breaks, and the break after each (`''` after the last), so the text round-trips. */
  private raw: string[] = [];
  private eols: string[] = [];
  private entries!: LineTable<LineEntry>;
  private header!: DocumentHeader;
  private cached: AnalysisResult | undefined;
  /** Length of `text` and its size in UTF-8, kept up to date without joining the lines. */
  private length = 0;
  private bytes = 0;
  /** `text` and `lines()`, once asked for, until the next change. */
  private joined: string | undefined;
  private view: SourceLines | undefined;

  constructor(text: string, private options: AnalysisOptions = {}) {
    this.replaceAll(text);
  }

  /** `text.length`, in constant time (editors check it after every change). */
  get textLength(): number {
    return this.length;
  }

  /** The size of the text in UTF-8 (lone surrogates count 3, as the encoder writes U+FFFD), in constant time. */
  get utf8Length(): number {
    return this.bytes;
  }

  get text(): string {
    if (this.joined === undefined) {
      const parts = new Array<string>(2 * this.raw.length);
      for (let i = 0; i < this.raw.length; i++) {
        parts[2 * i] = this.raw[i]!;
        parts[2 * i + 1] = this.eols[i]!;
      }
      this.joined = parts.join('');
    }
    return this.joined;
  }

  get lineCount(): number {
    return this.raw.length;
  }

  /** One line without its line break (`''` past the end). */
  lineText(line: number): string {
    return this.raw[line] ?? '';
  }

  /** The text as lines, without joining them; valid until the next change (it reads the live lines). */
  lines(): SourceLines {
    if (!this.view) {
      const raw = this.raw;
      const eols = this.eols;
      this.view = { lineCount: raw.length, line: (index) => raw[index] ?? '', lineBreak: (index) => eols[index] ?? '' };
    }
    return this.view;
  }

  setOptions(options: AnalysisOptions): void {
    const structural = options.dialect !== this.options.dialect || options.dialectFamily !== this.options.dialectFamily || options.bits !== this.options.bits || options.fileName !== this.options.fileName;
    const modeChanged = options.mode !== this.options.mode;
    this.options = options;
    if (structural) this.reparseAll();
    // The mode changes no line's parse, only the header the findings are read under.
    else if (modeChanged) this.header = detectHeader(this.raw, options);
    this.cached = undefined;
  }

  update(changes: readonly ContentChange[]): void {
    this.cached = undefined;
    this.joined = undefined;
    this.view = undefined;
    for (const change of changes) {
      if (!change.range) this.replaceAll(change.text);
      else this.applyRangeChange(change.range, change.text);
    }
  }

  result(): AnalysisResult {
    return (this.cached ??= buildResult(this.entries, this.header, this.options));
  }

  private replaceAll(text: string): void {
    this.joined = undefined;
    this.view = undefined;
    ({ lines: this.raw, breaks: this.eols } = splitKeepingBreaks(text));
    this.length = text.length;
    this.bytes = utf8Length(text);
    this.reparseAll();
  }

  private reparseAll(): void {
    const lines = this.raw;
    this.header = detectHeader(lines, this.options);
    this.entries = parseAllLines(lines, this.header);
  }

  /**
   * Adds (`sign` 1) or takes away (-1) the size of lines `[start, end)`, in UTF-16 units and in
   * UTF-8 bytes. Whole lines, because an edit may split a surrogate pair, which changes how its
   * other half is encoded, but a pair never spans a line break.
   */
  private count(lines: readonly string[], breaks: readonly string[], start: number, end: number, sign: 1 | -1): void {
    for (let i = start; i < end; i++) {
      this.length += sign * (lines[i]!.length + breaks[i]!.length);
      this.bytes += sign * (utf8Length(lines[i]!) + breaks[i]!.length);
    }
  }

  private applyRangeChange(range: Range, text: string): void {
    const lastLine = this.raw.length - 1;
    const start = clampPosition(this.raw, range.start, lastLine);
    const end = clampPosition(this.raw, range.end, lastLine);
    const [from, to] = comparePositions(start, end) <= 0 ? [start, end] : [end, start];
    this.joined = undefined;
    const prefix = this.raw[from.line]!.slice(0, from.character);
    const suffix = this.raw[to.line]!.slice(to.character);
    const trailingBreak = this.eols[to.line]!;
    // A `\r` next to a new `\n` could merge into one break: let a full re-split decide.
    if (text.includes('\r') || (from.line > 0 && this.eols[from.line - 1] === '\r' && from.character === 0 && text.startsWith('\n'))) {
      const whole = this.text;
      const start = offsetOf(this.raw, this.eols, from);
      const end = offsetOf(this.raw, this.eols, to);
      this.replaceAll(whole.slice(0, start) + text + whole.slice(end));
      return;
    }
    const { lines: inserted, breaks: insertedBreaks } = splitKeepingBreaks(prefix + text + suffix);
    insertedBreaks[insertedBreaks.length - 1] = trailingBreak;
    const removedCount = to.line - from.line + 1;
    this.count(this.raw, this.eols, from.line, to.line + 1, -1);
    this.raw = spliced(this.raw, from.line, removedCount, inserted);
    this.eols = spliced(this.eols, from.line, removedCount, insertedBreaks);
    this.count(inserted, insertedBreaks, 0, inserted.length, 1);

    // An edit among the lines detection reads runs detection again.
    const touchesHeader = from.line < SAMPLE_LINES || to.line >= lastLine - MODELINE_LINES || this.raw.length - 1 - MODELINE_LINES <= from.line + inserted.length;
    if (touchesHeader) {
      const header = detectHeader(this.raw, this.options);
      if (!sameHeader(header, this.header)) {
        this.header = header;
        this.entries = parseAllLines(this.raw, header);
        return;
      }
    }

    const old = this.entries;
    if (from.line > 0) settleEntry(old.at(from.line - 1), from.line - 1);
    let state = from.line === 0 ? initialParserState(this.header.dialect, this.header.bits) : old.at(from.line - 1).after;
    const fresh: LineEntry[] = [];
    let line = from.line;
    for (; line < from.line + inserted.length; line++) {
      const entry = parseLineEntry(this.raw[line]!, line, state);
      fresh.push(entry);
      state = entry.after;
    }
    // Continue through the old tail until the state entering a line matches what it was.
    let keptFrom = to.line + 1;
    while (keptFrom < old.length && !sameParserState(old.at(keptFrom).before, state)) {
      const entry = parseLineEntry(this.raw[line]!, line, state);
      fresh.push(entry);
      state = entry.after;
      line++;
      keptFrom++;
    }
    this.entries = old.replace(from.line, keptFrom, fresh);
  }
}

/** `items` with `count` items at `start` replaced by `fresh`: in place, except for pastes too big to pass as arguments. */
function spliced<T>(items: T[], start: number, count: number, fresh: readonly T[]): T[] {
  if (fresh.length < 10_000) {
    items.splice(start, count, ...fresh);
    return items;
  }
  return items.slice(0, start).concat(fresh, items.slice(start + count));
}

/** Bytes `text` takes in UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function offsetOf(lines: readonly string[], breaks: readonly string[], pos: { line: number; character: number }): number {
  let offset = 0;
  for (let i = 0; i < pos.line; i++) offset += lines[i]!.length + breaks[i]!.length;
  return offset + pos.character;
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
