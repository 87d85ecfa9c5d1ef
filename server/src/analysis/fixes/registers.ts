// General-purpose register families and their names at each width.
import type { Bits } from '../types';
import type { Width } from './ir';

const FAMILIES: Record<string, [string, string, string, string]> = {
  // [8-bit low, 16, 32, 64]
  a: ['al', 'ax', 'eax', 'rax'],
  b: ['bl', 'bx', 'ebx', 'rbx'],
  c: ['cl', 'cx', 'ecx', 'rcx'],
  d: ['dl', 'dx', 'edx', 'rdx'],
  si: ['sil', 'si', 'esi', 'rsi'],
  di: ['dil', 'di', 'edi', 'rdi'],
  bp: ['bpl', 'bp', 'ebp', 'rbp'],
  sp: ['spl', 'sp', 'esp', 'rsp'],
};
for (let n = 8; n <= 15; n++) FAMILIES[`r${n}`] = [`r${n}b`, `r${n}w`, `r${n}d`, `r${n}`];

const FAMILY_OF = new Map<string, string>();
const WIDTH_OF = new Map<string, Width>();
for (const [family, names] of Object.entries(FAMILIES)) {
  names.forEach((name, i) => {
    FAMILY_OF.set(name, family);
    WIDTH_OF.set(name, ([1, 2, 4, 8] as const)[i]!);
  });
}
for (const high of ['ah', 'bh', 'ch', 'dh']) {
  FAMILY_OF.set(high, high[0]!);
  WIDTH_OF.set(high, 1);
}

/** `eax` → `a`; undefined for non-GPRs. */
export function familyOf(name: string): string | undefined {
  return FAMILY_OF.get(name.toLowerCase());
}

export function gprWidth(name: string): Width | undefined {
  return WIDTH_OF.get(name.toLowerCase());
}

export function regOfWidth(family: string, width: Width): string {
  const names = FAMILIES[family];
  if (!names) throw new Error(`unknown register family ${family}`);
  return names[[1, 2, 4, 8].indexOf(width)]!;
}

/** The full-width register of a family for the code's bitness (16-bit code saves 32-bit registers). */
export function fullReg(family: string, bits: Bits): string {
  return regOfWidth(family, bits === 64 ? 8 : 4);
}

/** Width of a push of a full register in this mode. */
export function saveWidth(bits: Bits): Width {
  return bits === 64 ? 8 : 4;
}

export function stackPointer(bits: Bits): string {
  return bits === 64 ? 'rsp' : 'esp';
}

export function isStackPointer(name: string | undefined): boolean {
  return name !== undefined && familyOf(name) === 'sp';
}

/** r8–r15 exist only in 64-bit code. */
export function familyAvailable(family: string, bits: Bits): boolean {
  return bits === 64 || !/^r\d+$/.test(family);
}
