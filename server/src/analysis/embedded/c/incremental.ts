// What one scan of a host file leaves behind so the next scan of an edited copy can skip what the
// edit did not touch: the scanner's state at each top-level `}` or `;` (counts and journal
// lengths, never copies of maps), the directives it ran and the changes to its per-file maps in
// order. The next scan replays the directives before the edit, reads from the last such point
// before the edit, and stops at the first one after it where its state equals the old scan's:
// from there on the old results are the new ones, moved by the edit.
import type { Bits, MacroStep, Position, Range, RelatedLocation } from '../../types';
import type { AsmBlock, AsmLine, HostComment, IntrinsicCall } from '../types';
import type { LexProblem } from './lexer';
import type { SourceFile } from './source';
import type { Width } from './operands';
import { lastAtOrBefore } from '../../text/sortedOffsets';

/** The scanner's state right after a top-level `}` or `;`: how much of each output and journal existed. */
export interface Checkpoint {
  /** Offset just after the `}` or `;`. */
  readonly offset: number;
  readonly blocks: number;
  readonly intrinsics: number;
  readonly problems: number;
  readonly comments: number;
  readonly lexProblems: number;
  readonly instance: number;
  readonly directives: number;
  readonly widths: number;
  readonly memo: number;
}

export const START: Checkpoint = { offset: 0, blocks: 0, intrinsics: 0, problems: 0, comments: 0, lexProblems: 0, instance: 0, directives: 0, widths: 0, memo: 0 };

/** A declared width the scanner noted (`u16 sel;`). */
export interface WidthNote {
  readonly name: string;
  readonly width: Width;
}

/** A macro the scanner asked "can you make asm?" outside a directive, after `directives` directives. */
export interface MemoNote {
  readonly directives: number;
  readonly name: string;
}

/** Everything a scan leaves for the next one. */
export interface CScanRecord {
  /** The scanner's build facts and options, compared by identity: another build starts afresh. */
  readonly key: readonly unknown[];
  readonly host: SourceFile;
  readonly checkpoints: readonly Checkpoint[];
  /** Offsets of the `#` of each directive the scan ran, in order. */
  readonly directiveOffsets: readonly number[];
  readonly widths: readonly WidthNote[];
  readonly memo: readonly MemoNote[];
  readonly blocks: readonly AsmBlock[];
  readonly intrinsics: readonly IntrinsicCall[];
  readonly comments: readonly HostComment[];
  /** The scanner's own problems, before the lexer's and the open groups' are added at the end. */
  readonly problems: readonly { range: Range; message: string }[];
  readonly lexProblems: readonly LexProblem[];
  /** `#` offsets of the groups left open at the end. */
  readonly openGroups: readonly { start: number; end: number }[];
  /** An MSVC block was read: the scanner skipped raw text, and a replay would not. */
  readonly rawText: boolean;
}

/** Kept by the caller between scans of one document (the language server's open file). */
export interface CIncrementalState {
  record?: CScanRecord;
}

/** Where two texts differ: `[start, oldEnd)` of the old text became `[start, newEnd)` of the new one. */
export interface TextEdit {
  readonly start: number;
  readonly oldEnd: number;
  readonly newEnd: number;
}

