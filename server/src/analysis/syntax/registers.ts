import type { RegisterClass } from '../types';

export interface RegisterInfo {
  cls: RegisterClass;
  size: number;
  /** The name (lower-case, no `%`) and its AT&T spelling: one copy of each, however many operands name the register. */
  name: string;
  attName: string;
}

const TABLE = new Map<string, RegisterInfo>();

function add(names: readonly string[], cls: RegisterClass, size: number): void {
  for (const name of names) TABLE.set(name, { cls, size, name, attName: `%${name}` });
}

const numbered = (prefix: string, from: number, to: number, suffix = ''): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}${suffix}`);

add(['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh', 'spl', 'bpl', 'sil', 'dil'], 'gpr8', 1);
add(numbered('r', 8, 15, 'b'), 'gpr8', 1);
add(numbered('r', 8, 15, 'l'), 'gpr8', 1);
add(['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'], 'gpr16', 2);
add(numbered('r', 8, 15, 'w'), 'gpr16', 2);
add(['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'], 'gpr32', 4);
add(numbered('r', 8, 15, 'd'), 'gpr32', 4);
add(['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'], 'gpr64', 8);
add(numbered('r', 8, 15), 'gpr64', 8);
add(['es', 'cs', 'ss', 'ds', 'fs', 'gs'], 'sreg', 2);
add(numbered('cr', 0, 15), 'cr', 8);
add(numbered('dr', 0, 15), 'dr', 8);
add(numbered('tr', 0, 7), 'tr', 4);
add(['st', ...numbered('st', 0, 7), ...numbered('st(', 0, 7, ')')], 'st', 10);
add(numbered('mm', 0, 7), 'mm', 8);
add(numbered('xmm', 0, 31), 'xmm', 16);
add(numbered('ymm', 0, 31), 'ymm', 32);
add(numbered('zmm', 0, 31), 'zmm', 64);
add(numbered('k', 0, 7), 'k', 8);
add(numbered('bnd', 0, 3), 'bnd', 16);
add(['rip'], 'ip', 8);
add(['eip'], 'ip', 4);
add(['ip'], 'ip', 2);

/** Every name of a register class, lower-case. */
export function registerNames(cls: RegisterClass): string[] {
  return [...TABLE].filter(([, info]) => info.cls === cls).map(([name]) => name);
}

/** Names that exist only in 64-bit code (they need a REX prefix): r8-r15 in every size, spl, bpl, sil, dil and the 64-bit registers. */
export function isRexOnlyRegister(name: string): boolean {
  const info = TABLE.get(name);
  if (!info || !['gpr8', 'gpr16', 'gpr32', 'gpr64'].includes(info.cls)) return false;
  return info.cls === 'gpr64' || /^r\d/.test(name) || /^[sbd]pl$|^sil$|^dil$/.test(name);
}

/** Looks up a register by its lower-case name (no `%`). */
export function registerInfo(name: string): RegisterInfo | undefined {
  return TABLE.get(name);
}

export const SEGMENT_REGISTERS: ReadonlySet<string> = new Set(['es', 'cs', 'ss', 'ds', 'fs', 'gs']);
