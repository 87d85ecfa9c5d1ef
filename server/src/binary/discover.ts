// Code discovery: which bytes of the executable sections are instructions. Regions named by
// function symbols with a size, then by unwind tables (.eh_frame FDEs, PE .pdata), are code as a
// whole and swept linearly; from the entry point, exports, function symbols without a size and
// every direct branch or call target found on the way, a recursive traversal follows direct
// jumps and stops where execution cannot fall through (ret, jmp, ud2, int3, invalid opcode) or
// goes through a register or memory, unless the code before such a jump proves the bound of a jump
// table (jumpTable.ts): then the table's entries are followed and its bytes are data. Bytes nobody
// reaches are not decoded.
import type { BinaryImage, CodeHint, CodeSection, Discovery } from './image';
import { FlowWalker } from './flow';
import { INT3_CODE } from './sweep';
import { recoverJumpTable, type JumpContext } from './jumpTable';
import { dataAt } from './image';

export interface DiscoveredHits {
  /** Offsets within the section, ascending. */
  offsets: number[];
  codes: number[];
  discoveries: Discovery[];
  /** Which method decoded the instruction that starts at `offset`; undefined where discovery decoded none. */
  decodedBy(offset: number): Exclude<Discovery, 'sweep'> | undefined;
}

export interface DiscoveryResult {
  /** One entry per image section, in order. */
  sections: DiscoveredHits[];
  /** Bytes decoded per discovery method (for notes and benchmarks). */
  decodedBytes: Record<Exclude<Discovery, 'sweep'>, number>;
}

const NONE = 0;
const BY_SYMBOL = 1;
const BY_UNWIND = 2;
const BY_TRAVERSAL = 3;
/** Not decoded yet, but already queued as a branch target: the queue holds each byte at most once. */
const QUEUED = 4;
/** A jump table's bytes: data inside code, never decoded (a finding there is dropped). */
const TABLE = 5;
/** How many instructions before an indirect jump the jump-table recovery reads. */
const PATH_FOR_TABLES = 24;
const OWNER_DISCOVERY: readonly Discovery[] = ['sweep', 'symbol', 'unwind', 'traversal'];

interface SectionState {
  section: CodeSection;
  /** Per byte: NONE, QUEUED, or which pass decoded it (BY_TRAVERSAL marks instruction starts only). */
  owner: Uint8Array;
  hits: { offset: number; code: number; owner: number }[];
  walker?: FlowWalker;
}

/** True when the image names at least one place inside an executable section where code starts. */
export function hasCodeRoots(image: BinaryImage): boolean {
  const locate = sectionLocator(image.sections);
  return (image.hints ?? []).some((hint) => locate(hint.address, hint.section) !== undefined);
}

/** Finds the covered instructions of the discovered code; `undefined` when the image gives no roots. */
export function discoverCode(image: BinaryImage, includeInt3: boolean): DiscoveryResult | undefined {
  if (!hasCodeRoots(image)) return undefined;
  const states: SectionState[] = image.sections.map((section) => ({ section, owner: new Uint8Array(section.bytes.length), hits: [] }));
  const locate = sectionLocator(image.sections);
  const decodedBytes = { symbol: 0, unwind: 0, traversal: 0 };
  const targets: Target[] = [];
  try {
    markRegions(image.hints ?? [], states, locate, targets);
    states.forEach((state, index) => sweepRegions(state, index, includeInt3, targets, decodedBytes));
    decodedBytes.traversal = traverse(states, locate, targets, includeInt3, imageReader(image, states, locate));
  } finally {
    for (const state of states) state.walker?.free();
  }
  return { sections: states.map(sortedHits), decodedBytes };
}

type Locator = (address: bigint, sectionName?: string, preferred?: number) => { index: number; offset: number } | undefined;

/** A place to traverse from; `section` is the index of the section it was found in (object files start every section at 0). */
interface Target {
  address: bigint;
  section: number;
}

function sectionLocator(sections: readonly CodeSection[]): Locator {
  const inside = (i: number, address: bigint): { index: number; offset: number } | undefined => {
    const s = sections[i]!;
    const offset = address - s.address;
    return offset >= 0n && offset < BigInt(s.bytes.length) ? { index: i, offset: Number(offset) } : undefined;
  };
  return (address, sectionName, preferred) => {
    if (preferred !== undefined && preferred >= 0) {
      const hit = inside(preferred, address);
      if (hit) return hit;
    }
    for (let i = 0; i < sections.length; i++) {
      if (sectionName !== undefined && sections[i]!.name !== sectionName) continue;
      const hit = inside(i, address);
      if (hit) return hit;
    }
    return undefined;
  };
}

/** Symbol regions first, then unwind regions where no symbol says anything; start addresses become roots. */
function markRegions(hints: readonly CodeHint[], states: SectionState[], locate: Locator, roots: Target[]): void {
  for (const hint of hints) {
    if (hint.size === 0 || hint.kind !== 'symbol') continue;
    const at = locate(hint.address, hint.section);
    if (at) states[at.index]!.owner.fill(BY_SYMBOL, at.offset, at.offset + hint.size);
  }
  for (const hint of hints) {
    if (hint.size === 0 || hint.kind !== 'unwind') continue;
    const at = locate(hint.address, hint.section);
    if (!at) continue;
    const owner = states[at.index]!.owner;
    const end = Math.min(owner.length, at.offset + hint.size);
    for (let i = at.offset; i < end; i++) if (owner[i] === NONE) owner[i] = BY_UNWIND;
  }
  for (const hint of hints) {
    if (hint.kind !== 'entry' && hint.kind !== 'export' && hint.kind !== 'function') continue;
    const at = locate(hint.address, hint.section);
    if (at) roots.push({ address: hint.address, section: at.index });
  }
}

