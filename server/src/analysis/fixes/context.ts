// What every fix generator gets, and what it hands back.
import type { FixKind as MitigationKind } from '../catalogue/schema';
import type { Bits, Dialect, HypercallAbi, MemoryOperand, Operand, ParsedInstruction } from '../types';
import type { Line, Width } from './ir';
import type { Site } from './layout';
import { familyOf, gprWidth } from './registers';

export type FixStrategy = 'trap' | 'hypercall';
export type { HypercallAbi } from '../types';
/** The catalogue's fix kinds that are edits: a CR4 setting is advice, not a change to the code. */
export type FixKind = Exclude<MitigationKind, 'cr4-control'>;

export interface FixOptions {
  abi: HypercallAbi;
  /** Only for abi `custom`; see abi.ts for the template language. */
  customTemplate?: string;
  /**
   * Where a hypercall fix finds its VIRTLINT_HC_* numbers: `file` (default) includes the
   * definitions file, which the shells create; `inline` defines them in the fixed file itself.
   */
  numbers?: 'file' | 'inline';
  /**
   * The folder of the definitions file, relative to the fixed file's folder and `/`-separated
   * (`include`, `../include`); undefined or `''`: next to the fixed file. The shells work it out
   * from the setting, the configuration or the command line.
   */
  definitionsFolder?: string;
}

export interface FixContext {
  ruleId: string;
  site: Site;
  ins: ParsedInstruction;
  dialect: Dialect;
  bits: Bits;
  options: FixOptions;
  label: (hint: string) => string;
  /** iced Code name of the finding, when resolved (`Iretq`, `Pushfq`...). */
  codeName?: string;
}

export interface GeneratedFix {
  title: string;
  kind: FixKind;
  strategy: FixStrategy;
  lines: Line[];
  /** What the block's opening comment says it does and needs (default: the title). */
  summary?: string;
  /** The code names VIRTLINT_* numbers, so the file must include the definitions. */
  usesNumbers?: boolean;
  /** A mechanism the hypervisor offers its paravirtual guests (Xen's event-channel mask, iret hypercall). */
  paravirt?: boolean;
}

export function upper(mnemonic: string): string {
  return mnemonic.toUpperCase();
}

export function registerOperand(op: Operand | undefined): { name: string; width: Width; family: string } | undefined {
  if (!op || op.kind !== 'reg') return undefined;
  const family = familyOf(op.reg);
  const width = gprWidth(op.reg);
  if (!family || !width) return undefined;
  return { name: op.reg, width, family };
}

export function memoryOperand(op: Operand | undefined): MemoryOperand | undefined {
  return op && op.kind === 'mem' ? op : undefined;
}

/** Registers a memory operand's address depends on (families). */
export function addressFamilies(op: MemoryOperand): Set<string> {
  const out = new Set<string>();
  for (const r of [op.base, op.index]) {
    const f = r ? familyOf(r) : undefined;
    if (f) out.add(f);
  }
  return out;
}

/** The stack-slot size of PUSHF/POPF/PUSH sreg/POP sreg as written. */
/** The operand size PUSHF/POPF spell in their mnemonic: NASM pushfw/pushfd/pushfq, GNU as pushfw/pushfl/pushfq. */
const FLAGS_MNEMONIC_WIDTH: Readonly<Record<string, Width>> = { w: 2, d: 4, l: 4, q: 8 };

export function stackOperandWidth(ins: ParsedInstruction): Width {
  if (ins.sizeHint === 2 || ins.sizeHint === 4 || ins.sizeHint === 8) return ins.sizeHint;
  const spelled = /^(?:push|pop)f([wdlq])$/i.exec(ins.mnemonic);
  if (spelled) return FLAGS_MNEMONIC_WIDTH[spelled[1]!.toLowerCase()]!;
  if (ins.prefixes.some((p) => p === 'o16' || p === 'data16')) return 2;
  if (ins.prefixes.some((p) => p === 'o32' || p === 'data32')) return 4;
  return ins.bits === 64 ? 8 : ins.bits === 32 ? 4 : 2;
}

/** Operands in Intel order (destination first); the parser keeps them as written. */
export function intelOperands(ins: ParsedInstruction): Operand[] {
  return ins.dialect === 'gas-att' ? [...ins.operands].reverse() : ins.operands;
}
