// What one scan of a Rust file leaves behind so the next scan of an edited copy reads only around
// the edit: the checkpoints (just after each top-level `}` or `;` that no `#[cfg]` region runs
// across) and the scan's output. At a checkpoint the scanner's state is the same whatever came
// before: no group is open, the lexer is between tokens, no attribute reaches past it but the
// file's inner `#![cfg]`s (what they allow is kept with the checkpoint), and what the scanner
// looks back at (the token before a name) is a `}` or `;`. So the next scan reads from the last
// checkpoint before the edit to the first old checkpoint after it at which the new reading is
// also at such a point, with the same inner attributes in force, and takes the old results from
// there on, moved by the edit. The per-file bounds (problems, `#[cfg]` regions) are counts: near
// them, the file is read whole.
import type { Position } from '../../types';
import type { AsmBlock, EmbeddedScan, FrontEndProblem, HostBuild, HostComment, IntrinsicCall } from '../types';
import { PositionIndex } from '../positions';
import { PositionShift, textEdit } from '../c/incremental';
import { scanRustWindow, worthLexing, MAX_PROBLEMS, MAX_CFG_REGIONS } from './scan';
import { ANY_ARCH } from './cfg';
import { lastAtOrBefore } from '../../text/sortedOffsets';
import { isBefore } from '../../text/position';

interface Checkpoint {
  readonly offset: number;
  /** `#[cfg]` regions read before it (the file's bound counts them). */
  readonly regions: number;
  /** What the file's inner `#![cfg]` attributes before it allow. */
  readonly arches: number;
}

interface RustScanRecord {
  /** The build's bitness (all a Rust scan reads of the build): another one starts afresh. */
  readonly bits: number | undefined;
  readonly text: string;
  readonly positions: PositionIndex;
  readonly checkpoints: readonly Checkpoint[];
  readonly regions: number;
  readonly scan: EmbeddedScan;
}

/** Kept by the caller between scans of one document (the language server's open file). */
export interface RustIncrementalState {
  record?: RustScanRecord;
  /** The offsets of the new text the last scan read (the whole text when it read it all). */
  lastRead?: { readonly from: number; readonly to: number };
}

const START: Checkpoint = { offset: 0, regions: 0, arches: ANY_ARCH };

export function scanRustIncrementally(text: string, build: HostBuild | undefined, state: RustIncrementalState): EmbeddedScan {
  const old = state.record;
  if (!worthLexing(text)) {
    state.record = undefined;
    return { blocks: [], intrinsics: [], comments: [], problems: [] };
  }
  const bits = build?.bits;
  const record = old !== undefined && old.bits === bits ? rescan(old, text, build) : undefined;
  state.record = record?.record ?? fullScan(text, build);
  state.lastRead = record?.read ?? { from: 0, to: text.length };
  return state.record.scan;
}

function fullScan(text: string, build: HostBuild | undefined): RustScanRecord {
  const positions = new PositionIndex(text);
  const window = scanRustWindow(text, positions, build, 0, text.length);
  return { bits: build?.bits, text, positions, checkpoints: window.checkpoints, regions: window.regions, scan: window.scan };
}

