// The execution mode of each line: what the analysis can know about whether code runs in real
// mode, virtual-8086 mode, 16- or 32-bit protected mode or long mode. It reads the bitness
// regions, `virtlint: mode=…` comments, and the CR0.PE switch in the straight-line code it can
// see (`or eax, 1` then `mov cr0, eax`, or `lmsw`); 16-bit code with none of these is `unknown`
// unless the file looks like a boot sector or calls BIOS/DOS services, which only real-mode
// code does.
import type { Comment } from '../syntax/lexer';
import type { Bits, BitsRegion, DeclaredMode, ExecutionMode, ModeRegion, ModeSource, ParsedInstruction } from '../types';
import { DECLARED_MODES } from '../types';

/** Something on one line that can change the mode or tell what it is. */
export type ModeEvent =
  /** A `virtlint: mode=…` comment: the mode from this line on. */
  | { kind: 'declare'; mode: DeclaredMode }
  /** `or`/`and`/`bts`/`btr` of a general register with a constant: whether bit 0 (CR0.PE) ends up set. */
  | { kind: 'pe-bit'; register: string; set: boolean }
  /** `mov cr0, reg`, or `lmsw reg` (which can set PE but never clear it). */
  | { kind: 'cr0-write'; register: string; canClear: boolean }
  /** `int 0x10/0x13/0x15/0x16/0x21`: BIOS and DOS services, which only real-mode code calls directly. */
  | { kind: 'bios-call' };

const NO_EVENTS: readonly ModeEvent[] = [];

const MODE_DIRECTIVE = /virtlint:[^\n]*?\bmode\s*=\s*([\w-]+)/i;
const MODE_ALIASES: Readonly<Record<string, DeclaredMode>> = { v8086: 'v86', vm86: 'v86', protected16: 'pm16', protected32: 'pm32', '64': 'long' };

/** The mode a `virtlint: mode=…` comment names, if any. */
export function declaredModeIn(text: string): DeclaredMode | undefined {
  const match = MODE_DIRECTIVE.exec(text);
  return match ? parseDeclaredMode(match[1]!) : undefined;
}

/** A mode name from a setting or comment; undefined for anything else. */
export function parseDeclaredMode(name: string): DeclaredMode | undefined {
  const lower = name.toLowerCase();
  return (DECLARED_MODES as readonly string[]).includes(lower) ? (lower as DeclaredMode) : MODE_ALIASES[lower];
}

/** The mode events of one parsed line, in source order. */
export function modeEventsOf(instructions: readonly ParsedInstruction[], comments: readonly Comment[]): readonly ModeEvent[] {
  let events: ModeEvent[] | undefined;
  const add = (event: ModeEvent | undefined): void => {
    if (event) (events ??= []).push(event);
  };
  for (const ins of instructions) add(instructionEvent(ins));
  for (const comment of comments) {
    if (!comment.text.includes('virtlint:')) continue;
    const mode = declaredModeIn(comment.text);
    if (mode) add({ kind: 'declare', mode });
  }
  return events ?? NO_EVENTS;
}

const BIOS_VECTORS = new Set<bigint>([0x10n, 0x13n, 0x15n, 0x16n, 0x21n]);

function instructionEvent(ins: ParsedInstruction): ModeEvent | undefined {
  // Long mode cannot clear CR0.PE (#GP) and has no BIOS: 64-bit code says nothing about the mode.
  if (ins.bits === 64) return undefined;
  const mnemonic = ins.mnemonic.replace(/[lwq]$/, '');
  switch (mnemonic) {
    case 'mov':
    case 'movl':
      return cr0Write(ins);
    case 'lmsw': {
      const register = registerFamily(ins.operands[0]);
      return register ? { kind: 'cr0-write', register, canClear: false } : undefined;
    }
    case 'or':
    case 'and':
    case 'bts':
    case 'btr':
      return peBit(mnemonic, ins);
    case 'int': {
      const vector = ins.operands[0]?.kind === 'imm' ? ins.operands[0].value : undefined;
      return ins.bits === 16 && vector !== undefined && BIOS_VECTORS.has(vector) ? { kind: 'bios-call' } : undefined;
    }
    default:
      return undefined;
  }
}

/** Destination first, source second, whatever order the dialect writes them in. */
function destinationAndSource(ins: ParsedInstruction): [ParsedInstruction['operands'][number] | undefined, ParsedInstruction['operands'][number] | undefined] {
  const [first, second] = ins.operands;
  return ins.dialect === 'gas-att' ? [second, first] : [first, second];
}

function cr0Write(ins: ParsedInstruction): ModeEvent | undefined {
  if (ins.operands.length !== 2) return undefined;
  const [destination, source] = destinationAndSource(ins);
  if (destination?.kind !== 'reg' || destination.reg !== 'cr0') return undefined;
  const register = registerFamily(source);
  return register ? { kind: 'cr0-write', register, canClear: true } : undefined;
}