export function textEdit(before: string, after: string): TextEdit {
  const shorter = Math.min(before.length, after.length);
  // Whole chunks compared natively first, then characters.
  let start = 0;
  while (start + CHUNK <= shorter && before.slice(start, start + CHUNK) === after.slice(start, start + CHUNK)) start += CHUNK;
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  const room = shorter - start;
  let tail = 0;
  while (tail + CHUNK <= room && before.slice(before.length - tail - CHUNK, before.length - tail) === after.slice(after.length - tail - CHUNK, after.length - tail)) tail += CHUNK;
  while (tail < room && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  return { start, oldEnd: before.length - tail, newEnd: after.length - tail };
}

const CHUNK = 2048;

export function sameKey(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The last checkpoint at or before `offset` (START when none): `checkpoints` are in offset order. */
export function checkpointBefore(checkpoints: readonly Checkpoint[], offset: number): { checkpoint: Checkpoint; index: number } {
  const found = lastAtOrBefore(checkpoints, offset);
  return found < 0 ? { checkpoint: START, index: -1 } : { checkpoint: checkpoints[found]!, index: found };
}

/** The index of the checkpoint at exactly `offset`, or -1. */
export function checkpointAt(checkpoints: readonly Checkpoint[], offset: number): number {
  const { checkpoint, index } = checkpointBefore(checkpoints, offset);
  return index >= 0 && checkpoint.offset === offset ? index : -1;
}

/** Segments of width notes longer than this are not compared: the scan reads on to the end instead. */
export const MAX_COMPARED_NOTES = 4096;

/**
 * Whether two scans that started from the same widths (`atStart`, name to width) end with the same
 * ones: `current` is the one scan's map now, `notes[from, to)` what the other noted since.
 */
export function sameWidthsAs(current: ReadonlyMap<string, Width>, atStart: ReadonlyMap<string, Width>, ownNotes: readonly WidthNote[], ownFrom: number, notes: readonly WidthNote[], from: number, to: number): boolean {
  if (to - from > MAX_COMPARED_NOTES || ownNotes.length - ownFrom > MAX_COMPARED_NOTES) return false;
  const other = new Map<string, Width>();
  for (let k = from; k < to; k++) other.set(notes[k]!.name, notes[k]!.width);
  for (const [name, width] of other) if (current.get(name) !== width) return false;
  for (let k = ownFrom; k < ownNotes.length; k++) {
    const name = ownNotes[k]!.name;
    if (!other.has(name) && current.get(name) !== atStart.get(name)) return false;
  }
  return true;
}

export function sameMemo(a: readonly MemoNote[], aFrom: number, aTo: number, b: readonly MemoNote[], bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom || aTo - aFrom > MAX_COMPARED_NOTES) return false;
  for (let k = 0; k < aTo - aFrom; k++) {
    const x = a[aFrom + k]!;
    const y = b[bFrom + k]!;
    if (x.name !== y.name || x.directives !== y.directives) return false;
  }
  return true;
}

/**
 * Moves host positions at or after the edit's old end to where the edit put them; positions
 * before it and those of other files stay. Identity when the edit moved nothing after `from`.
 */
export class PositionShift {
  private readonly lines: number;
  private readonly characters: number;

  constructor(
    private readonly oldEnd: Position,
    newEnd: Position,
    private readonly hostPath: string,
  ) {
    this.lines = newEnd.line - oldEnd.line;
    this.characters = newEnd.character - oldEnd.character;
  }

  /** Nothing at or after `from` (an old position past the edit) moves. */
  isIdentityFrom(from: Position): boolean {
    return this.lines === 0 && (this.characters === 0 || from.line > this.oldEnd.line);
  }

  position(p: Position): Position {
    if (p.line > this.oldEnd.line) return this.lines === 0 ? p : { line: p.line + this.lines, character: p.character };
    if (p.line === this.oldEnd.line && p.character >= this.oldEnd.character) return { line: p.line + this.lines, character: p.character + this.characters };
    return p;
  }

  range(r: Range): Range {
    return { start: this.position(r.start), end: this.position(r.end) };
  }

  line(line: number): number {
    return line > this.oldEnd.line ? line + this.lines : line;
  }

  block(b: AsmBlock): AsmBlock {
    const lines: AsmLine[] = [];
    for (const l of b.lines) {
      const segments = [];
      for (const s of l.segments) segments.push({ ...s, host: this.range(s.host) });
      lines.push({ text: l.text, segments, fallback: this.range(l.fallback) });
    }
    // Field by field: a block some macro made reads its chain through the scanner it keeps, which a copy must not carry.
    const moved: AsmBlock = { form: b.form, syntax: b.syntax, lines, range: this.range(b.range), keywordRange: this.range(b.keywordRange) };
    if (b.undecidedBranch !== undefined) (moved as { undecidedBranch?: boolean }).undecidedBranch = b.undecidedBranch;
    if (b.bits !== undefined) (moved as { bits?: Bits }).bits = b.bits;
    if (b.macroChain) (moved as { macroChain?: readonly MacroStep[] }).macroChain = this.chain(b.macroChain);
    if (b.related) (moved as { related?: readonly RelatedLocation[] }).related = this.related(b.related);
    return moved;
  }

  intrinsic(call: IntrinsicCall): IntrinsicCall {
    const moved: IntrinsicCall = { ...call, range: this.range(call.range) };
    if (call.macroChain) (moved as { macroChain?: readonly MacroStep[] }).macroChain = this.chain(call.macroChain);
    return moved;
  }

  comment(c: HostComment): HostComment {
    if (c.line < this.oldEnd.line || (c.line === this.oldEnd.line && c.start < this.oldEnd.character)) return c;
    const at = this.position({ line: c.line, character: c.start });
    return { line: at.line, start: at.character, text: c.text };
  }

  private chain(steps: readonly MacroStep[]): MacroStep[] {
    const out: MacroStep[] = [];
    for (const step of steps) {
      const moved: MacroStep = { ...step, invokedAt: this.location(step.invokedAt) };
      if (step.definedAt) moved.definedAt = this.location(step.definedAt);
      out.push(moved);
    }
    return out;
  }

  private location<T extends { path: string; line: number; range?: Range }>(at: T): T {
    if (at.path !== this.hostPath) return at;
    const moved = { ...at, line: at.range ? this.position(at.range.start).line : this.line(at.line) };
    if (at.range) moved.range = this.range(at.range);
    return moved;
  }

  private related(list: readonly RelatedLocation[]): RelatedLocation[] {
    const out: RelatedLocation[] = [];
    for (const r of list) out.push(r.path === this.hostPath ? { ...r, range: this.range(r.range) } : r);
    return out;
  }
}
