// The idiom matcher: over a straight run of instructions, follow the few register values and
// constants a detection trick needs, and say which instructions form which idiom.
import { signaturesInImmediate, type HypervisorSignature } from './signatures';
import { immediateOf, isBarrier, writtenFamilies, type IdiomInstruction, type IdiomOperand } from './stream';

export type IdiomRuleId = 'hypervisor-leaf' | 'hypervisor-bit' | 'hypervisor-signature' | 'timing-check' | 'vmware-backdoor' | 'red-pill';

export interface IdiomMatch {
  ruleId: IdiomRuleId;
  /** The instruction the idiom is reported at. */
  anchor: number;
  /** Every instruction that is part of it, the anchor included, in order. */
  members: number[];
  /** The idiom's one-line message, with the values it found. */
  message: string;
}

/** How far back a register's value is looked for, and how far forward a result is followed. */
const LOOK_BACK = 8;
const FOLLOW = 24;
/** Instructions allowed between the first time-stamp read and the exiting instruction, and between that and the second read. */
const TIMING_GAP = 10;

const HYPERVISOR_LEAVES = { first: 0x40000000n, last: 0x400000ffn };
const VMWARE_MAGIC = 0x564d5868n;
const VMWARE_PORT = 0x5658n;
const BIT_31 = 0x80000000n;

const TIMESTAMP_READS = new Set(['rdtsc', 'rdtscp']);
/** Instructions that exit to the hypervisor every time under VT-x and AMD-V, so their duration shows it. */
const ALWAYS_EXITING = new Set(['cpuid']);
const RED_PILL = new Set(['sidt', 'sgdt', 'sldt', 'str', 'smsw']);

export function findIdioms(stream: readonly IdiomInstruction[]): IdiomMatch[] {
  const matches: IdiomMatch[] = [];
  for (let i = 0; i < stream.length; i++) {
    const ins = stream[i]!;
    let match: IdiomMatch | undefined;
    if (ins.mnemonic === 'cpuid') match = cpuidIdiom(stream, i);
    else if (TIMESTAMP_READS.has(ins.mnemonic)) match = timingIdiom(stream, i);
    else if (ins.mnemonic === 'in') match = backdoorIdiom(stream, i);
    else if (ins.mnemonic === 'vmcall' || ins.mnemonic === 'vmmcall') match = backdoorHypercallIdiom(stream, i);
    else if (RED_PILL.has(ins.mnemonic)) match = redPillIdiom(stream, i);
    if (match) matches.push(match);
  }
  return withoutNestedTiming(matches);
}

// ---------------------------------------------------------------------------------------------
// Register values

interface Known {
  value: bigint;
  /** The instructions the value came through (`mov eax, 1`, `mov ecx, eax`). */
  setters: number[];
}

/** The constant in `family` just before instruction `at`, looking back over a short straight run. */
function valueBefore(stream: readonly IdiomInstruction[], at: number, family: string, depth = 0): Known | undefined {
  for (let j = at - 1; j >= 0 && j >= at - LOOK_BACK; j--) {
    const ins = stream[j]!;
    if (isBarrier(ins) || ins.mnemonic === 'call') return undefined;
    if (!writtenFamilies(ins).includes(family)) continue;
    const [destination, source] = ins.operands;
    if (destination?.kind !== 'reg' || destination.family !== family) return undefined;
    if (ins.mnemonic === 'mov' && source?.kind === 'imm' && source.value !== undefined) return { value: source.value, setters: [j] };
    if ((ins.mnemonic === 'xor' || ins.mnemonic === 'sub') && source?.kind === 'reg' && source.family === family) return { value: 0n, setters: [j] };
    if (ins.mnemonic === 'mov' && source?.kind === 'reg' && source.family && depth < 2) {
      const copied = valueBefore(stream, j, source.family, depth + 1);
      return copied ? { value: copied.value, setters: [...copied.setters, j] } : undefined;
    }
    return undefined;
  }
  return undefined;
}

/**
 * Follows the value held in `start` (registers) forward from after `at`: copies to registers and
 * stack slots join, overwrites leave, and `loadsValue` says which loads bring it in from memory.
 * Returns the index of the first instruction `accept` takes, given what holds the value there.
 */
