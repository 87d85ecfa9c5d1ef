// The register text rustc substitutes for a `{}` placeholder of a register-class operand, by class,
// template modifier and bitness. rustc's register allocator picks the actual register; the
// analysis only needs one of the right class and width, so each operand gets its own register of
// the class in operand order (two operands never share one, as in the compiled code).
import type { Bits } from '../../types';

/** One general-purpose register: its 64-, 32-, 16-bit, low-byte and (a–d only) high-byte names. */
interface GeneralRegister {
  readonly q: string;
  readonly d: string;
  readonly w: string;
  readonly l: string;
  readonly h?: string;
}

function legacy(letter: string): GeneralRegister {
  return { q: `r${letter}x`, d: `e${letter}x`, w: `${letter}x`, l: `${letter}l`, h: `${letter}h` };
}

function indexRegister(name: string): GeneralRegister {
  return { q: `r${name}`, d: `e${name}`, w: name, l: `${name}l` };
}

function numbered(n: number): GeneralRegister {
  return { q: `r${n}`, d: `r${n}d`, w: `r${n}w`, l: `r${n}b` };
}

// rbx (and ebx) are reserved by LLVM on x86-64, rsp/rbp are never allocated.
const ABCD: readonly GeneralRegister[] = [legacy('a'), legacy('c'), legacy('d'), legacy('b')];
const GENERAL_64: readonly GeneralRegister[] = [legacy('a'), legacy('c'), legacy('d'), indexRegister('si'), indexRegister('di'), numbered(8), numbered(9), numbered(10), numbered(11)];
const GENERAL_32: readonly GeneralRegister[] = [legacy('a'), legacy('c'), legacy('d'), indexRegister('si'), indexRegister('di'), legacy('b')];

export type RegisterClass = 'reg' | 'reg_abcd' | 'reg_byte' | 'xmm_reg' | 'ymm_reg' | 'zmm_reg' | 'kreg';

export const REGISTER_CLASSES: ReadonlySet<string> = new Set<RegisterClass>(['reg', 'reg_abcd', 'reg_byte', 'xmm_reg', 'ymm_reg', 'zmm_reg', 'kreg']);

/** How many distinct registers a class offers (slots past that wrap around). */
function generalPool(cls: RegisterClass, bits: Bits): readonly GeneralRegister[] {
  if (cls === 'reg_abcd') return bits === 64 ? ABCD.slice(0, 3) : ABCD;
  return bits === 64 ? GENERAL_64 : GENERAL_32;
}

/**
 * The name of slot `slot` of `cls` under `modifier` (`x` 16-bit, `e` 32, `r` 64, `l` low byte,
 * `h` high byte; `x`/`y`/`z` pick the vector width), or undefined when the pair is invalid.
 */
export function registerName(cls: RegisterClass, modifier: string | undefined, slot: number, bits: Bits): string | undefined {
  if (cls === 'xmm_reg' || cls === 'ymm_reg' || cls === 'zmm_reg') {
    const own = cls[0]!;
    const width = modifier ?? own;
    if (width !== 'x' && width !== 'y' && width !== 'z') return undefined;
    return `${width}mm${slot % (bits === 64 ? 16 : 8)}`;
  }
  if (cls === 'kreg') return modifier ? undefined : `k${1 + (slot % 7)}`;
  if (cls === 'reg_byte') {
    if (modifier) return undefined;
    const pool = bits === 64 ? GENERAL_64 : ABCD;
    return pool[slot % pool.length]!.l;
  }
  const pool = generalPool(cls, bits);
  const register = pool[slot % pool.length]!;
  switch (modifier ?? (bits === 64 ? 'r' : 'e')) {
    case 'r':
      return bits === 64 ? register.q : undefined;
    case 'e':
      return register.d;
    case 'x':
      return register.w;
    case 'l':
      return register.l;
    case 'h':
      return cls === 'reg_abcd' ? register.h : undefined;
    default:
      return undefined;
  }
}
