// What the compiler prints for an extended-asm operand: its kind from the constraint (register,
// named register, memory, immediate), its width from the modifier, the mnemonic's size suffix or
// the C type, in the syntax in force. The register is a stand-in the assembler parser accepts
// (GCC picks one at register allocation); memory is an address in a register of the mode.
import type { Bits } from '../../types';

export type OperandKind =
  | { readonly kind: 'reg'; readonly family: string }
  | { readonly kind: 'mem' }
  | { readonly kind: 'imm'; readonly value: string | undefined }
  | { readonly kind: 'xmm' }
  | { readonly kind: 'mmx' }
  | { readonly kind: 'st' };

const NAMED: Record<string, string> = { a: 'a', b: 'b', c: 'c', d: 'd', S: 'si', D: 'di', A: 'a' };
const REGISTER_LETTERS = new Set(['r', 'q', 'Q', 'R', 'l', 'g', 'X', 'U']);
const MEMORY_LETTERS = new Set(['m', 'o', 'V', 'p', '<', '>']);
const IMMEDIATE_LETTERS = new Set(['i', 'n', 'e', 'Z', 'N', 'I', 'J', 'K', 'L', 'M', 'O', 'E', 'F', 'G', 'H', 's', 'C']);
/** Registers handed to generic register operands in turn, so two operands do not look the same. */
const GENERIC_FAMILIES = ['a', 'd', 'c', 'b', 'si', 'di'];

/** The value of a C integer literal (`0x80`, `5UL`, `-1`, `'a'` left out), in decimal as GCC prints it. */
export function literalValue(expr: string): string | undefined {
  const m = /^\(*\s*(-?)\s*(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)[uUlL]*\s*\)*$/.exec(expr.trim());
  if (!m) return undefined;
  const digits = m[2]!;
  let value: bigint;
  if (/^0[xXbB]/.test(digits)) value = BigInt(digits);
  else if (digits.length > 1 && digits.startsWith('0')) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  return `${m[1] === '-' ? '-' : ''}${value.toString()}`;
}

/** The operand's kind from its constraint (first alternative); `tied` resolves a matching constraint (`"0"`). */
export function operandKind(constraint: string, expr: string, index: number, tied: (n: number) => OperandKind | undefined): OperandKind {
  const first = constraint.split(',')[0]!.replace(/[=+&%*!?#\s]/g, '');
  if (/^[0-9]+$/.test(first)) return tied(Number(first)) ?? { kind: 'reg', family: GENERIC_FAMILIES[index % GENERIC_FAMILIES.length]! };
  const value = literalValue(expr);
  let register: string | undefined;
  let memory = false;
  let immediate = false;
  let other: OperandKind | undefined;
  for (let i = 0; i < first.length; i++) {
    const c = first[i]!;
    if (c === 'Y') {
      i++;
      other ??= { kind: 'xmm' };
    } else if (NAMED[c]) register ??= NAMED[c];
    else if (REGISTER_LETTERS.has(c)) register ??= GENERIC_FAMILIES[index % GENERIC_FAMILIES.length];
    else if (MEMORY_LETTERS.has(c)) memory = true;
    else if (IMMEDIATE_LETTERS.has(c)) immediate = true;
    else if (c === 'x' || c === 'v') other ??= { kind: 'xmm' };
    else if (c === 'y') other ??= { kind: 'mmx' };
    else if (c === 't' || c === 'u' || c === 'f') other ??= { kind: 'st' };
  }
  if (immediate && (value !== undefined || (!register && !memory && !other))) return { kind: 'imm', value };
  if (register) return { kind: 'reg', family: register };
  if (other) return other;
  if (memory) return { kind: 'mem' };
  return { kind: 'reg', family: GENERIC_FAMILIES[index % GENERIC_FAMILIES.length]! };
}

export type Width = 8 | 'high' | 16 | 32 | 64;

const LEGACY: Record<string, [string, string, string, string, string]> = {
  // 8, high 8, 16, 32, 64
  a: ['al', 'ah', 'ax', 'eax', 'rax'],
  b: ['bl', 'bh', 'bx', 'ebx', 'rbx'],
  c: ['cl', 'ch', 'cx', 'ecx', 'rcx'],
  d: ['dl', 'dh', 'dx', 'edx', 'rdx'],
  si: ['sil', 'sil', 'si', 'esi', 'rsi'],
  di: ['dil', 'dil', 'di', 'edi', 'rdi'],
};

export function registerName(family: string, width: Width): string {
  const names = LEGACY[family] ?? LEGACY.a!;
  switch (width) {
    case 8: return names[0];
    case 'high': return names[1];
    case 16: return names[2];
    case 32: return names[3];
    default: return names[4];
  }
}

export interface RenderContext {
  readonly syntax: 'att' | 'intel';
  readonly bits: Bits;
}

/** The width a modifier letter asks for. */
export function modifierWidth(modifier: string): Width | undefined {
  switch (modifier) {
    case 'b': return 8;
    case 'h': return 'high';
    case 'w': return 16;
    case 'k': return 32;
    case 'q': return 64;
  }
  return undefined;
}

/** The text GCC prints for an operand with modifier `modifier` ('' for none). */
export function renderOperand(kind: OperandKind, modifier: string, width: Width, ctx: RenderContext): string {
  const att = ctx.syntax === 'att';
  const sigil = att ? '%' : '';
  switch (kind.kind) {
    case 'imm': {
      const v = kind.value ?? '0';
      if (modifier === 'c' || modifier === 'P' || modifier === 'a') return v;
      return att ? `$${v}` : v;
    }
    case 'mem': {
      const base = ctx.bits === 64 ? 'rax' : 'eax';
      return att ? `(%${base})` : `[${base}]`;
    }
    case 'xmm':
      return `${sigil}xmm0`;
    case 'mmx':
      return `${sigil}mm0`;
    case 'st':
      return att ? '%st' : 'st';
    case 'reg': {
      const name = registerName(kind.family, width === 64 && ctx.bits !== 64 ? 32 : width);
      if (modifier === 'a') return att ? `(%${name})` : `[${name}]`;
      return `${sigil}${name}`;
    }
  }
}

/** The suffix letter `%z0` prints for a width. */
export function sizeSuffix(width: Width): string {
  switch (width) {
    case 8:
    case 'high':
      return 'b';
    case 16: return 'w';
    case 32: return 'l';
    default: return 'q';
  }
}
