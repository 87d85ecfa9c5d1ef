// Strategy "hypercall": turns a Plan (plans.ts) into a call through the chosen ABI.
// Every register the sequence touches is pushed first and popped last; results reach
// their destination either directly or by overwriting the destination's save slot, so the
// final POP delivers them. The sequence itself uses only MOV/MOVZX/LEA/PUSH/POP and the
// call, none of which write flags.
import type { Bits, MemoryOperand } from '../types';
import type { Convention, RegisterConvention } from './abi';
import { hypervCall } from './abi';
import { Frame } from './frame';
import { imm, reg, type Line, type Width } from './ir';
import type { Plan, PlanInput } from './plans';
import { familyAvailable, familyOf, regOfWidth } from './registers';
import { segmentSymbol } from './numbers';
import { addressFamilies } from './context';

type ArgValue = PlanInput | { k: 'address'; of: 'output' };

export function emitHypercall(plan: Plan, convention: Convention, bits: Bits): Line[] | undefined {
  if (convention.kind === 'hyperv') return bits === 16 ? undefined : emitHyperv(plan, convention.bits);
  return emitRegisters(plan, convention, bits);
}

/**
 * 16-bit code: an address is an offset in a segment, DS or SS by default, so the call also
 * passes the segment register the output address is relative to (VIRTLINT_SREG_*), after the
 * last argument; the hypervisor adds that register's base. Undefined when nothing is passed by address.
 */
function addressSegment(plan: Plan): PlanInput | undefined {
  const out = plan.output;
  if (!out) return undefined;
  if (out.k !== 'mem') return { k: 'imm', value: segmentSymbol('ss') }; // the pushed slot or the stack buffer
  return { k: 'imm', value: segmentSymbol(segmentOf(out.operand)) };
}

/** The segment an operand addresses: its override, else SS for a BP or SP base, else DS. */
function segmentOf(operand: MemoryOperand): string {
  if (operand.segment) return operand.segment.toLowerCase();
  const base = operand.base ? familyOf(operand.base) : undefined;
  return base === 'bp' || base === 'sp' ? 'ss' : 'ds';
}

const RED_ZONE_NOTE = 'step over the 128-byte red zone below RSP';

interface Prologue {
  frame: Frame;
  redZone: number;
  slotOffset?: number;
  bufferOffset?: number;
  bufferBytes: number;
}

function prologue(plan: Plan, bits: Bits): Prologue | undefined {
  const frame = new Frame(bits);
  let slotOffset: number | undefined;
  if (plan.reserveSlot) {
    slotOffset = frame.pushSlot(plan.reserveSlot);
    if (slotOffset === undefined) return undefined;
  }
  // 64-bit user code may keep data in the 128-byte red zone below RSP; step over it.
  const redZone = bits === 64 ? 128 : 0;
  frame.reserve(redZone, RED_ZONE_NOTE);
  let bufferBytes = 0;
  let bufferOffset: number | undefined;
  const end = plan.output?.k === 'regs' ? Math.max(...plan.output.regs.map((r) => r.offset + r.width)) : plan.output?.k === 'segmem' ? plan.output.bytes : 0;
  if (end > 0) {
    bufferBytes = Math.ceil(end / frame.saveWidth) * frame.saveWidth;
    bufferOffset = frame.reserve(bufferBytes);
  }
  return { frame, bufferBytes, redZone, ...(slotOffset !== undefined ? { slotOffset } : {}), ...(bufferOffset !== undefined ? { bufferOffset } : {}) };
}

/** Writes the output address (user memory, pushed slot or result buffer) into `family`. */
function loadOutputAddress(p: Prologue, plan: Plan, family: string): void {
  const target = reg(regOfWidth(family, p.frame.saveWidth));
  const out = plan.output;
  if (!out) p.frame.loadImm(family, 0);
  else if (out.k === 'mem') p.frame.emit({ t: 'ins', op: 'lea', args: [target, p.frame.orig(out.operand)] });
  else if (out.k === 'slot') p.frame.emit({ t: 'ins', op: 'lea', args: [target, p.frame.at(p.slotOffset!)] });
  else if (out.k === 'segmem') p.frame.emit({ t: 'ins', op: 'lea', args: [target, p.frame.at(p.bufferOffset!)], comment: `a buffer: the ${out.operand.segment ?? ''} base is not the hypervisor's to add` });
  else p.frame.emit({ t: 'ins', op: 'lea', args: [target, p.frame.at(p.bufferOffset!)] });
}

