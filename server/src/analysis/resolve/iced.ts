// The one place that talks to iced-x86. Everything here is read from iced's own
// tables (Code, Mnemonic, OpCodeInfo); nothing about the ISA is typed in by hand.
import * as iced from 'iced-x86';
import type { Bits } from '../types';
import { CODE_MNEMONICS } from './codeMnemonics.generated';

export { iced };

/** Facts about one iced `Code`, copied out of its `OpCodeInfo` (which is then freed). */
export interface CodeFacts {
  code: number;
  codeName: string;
  mnemonic: number;
  mnemonicName: string;
  /** e.g. `SGDT m`, `PUSH CS`, `MOV r/m16, Sreg` */
  instructionString: string;
  /** e.g. `0F 01 /0` */
  opCodeString: string;
  opKinds: number[];
  operandSize: number;
  mode16: boolean;
  mode32: boolean;
  mode64: boolean;
  isPrivileged: boolean;
  mustBeCpl0: boolean;
  cpl3: boolean;
  intelVmExit: boolean;
  intelMayVmExit: boolean;
  amdVmExit: boolean;
  amdMayVmExit: boolean;
  isLegacy: boolean;
  /** MemorySize of the memory operand, if any (iced MemorySize value). */
  memorySize: number;
  /** Non-zero when the decoder only knows this encoding behind an option (e.g. 8086-only POP CS). */
  decoderOption: number;
  /** In 64-bit mode the default operand size is 64 (PUSH, POP, PUSHF, near branches...). */
  defaultOpSize64: boolean;
}

const CODE_NAMES: string[] = [];
const MNEMONIC_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Code)) if (typeof value === 'number') CODE_NAMES[value] = name;
for (const [name, value] of Object.entries(iced.Mnemonic)) if (typeof value === 'number') MNEMONIC_NAMES[value] = name;

const factsCache = new Map<number, CodeFacts>();

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? `Code#${code}`;
}

export function mnemonicName(mnemonic: number): string {
  return MNEMONIC_NAMES[mnemonic] ?? `Mnemonic#${mnemonic}`;
}

export function codeCount(): number {
  return CODE_NAMES.length;
}

export function codeFacts(code: number): CodeFacts {
  const cached = factsCache.get(code);
  if (cached) return cached;
  const info = iced.CodeExt.opCode(code);
  try {
    const opKinds: number[] = [];
    for (let i = 0; i < info.opCount; i++) opKinds.push(info.opKind(i));
    const facts: CodeFacts = {
      code,
      codeName: codeName(code),
      mnemonic: info.mnemonic,
      mnemonicName: mnemonicName(info.mnemonic),
      instructionString: info.instructionString,
      opCodeString: info.opCodeString,
      opKinds,
      operandSize: info.operandSize,
      mode16: info.mode16,
      mode32: info.mode32,
      mode64: info.mode64,
      isPrivileged: info.isPrivileged,
      mustBeCpl0: info.mustBeCpl0,
      cpl3: info.cpl3,
      intelVmExit: info.intelVmExit,
      intelMayVmExit: info.intelMayVmExit,
      amdVmExit: info.amdVmExit,
      amdMayVmExit: info.amdMayVmExit,
      isLegacy: info.encoding === iced.EncodingKind.Legacy,
      memorySize: info.memorySize,
      decoderOption: info.decoderOption,
      defaultOpSize64: info.defaultOpSize64 || info.forceOpSize64,
    };
    factsCache.set(code, facts);
    return facts;
  } finally {
    info.free();
  }
}

export function availableIn(facts: CodeFacts, bits: Bits): boolean {
  return bits === 16 ? facts.mode16 : bits === 32 ? facts.mode32 : facts.mode64;
}

let byMnemonic: Map<string, number[]> | undefined;

/** Lower-case iced mnemonic name → every Code with that mnemonic (instructions only, not `INVALID`/declare-data pseudo codes). */
export function codesByMnemonic(): Map<string, number[]> {
  if (byMnemonic) return byMnemonic;
  const table = new Map<string, number[]>();
  for (let code = 0; code < CODE_NAMES.length; code++) {
    const name = CODE_NAMES[code];
    if (name === undefined || name === 'INVALID' || name.startsWith('DeclareByte') || name.startsWith('DeclareWord') || name.startsWith('DeclareDword') || name.startsWith('DeclareQword') || name === 'Zero_bytes') continue;
    // From the generated table: asking OpCodeInfo for all ~5,000 codes was most of start-up.
    const mnemonic = CODE_MNEMONICS[code] ?? codeFacts(code).mnemonic;
    const key = mnemonicName(mnemonic).toLowerCase();
    let list = table.get(key);
    if (!list) table.set(key, (list = []));
    list.push(code);
  }
  byMnemonic = table;
  return table;
}

export function isKnownMnemonic(name: string): boolean {
  return codesByMnemonic().has(name);
}

export const OpKind = iced.OpCodeOperandKind;
export const MemorySize = iced.MemorySize;
export const Mnemonic = iced.Mnemonic;
export const Code = iced.Code;
