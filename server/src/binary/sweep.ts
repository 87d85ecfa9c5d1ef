// Linear sweeps over a block of machine code. `referenceSweep` is the plain iced-x86 loop (one
// decodeOut per instruction); `fastSweep` sizes most instructions with `fastLength` and asks
// iced only about deferred positions. Both report the same hits: tests hold them to that.
import { iced } from '../analysis/resolve/iced';
import { ruleForCode } from '../analysis/resolve/classify';
import { fastRun } from './lengths';
import { stageCode } from './lengthLoop';
import { ensureShapeTable } from './shapes';

export type Bitness = 16 | 32 | 64;

/** Offsets (within the block) and iced Codes of every instruction the catalogue covers. */
export interface SweepHits {
  offsets: number[];
  codes: number[];
}

/** Adds `hits` after the hits in `offsets` and `codes` (a sweep continued in parts). */
export function appendHits(offsets: number[], codes: number[], hits: SweepHits): void {
  for (let i = 0; i < hits.offsets.length; i++) {
    offsets.push(hits.offsets[i]!);
    codes.push(hits.codes[i]!);
  }
}

export interface SweepRange {
  /** First byte to decode (inclusive). */
  start: number;
  /** The sweep stops at the first instruction starting at or after `stop`. */
  stop: number;
}

// 0 = not looked up yet, 1 = a rule covers this Code, 2 = none does. Filled lazily: asking
// `ruleForCode` about all ~4,900 Codes up front costs more than a whole kernel sweep. Made on
// first use, like the shape table: importing the scanner does no work.
let covered: Uint8Array | undefined;

/** True when `ruleForCode` maps the iced Code to a rule (INT3 included). */
export function isCoveredCode(code: number): boolean {
  // Sized by the codes seen, not by iced.Code's ~4,900 names: listing those costs more than a small scan.
  if (covered === undefined || code >= covered.length) covered = grown(covered, code);
  let state = covered[code]!;
  if (state === 0) {
    state = ruleForCode(code) !== undefined ? 1 : 2;
    covered[code] = state;
  }
  return state === 1;
}

function grown(table: Uint8Array | undefined, code: number): Uint8Array {
  const bigger = new Uint8Array(Math.max(8192, 2 * code + 1));
  if (table) bigger.set(table);
  return bigger;
}

export const INT3_CODE: number = iced.Code.Int3;

const MAX_INSTRUCTION_LENGTH = 15;
const DECODE_WINDOW = 64 * 1024;

/** Plain iced linear sweep: decode every instruction, keep those the catalogue covers. */
export function referenceSweep(bytes: Uint8Array, bits: Bitness, onBoundary?: (offset: number, length: number) => void): SweepHits {
  const hits: SweepHits = { offsets: [], codes: [] };
  const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
  const instruction = new iced.Instruction();
  try {
    let offset = 0;
    while (decoder.canDecode) {
      decoder.decodeOut(instruction);
      const code = instruction.code;
      if (isCoveredCode(code)) {
        hits.offsets.push(offset);
        hits.codes.push(code);
      }
      const length = instruction.length;
      if (onBoundary) onBoundary(offset, length);
      offset += length;
    }
  } finally {
    instruction.free();
    decoder.free();
  }
  return hits;
}

export interface FastSweepResult extends SweepHits {
  /** Offset where the sweep ended (first instruction start at or after `stop`, or the block end). */
  end: number;
  /** How many instructions went to iced (for benchmarks). */
  deferred: number;
}

export interface FastSweepOptions {
  /** Also record boundaries (offset of each instruction start) in [recordFrom, recordTo). */
  recordFrom?: number;
  recordTo?: number;
  boundaries?: number[];
  /** Record bare INT3 (0xCC) hits. They are common padding; skipping them keeps the hit list small. */
  includeInt3?: boolean;
  /**
   * Only `bytes[0, loaded)` are there yet (the rest of a file is still being read): the sweep stops
   * at the first instruction starting 15 bytes or less before `loaded`, which may reach it, and
   * iced is shown nothing past it. The sweep goes on from the returned `end` once more has arrived.
   */
  loaded?: number;
}

/**
 * Exact linear sweep of `bytes[range.start ..]` until an instruction starts at or after
 * `range.stop` (or the data ends). Same boundaries and hits as iced decoding from `range.start`.
 */
export function fastSweep(bytes: Uint8Array, bits: Bitness, range: SweepRange, options: FastSweepOptions = {}): FastSweepResult {
  ensureShapeTable();
  const includeInt3 = options.includeInt3 === true;
  const offsets: number[] = [];
  const codes: number[] = [];
  const end = bytes.length;
  const loaded = Math.min(end, options.loaded ?? end);
  const stop = Math.min(range.stop, loaded < end ? loaded - MAX_INSTRUCTION_LENGTH : end);
  const recordFrom = options.recordFrom ?? 0;
  const recordTo = options.recordTo ?? -1;
  const boundaries = options.boundaries;
  let deferred = 0;
  // iced copies a decoder's whole input into WASM memory, so deferred instructions are decoded
  // from a window of the block rather than from all of it (a 15 MB copy costs ~40 ms).
  let decoder: iced.Decoder | undefined;
  let windowStart = 0;
  let windowEnd = 0;
  const instruction = new iced.Instruction();
  let pos = range.start;
  // The WebAssembly loop reads its own copy of the bytes this sweep can reach.
  const staged = pos < stop ? stageCode(bytes, pos, Math.min(end, stop + MAX_INSTRUCTION_LENGTH), end, bits) : undefined;
  // Runs of bare INT3 may be stepped over inside the loop when they are neither reported nor recorded.
  const skipInt3 = !includeInt3 && !boundaries;
  try {
    while (pos < stop) {
      const recording = boundaries !== undefined && pos < recordTo;
      if (recording && pos >= recordFrom) boundaries.push(pos);
      // Most instructions are sized in one tight loop, up to the next one it cannot size (one at
      // a time while boundaries are recorded). fastLength is not called here: V8 would compile a
      // second copy of that loop into this function.
      const runStop = recording ? pos + 1 : stop;
      const next = staged ? staged.run(pos, runStop, skipInt3) : fastRun(bytes, pos, runStop, end, bits, false);
      if (next !== pos) {
        pos = next;
        continue;
      }
      if (bytes[pos] === 0xcc) {
        // A bare INT3 (fastRun leaves it to the caller). INT3 padding between functions is over
        // half the instructions of a kernel: without --rules all, runs of it are skipped.
        if (includeInt3) {
          offsets.push(pos);
          codes.push(INT3_CODE);
        } else if (!boundaries) {
          do pos++;
          while (pos < stop && bytes[pos] === 0xcc);
          continue;
        }
        pos += 1;
        continue;
      }
      if (!decoder || pos < windowStart || (pos + MAX_INSTRUCTION_LENGTH > windowEnd && windowEnd < end)) {
        decoder?.free();
        windowStart = pos;
        windowEnd = Math.min(loaded, pos + DECODE_WINDOW);
        decoder = new iced.Decoder(bits, bytes.subarray(windowStart, windowEnd), iced.DecoderOptions.None);
      }
      decoder.position = pos - windowStart;
      decoder.decodeOut(instruction);
      deferred++;
      const code = instruction.code;
      if ((includeInt3 || code !== INT3_CODE) && isCoveredCode(code)) {
        offsets.push(pos);
        codes.push(code);
      }
      pos += instruction.length;
    }
  } finally {
    instruction.free();
    decoder?.free();
  }
  return { offsets, codes, end: pos, deferred };
}
