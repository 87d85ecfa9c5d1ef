// Matches a parsed instruction against iced-x86's opcode tables: which `Code` the assembler
// would emit, or why none can be emitted in this mode.
import { isFarTransferCode } from './classify';
import { isGas } from '../syntax/dialects';
import { availableIn, codeFacts, codesByMnemonic, OpKind, type CodeFacts } from './iced';
import { canonicalMnemonic, prefixOperandSize, SIZED_FAMILIES, type MnemonicForm } from '../syntax/mnemonics';
import type { Bits, Operand, ParsedInstruction, Resolution } from '../types';

const DEFAULT_FAMILY_SIZE: Record<string, Record<Bits, number>> = {
  pushf: { 16: 2, 32: 4, 64: 8 },
  popf: { 16: 2, 32: 4, 64: 8 },
  iret: { 16: 2, 32: 4, 64: 4 },
};

const BIT_MODES: readonly Bits[] = [16, 32, 64];

export interface ResolveContext {
  /** MASM: `ret` inside a FAR procedure is a far return. */
  masmFarProcedure?: boolean;
}

/** AT&T `movq %cs, %rax`: iced knows `movq` (MMX/SSE), but with a segment register it is `mov` + suffix. */
function attSegmentMove(ins: ParsedInstruction): MnemonicForm | undefined {
  if (ins.dialect !== 'gas-att' || ins.mnemonic !== 'movq') return undefined;
  return ins.operands.some((op) => op.kind === 'reg' && op.cls === 'sreg') ? { name: 'mov', size: 8 } : undefined;
}

