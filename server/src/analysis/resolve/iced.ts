// The one place that talks to iced-x86. Everything here is read from iced's own
// tables (Code, Mnemonic, OpCodeInfo); nothing about the ISA is typed in by hand.
import * as iced from 'iced-x86';
import type { Bits } from '../types';
import { CODE_ROWS } from './codeFacts.generated';
import { CODE_MNEMONICS } from './codeMnemonics.generated';
import { FACT_FLAGS, type CodeRow } from './codeRows';

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

// iced's enums map both ways (wasm-bindgen writes value → name too), so no name table is built here.
const CODE_NAME_OF = iced.Code as unknown as Record<number, string | undefined>;
const MNEMONIC_NAME_OF = iced.Mnemonic as unknown as Record<number, string | undefined>;

const factsCache = new Map<number, CodeFacts>();

export function codeName(code: number): string {
  return CODE_NAME_OF[code] ?? `Code#${code}`;
}

export function mnemonicName(mnemonic: number): string {
  return MNEMONIC_NAME_OF[mnemonic] ?? `Mnemonic#${mnemonic}`;
}

export function codeCount(): number {
  return CODE_MNEMONICS.length;
}

export function codeFacts(code: number): CodeFacts {
  const cached = factsCache.get(code);
  if (cached) return cached;
  const row = CODE_ROWS[code];
  const facts = row !== undefined && CODE_MNEMONICS[code] !== undefined ? factsFromRow(code, CODE_MNEMONICS[code]!, row) : factsFromOpCodeInfo(code);
  factsCache.set(code, facts);
  return facts;
}

/** The generated facts; the two strings only a hover shows are read from OpCodeInfo when asked. */
function factsFromRow(code: number, mnemonic: number, row: CodeRow): CodeFacts {
  const [flags = 0, operandSize = 0, memorySize = 0, decoderOption = 0, ...opKinds] = row;
  const has = (flag: number) => (flags & flag) !== 0;
  let strings: { instructionString: string; opCodeString: string } | undefined;
  const readStrings = () => (strings ??= opCodeStrings(code));
  return {
    code,
    codeName: codeName(code),
    mnemonic,
    mnemonicName: mnemonicName(mnemonic),
    get instructionString() {
      return readStrings().instructionString;
    },
    get opCodeString() {
      return readStrings().opCodeString;
    },
    opKinds,
    operandSize,
    mode16: has(FACT_FLAGS.mode16),
    mode32: has(FACT_FLAGS.mode32),
    mode64: has(FACT_FLAGS.mode64),
    isPrivileged: has(FACT_FLAGS.isPrivileged),
    mustBeCpl0: has(FACT_FLAGS.mustBeCpl0),
    cpl3: has(FACT_FLAGS.cpl3),
    intelVmExit: has(FACT_FLAGS.intelVmExit),
    intelMayVmExit: has(FACT_FLAGS.intelMayVmExit),
    amdVmExit: has(FACT_FLAGS.amdVmExit),
    amdMayVmExit: has(FACT_FLAGS.amdMayVmExit),
    isLegacy: has(FACT_FLAGS.isLegacy),
    memorySize,
    decoderOption,
    defaultOpSize64: has(FACT_FLAGS.defaultOpSize64),
  };
}

function opCodeStrings(code: number): { instructionString: string; opCodeString: string } {
  const info = iced.CodeExt.opCode(code);
  try {
    return { instructionString: info.instructionString, opCodeString: info.opCodeString };
  } finally {
    info.free();
  }
}

/** Every fact from OpCodeInfo itself: for a Code newer than the generated table. */
export function factsFromOpCodeInfo(code: number): CodeFacts {
  const info = iced.CodeExt.opCode(code);
  try {
    const opKinds: number[] = [];
    for (let i = 0; i < info.opCount; i++) opKinds.push(info.opKind(i));
    return {
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
  // Grouped by Mnemonic number first, so that each name is built and lower-cased once (about
  // 1,800 times rather than 4,900): this table is on the path to a server's first diagnostics.
  const codesOf: number[][] = [];
  for (let code = 0; code < CODE_MNEMONICS.length; code++) {
    if (PSEUDO_CODES.has(code)) continue;
    const mnemonic = CODE_MNEMONICS[code]!;
    (codesOf[mnemonic] ??= []).push(code);
  }
  const table = new Map<string, number[]>();
  codesOf.forEach((codes, mnemonic) => table.set(mnemonicName(mnemonic).toLowerCase(), codes));
  byMnemonic = table;
  return table;
}

/** Codes that name no instruction: data declarations and the invalid code. */
const PSEUDO_CODES: ReadonlySet<number> = new Set([iced.Code.INVALID, iced.Code.DeclareByte, iced.Code.DeclareWord, iced.Code.DeclareDword, iced.Code.DeclareQword, iced.Code.Zero_bytes]);

export function isKnownMnemonic(name: string): boolean {
  return codesByMnemonic().has(name);
}

export const OpKind = iced.OpCodeOperandKind;
export const MemorySize = iced.MemorySize;
export const Mnemonic = iced.Mnemonic;
export const Code = iced.Code;
