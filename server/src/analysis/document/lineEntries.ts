// One entry per source line: the parser states around it, what it parsed to (instructions
// resolved against iced-x86), and the findings cached for the options last used.
import { modeEventsOf, type ModeEvent } from './executionMode';
import type { EntryFindings } from './findings';
import { changedState, initialParserState, parseLine, type ParsedLine, type ParserState } from '../syntax/parser';
import type { DocumentHeader } from './documentHeader';
import { LineTable } from '../text/lineTable';
import { resolve } from '../resolve/resolve';
import type { ParsedInstruction, Range, Resolution } from '../types';
import { dataIdiomOf, type DataIdiom } from '../idioms/dataLines';

export interface LineEntry {
  /**
   * The line number the positions inside this entry are written for. When lines above are
   * added or removed, the entry is moved only when it is next read (`settleEntry`), so an
   * Enter near the top of a big file does not rewrite every position below it.
   */
  line: number;
  /** State before the line. */
  before: ParserState;
  parsed: ParsedLine;
  /** State after the line. */
  after: ParserState;
  /** The line can report something: it has instructions or a `virtlint-` comment. */
  reports: boolean;
  /** Findings and directives of this line, for the options they were computed with. */
  contribution: EntryFindings | undefined;
  /** What the line says about the execution mode (computed on first use). */
  modeEvents: readonly ModeEvent[] | undefined;
  /** A VM-detection idiom written as data on this line (`db 0x0f, 0x3f, 0x07, 0x0b`, `db 'VMwareVMware'`). */
  dataIdiom: DataIdiom | undefined;
}

/** The line's mode events, computed once per parse. */
export function entryModeEvents(entry: LineEntry): readonly ModeEvent[] {
  return (entry.modeEvents ??= modeEventsOf(entry.parsed.instructions, entry.parsed.comments));
}

export function parseLineEntry(line: string, lineNumber: number, before: ParserState): LineEntry {
  const { parsed, state } = parseLine(line, lineNumber, before);
  parsed.instructions.forEach((ins, i) => {
    ins.resolution = safeResolve(ins, parsed.farProcedure[i] ?? false);
  });
  const reports = parsed.instructions.length > 0 || mentionsVirtlint(parsed.comments);
  const dataIdiom =
    parsed.instructions.length === 0 && MAY_HOLD_DATA_IDIOM.test(line)
      ? dataIdiomOf(line, parsed.comments.length > 0 ? Math.min(...parsed.comments.map((comment) => comment.start)) : line.length)
      : undefined;
  return { line: lineNumber, before, parsed, after: state, reports, contribution: undefined, modeEvents: undefined, dataIdiom };
}

/** A cheap first test before reading a line as detection data. */
const MAY_HOLD_DATA_IDIOM = /3f|63|VMware|KVMKVM|Microsoft Hv|XenVMM|VBoxVBox|TCGTCG|bhyve|lrpepyh|ACRNACRN/i;

function safeResolve(ins: ParsedInstruction, masmFarProcedure: boolean): ParsedInstruction['resolution'] {
  try {
    return shared(resolve(ins, { masmFarProcedure }));
  } catch (error) {
    return { status: 'unresolved', reason: `internal error: ${(error as Error).message}` };
  }
}

const SHARED_RESOLUTIONS = new Map<string, Resolution>();

/** One object per distinct successful resolution: a big file repeats a few hundred forms. Resolutions are never modified. */
function shared(resolution: Resolution): Resolution {
  if (resolution.status !== 'ok' && resolution.status !== 'unknown-mnemonic') return resolution;
  const key = resolution.status === 'ok' ? `${resolution.code}${resolution.approximate ? 'a' : ''}` : resolution.status;
  const known = SHARED_RESOLUTIONS.get(key);
  if (known) return known;
  SHARED_RESOLUTIONS.set(key, resolution);
  return resolution;
}

export function parseAllLines(lines: readonly string[], header: DocumentHeader): LineTable<LineEntry> {
  const entries: LineEntry[] = new Array(lines.length);
  let state = initialParserState(header.dialect, header.bits);
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLineEntry(lines[i]!, i, state);
    entries[i] = entry;
    state = entry.after;
  }
  return LineTable.from(entries);
}

/** Moves the positions inside an entry to `line`, where the entry now is. */
export function settleEntry(entry: LineEntry, line: number): void {
  const delta = line - entry.line;
  if (delta === 0) return;
  entry.line = line;
  for (const ins of entry.parsed.instructions) {
    ins.line += delta;
    // The statement's start may be the mnemonic's start, and its end the mnemonic's end or the
    // last operand's end (one position object): each object moves once.
    const start = ins.range.start;
    const end = ins.range.end;
    start.line += delta;
    if (ins.mnemonicRange.start !== start) ins.mnemonicRange.start.line += delta;
    if (ins.mnemonicRange.end !== end) ins.mnemonicRange.end.line += delta;
    for (const op of ins.operands) {
      if (op.range.start !== start) op.range.start.line += delta;
      if (op.range.end !== end) op.range.end.line += delta;
    }
    end.line += delta;
  }
  const cached = entry.contribution;
  if (cached) {
    for (const directive of cached.directives) {
      directive.line += delta;
      for (const mention of directive.ids) shiftRange(mention.range, delta);
    }
  }
  // A statement continued onto the next line carries its lines in the state; the next line
  // may be parsed from this state again.
  const pending = entry.after.pending;
  if (pending) entry.after = changedState(entry.after, { pending: { ...pending, segments: pending.segments.map((s) => ({ ...s, line: s.line + delta })) } });
  // Comments carry only columns; their line is the entry's.
}

function shiftRange(range: Range, delta: number): void {
  range.start.line += delta;
  range.end.line += delta;
}

function mentionsVirtlint(comments: readonly { text: string }[]): boolean {
  for (const comment of comments) if (comment.text.includes('virtlint-')) return true;
  return false;
}