function followForward(
  stream: readonly IdiomInstruction[],
  at: number,
  start: readonly string[],
  accept: (ins: IdiomInstruction, holding: ReadonlySet<string>, index: number) => boolean,
  loadsValue: (ins: IdiomInstruction, index: number) => boolean = () => false,
): number | undefined {
  const holding = new Set(start);
  for (let j = at + 1; j < stream.length && j <= at + FOLLOW; j++) {
    const ins = stream[j]!;
    if (accept(ins, holding, j)) return j;
    if (isBarrier(ins) || ins.mnemonic === 'call') return undefined;
    const [destination, source] = ins.operands;
    const fromHeld =
      (source?.kind === 'reg' && source.family !== undefined && holding.has(source.family)) ||
      (source?.kind === 'mem' && MOVES.has(ins.mnemonic) && holding.has(slotKey(source))) ||
      loadsValue(ins, j);
    for (const family of writtenFamilies(ins)) {
      const derived = destination?.kind === 'reg' && destination.family === family && (fromHeld || (holding.has(family) && keepsValue(ins)));
      if (derived) holding.add(family);
      else holding.delete(family);
    }
    // Unoptimised code keeps the value in a stack slot between statements.
    if (destination?.kind === 'mem' && ins.mnemonic === 'mov') {
      if (fromHeld) holding.add(slotKey(destination));
      else holding.delete(slotKey(destination));
    }
    if (holding.size === 0) return undefined;
  }
  return undefined;
}

const MOVES = new Set(['mov', 'movzx', 'movsx', 'movsxd']);

/** A memory operand as a place a value can be kept in: same base, index, symbol and offset. */
function slotKey(operand: Extract<IdiomOperand, { kind: 'mem' }>): string {
  return `[${operand.base ?? ''}+${operand.index ?? ''}+${operand.symbol ?? ''}+${operand.offset}]`;
}

/** Instructions that change a register but keep it derived from what it held (shifts, masks, widening). */
function keepsValue(ins: IdiomInstruction): boolean {
  return ['shr', 'sar', 'shl', 'rol', 'ror', 'and', 'or', 'movzx', 'movsx', 'movsxd', 'not', 'bswap'].includes(ins.mnemonic) && ins.operands[1]?.kind !== 'reg';
}

function heldRegister(operand: IdiomOperand | undefined, holding: ReadonlySet<string>): boolean {
  return operand?.kind === 'reg' && operand.family !== undefined && holding.has(operand.family);
}

function hex(value: bigint): string {
  return `0x${value.toString(16).toUpperCase()}`;
}