/** Loads one input into `family`; saved registers are read back from their save slot. */
function loadInput(frame: Frame, input: PlanInput, family: string): void {
  switch (input.k) {
    case 'imm':
      frame.loadImm(family, input.value);
      return;
    case 'mem16':
      frame.load(family, frame.orig(input.operand, 2), 2);
      return;
    case 'stack':
      frame.load(family, frame.at(input.offset, input.width), input.width);
      return;
    case 'reg': {
      const source = familyOf(input.name)!;
      const slot = frame.saved.get(source);
      frame.load(family, slot !== undefined ? frame.at(slot, input.width) : reg(input.name), input.width);
      return;
    }
  }
}

/** Copies results from the buffer to their registers (directly, or into the save slot). */
function deliverOutputs(p: Prologue, plan: Plan, scratch: string): void {
  if (plan.output?.k !== 'regs') return;
  const { frame } = p;
  for (const out of plan.output.regs) {
    const family = familyOf(out.name)!;
    const slot = frame.saved.get(family);
    const readWidth = Math.min(out.width, out.valueWidth) as Width;
    const source = frame.at(p.bufferOffset! + out.offset, readWidth);
    // A narrower value is zero-extended: MOVZX to 32 bits, which also clears 63:32.
    const extend = readWidth < out.width && readWidth < 4;
    const loadInto = (targetFamily: string) =>
      extend
        ? { t: 'ins' as const, op: 'movzx', args: [reg(regOfWidth(targetFamily, 4)), source] }
        : { t: 'ins' as const, op: 'mov', args: [reg(regOfWidth(targetFamily, readWidth)), source] };
    if (slot === undefined) {
      frame.emit(loadInto(family));
      continue;
    }
    const via = reg(regOfWidth(scratch, out.width));
    frame.emit(loadInto(scratch), { t: 'ins', op: 'mov', args: [frame.at(slot, out.width), via] });
    // A 32-bit register write in 64-bit code clears bits 63:32.
    if (out.width === 4 && frame.bits === 64) frame.emit({ t: 'ins', op: 'mov', args: [frame.at(slot + 4, 4), imm(0)] });
  }
}

function epilogue(p: Prologue, plan: Plan, saves: string[]): void {
  if (p.frame.anchoredBp) p.frame.restore('bp');
  for (const family of [...saves].reverse()) p.frame.restore(family);
  copyToSegmentOperand(p, plan);
  p.frame.release(p.bufferBytes + p.redZone);
  if (plan.dropSlot) p.frame.release(plan.dropSlot);
}

const SCRATCH_ORDER = ['c', 'a', 'd', 'b', 'si', 'di'];

/**
 * An FS/GS-relative destination: with every register restored (the operand's address may use
 * them), copy the buffer to it through a saved scratch register, the widest pieces first. The
 * operand keeps its own segment override, so the CPU adds the base.
 */
function copyToSegmentOperand(p: Prologue, plan: Plan): void {
  if (plan.output?.k !== 'segmem') return;
  const { frame } = p;
  const target = plan.output.operand;
  const avoid = addressFamilies(target);
  const scratch = SCRATCH_ORDER.find((f) => !avoid.has(f))!;
  frame.save(scratch);
  let copied = 0;
  for (const width of [8, 4, 2, 1] as const) {
    while (width <= frame.saveWidth && plan.output.bytes - copied >= width) {
      const via = reg(regOfWidth(scratch, width));
      frame.emit({ t: 'ins', op: 'mov', args: [via, frame.at(p.bufferOffset! + copied, width)] });
      const destination = frame.orig(target, width);
      frame.emit({ t: 'ins', op: 'mov', args: [{ ...destination, adjust: destination.adjust + copied }, via], ...(copied === 0 ? { comment: `through ${target.segment ?? 'its segment'}` } : {}) });
      copied += width;
    }
  }
  frame.restore(scratch);
}

function unique(list: (string | undefined)[]): string[] {
  return [...new Set(list.filter((x): x is string => x !== undefined))];
}

