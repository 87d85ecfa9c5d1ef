// The instruction stream the idiom matcher reads: mnemonic and operands in Intel order
// (destination first), registers named by the general-purpose register they are part of.
// Source lines (fromSource.ts) and decoded bytes (the binary scanner) both become this shape.
import type { HypervisorSignature } from './signatures';

export type IdiomOperand =
  | { kind: 'reg'; reg: string; family: string | undefined }
  | { kind: 'imm'; value: bigint | undefined }
  | { kind: 'mem'; base?: string; index?: string; symbol?: string; offset: bigint; size?: number }
  | { kind: 'other' };

export interface IdiomInstruction {
  /** iced-x86's mnemonic, lower case (`mov`, `cmp`, `cpuid`, `in`); AT&T suffixes already gone. */
  mnemonic: string;
  operands: IdiomOperand[];
  /** Signatures in the data an operand points to (a binary's .rodata string whose address the code loads). */
  references?: HypervisorSignature[];
}

const FAMILIES: Record<string, string> = {};
for (const [family, names] of Object.entries({
  a: ['rax', 'eax', 'ax', 'al', 'ah'],
  b: ['rbx', 'ebx', 'bx', 'bl', 'bh'],
  c: ['rcx', 'ecx', 'cx', 'cl', 'ch'],
  d: ['rdx', 'edx', 'dx', 'dl', 'dh'],
  si: ['rsi', 'esi', 'si', 'sil'],
  di: ['rdi', 'edi', 'di', 'dil'],
  bp: ['rbp', 'ebp', 'bp', 'bpl'],
  sp: ['rsp', 'esp', 'sp', 'spl'],
})) {
  for (const name of names) FAMILIES[name] = family;
}
for (let n = 8; n <= 15; n++) for (const suffix of ['', 'd', 'w', 'b', 'l']) FAMILIES[`r${n}${suffix}`] = `r${n}`;

/** The general-purpose register `reg` is part of (`eax` → `a`, `r9d` → `r9`), else undefined. */
export function registerFamily(reg: string): string | undefined {
  return FAMILIES[reg.toLowerCase()];
}

export function registerOperand(reg: string): IdiomOperand {
  const name = reg.toLowerCase();
  return { kind: 'reg', reg: name, family: registerFamily(name) };
}

/** What an instruction leaves unknown besides its destination operand: the registers it writes implicitly. */
const IMPLICIT_WRITES: Record<string, readonly string[]> = {
  cpuid: ['a', 'b', 'c', 'd'],
  rdtsc: ['a', 'd'],
  rdtscp: ['a', 'c', 'd'],
  rdpmc: ['a', 'd'],
  rdmsr: ['a', 'd'],
  xgetbv: ['a', 'd'],
  in: ['a'],
  cdq: ['d'],
  cqo: ['d'],
  cwd: ['d'],
  mul: ['a', 'd'],
  div: ['a', 'd'],
  idiv: ['a', 'd'],
  // A call may clobber every caller-saved register of either ABI.
  call: ['a', 'c', 'd', 'si', 'di', 'r8', 'r9', 'r10', 'r11'],
};

/** Instructions that read their first operand without writing it. */
const READ_ONLY_FIRST = new Set(['cmp', 'test', 'bt', 'push', 'out']);

/** The register families an instruction writes (its destination and implicit outputs). */
export function writtenFamilies(ins: IdiomInstruction): string[] {
  const written = [...(IMPLICIT_WRITES[ins.mnemonic] ?? [])];
  const first = ins.operands[0];
  if (first?.kind === 'reg' && first.family && !READ_ONLY_FIRST.has(ins.mnemonic)) written.push(first.family);
  if (ins.mnemonic === 'xchg' || ins.mnemonic === 'xadd') {
    const second = ins.operands[1];
    if (second?.kind === 'reg' && second.family) written.push(second.family);
  }
  if (ins.mnemonic === 'imul' && ins.operands.length === 1) written.push('a', 'd');
  return written;
}

/** Ends the straight line the matcher follows: what comes after may not run after what came before. */
export function isBarrier(ins: IdiomInstruction): boolean {
  return ins.mnemonic === 'jmp' || ins.mnemonic === 'ret' || ins.mnemonic === 'retf' || ins.mnemonic === 'iret' || ins.mnemonic === 'iretd' || ins.mnemonic === 'iretq' || ins.mnemonic === 'hlt' || ins.mnemonic === 'ud2';
}

export function immediateOf(ins: IdiomInstruction): bigint | undefined {
  for (const operand of ins.operands) if (operand.kind === 'imm' && operand.value !== undefined) return operand.value;
  return undefined;
}