function peBit(mnemonic: string, ins: ParsedInstruction): ModeEvent | undefined {
  if (ins.operands.length !== 2) return undefined;
  const [destination, source] = destinationAndSource(ins);
  const register = registerFamily(destination);
  const value = source?.kind === 'imm' ? (source.value ?? constantOf(source.text)) : undefined;
  if (!register || value === undefined) return undefined;
  const bitZero = (value & 1n) === 1n;
  switch (mnemonic) {
    case 'or':
      return bitZero ? { kind: 'pe-bit', register, set: true } : undefined;
    case 'and':
      return bitZero ? undefined : { kind: 'pe-bit', register, set: false };
    case 'bts':
      return value === 0n ? { kind: 'pe-bit', register, set: true } : undefined;
    default:
      return value === 0n ? { kind: 'pe-bit', register, set: false } : undefined;
  }
}

/** `~1`, `not 1`, `-2`, `$~1`: the constants a PE-clearing `and` is usually written with. */
function constantOf(text: string): bigint | undefined {
  const match = /^\$?\s*(~|not\s+|-)?\s*(0x[0-9a-f]+|[0-9][0-9a-f]*h|\d+)$/i.exec(text.trim());
  if (!match) return undefined;
  const digits = match[2]!.toLowerCase();
  const magnitude = digits.endsWith('h') ? BigInt(`0x${digits.slice(0, -1)}`) : BigInt(digits);
  const operator = (match[1] ?? '').trim().toLowerCase();
  if (operator === '~' || operator === 'not') return ~magnitude;
  return operator === '-' ? -magnitude : magnitude;
}

const FAMILIES: ReadonlyArray<[RegExp, (match: RegExpExecArray) => string]> = [
  [/^(?:[re]?([abcd])x|([abcd])l)$/, (m) => m[1] ?? m[2]!],
  [/^(?:[re]?(si|di|bp|sp)|(si|di|bp|sp)l)$/, (m) => m[1] ?? m[2]!],
  [/^r(\d+)[dwb]?$/, (m) => `r${m[1]}`],
];

