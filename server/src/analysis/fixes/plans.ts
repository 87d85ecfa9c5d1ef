// What each sensitive instruction needs from a hypercall: the values it passes, where the
// results go, and what it does to the stack. ABI-independent.
import type { Bits, MemoryOperand, ParsedInstruction } from '../types';
import { intelOperands, memoryOperand, registerOperand, stackOperandWidth } from './context';
import type { Width } from './ir';
import { hypercallSymbol, SEGMENT_REGISTERS, segmentSymbol } from './numbers';
import { regOfWidth } from './registers';

export type PlanInput =
  | { k: 'reg'; name: string; width: Width }
  | { k: 'imm'; value: number | string }
  /** A 16-bit selector read from the user's memory operand (zero-extended). */
  | { k: 'mem16'; operand: MemoryOperand }
  /** The value at [original SP + offset] (the image POPF or POP sreg would have read). */
  | { k: 'stack'; offset: number; width: Width };

export type PlanOutput =
  /** The hypervisor writes the result to the user's memory operand (passed by address). */
  | { k: 'mem'; operand: MemoryOperand }
  /**
   * An FS/GS-relative destination, whose address without the segment base means nothing to the
   * hypervisor: it writes `bytes` to a stack buffer, and the guest copies them to the operand
   * with its own segment override once every register is restored.
   */
  | { k: 'segmem'; operand: MemoryOperand; bytes: number }
  /** The hypervisor writes the value into the slot the instruction would have pushed. */
  | { k: 'slot' }
  /** The hypervisor writes these registers' new values to a stack buffer; the fix loads them. */
  | { k: 'regs'; regs: OutputRegister[] };

export interface OutputRegister {
  name: string;
  /** Destination register width. */
  width: Width;
  offset: number;
  /** Bytes the hypervisor writes for it (less than `width` → the fix zero-extends). */
  valueWidth: Width;
}

export interface Plan {
  ruleId: string;
  numberSymbol: string;
  inputs: PlanInput[];
  output?: PlanOutput;
  /** PUSHF / PUSH sreg: the slot the instruction pushes. */
  reserveSlot?: Width;
  /** POPF / POP sreg: the slot the instruction pops. */
  dropSlot?: Width;
  /** What happens to the flags, for the hypervisor-side header. */
  flags: string;
}

/** A segment register's number, by its symbol in the definitions file (VIRTLINT_SREG_DS, not 3). */
function segmentNumber(op: ParsedInstruction['operands'][number] | undefined): string | undefined {
  return op?.kind === 'reg' && (SEGMENT_REGISTERS as readonly string[]).includes(op.reg) ? segmentSymbol(op.reg) : undefined;
}
const FLAGS_KEPT = 'the sequence writes no flags; the hypervisor must return with RFLAGS unchanged';

function destination(op: ParsedInstruction['operands'][number] | undefined, bits: Bits): PlanOutput | undefined {
  const r = registerOperand(op);
  if (r) {
    if (r.family === 'sp' || r.width === 1) return undefined;
    return { k: 'regs', regs: [{ name: r.name, width: r.width, offset: 0, valueWidth: 2 }] };
  }
  const m = memoryOperand(op);
  return m ? memoryOutput(m, 2, bits) : undefined;
}

/**
 * A memory destination of `bytes`: by address, or through a buffer when FS/GS-relative. In
 * 16-bit code every address goes with its segment register, so FS and GS need no buffer.
 */
function memoryOutput(m: MemoryOperand, bytes: number, bits: Bits): PlanOutput {
  return bits === 16 || usableAddress(m) ? { k: 'mem', operand: m } : { k: 'segmem', operand: m, bytes };
}

/** fs/gs-relative memory can't be passed as a plain address in 32/64-bit code; other overrides are flat. */
function usableAddress(m: MemoryOperand): boolean {
  return m.segment !== 'fs' && m.segment !== 'gs';
}

function selectorInput(op: ParsedInstruction['operands'][number] | undefined): PlanInput | undefined {
  const r = registerOperand(op);
  if (r) return r.family === 'sp' ? undefined : { k: 'reg', name: r.name, width: r.width };
  const m = memoryOperand(op);
  return m ? { k: 'mem16', operand: m } : undefined;
}

function regs(...list: [string, number][]): PlanOutput {
  return { k: 'regs', regs: list.map(([name, offset]) => ({ name, width: 4 as Width, offset, valueWidth: 4 as Width })) };
}