function emitRegisters(plan: Plan, conv: RegisterConvention, bits: Bits): Line[] | undefined {
  const segment = bits === 16 ? addressSegment(plan) : undefined;
  const values: ArgValue[] = [...(plan.output ? [{ k: 'address', of: 'output' } as const] : []), ...plan.inputs, ...(segment ? [segment] : [])];
  if (values.length > conv.argFamilies.length) return undefined;
  const argFamilies = conv.argFamilies.slice(0, values.length);
  const saves = unique([conv.resultFamily, conv.numberFamily, ...argFamilies, ...conv.extraClobbers]);
  if (saves.some((f) => f === 'sp' || !familyAvailable(f, bits))) return undefined;
  if (plan.dropSlot && bits === 64 && plan.dropSlot === 4) return undefined;
  const p = prologue(plan, bits);
  if (!p) return undefined;
  for (const f of saves) p.frame.save(f);
  // Values computed from the user's memory operand go first: later loads overwrite registers its address may use.
  const order = values.map((v, i) => i).sort((a, b) => rank(values[a]!, plan) - rank(values[b]!, plan));
  for (const i of order) {
    const value = values[i]!;
    const family = argFamilies[i]!;
    // 16-bit code reads its own slots through BP, pointed at the stack once the user's operands are read.
    if (rank(value, plan) > 0) p.frame.anchor();
    if (value.k === 'address') loadOutputAddress(p, plan, family);
    else loadInput(p.frame, value, family);
  }
  p.frame.anchor();
  if (conv.numberFamily) p.frame.loadImm(conv.numberFamily, plan.numberSymbol);
  for (const line of conv.call(plan.numberSymbol)) p.frame.emit(line); // a custom template can be long
  deliverOutputs(p, plan, conv.resultFamily);
  epilogue(p, plan, saves);
  return p.frame.lines;
}

function rank(value: ArgValue, plan: Plan): number {
  if (value.k === 'mem16') return 0;
  if (value.k === 'address' && plan.output?.k === 'mem') return 0;
  return 1;
}

/**
 * Hyper-V memory-based hypercall: inputs go to an 8-byte-per-field block on the stack.
 * x64: RCX = control (call code), RDX = input block address, R8 = output address, status
 * in RAX, R8–R11 may be clobbered. x86: EDX:EAX = control, EBX:ECX = input, EDI:ESI = output.
 */
function emitHyperv(plan: Plan, bits: 32 | 64): Line[] | undefined {
  const layout =
    bits === 64
      ? { control: 'c', input: 'd', output: 'r8', highs: [] as string[], saves: ['a', 'c', 'd', 'r8', 'r9', 'r10', 'r11'] }
      : { control: 'a', input: 'c', output: 'si', highs: ['d', 'b', 'di'], saves: ['a', 'b', 'c', 'd', 'si', 'di'] };
  const p = prologue(plan, bits);
  if (!p) return undefined;
  const { frame } = p;
  const blockBytes = plan.inputs.length * 8;
  const blockOffset = frame.reserve(blockBytes);
  for (const f of layout.saves) frame.save(f);
  if (plan.output?.k === 'mem') loadOutputAddress(p, plan, layout.output);
  const order = plan.inputs.map((v, i) => i).sort((a, b) => (plan.inputs[a]!.k === 'mem16' ? 0 : 1) - (plan.inputs[b]!.k === 'mem16' ? 0 : 1));
  for (const i of order) {
    const input = plan.inputs[i]!;
    loadInput(frame, input, 'a');
    const width: Width = bits === 64 ? 8 : 4;
    frame.emit({ t: 'ins', op: 'mov', args: [frame.at(blockOffset + 8 * i, width), reg(regOfWidth('a', width))] });
    if (bits === 32) frame.emit({ t: 'ins', op: 'mov', args: [frame.at(blockOffset + 8 * i + 4, 4), imm(0)] });
  }
  const addressReg = reg(regOfWidth(layout.input, frame.saveWidth));
  if (blockBytes) frame.emit({ t: 'ins', op: 'lea', args: [addressReg, frame.at(blockOffset)] });
  else frame.loadImm(layout.input, 0);
  if (plan.output?.k !== 'mem') loadOutputAddress(p, plan, layout.output);
  for (const high of layout.highs) frame.loadImm(high, 0);
  frame.loadImm(layout.control, plan.numberSymbol);
  frame.emit(hypervCall(bits));
  deliverOutputs(p, plan, 'a');
  for (const family of [...layout.saves].reverse()) frame.restore(family);
  copyToSegmentOperand(p, plan);
  frame.release(blockBytes + p.bufferBytes + p.redZone);
  if (plan.dropSlot) frame.release(plan.dropSlot);
  return frame.lines;
}