/** The register a value lives in, by family (`al`, `ax`, `eax`, `rax` are one); `ah` and friends are not bit 0. */
function registerFamily(operand: ParsedInstruction['operands'][number] | undefined): string | undefined {
  if (operand?.kind !== 'reg') return undefined;
  for (const [pattern, family] of FAMILIES) {
    const match = pattern.exec(operand.reg);
    if (match) return family(match);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// From events to regions

export interface ModeStart {
  mode?: DeclaredMode;
  modeSource?: 'modeline' | 'override';
  /** The file looks like a boot sector (`org 0x7c00`). */
  bootSector?: boolean;
}

export interface LineEvents {
  line: number;
  events: readonly ModeEvent[];
}

function fitsBits(mode: DeclaredMode, bits: Bits): boolean {
  if (mode === 'pm32') return bits === 32;
  if (mode === 'long') return bits === 64;
  return bits === 16;
}

/** What is known at a point in the file while walking down it. */
class ModeWalk {
  private declared: { mode: DeclaredMode; source: ModeSource } | undefined;
  /** CR0.PE: true in protected mode, false after it was cleared, undefined when nothing says. */
  private pe: boolean | undefined;
  private peSource: ModeSource = 'bits';
  private readonly peBits = new Map<string, boolean>();
  /** A `mov cr0` on the line just walked: its effect starts on the next line. */
  private pendingPe: boolean | undefined;
  sawPeSet = false;
  sawBiosCall = false;

  /** `startProtected`: code ran in the starting bitness, so if it is 32 or 64, CR0.PE is set. */
  constructor(private bits: Bits, start: ModeStart, startProtected: boolean) {
    if (start.mode) this.declare(start.mode, start.modeSource ?? 'override');
    if (bits !== 16 && startProtected) this.pe = true;
  }

  enterLine(bits: Bits | undefined): void {
    if (this.pendingPe !== undefined) {
      this.pe = this.pendingPe;
      this.peSource = 'pe-switch';
      this.declared = undefined;
      this.pendingPe = undefined;
    }
    if (bits !== undefined && bits !== this.bits) {
      this.bits = bits;
      if (bits !== 16) [this.pe, this.peSource] = [true, 'bits'];
    }
    if (this.declared && !fitsBits(this.declared.mode, this.bits)) this.declared = undefined;
  }

  declareOnLine(events: readonly ModeEvent[]): void {
    for (const event of events) if (event.kind === 'declare') this.declare(event.mode, 'directive');
  }

  leaveLine(events: readonly ModeEvent[]): void {
    for (const event of events) {
      if (event.kind === 'pe-bit') this.peBits.set(event.register, event.set);
      else if (event.kind === 'bios-call') this.sawBiosCall = this.sawBiosCall || this.bits === 16;
      else if (event.kind === 'cr0-write') this.cr0Write(event.register, event.canClear);
    }
  }

  current(): { mode: ExecutionMode; source: ModeSource } {
    if (this.declared) return this.declared;
    if (this.bits === 64) return { mode: 'long', source: 'bits' };
    if (this.bits === 32) return { mode: 'pm32', source: 'bits' };
    if (this.pe === true) return { mode: 'pm16', source: this.peSource };
    if (this.pe === false) return { mode: 'real', source: 'pe-switch' };
    return { mode: 'unknown', source: 'default' };
  }

  private declare(mode: DeclaredMode, source: ModeSource): void {
    if (!fitsBits(mode, this.bits)) return;
    this.declared = { mode, source };
    this.pe = mode !== 'real';
    this.peSource = source;
  }

  private cr0Write(register: string, canClear: boolean): void {
    const set = this.peBits.get(register);
    if (set === undefined || (!set && !canClear)) return;
    this.pendingPe = set;
    if (set && this.bits === 16) this.sawPeSet = true;
  }
}

/**
 * The mode regions of a file from its starting bitness, its bitness regions and the lines that
 * carry mode events (both in line order). 16-bit code nothing speaks for is `unknown`, or `real`
 * when the file is a boot sector, calls BIOS or DOS services, or switches CR0.PE on somewhere.
 * 16-bit code after 32- or 64-bit code runs in protected mode; but a starting bitness the file
 * leaves before its first instruction (`firstCodeLine`) is only the assembler's default or a
 * build flag (`bits 16` first thing in a file built with -f elf32), which says nothing of CR0.PE.
 */
export function modeRegionsOf(start: ModeStart, bitsRegions: readonly BitsRegion[], eventLines: readonly LineEvents[], firstCodeLine = 0): ModeRegion[] {
  const firstSwitch = bitsRegions[1]?.startLine ?? Infinity;
  const walk = new ModeWalk(bitsRegions[0]?.bits ?? 16, start, firstCodeLine < firstSwitch);
  const regions: ModeRegion[] = [];
  const note = (line: number): void => {
    const { mode, source } = walk.current();
    const last = regions[regions.length - 1];
    if (last && last.mode === mode) return;
    if (last && last.startLine === line) regions.pop();
    const before = regions[regions.length - 1];
    if (before && before.mode === mode) return;
    regions.push({ startLine: line, mode, source });
  };
  let nextBits = 0;
  let nextEvents = 0;
  let pendingLine = -1;
  while (nextBits < bitsRegions.length || nextEvents < eventLines.length || pendingLine >= 0) {
    const line = Math.min(bitsRegions[nextBits]?.startLine ?? Infinity, eventLines[nextEvents]?.line ?? Infinity, pendingLine >= 0 ? pendingLine : Infinity);
    let bits: Bits | undefined;
    while (nextBits < bitsRegions.length && bitsRegions[nextBits]!.startLine === line) bits = bitsRegions[nextBits++]!.bits;
    walk.enterLine(bits);
    pendingLine = -1;
    const events = eventLines[nextEvents]?.line === line ? eventLines[nextEvents++]!.events : NO_EVENTS;
    walk.declareOnLine(events);
    note(line);
    walk.leaveLine(events);
    if (events.some((event) => event.kind === 'cr0-write')) pendingLine = line + 1;
  }
  if (regions.length === 0) note(0);
  const realHint = start.bootSector === true || walk.sawBiosCall || walk.sawPeSet;
  if (realHint) {
    const source: ModeSource = walk.sawPeSet && !start.bootSector && !walk.sawBiosCall ? 'pe-switch' : 'content';
    for (let i = 0; i < regions.length; i++) if (regions[i]!.mode === 'unknown') regions[i] = { startLine: regions[i]!.startLine, mode: 'real', source };
    return merged(regions);
  }
  return regions;
}

/** Neighbouring regions of the same mode become one. */
function merged(regions: readonly ModeRegion[]): ModeRegion[] {
  const out: ModeRegion[] = [];
  for (const region of regions) {
    if (out.length > 0 && out[out.length - 1]!.mode === region.mode) continue;
    out.push(region);
  }
  return out;
}

/** The mode at `line` (regions in line order, the first starting at line 0). */
export function modeAt(regions: readonly ModeRegion[], line: number): ExecutionMode {
  let low = 0;
  let high = regions.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (regions[middle]!.startLine <= line) low = middle;
    else high = middle - 1;
  }
  return regions[low]?.mode ?? 'unknown';
}

/**
 * The mode of code read in `bits` on a line whose mode is `mode`, as a `bits` switch there would
 * leave it: 32- and 64-bit code run in protected and long mode, and 16-bit code after them in
 * 16-bit protected mode. A macro whose body switches the bitness is read this way.
 */
export function modeWithBits(mode: ExecutionMode, bits: Bits): ExecutionMode {
  if (bits === 64) return 'long';
  if (bits === 32) return 'pm32';
  return mode === 'pm32' || mode === 'long' ? 'pm16' : mode;
}