export function planFor(ruleId: string, ins: ParsedInstruction): Plan | undefined {
  const base = { ruleId, numberSymbol: hypercallSymbol(ruleId), inputs: [] as PlanInput[], flags: FLAGS_KEPT };
  const [op0, op1] = intelOperands(ins);
  switch (ruleId) {
    case 'sgdt':
    case 'sidt': {
      // A pseudo-descriptor: 2 bytes of limit and a 4-byte base, an 8-byte base in 64-bit mode.
      const m = memoryOperand(op0);
      return m ? { ...base, output: memoryOutput(m, ins.bits === 64 ? 10 : 6, ins.bits) } : undefined;
    }
    case 'sldt':
    case 'str': {
      const output = destination(op0, ins.bits);
      return output ? { ...base, output } : undefined;
    }
    case 'smsw': {
      // Unlike SLDT/STR, SMSW stores all of CR0 into a 32/64-bit register (bits 63:32 of CR0
      // in 64-bit mode) and only 16 bits into memory or a 16-bit register. The hypervisor
      // cannot tell a memory destination from a register's result buffer by the address
      // alone, so the byte count goes along as arg1.
      const output = destination(op0, ins.bits);
      if (!output) return undefined;
      const bytes: Width = output.k === 'regs' ? output.regs[0]!.width : 2;
      const sized: PlanOutput = output.k === 'regs' ? { k: 'regs', regs: [{ ...output.regs[0]!, valueWidth: bytes }] } : output;
      return { ...base, inputs: [{ k: 'imm', value: bytes }], output: sized };
    }
    case 'pushf': {
      const w = stackOperandWidth(ins);
      return { ...base, inputs: [{ k: 'imm', value: w }], reserveSlot: w, output: { k: 'slot' }, flags: `${FLAGS_KEPT}; the image written to the slot carries the virtual IF/IOPL` };
    }
    case 'popf': {
      const w = stackOperandWidth(ins);
      return { ...base, dropSlot: w, inputs: [{ k: 'stack', offset: 0, width: w }], flags: 'the hypervisor loads RFLAGS from the image (IF/IOPL virtualized) before resuming' };
    }
    case 'lar':
    case 'lsl': {
      const dest = registerOperand(op0);
      const selector = selectorInput(op1);
      if (!dest || dest.family === 'sp' || !selector) return undefined;
      // In 64-bit code a 32-bit destination is zero-extended when written but left whole when
      // the selector is invalid, so the full register goes both ways.
      const whole = ins.bits === 64 && dest.width === 4 ? { name: regOfWidth(dest.family, 8), width: 8 as Width } : { name: dest.name, width: dest.width };
      return {
        ...base,
        inputs: [selector, { k: 'reg', ...whole }],
        output: { k: 'regs', regs: [{ ...whole, offset: 0, valueWidth: ins.bits === 64 ? 8 : 4 }] },
        flags: 'the hypervisor sets ZF as the instruction would (1 = valid) and returns the old value when invalid',
      };
    }
    case 'verr':
    case 'verw': {
      const selector = selectorInput(op0);
      return selector ? { ...base, inputs: [selector], flags: 'the hypervisor sets ZF as the instruction would' } : undefined;
    }
    case 'push-sreg': {
      const s = segmentNumber(op0);
      if (s === undefined) return undefined;
      const w = stackOperandWidth(ins);
      return { ...base, inputs: [{ k: 'imm', value: s }, { k: 'imm', value: w }], reserveSlot: w, output: { k: 'slot' } };
    }
    case 'pop-sreg': {
      const s = segmentNumber(op0);
      if (s === undefined) return undefined;
      const w = stackOperandWidth(ins);
      return { ...base, inputs: [{ k: 'imm', value: s }, { k: 'stack', offset: 0, width: 2 }], dropSlot: w };
    }
    case 'mov-sreg': {
      const toSreg = segmentNumber(op0);
      const fromSreg = segmentNumber(op1);
      if (fromSreg !== undefined) {
        const output = destination(op0, ins.bits);
        return output ? { ...base, inputs: [{ k: 'imm', value: fromSreg }], output } : undefined;
      }
      if (toSreg !== undefined) {
        const value = selectorInput(op1);
        return value ? { ...base, inputs: [{ k: 'imm', value: toSreg }, value] } : undefined;
      }
      return undefined;
    }
    case 'int': {
      const vector = interruptVector(ins);
      return vector === undefined ? undefined : { ...base, inputs: [{ k: 'imm', value: vector }], flags: 'the hypervisor delivers the interrupt; the handler returns to the restore code' };
    }
    case 'cpuid':
      return { ...base, inputs: [{ k: 'reg', name: 'eax', width: 4 }, { k: 'reg', name: 'ecx', width: 4 }], output: regs(['eax', 0], ['ebx', 4], ['ecx', 8], ['edx', 12]) };
    case 'rdtsc':
      return { ...base, output: regs(['eax', 0], ['edx', 4]) };
    case 'rdtscp':
      return { ...base, output: regs(['eax', 0], ['edx', 4], ['ecx', 8]) };
    case 'rdpmc':
    case 'xgetbv':
      return { ...base, inputs: [{ k: 'reg', name: 'ecx', width: 4 }], output: regs(['eax', 0], ['edx', 4]) };
    case 'rdpid': {
      const r = registerOperand(op0);
      if (!r || r.width < 4 || r.family === 'sp') return undefined;
      return { ...base, output: { k: 'regs', regs: [{ name: r.name, width: r.width, offset: 0, valueWidth: 4 }] } };
    }
    default:
      return undefined;
  }
}

function interruptVector(ins: ParsedInstruction): number | undefined {
  switch (ins.mnemonic) {
    case 'int3':
      return 3;
    case 'into':
      return 4;
    case 'int1':
    case 'icebp':
      return 1;
  }
  const op = ins.operands[0];
  if (op?.kind === 'imm' && op.value !== undefined && op.value >= 0n && op.value <= 255n) return Number(op.value);
  return undefined;
}
