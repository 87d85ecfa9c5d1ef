// A tiny instruction representation that the fix generators write in and the dialect
// printer (render.ts) turns into NASM, GNU as (AT&T or Intel), MASM or FASM text.
// Operands are always listed in Intel order (destination first).
import type { MemoryOperand } from '../types';

export type Width = 1 | 2 | 4 | 8;

/** A register by its canonical lower-case name (`rax`, `ecx`, `bp`, `cr0`). */
export interface RegOpnd {
  k: 'reg';
  name: string;
}

/** A number or a symbolic expression (`VIRTLINT_HC_SGDT`, `hypercall_page + 23*32`). */
export interface ImmOpnd {
  k: 'imm';
  value: number | string;
}

/** A memory reference the generator builds itself (stack slots, Xen vcpu_info fields). */
export interface MemOpnd {
  k: 'mem';
  width?: Width;
  base?: string;
  /** Numeric displacement added to `symbol` (or alone). */
  disp?: number;
  symbol?: string;
}

/**
 * The user's own memory operand, re-used verbatim from the source text. `adjust` bytes are
 * added to its displacement because the sequence pushed that much before using it (only
 * when its base is the stack pointer). `asAddress` drops a size keyword for LEA.
 */
export interface OrigMemOpnd {
  k: 'orig';
  operand: MemoryOperand;
  width?: Width;
  adjust: number;
}

export type Opnd = RegOpnd | ImmOpnd | MemOpnd | OrigMemOpnd;

export type Line =
  | { t: 'ins'; op: string; args: Opnd[]; comment?: string; suffixWidth?: Width }
  /** A near call or jump to an expression (`call hypercall_page + VIRTLINT_HC_X*32`). */
  | { t: 'branch'; op: 'call' | 'jmp' | 'jz' | 'jnz' | 'je' | 'jne'; target: string; toLabel?: boolean; comment?: string }
  /** An indirect near call through a pointer variable (`call [hv_hypercall_pg]`). */
  | { t: 'call-indirect'; pointer: string; width: Width; comment?: string }
  | { t: 'label'; name: string }
  | { t: 'bytes'; bytes: number[]; comment?: string }
  /** Text copied from the source as is (the kept instruction after a prefix, a template line). */
  | { t: 'raw'; text: string; comment?: string };

export const reg = (name: string): RegOpnd => ({ k: 'reg', name });
export const imm = (value: number | string): ImmOpnd => ({ k: 'imm', value });
export const mem = (base: string, disp: number, width?: Width): MemOpnd => ({ k: 'mem', base, disp, ...(width ? { width } : {}) });
export const symMem = (symbol: string, disp: number, width?: Width): MemOpnd => ({ k: 'mem', symbol, disp, ...(width ? { width } : {}) });
export const ins = (op: string, ...args: Opnd[]): Line => ({ t: 'ins', op, args });
