// Spellings → iced mnemonic names. Assemblers accept many spellings of one instruction
// (AT&T size suffixes, `lret`/`retf`, `icebp`/`int1`, condition-code synonyms); iced has one
// mnemonic each. Which spelling means which encoding is checked by the oracle test.
import { isKnownMnemonic } from '../resolve/iced';
import type { Dialect } from '../types';

export interface MnemonicForm {
  /** Lower-case iced mnemonic name (e.g. `pushfq`, `retf`, `jmp`). */
  name: string;
  /** Operand size in bytes implied by the spelling (suffix, `d`/`q` forms). */
  size?: number;
  /** The spelling itself says "far" (`ljmp`, `lcall`, `lret`). */
  far?: boolean;
}

const SUFFIX_SIZE: Record<string, number> = { b: 1, w: 2, l: 4, q: 8 };

/** Instruction families whose iced mnemonic depends on the operand size. */
export const SIZED_FAMILIES: Record<string, Record<number, string>> = {
  pushf: { 2: 'pushf', 4: 'pushfd', 8: 'pushfq' },
  popf: { 2: 'popf', 4: 'popfd', 8: 'popfq' },
  iret: { 2: 'iret', 4: 'iretd', 8: 'iretq' },
};

const FAMILY_OF = new Map<string, [string, number | undefined]>([
  ['pushf', ['pushf', undefined]],
  ['pushfw', ['pushf', 2]],
  ['pushfd', ['pushf', 4]],
  ['pushfq', ['pushf', 8]],
  ['popf', ['popf', undefined]],
  ['popfw', ['popf', 2]],
  ['popfd', ['popf', 4]],
  ['popfq', ['popf', 8]],
  ['iret', ['iret', undefined]],
  ['iretw', ['iret', 2]],
  ['iretd', ['iret', 4]],
  ['iretq', ['iret', 8]],
]);

const COMMON_ALIASES: Record<string, MnemonicForm> = {
  icebp: { name: 'int1' },
  int01: { name: 'int1' },
  retn: { name: 'ret' },
  retnw: { name: 'ret', size: 2 },
  retnd: { name: 'ret', size: 4 },
  retnq: { name: 'ret', size: 8 },
  retfw: { name: 'retf', size: 2 },
  retfd: { name: 'retf', size: 4 },
  retfq: { name: 'retf', size: 8 },
  sal: { name: 'sal' },
  movabs: { name: 'mov' },
  hlt: { name: 'hlt' },
  // The assemblers' other spellings of LOOPE/LOOPNE (iced knows only the E forms).
  loopz: { name: 'loope' },
  loopnz: { name: 'loopne' },
};

const ATT_SPECIAL: Record<string, MnemonicForm> = {
  lret: { name: 'retf', far: true },
  lretw: { name: 'retf', size: 2, far: true },
  lretl: { name: 'retf', size: 4, far: true },
  lretq: { name: 'retf', size: 8, far: true },
  ljmp: { name: 'jmp', far: true },
  ljmpw: { name: 'jmp', size: 2, far: true },
  ljmpl: { name: 'jmp', size: 4, far: true },
  ljmpq: { name: 'jmp', size: 8, far: true },
  lcall: { name: 'call', far: true },
  lcallw: { name: 'call', size: 2, far: true },
  lcalll: { name: 'call', size: 4, far: true },
  lcallq: { name: 'call', size: 8, far: true },
  pushfl: { name: 'pushf', size: 4 },
  popfl: { name: 'popf', size: 4 },
  iretl: { name: 'iret', size: 4 },
  cltq: { name: 'cdqe' },
  cltd: { name: 'cdq' },
  cqto: { name: 'cqo' },
  cqtd: { name: 'cqo' },
  cwtl: { name: 'cwde' },
  cbtw: { name: 'cbw' },
  cwtd: { name: 'cwd' },
  movabsq: { name: 'mov', size: 8 },
};

const CONDITION_SYNONYMS: Record<string, string> = {
  z: 'e', nz: 'ne', c: 'b', nc: 'ae', nae: 'b', nb: 'ae', na: 'be', nbe: 'a',
  pe: 'p', po: 'np', nge: 'l', nl: 'ge', ng: 'le', nle: 'g',
};

function conditionAlias(m: string): string | undefined {
  for (const head of ['cmov', 'set', 'j']) {
    if (!m.startsWith(head)) continue;
    const cc = CONDITION_SYNONYMS[m.slice(head.length)];
    if (cc) return head + cc;
  }
  return undefined;
}