/** The new record read around the edit, or undefined when the file must be read whole. */
function rescan(old: RustScanRecord, text: string, build: HostBuild | undefined): { record: RustScanRecord; read: { from: number; to: number } } | undefined {
  if (old.text === text) return { record: old, read: { from: 0, to: 0 } };
  // A bound reached before: what was kept is cut short, so nothing of it can be reused.
  if (old.scan.problems.length >= MAX_PROBLEMS || old.regions >= MAX_CFG_REGIONS) return undefined;
  const edit = textEdit(old.text, text);
  const delta = edit.newEnd - edit.oldEnd;
  const positions = PositionIndex.afterEdit(old.positions, text, edit.start, edit.oldEnd, edit.newEnd);
  const first = lastAtOrBefore(old.checkpoints, edit.start);
  const from = first < 0 ? START : old.checkpoints[first]!;
  // The old checkpoints past the edit, tried at growing distances: each try reads the window again.
  let next = firstAtOrAfter(old.checkpoints, edit.oldEnd);
  let step = 1;
  let stop: number | undefined;
  let window;
  while (next < old.checkpoints.length) {
    const candidate = old.checkpoints[next]!;
    window = scanRustWindow(text, positions, build, from.offset, candidate.offset + delta, from.arches);
    if (window.closedAtEnd && window.archesAtEnd === candidate.arches) {
      stop = next;
      break;
    }
    next += step;
    step *= 2;
  }
  if (stop === undefined) window = scanRustWindow(text, positions, build, from.offset, text.length, from.arches);
  const regions = from.regions + window!.regions + (stop === undefined ? 0 : old.regions - old.checkpoints[stop]!.regions);
  if (regions >= MAX_CFG_REGIONS) return undefined;

  const shift = new PositionShift(old.positions.position(edit.oldEnd), positions.position(edit.newEnd), '');
  const fromAt = positions.position(from.offset);
  const tailAt = stop === undefined ? undefined : old.positions.position(old.checkpoints[stop]!.offset);
  const scan = joinScans(old.scan, window!.scan, fromAt, tailAt, shift);
  if (scan.problems.length >= MAX_PROBLEMS) return undefined;

  const checkpoints: Checkpoint[] = old.checkpoints.slice(0, first + 1);
  for (const c of window!.checkpoints) checkpoints.push({ offset: c.offset, regions: from.regions + c.regions, arches: c.arches });
  if (stop !== undefined) {
    const moved = from.regions + window!.regions - old.checkpoints[stop]!.regions;
    for (let k = stop; k < old.checkpoints.length; k++) {
      const c = old.checkpoints[k]!;
      if (k === stop && checkpoints.length > 0 && checkpoints[checkpoints.length - 1]!.offset === c.offset + delta) continue;
      checkpoints.push({ offset: c.offset + delta, regions: c.regions + moved, arches: c.arches });
    }
  }
  const to = stop === undefined ? text.length : old.checkpoints[stop]!.offset + delta;
  return { record: { bits: build?.bits, text, positions, checkpoints, regions, scan }, read: { from: from.offset, to } };
}

/** The old output before `fromAt`, the window's, and the old output from `tailAt` on, moved by the edit. */
function joinScans(old: EmbeddedScan, window: EmbeddedScan, fromAt: Position, tailAt: Position | undefined, shift: PositionShift): EmbeddedScan {
  const keep = <T>(list: readonly T[], at: (item: T) => Position, fresh: readonly T[], move: (item: T) => T): T[] => {
    const out: T[] = [];
    let k = 0;
    for (; k < list.length && isBefore(at(list[k]!), fromAt); k++) out.push(list[k]!);
    for (const item of fresh) out.push(item);
    if (tailAt === undefined) return out;
    while (k < list.length && isBefore(at(list[k]!), tailAt)) k++;
    const identity = shift.isIdentityFrom(tailAt);
    for (; k < list.length; k++) out.push(identity ? list[k]! : move(list[k]!));
    return out;
  };
  return {
    blocks: keep(old.blocks, (b: AsmBlock) => b.range.start, window.blocks, (b) => shift.block(b)),
    intrinsics: keep(old.intrinsics, (c: IntrinsicCall) => c.range.start, window.intrinsics, (c) => shift.intrinsic(c)),
    comments: keep(old.comments, (c: HostComment) => ({ line: c.line, character: c.start }), window.comments, (c) => shift.comment(c)),
    problems: keep(old.problems, (p: FrontEndProblem) => p.range.start, window.problems, (p) => ({ ...p, range: shift.range(p.range) })),
  };
}


/** Index of the first checkpoint at or after `offset` (the length for none). */
function firstAtOrAfter(checkpoints: readonly Checkpoint[], offset: number): number {
  return lastAtOrBefore(checkpoints, offset - 1) + 1;
}