function ordered(indices: number[]): number[] {
  return [...new Set(indices)].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// CPUID: hypervisor leaves, vendor signatures, the hypervisor-present bit

function cpuidIdiom(stream: readonly IdiomInstruction[], at: number): IdiomMatch | undefined {
  const leaf = valueBefore(stream, at, 'a');
  const setters = leaf?.setters ?? [];
  const signature = signatureComparisons(stream, at);
  if (signature) {
    const names = signature.signatures.map((s) => `"${printable(s.text)}" (${s.vendor})`).join(', ');
    const leafText = leaf ? ` with EAX = ${hex(leaf.value)}` : '';
    return {
      ruleId: 'hypervisor-signature',
      anchor: at,
      members: ordered([...setters, at, ...signature.comparisons]),
      message: `CPUID${leafText}, then a comparison with the ${names} signature: this code identifies the hypervisor by name`,
    };
  }
  if (!leaf) return undefined;
  if (leaf.value >= HYPERVISOR_LEAVES.first && leaf.value <= HYPERVISOR_LEAVES.last) {
    return {
      ruleId: 'hypervisor-leaf',
      anchor: at,
      members: ordered([...setters, at]),
      message: `CPUID with EAX = ${hex(leaf.value)} reads a hypervisor leaf: this code asks which hypervisor it runs under`,
    };
  }
  if (leaf.value === 1n) {
    const test = followForward(stream, at, ['c'], (ins, holding, index) => testsBit31(stream, index, ins, holding));
    if (test !== undefined) {
      return {
        ruleId: 'hypervisor-bit',
        anchor: at,
        members: ordered([...setters, at, test]),
        message: `CPUID leaf 1 followed by a test of ECX bit 31 (${stream[test]!.mnemonic.toUpperCase()}): this code checks the hypervisor-present bit`,
      };
    }
  }
  return undefined;
}

/** Comparisons after a CPUID with immediates that hold pieces of a vendor signature, or loads of a signature's address (passed to memcmp). */
function signatureComparisons(stream: readonly IdiomInstruction[], at: number): { signatures: HypervisorSignature[]; comparisons: number[] } | undefined {
  const signatures: HypervisorSignature[] = [];
  const comparisons: number[] = [];
  for (let j = at + 1; j < stream.length && j <= at + FOLLOW; j++) {
    const ins = stream[j]!;
    if (ins.mnemonic === 'cpuid') break;
    const value = immediateOf(ins);
    const found = [...(value !== undefined ? signaturesInImmediate(value) : []), ...(ins.references ?? [])];
    if (found.length > 0) {
      comparisons.push(j);
      for (const signature of found) if (!signatures.includes(signature)) signatures.push(signature);
    }
    if (isBarrier(ins)) break;
  }
  return signatures.length > 0 ? { signatures, comparisons } : undefined;
}

function printable(text: string): string {
  return text.replace(/\0+$/, '');
}

/** `bt ecx, 31`, `test ecx, 0x80000000`, `and ecx, 0x80000000`, `shr ecx, 31`, or `test ecx, ecx` before `js`/`jns`. */
function testsBit31(stream: readonly IdiomInstruction[], index: number, ins: IdiomInstruction, holding: ReadonlySet<string>): boolean {
  const [first, second] = ins.operands;
  if (!heldRegister(first, holding)) return false;
  const value = second?.kind === 'imm' ? second.value : undefined;
  switch (ins.mnemonic) {
    case 'bt':
      return value === 31n;
    case 'shr':
    case 'sar':
    case 'rol':
      return value === 31n || (ins.mnemonic === 'rol' && value === 1n);
    case 'test':
    case 'and': {
      if (value !== undefined) return (value & 0xffffffffn) === BIT_31;
      const next = stream[index + 1];
      return ins.mnemonic === 'test' && heldRegister(second, holding) && (next?.mnemonic === 'js' || next?.mnemonic === 'jns');
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Timing: RDTSC, an exiting instruction, RDTSC, then a subtraction and a comparison

function timingIdiom(stream: readonly IdiomInstruction[], at: number): IdiomMatch | undefined {
  const exiting = nextWithin(stream, at, TIMING_GAP, (ins) => ALWAYS_EXITING.has(ins.mnemonic), (ins) => TIMESTAMP_READS.has(ins.mnemonic));
  if (exiting === undefined) return undefined;
  const second = nextWithin(stream, exiting, TIMING_GAP, (ins) => TIMESTAMP_READS.has(ins.mnemonic));
  if (second === undefined) return undefined;
  const subtraction = nextWithin(stream, second, FOLLOW, (ins) => ins.mnemonic === 'sub' || ins.mnemonic === 'sbb');
  if (subtraction === undefined) return undefined;
  const comparison = nextWithin(stream, subtraction, FOLLOW, (ins) => ins.mnemonic === 'cmp');
  if (comparison === undefined) return undefined;
  const first = stream[at]!.mnemonic.toUpperCase();
  const threshold = immediateOf(stream[comparison]!);
  const against = threshold !== undefined ? ` with ${threshold}` : '';
  return {
    ruleId: 'timing-check',
    anchor: at,
    members: [at, exiting, second, subtraction, comparison],
    message: `${first} before and after ${stream[exiting]!.mnemonic.toUpperCase()}, then the difference compared${against}: this code times a VM exit`,
  };
}

/** The first instruction within `limit` after `at` that `wanted` takes, unless a barrier or `stop` comes first. */
function nextWithin(
  stream: readonly IdiomInstruction[],
  at: number,
  limit: number,
  wanted: (ins: IdiomInstruction) => boolean,
  stop: (ins: IdiomInstruction) => boolean = () => false,
): number | undefined {
  for (let j = at + 1; j < stream.length && j <= at + limit; j++) {
    const ins = stream[j]!;
    if (wanted(ins)) return j;
    if (isBarrier(ins) || ins.mnemonic === 'call' || stop(ins)) return undefined;
  }
  return undefined;
}

/** A second RDTSC of one timing check would start a check of its own; keep the first. */
function withoutNestedTiming(matches: IdiomMatch[]): IdiomMatch[] {
  const covered = new Set<number>();
  const kept: IdiomMatch[] = [];
  for (const match of matches) {
    if (match.ruleId === 'timing-check') {
      if (covered.has(match.anchor)) continue;
      for (const member of match.members) covered.add(member);
    }
    kept.push(match);
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// The VMware backdoor

function backdoorIdiom(stream: readonly IdiomInstruction[], at: number): IdiomMatch | undefined {
  const port = stream[at]!.operands[1];
  if (port?.kind !== 'reg' || port.family !== 'd') return undefined;
  const magic = valueBefore(stream, at, 'a');
  const dx = valueBefore(stream, at, 'd');
  const hasMagic = magic !== undefined && (magic.value & 0xffffffffn) === VMWARE_MAGIC;
  const hasPort = dx !== undefined && (dx.value & 0xffffn) === VMWARE_PORT;
  if (!hasMagic && !hasPort) return undefined;
  const what = [hasMagic ? "EAX = 0x564D5868 ('VMXh')" : '', hasPort ? "DX = 0x5658 ('VX')" : ''].filter(Boolean).join(' and ');
  return {
    ruleId: 'vmware-backdoor',
    anchor: at,
    members: ordered([...(hasMagic ? magic.setters : []), ...(hasPort ? dx.setters : []), at]),
    message: `IN with ${what}: this code calls the VMware backdoor`,
  };
}

/** VMware's newer backdoor: the same magic in EAX, through VMCALL (Intel) or VMMCALL (AMD) instead of the port. */
function backdoorHypercallIdiom(stream: readonly IdiomInstruction[], at: number): IdiomMatch | undefined {
  const magic = valueBefore(stream, at, 'a');
  if (magic === undefined || (magic.value & 0xffffffffn) !== VMWARE_MAGIC) return undefined;
  const name = stream[at]!.mnemonic.toUpperCase();
  return {
    ruleId: 'vmware-backdoor',
    anchor: at,
    members: ordered([...magic.setters, at]),
    message: `${name} with EAX = 0x564D5868 ('VMXh'): this code calls the VMware backdoor as a hypercall`,
  };
}

// ---------------------------------------------------------------------------------------------
// Red Pill and its relatives: a stored descriptor-table register or CR0 compared with a constant

/** How far apart (bytes) the stored value and the byte compared may be: a GDTR/IDTR image is 6 or 10 bytes. */
const NEAR_BYTES = 16n;
/** Stands for "the value is in memory" in the set of registers that hold it. */
const STORED = '(memory)';

function redPillIdiom(stream: readonly IdiomInstruction[], at: number): IdiomMatch | undefined {
  const ins = stream[at]!;
  const destination = ins.operands[0];
  if (!destination) return undefined;
  const name = ins.mnemonic.toUpperCase();
  const start = destination.kind === 'reg' && destination.family ? [destination.family] : [];
  const stored = destination.kind === 'mem' ? destination : undefined;
  if (start.length === 0 && !stored) return undefined;
  const loads: number[] = [];
  const loadsStored = (candidate: IdiomInstruction, index: number): boolean => {
    if (!stored || !['mov', 'movzx', 'movsx'].includes(candidate.mnemonic)) return false;
    const from = candidate.operands[1];
    if (from?.kind !== 'mem' || !nearby(from, stored)) return false;
    loads.push(index);
    return true;
  };
  const comparesWithConstant = (candidate: IdiomInstruction, holding: ReadonlySet<string>): boolean => {
    if (candidate.mnemonic !== 'cmp' && candidate.mnemonic !== 'test') return false;
    const [left, right] = candidate.operands;
    // `test ax, ax` compares with zero (No Pill: a non-zero LDTR means a VM).
    if (candidate.mnemonic === 'test' && left?.kind === 'reg' && right?.kind === 'reg' && right.reg === left.reg && heldRegister(left, holding)) return true;
    if (right?.kind !== 'imm' || right.value === undefined) return false;
    // `test x, 0` is always zero: bytes decoded as code (a table swept by mistake) say it, programs do not.
    if (candidate.mnemonic === 'test' && right.value === 0n) return false;
    return heldRegister(left, holding) || (stored !== undefined && left?.kind === 'mem' && nearby(left, stored));
  };
  // A value stored to memory is held by no register until it is loaded back.
  const comparison = followForward(stream, at, start.length > 0 ? start : [STORED], comparesWithConstant, loadsStored);
  if (comparison === undefined) return undefined;
  const constant = immediateOf(stream[comparison]!) ?? (stream[comparison]!.mnemonic === 'test' ? 0n : undefined);
  return {
    ruleId: 'red-pill',
    anchor: at,
    members: ordered([at, ...loads, comparison]),
    message: `${name} result compared with ${constant !== undefined ? hex(constant) : 'a constant'}: this code tells a VM from bare metal by the value ${name} reads`,
  };
}

function nearby(a: Extract<IdiomOperand, { kind: 'mem' }>, b: Extract<IdiomOperand, { kind: 'mem' }>): boolean {
  if (a.base !== b.base || a.index !== b.index || a.symbol !== b.symbol) return false;
  if (a.base === undefined && a.index === undefined && a.symbol === undefined) return false;
  const distance = a.offset - b.offset;
  return distance >= -NEAR_BYTES && distance <= NEAR_BYTES;
}