export function resolveInstruction(ins: ParsedInstruction, context: ResolveContext = {}): Resolution {
  let form = attSegmentMove(ins) ?? canonicalMnemonic(ins.mnemonic, ins.dialect);
  if (!form) return { status: 'unknown-mnemonic' };
  if (form.name === 'ret' && context.masmFarProcedure) form = { ...form, name: 'retf', far: true };
  const sizeHint = form.size ?? prefixOperandSize(ins.prefixes);
  const name = familyMember(form.name, sizeHint, ins.bits) ?? form.name;
  const codes = codesByMnemonic().get(name);
  if (!codes) return { status: 'unknown-mnemonic' };

  // Copied only to reverse two or more: a copy of an empty list would be another hidden class.
  let operands = ins.dialect === 'gas-att' && ins.operands.length > 1 ? [...ins.operands].reverse() : ins.operands;
  operands = mergeAttFarPointer(ins, form, operands);
  if (operands.some((op) => op.kind === 'unknown')) {
    // Macro parameters: the mnemonic alone decides only for operand-free families.
    const facts = codes.map(codeFacts).filter((f) => f.decoderOption === 0);
    if (facts.every((f) => f.opKinds.length === 0)) return pick(facts, ins.bits, sizeHint, name);
    return { status: 'unresolved', reason: 'operands depend on macro parameters' };
  }
  const far = isFarSource(ins, form, operands);
  // GNU as emits the one-byte INT3 (CC) for `int $3`, not CD 03.
  if (name === 'int' && isGas(ins.dialect) && operands.length === 1) {
    const op = operands[0]!;
    if (op.kind === 'imm' && op.value === 3n) return pick(codesByMnemonic().get('int3')!.map(codeFacts), ins.bits, undefined, 'int3');
  }
  const matching = codes
    .map(codeFacts)
    .filter((f) => f.decoderOption === 0 || isEightySixOnly(f))
    .filter((f) => f.opKinds.length === operands.length && f.opKinds.every((kind, i) => operandFits(kind, operands[i]!, ins) || selectorRegisterFits(f, kind, operands[i]!)))
    .filter((f) => isFarTransferCode(f.code) === far);
  if (matching.length === 0) {
    // A bare name may be a macro standing for a register (`#define KEYP %edi`): not provably invalid.
    if (operands.some((op) => op.kind === 'sym' && !/^[-+~(]*[0-9]/.test(op.text.trim()))) {
      return { status: 'unresolved', reason: 'an operand is a name that may be a macro' };
    }
    const explicit = codes.map(codeFacts).filter((f) => f.decoderOption === 0);
    if (explicit.length > 0 && explicit.every((f) => f.opKinds.length === 0) && operands.length > 0) {
      return { status: 'invalid-in-mode', reason: `${name.toUpperCase()} takes no operands`, validIn: [] };
    }
    return { status: 'invalid-in-mode', reason: `no encoding of ${name.toUpperCase()} takes these operands`, validIn: [] };
  }
  const eightySix = matching.find(isEightySixOnly);
  if (eightySix && matching.length === 1) {
    return { status: 'invalid-in-mode', reason: `${eightySix.instructionString} existed only on the 8086`, validIn: [] };
  }
  return pick(matching.filter((f) => !isEightySixOnly(f)), ins.bits, far ? farSizeHint(ins, form, operands) ?? sizeHint : sizeHint ?? registerSizeHint(operands), name);
}

function familyMember(name: string, size: number | undefined, bits: Bits): string | undefined {
  const family = SIZED_FAMILIES[name];
  if (!family) return undefined;
  return family[size ?? DEFAULT_FAMILY_SIZE[name]![bits]];
}

/** `0F` became the two-byte escape on the 80286; iced keeps 8086 POP CS only behind a decoder option. */
function isEightySixOnly(facts: CodeFacts): boolean {
  return facts.codeName === 'Popw_CS';
}

/** Chooses among candidate codes: available in this mode, then the one whose operand size matches. */
function pick(candidates: CodeFacts[], bits: Bits, sizeHint: number | undefined, name: string): Resolution {
  const available = candidates.filter((f) => availableIn(f, bits));
  const wantBits = sizeHint === undefined ? undefined : sizeHint * 8;
  const sized = (list: CodeFacts[]): CodeFacts[] =>
    wantBits === undefined ? list : list.filter((f) => f.operandSize === 0 || f.operandSize === wantBits);
  const chosen = sized(available);
  if (chosen.length > 0) {
    const best = preferDefault(chosen, bits);
    return { status: 'ok', code: best.code, codeName: best.codeName, approximate: false };
  }
  const elsewhere = BIT_MODES.filter((mode) => sized(candidates.filter((f) => availableIn(f, mode))).length > 0);
  if (elsewhere.length > 0) {
    const what = wantBits !== undefined && available.length > 0 ? `${wantBits}-bit ${name.toUpperCase()}` : name.toUpperCase();
    return { status: 'invalid-in-mode', reason: `${what} cannot be encoded in ${bits}-bit code`, validIn: elsewhere };
  }
  if (available.length > 0 && wantBits !== undefined) {
    const best = preferDefault(available, bits);
    return { status: 'ok', code: best.code, codeName: best.codeName, approximate: false };
  }
  return { status: 'invalid-in-mode', reason: `${name.toUpperCase()} has no encoding here`, validIn: [] };
}

/** Without a size hint the assembler uses the mode's default operand size. */
function preferDefault(list: CodeFacts[], bits: Bits): CodeFacts {
  const natural = list.find((f) => f.operandSize === (bits === 64 ? (f.defaultOpSize64 ? 64 : 32) : bits));
  return natural ?? list.find((f) => f.operandSize === 0) ?? list[0]!;
}

function registerSizeHint(operands: readonly Operand[]): number | undefined {
  for (const op of operands) if (op.kind === 'reg' && /^gpr/.test(op.cls)) return op.size;
  for (const op of operands) if (op.kind === 'mem' && (op.size === 2 || op.size === 4 || op.size === 8)) return op.size;
  return undefined;
}

/**
 * Selector operands (`r32/m16`, `r64/m16` of LAR, LSL, SLDT, STR, SMSW, VERR, VERW) only use the
 * low 16 bits, and assemblers accept any general register size there (`lar eax, cx`).
 */
function selectorRegisterFits(facts: CodeFacts, kind: number, op: Operand): boolean {
  if (kind !== OpKind.r32_or_mem && kind !== OpKind.r64_or_mem) return false;
  return /m16$/.test(facts.codeName) && op.kind === 'reg' && (op.cls === 'gpr16' || op.cls === 'gpr32' || op.cls === 'gpr64') && facts.opKinds.length === 2;
}

/**
 * GNU as `ljmp $sel, $off` (AT&T) and `ljmp sel, off` (Intel) give two immediates; iced models them
 * as one far-pointer operand. AT&T also takes plain `jmp $sel, $off` and `call $sel, $off` as direct
 * far transfers: two immediates leave no near reading.
 */
function mergeAttFarPointer(ins: ParsedInstruction, form: MnemonicForm, operands: Operand[]): Operand[] {
  if ((ins.dialect !== 'gas-att' && ins.dialect !== 'gas-intel') || ins.operands.length !== 2) return operands;
  const plainAttTransfer = ins.dialect === 'gas-att' && (form.name === 'jmp' || form.name === 'call');
  if (!form.far && !plainAttTransfer) return operands;
  const [first, second] = ins.operands as [Operand, Operand];
  const immediate = (op: Operand): boolean => op.kind === 'imm' || (op.kind === 'sym' && ins.dialect === 'gas-intel');
  if (!immediate(first) || !immediate(second)) return operands;
  return [{ kind: 'farptr', text: `${first.text},${second.text}`, range: { start: first.range.start, end: second.range.end }, selector: first.text, offset: second.text }];
}

function isFarSource(ins: ParsedInstruction, form: MnemonicForm, operands: readonly Operand[]): boolean {
  if (form.name === 'retf') return true;
  if (form.name !== 'jmp' && form.name !== 'call') return false;
  if (form.far || ins.far) return true;
  const op = operands[0];
  if (!op) return false;
  if (op.kind === 'farptr') return true;
  if (op.kind !== 'mem') return false;
  if (op.far) return true;
  // MASM, GNU as Intel and FASM give the whole pointer's size: m16:16 is a dword in 16-bit code, m16:32 an fword.
  if (ins.dialect === 'masm' || ins.dialect === 'gas-intel' || ins.dialect === 'fasm') {
    if (op.size === 6 || op.size === 10) return true;
    // A dword pointer is a near target only in 32-bit code; in 16-bit and 64-bit code it is m16:16.
    if (op.size === 4 && ins.bits !== 32) return true;
  }
  return false;
}

/** Offset size of a far pointer, in bytes. */
function farSizeHint(ins: ParsedInstruction, form: MnemonicForm, operands: readonly Operand[]): number | undefined {
  if (form.size !== undefined) return form.size;
  const prefixed = prefixOperandSize(ins.prefixes);
  if (prefixed !== undefined) return prefixed;
  const op = operands[0];
  if (!op || op.kind !== 'mem' || op.size === undefined) return undefined;
  const wholePointer = ins.dialect === 'masm' || ins.dialect === 'gas-intel' || (ins.dialect === 'fasm' && !op.far);
  if (wholePointer) return op.size === 4 ? 2 : op.size === 6 ? 4 : op.size === 10 ? 8 : undefined;
  return op.size <= 8 ? op.size : undefined;
}

const BRANCH = /^(l?jmp|l?call|j[a-z]+|loop\w*)[wlq]?$/;

function isMemoryLike(op: Operand, ins: ParsedInstruction): boolean {
  if (op.kind === 'mem') return true;
  if (op.kind !== 'sym' || op.far) return false;
  // A bare symbol is a memory reference in AT&T and MASM (not in NASM/FASM, which need brackets),
  // except as the target of an AT&T branch, where only `*sym` reads memory.
  if (ins.dialect === 'gas-att') return op.indirect === true || !BRANCH.test(ins.mnemonic);
  return ins.dialect === 'masm' || ins.dialect === 'gas-intel';
}

function gpr(op: Operand, size: number): boolean {
  return op.kind === 'reg' && op.cls === `gpr${size * 8}`;
}

function operandFits(kind: number, op: Operand, ins: ParsedInstruction): boolean {
  switch (kind) {
    case OpKind.farbr2_2:
    case OpKind.farbr4_2:
      return op.kind === 'farptr' || (op.kind === 'sym' && ins.far);
    case OpKind.mem:
      return isMemoryLike(op, ins);
    case OpKind.r16_or_mem:
      return gpr(op, 2) || isMemoryLike(op, ins);
    case OpKind.r32_or_mem:
      return gpr(op, 4) || isMemoryLike(op, ins);
    case OpKind.r64_or_mem:
      return gpr(op, 8) || isMemoryLike(op, ins);
    case OpKind.r8_or_mem:
      return gpr(op, 1) || isMemoryLike(op, ins);
    case OpKind.r8_reg:
    case OpKind.r8_opcode:
      return gpr(op, 1);
    case OpKind.r16_reg:
    case OpKind.r16_rm:
    case OpKind.r16_opcode:
    case OpKind.r16_reg_mem:
      return gpr(op, 2);
    case OpKind.r32_reg:
    case OpKind.r32_rm:
    case OpKind.r32_opcode:
    case OpKind.r32_reg_mem:
      return gpr(op, 4);
    case OpKind.r64_reg:
    case OpKind.r64_rm:
    case OpKind.r64_opcode:
    case OpKind.r64_reg_mem:
      return gpr(op, 8);
    case OpKind.seg_reg:
      return op.kind === 'reg' && op.cls === 'sreg';
    case OpKind.es:
    case OpKind.cs:
    case OpKind.ss:
    case OpKind.ds:
    case OpKind.fs:
    case OpKind.gs:
      return op.kind === 'reg' && op.reg === SEGMENT_BY_KIND.get(kind);
    case OpKind.al:
    case OpKind.cl:
    case OpKind.ax:
    case OpKind.dx:
    case OpKind.eax:
    case OpKind.rax:
      return op.kind === 'reg' && op.reg === FIXED_REGISTER_BY_KIND.get(kind);
    case OpKind.cr_reg:
      return op.kind === 'reg' && op.cls === 'cr';
    case OpKind.dr_reg:
      return op.kind === 'reg' && op.cls === 'dr';
    case OpKind.imm8:
    case OpKind.imm8_const_1:
    case OpKind.imm8sex16:
    case OpKind.imm8sex32:
    case OpKind.imm8sex64:
    case OpKind.imm16:
    case OpKind.imm32:
    case OpKind.imm32sex64:
    case OpKind.imm64:
      return op.kind === 'imm' || (op.kind === 'sym' && ins.dialect !== 'gas-att' && ins.dialect !== 'masm');
    case OpKind.br16_1:
    case OpKind.br32_1:
    case OpKind.br64_1:
    case OpKind.br16_2:
    case OpKind.br32_4:
    case OpKind.br64_4:
      return (op.kind === 'sym' && !op.indirect) || op.kind === 'imm';
    default:
      return false;
  }
}

const SEGMENT_BY_KIND = new Map<number, string>([
  [OpKind.es, 'es'],
  [OpKind.cs, 'cs'],
  [OpKind.ss, 'ss'],
  [OpKind.ds, 'ds'],
  [OpKind.fs, 'fs'],
  [OpKind.gs, 'gs'],
]);

const FIXED_REGISTER_BY_KIND = new Map<number, string>([
  [OpKind.al, 'al'],
  [OpKind.cl, 'cl'],
  [OpKind.ax, 'ax'],
  [OpKind.dx, 'dx'],
  [OpKind.eax, 'eax'],
  [OpKind.rax, 'rax'],
]);

/** A MOV without a segment register cannot be sensitive; it is the commonest instruction, so skip the operand match. */
function plainMove(name: string, ins: ParsedInstruction): boolean {
  return name === 'mov' && !ins.operands.some((op) => (op.kind === 'reg' && op.cls === 'sreg') || op.kind === 'unknown');
}

/** Mnemonics whose operands decide whether the instruction is sensitive; others resolve by mnemonic alone. */
export const OPERAND_SENSITIVE = new Set(['push', 'pop', 'mov', 'call', 'jmp', 'ret', 'retf', 'int', 'sgdt', 'sidt', 'sldt', 'str', 'smsw', 'lar', 'lsl', 'verr', 'verw', 'rdpid']);

/**
 * Resolution for instructions whose operands cannot matter to any rule: only the mode is checked,
 * so the thousands of ordinary instructions in real code cost one table lookup each.
 */
export function resolve(ins: ParsedInstruction, context: ResolveContext = {}): Resolution {
  const form = attSegmentMove(ins) ?? canonicalMnemonic(ins.mnemonic, ins.dialect);
  if (!form) return { status: 'unknown-mnemonic' };
  const name = familyMember(form.name, form.size ?? prefixOperandSize(ins.prefixes), ins.bits) ?? form.name;
  if ((OPERAND_SENSITIVE.has(name) && !plainMove(name, ins)) || SIZED_FAMILIES[form.name]) return resolveInstruction(ins, context);
  const key = `${name}|${ins.bits}|${ins.operands.length}`;
  const cached = MNEMONIC_ONLY.get(key);
  if (cached) return cached;
  const result = resolveMnemonicOnly(name, ins.bits, ins.operands.length);
  MNEMONIC_ONLY.set(key, result);
  return result;
}

const MNEMONIC_ONLY = new Map<string, Resolution>();

function resolveMnemonicOnly(name: string, bits: Bits, operandCount: number): Resolution {
  const codes = codesByMnemonic().get(name);
  if (!codes) return { status: 'unknown-mnemonic' };
  const facts = codes.map(codeFacts).filter((f) => f.decoderOption === 0);
  const available = facts.filter((f) => availableIn(f, bits));
  if (available.length === 0 && facts.length > 0) {
    const validIn = BIT_MODES.filter((mode) => facts.some((f) => availableIn(f, mode)));
    return { status: 'invalid-in-mode', reason: `${name.toUpperCase()} cannot be encoded in ${bits}-bit code`, validIn };
  }
  const best = available.find((f) => f.opKinds.length === operandCount) ?? available[0] ?? facts[0];
  return best ? { status: 'ok', code: best.code, codeName: best.codeName, approximate: true } : { status: 'unknown-mnemonic' };
}