function walkerFor(state: SectionState): FlowWalker {
  state.walker ??= new FlowWalker(state.section.bytes, state.section.bits, state.section.address);
  return state.walker;
}

/** Linear sweep of each run of symbol- or unwind-owned bytes, collecting direct branch targets. */
function sweepRegions(state: SectionState, index: number, includeInt3: boolean, targets: Target[], decoded: DiscoveryResult['decodedBytes']): void {
  const owner = state.owner;
  const bytes = state.section.bytes;
  let runStart = 0;
  while (runStart < owner.length) {
    const kind = owner[runStart]!;
    let runEnd = runStart + 1;
    while (runEnd < owner.length && owner[runEnd] === kind) runEnd++;
    if (kind === BY_SYMBOL || kind === BY_UNWIND) {
      if (kind === BY_SYMBOL) decoded.symbol += runEnd - runStart;
      else decoded.unwind += runEnd - runStart;
      const walker = walkerFor(state);
      let pos = runStart;
      while (pos < runEnd) {
        if (bytes[pos] === 0xcc && !includeInt3) {
          pos++;
          continue;
        }
        const step = walker.decode(pos);
        if (step.code >= 0 && (includeInt3 || step.code !== INT3_CODE)) state.hits.push({ offset: pos, code: step.code, owner: kind });
        if (step.hasTarget) {
          if (step.targetOffset < 0) targets.push({ address: step.target, section: index });
          else if (owner[step.targetOffset] === NONE) {
            owner[step.targetOffset] = QUEUED;
            targets.push({ address: state.section.address + BigInt(step.targetOffset), section: index });
          }
        }
        pos += step.length;
      }
    }
    runStart = runEnd;
  }
}

/** What jump-table recovery may read: the image's code and data sections. */
interface ImageReader {
  read(address: bigint, length: number): Uint8Array | undefined;
  isCode(address: bigint): boolean;
}

function imageReader(image: BinaryImage, states: SectionState[], locate: Locator): ImageReader {
  return {
    read: (address, length) => {
      const at = locate(address);
      if (!at) return dataAt(image, address, length);
      const bytes = states[at.index]!.section.bytes;
      return at.offset + length <= bytes.length ? bytes.subarray(at.offset, at.offset + length) : undefined;
    },
    isCode: (address) => locate(address) !== undefined,
  };
}

/** Marks a recovered table's bytes inside code sections as data that no pass decodes. */
function markTable(states: SectionState[], locate: Locator, address: bigint, size: number): void {
  for (let i = 0; i < size; i++) {
    const at = locate(address + BigInt(i));
    if (!at) continue;
    const owner = states[at.index]!.owner;
    if (owner[at.offset] !== BY_SYMBOL && owner[at.offset] !== BY_UNWIND) owner[at.offset] = TABLE;
  }
}

/** Follows every queued address that lands in bytes no pass has decoded; returns the bytes it decoded. */
function traverse(states: SectionState[], locate: Locator, queue: Target[], includeInt3: boolean, image: ImageReader): number {
  let decoded = 0;
  while (queue.length > 0) {
    const target = queue.pop()!;
    const at = locate(target.address, undefined, target.section);
    if (!at) continue;
    const state = states[at.index]!;
    const owner = state.owner;
    const walker = walkerFor(state);
    let pos = at.offset;
    // The straight line walked from this target, for jump-table recovery.
    const path: number[] = [];
    while (pos < owner.length && (owner[pos] === NONE || owner[pos] === QUEUED)) {
      owner[pos] = BY_TRAVERSAL;
      const step = walker.decode(pos);
      if (step.indirect) {
        const context: JumpContext = { bytes: state.section.bytes, bits: state.section.bits, base: state.section.address, ...image };
        const table = recoverJumpTable(context, path.slice(-PATH_FOR_TABLES), pos);
        if (table) {
          markTable(states, locate, table.address, table.size);
          for (const address of table.targets) queue.push({ address, section: at.index });
        }
      }
      path.push(pos);
      decoded += step.length;
      if (step.code >= 0 && (includeInt3 || step.code !== INT3_CODE)) state.hits.push({ offset: pos, code: step.code, owner: BY_TRAVERSAL });
      if (step.hasTarget) {
        if (step.targetOffset < 0) queue.push({ address: step.target, section: at.index });
        else if (owner[step.targetOffset] === NONE) {
          owner[step.targetOffset] = QUEUED;
          queue.push({ address: state.section.address + BigInt(step.targetOffset), section: at.index });
        }
      }
      if (step.ends) break;
      pos += step.length;
    }
  }
  return decoded;
}

function sortedHits(state: SectionState): DiscoveredHits {
  const hits = state.hits.slice().sort((a, b) => a.offset - b.offset);
  const owner = state.owner;
  const decodedBy = (offset: number): Exclude<Discovery, 'sweep'> | undefined => {
    const by = owner[offset];
    return by === BY_SYMBOL ? 'symbol' : by === BY_UNWIND ? 'unwind' : by === BY_TRAVERSAL ? 'traversal' : undefined;
  };
  const out: DiscoveredHits = { offsets: [], codes: [], discoveries: [], decodedBy };
  for (const hit of hits) {
    if (owner[hit.offset] === TABLE) continue; // decoded before a jump table was found over it
    out.offsets.push(hit.offset);
    out.codes.push(hit.code);
    out.discoveries.push(OWNER_DISCOVERY[hit.owner]!);
  }
  return out;
}