/** Intel-syntax spellings with an operand-size letter (`pushd es`, `sgdtw [bx]`, `retw`), as iced's formatters and MASM write them. */
const INTEL_SIZED = /^(push|pop|sgdt|sidt|lgdt|lidt|ret|retn|call|jmp)(w|d|q)$/;
const INTEL_SIZE: Record<string, number> = { w: 2, d: 4, q: 8 };

const ATT_EXTEND = /^mov([sz])([bwl])([wlq])$/;

/**
 * Maps a spelling to the iced mnemonic it stands for. Returns undefined for a word that is
 * not an instruction in this dialect (a macro, a directive, a typo).
 */
export function canonicalMnemonic(raw: string, dialect: Dialect): MnemonicForm | undefined {
  const key = `${dialect}|${raw}`;
  if (CANONICAL_CACHE.has(key)) return CANONICAL_CACHE.get(key);
  const form = computeCanonical(raw, dialect);
  // Real files use few distinct spellings; cap the cache so a garbage file cannot grow it without bound.
  if (CANONICAL_CACHE.size > 20000) CANONICAL_CACHE.clear();
  CANONICAL_CACHE.set(key, form);
  return form;
}

const CANONICAL_CACHE = new Map<string, MnemonicForm | undefined>();

function computeCanonical(raw: string, dialect: Dialect): MnemonicForm | undefined {
  const m = raw.toLowerCase();
  const att = dialect === 'gas-att';
  const gas = att || dialect === 'gas-intel';
  const family = FAMILY_OF.get(m);
  if (family) return family[1] === undefined ? { name: family[0] } : { name: family[0], size: family[1] };
  if (gas && ATT_SPECIAL[m]) return ATT_SPECIAL[m];
  if (COMMON_ALIASES[m]) return COMMON_ALIASES[m];
  if (isKnownMnemonic(m)) return { name: m };
  const cc = conditionAlias(m);
  if (cc && isKnownMnemonic(cc)) return { name: cc };
  const sized = INTEL_SIZED.exec(m);
  if (sized && !att) return { name: sized[1] === 'retn' ? 'ret' : sized[1]!, size: INTEL_SIZE[sized[2]!] };
  if (gas) {
    const extend = ATT_EXTEND.exec(m);
    if (extend) {
      if (extend[1] === 's' && extend[2] === 'l' && extend[3] === 'q') return { name: 'movsxd', size: 8 };
      return { name: extend[1] === 's' ? 'movsx' : 'movzx', size: SUFFIX_SIZE[extend[3]!] };
    }
    const suffix = m[m.length - 1]!;
    const stem = m.slice(0, -1);
    const strings = /^(movs|lods|stos|scas|cmps|ins|outs)l$/.exec(m);
    if (strings) return { name: `${strings[1]}d` };
    // `movqq`: a suffix on a stem that already is mnemonic + suffix is no instruction.
    const doubled = stem.length > 2 && stem[stem.length - 1]! in SUFFIX_SIZE && isKnownMnemonic(stem.slice(0, -1));
    if (suffix in SUFFIX_SIZE && stem.length > 1 && !doubled) {
      const stemFamily = FAMILY_OF.get(stem);
      if (stemFamily && stemFamily[1] === undefined) return { name: stemFamily[0], size: SUFFIX_SIZE[suffix] };
      if (isKnownMnemonic(stem)) return { name: stem, size: SUFFIX_SIZE[suffix] };
      const stemCc = conditionAlias(stem);
      if (stemCc && isKnownMnemonic(stemCc)) return { name: stemCc, size: SUFFIX_SIZE[suffix] };
      // x87 AT&T suffixes (fildll, fistpll, flds...) and `s` for short float forms.
    }
    if (/^f\w+(s|l|ll|t)$/.test(m)) {
      const stem2 = m.replace(/(ll|s|l|t)$/, '');
      if (isKnownMnemonic(stem2)) return { name: stem2 };
    }
  }
  return undefined;
}

/** Prefix words that may stand before a mnemonic. */
export const PREFIXES = new Set([
  'lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'xacquire', 'xrelease', 'bnd', 'notrack',
  'o16', 'o32', 'o64', 'a16', 'a32', 'a64', 'data16', 'data32', 'addr16', 'addr32', 'rex', 'rex.w', 'rex64',
  'cs', 'ds', 'es', 'fs', 'gs', 'ss',
]);

/** Operand size (bytes) forced by a prefix word. */
export function prefixOperandSize(prefixes: readonly string[]): number | undefined {
  for (const p of prefixes) {
    if (p === 'o16' || p === 'data16') return 2;
    if (p === 'o32' || p === 'data32') return 4;
    if (p === 'o64' || p === 'rex.w' || p === 'rex64') return 8;
  }
  return undefined;
}
