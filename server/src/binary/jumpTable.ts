// Jump tables behind an indirect jump, recovered only when the straight-line code that leads to
// the jump proves how many entries the table has. The shapes gcc, clang and mingw emit for a dense
// switch at -O2:
//
//   cmp idx, N ; ja default ; [mov idx', idx] ; jmp [table + idx*size]            (absolute entries)
//   cmp idx, N ; ja default ; lea base, [rip + table] ; movsxd r, [base + idx*4] ;
//     add r, base ; jmp r                                                          (x86-64 PIC: offsets from the table)
//   call thunk / call next; pop ; add got, imm ; cmp idx, N ; ja default ;
//     add got, [got + idx*4 - k] ; jmp got                                          (i386 PIC: offsets from the GOT)
//
// The code is evaluated along the path with a few facts per register: a known constant, an index
// bounded by a compare and the unsigned branch around it, or "entry of the table at T, plus B".
// Any other write to a register forgets what was known about it (iced's InstructionInfo says which
// registers an instruction writes), and any flag write forgets the compare. Every entry must land
// in code, or no table is reported: a wrong bound would otherwise turn data into roots.
import { iced } from '../analysis/resolve/iced';
import type { Bitness } from './sweep';

export interface JumpTable {
  /** Address and size in bytes of the table itself (data, never to be decoded). */
  address: bigint;
  size: number;
  targets: bigint[];
}

/** The code around the jump: bytes, their address, and readers for the rest of the image. */
export interface JumpContext {
  bytes: Uint8Array;
  bits: Bitness;
  base: bigint;
  /** Bytes of the image (code or data sections) at an address; undefined when none hold all of them. */
  read(address: bigint, length: number): Uint8Array | undefined;
  /** True when the address lies in an executable section. */
  isCode(address: bigint): boolean;
}

/** A switch with more cases than this is not believed: the bound came from something else. */
const MAX_ENTRIES = 4096;

type Fact =
  | { kind: 'constant'; value: bigint }
  | { kind: 'index'; max: number }
  | { kind: 'entry'; table: bigint; size: number; count: number; signed: boolean; plus: bigint | undefined };

const GPR32_FIRST = iced.Register.EAX;
const GPR64_FIRST = iced.Register.RAX;

/** The general register (0..15) a register operand names, and its width; undefined for others. */
function gpr(register: number): { family: number; wide: boolean } | undefined {
  if (register >= GPR64_FIRST && register < GPR64_FIRST + 16) return { family: register - GPR64_FIRST, wide: true };
  if (register >= GPR32_FIRST && register < GPR32_FIRST + 16) return { family: register - GPR32_FIRST, wide: false };
  return undefined;
}

/** The general register a write to `register` (of any width) changes, or -1. */
function familyOfAnyWidth(register: number): number {
  const R = iced.Register;
  if (register >= R.AL && register <= R.BL) return register - R.AL;
  if (register >= R.AH && register <= R.BH) return register - R.AH;
  if (register >= R.SPL && register <= R.R15L) return register - R.SPL + 4;
  if (register >= R.AX && register <= R.R15W) return register - R.AX;
  return gpr(register)?.family ?? -1;
}

const WRITES = new Set<number>([iced.OpAccess.Write, iced.OpAccess.CondWrite, iced.OpAccess.ReadWrite, iced.OpAccess.ReadCondWrite]);

/**
 * The table behind the indirect jump at `jump`, from the instructions at `path` (offsets into
 * `context.bytes`, in execution order, ending just before the jump); undefined when not provable.
 */
export function recoverJumpTable(context: JumpContext, path: readonly number[], jump: number): JumpTable | undefined {
  if (path.length === 0) return undefined;
  const first = path[0]!;
  const end = Math.min(context.bytes.length, jump + 15);
  const addressMask = context.bits === 64 ? (1n << 64n) - 1n : 0xffffffffn;
  const decoder = new iced.Decoder(context.bits, context.bytes.subarray(first, end), iced.DecoderOptions.None);
  const instruction = new iced.Instruction();
  const infos = new iced.InstructionInfoFactory();
  try {
    const facts: (Fact | undefined)[] = new Array<Fact | undefined>(16).fill(undefined);
    let compare: { family: number; bound: bigint } | undefined;
    let pushedReturn: bigint | undefined;
    const decodeAt = (offset: number): void => {
      decoder.position = offset - first;
      decoder.ip = (context.base + BigInt(offset)) & addressMask;
      decoder.decodeOut(instruction);
    };
    for (const offset of path) {
      decodeAt(offset);
      const pushed = pushedReturn;
      pushedReturn = undefined;
      const modelled = evaluate(instruction, facts, context, addressMask, pushed);
      if (modelled === 'pushed-return') pushedReturn = instruction.nextIP & addressMask;
      if (instruction.mnemonic === iced.Mnemonic.Cmp) {
        compare = compareOf(instruction);
        continue;
      }
      if (instruction.isJccShortOrNear && compare) {
        const bound = compare.bound;
        const cc = instruction.conditionCode;
        // Falling through `ja` means idx <= N, through `jae` idx < N (unsigned).
        const max = cc === iced.ConditionCode.a ? bound : cc === iced.ConditionCode.ae ? bound - 1n : -1n;
        if (max >= 0n && max < BigInt(MAX_ENTRIES)) facts[compare.family] = { kind: 'index', max: Number(max) };
        continue;
      }
      if (instruction.rflagsModified !== 0 || instruction.mnemonic === iced.Mnemonic.Call) compare = undefined;
      if (modelled === false) forgetWritten(instruction, infos, facts);
    }
    decodeAt(jump);
    return tableOfJump(instruction, facts, context, addressMask);
  } finally {
    infos.free();
    instruction.free();
    decoder.free();
  }
}

function compareOf(instruction: iced.Instruction): { family: number; bound: bigint } | undefined {
  if (instruction.op0Kind !== iced.OpKind.Register) return undefined;
  const register = gpr(instruction.op0Register);
  if (!register) return undefined;
  const immediate = immediateOf(instruction, 1);
  if (immediate === undefined || immediate < 0n) return undefined;
  return { family: register.family, bound: immediate };
}

/** A signed immediate operand (sign-extended as the CPU does), or undefined. */
function immediateOf(instruction: iced.Instruction, operand: number): bigint | undefined {
  const kind = operand === 0 ? instruction.op0Kind : instruction.op1Kind;
  const K = iced.OpKind;
  if (kind !== K.Immediate8 && kind !== K.Immediate8to32 && kind !== K.Immediate8to64 && kind !== K.Immediate32 && kind !== K.Immediate32to64 && kind !== K.Immediate64 && kind !== K.Immediate16 && kind !== K.Immediate8to16) return undefined;
  const raw = instruction.immediate(operand);
  if (kind === K.Immediate8) return raw;
  // iced returns sign-extended immediates as unsigned 64-bit values.
  return BigInt.asIntN(64, raw);
}

/**
 * Applies the instructions this evaluation understands to `facts`; false for any other, whose
 * register writes the caller then forgets. 'pushed-return' for a call to the next instruction.
 */
function evaluate(instruction: iced.Instruction, facts: (Fact | undefined)[], context: JumpContext, mask: bigint, pushed: bigint | undefined): boolean | 'pushed-return' {
  const M = iced.Mnemonic;
  const mnemonic = instruction.mnemonic;
  if (mnemonic === M.Cmp || mnemonic === M.Nop || instruction.isJccShortOrNear) return true;
  if (mnemonic === M.Call && instruction.isCallNear) return evaluateCall(instruction, facts, context, mask);
  if (instruction.op0Kind !== iced.OpKind.Register) return false;
  const target = gpr(instruction.op0Register);
  if (!target) return false;
  const width = target.wide ? (1n << 64n) - 1n : 0xffffffffn;
  const set = (fact: Fact | undefined): true => {
    facts[target.family] = fact?.kind === 'constant' ? { kind: 'constant', value: fact.value & width } : fact;
    return true;
  };
  switch (mnemonic) {
    case M.Pop:
      return set(pushed === undefined ? undefined : { kind: 'constant', value: pushed });
    case M.Lea: {
      const address = memoryAddress(instruction, facts, mask);
      return set(address === undefined ? undefined : { kind: 'constant', value: address });
    }
    case M.Mov:
    case M.Movsxd: {
      const kind = instruction.op1Kind;
      if (kind === iced.OpKind.Register) {
        const source = gpr(instruction.op1Register);
        const fact = source ? facts[source.family] : undefined;
        // A 32-bit copy keeps an index (it zero-extends) but not a 64-bit table sum.
        return set(fact?.kind === 'entry' && !target.wide ? undefined : fact);
      }
      if (kind === iced.OpKind.Memory) return set(entryOf(instruction, facts, mask, mnemonic === M.Movsxd, target.wide ? 8 : 4));
      const immediate = immediateOf(instruction, 1);
      return set(immediate === undefined ? undefined : { kind: 'constant', value: immediate & mask });
    }
    case M.Add: {
      const current = facts[target.family];
      let other: Fact | undefined;
      if (instruction.op1Kind === iced.OpKind.Register) {
        const source = gpr(instruction.op1Register);
        other = source ? facts[source.family] : undefined;
      } else if (instruction.op1Kind === iced.OpKind.Memory) {
        other = entryOf(instruction, facts, mask, false, target.wide ? 8 : 4);
      } else {
        const immediate = immediateOf(instruction, 1);
        other = immediate === undefined ? undefined : { kind: 'constant', value: immediate };
      }
      return set(sum(current, other, mask));
    }
    default:
      return false;
  }
}

/** A call to the next instruction pushes its address; a call to `mov reg, [esp]; ret` loads it into reg. Any other call forgets everything. */
function evaluateCall(instruction: iced.Instruction, facts: (Fact | undefined)[], context: JumpContext, mask: bigint): boolean | 'pushed-return' {
  const target = instruction.nearBranchTarget;
  const next = instruction.nextIP & mask;
  if (target === next) return 'pushed-return';
  const offset = target - context.base;
  const thunk = offset >= 0n && offset + 4n <= BigInt(context.bytes.length) ? context.bytes.subarray(Number(offset), Number(offset) + 4) : undefined;
  facts.fill(undefined);
  // 8B /r with ModRM mod=00 rm=100 and SIB 24: mov reg, [esp]; then C3: ret (gcc's __x86.get_pc_thunk.*).
  if (context.bits === 32 && thunk && thunk[0] === 0x8b && (thunk[1]! & 0xc7) === 0x04 && thunk[2] === 0x24 && thunk[3] === 0xc3) {
    facts[(thunk[1]! >> 3) & 7] = { kind: 'constant', value: next };
  }
  return true;
}

function sum(a: Fact | undefined, b: Fact | undefined, mask: bigint): Fact | undefined {
  if (a?.kind === 'constant' && b?.kind === 'constant') return { kind: 'constant', value: (a.value + b.value) & mask };
  if (a?.kind === 'entry' && a.plus === undefined && b?.kind === 'constant') return { ...a, plus: b.value };
  if (b?.kind === 'entry' && b.plus === undefined && a?.kind === 'constant') return { ...b, plus: a.value };
  return undefined;
}

/** The address of a memory operand made of known constants only (RIP-relative included). */
function memoryAddress(instruction: iced.Instruction, facts: (Fact | undefined)[], mask: bigint): bigint | undefined {
  if (instruction.isIpRelMemoryOperand) return instruction.ipRelMemoryAddress & mask;
  if (instruction.memoryIndex !== iced.Register.None) return undefined;
  const base = baseValue(instruction, facts);
  return base === undefined ? undefined : (base + instruction.memoryDisplacement) & mask;
}

function baseValue(instruction: iced.Instruction, facts: (Fact | undefined)[]): bigint | undefined {
  if (instruction.memoryBase === iced.Register.None) return 0n;
  const base = gpr(instruction.memoryBase);
  const fact = base ? facts[base.family] : undefined;
  return fact?.kind === 'constant' ? fact.value : undefined;
}

/** `[base + index*size + disp]` with a constant base and a bounded index: an entry of a table of `size`-byte entries. */
function entryOf(instruction: iced.Instruction, facts: (Fact | undefined)[], mask: bigint, signed: boolean, registerSize: number): Fact | undefined {
  const index = gpr(instruction.memoryIndex);
  const fact = index ? facts[index.family] : undefined;
  if (fact?.kind !== 'index') return undefined;
  const size = signed ? 4 : registerSize;
  if (instruction.memoryIndexScale !== size) return undefined;
  const base = baseValue(instruction, facts);
  if (base === undefined) return undefined;
  return { kind: 'entry', table: (base + instruction.memoryDisplacement) & mask, size, count: fact.max + 1, signed, plus: undefined };
}

function forgetWritten(instruction: iced.Instruction, infos: iced.InstructionInfoFactory, facts: (Fact | undefined)[]): void {
  const info = infos.info(instruction);
  try {
    for (const used of info.usedRegisters() as iced.UsedRegister[]) {
      if (WRITES.has(used.access)) {
        const family = familyOfAnyWidth(used.register);
        if (family >= 0) facts[family] = undefined;
      }
      used.free();
    }
  } finally {
    info.free();
  }
}

/** The table an indirect `jmp` goes through, read and checked. */
function tableOfJump(instruction: iced.Instruction, facts: (Fact | undefined)[], context: JumpContext, mask: bigint): JumpTable | undefined {
  if (instruction.mnemonic !== iced.Mnemonic.Jmp) return undefined;
  let entry: Fact | undefined;
  if (instruction.op0Kind === iced.OpKind.Memory) entry = entryOf(instruction, facts, mask, false, context.bits === 64 ? 8 : 4);
  else if (instruction.op0Kind === iced.OpKind.Register) {
    const register = gpr(instruction.op0Register);
    entry = register ? facts[register.family] : undefined;
  }
  if (entry?.kind !== 'entry') return undefined;
  // Absolute entries must be pointer-sized; offsets need the base they are added to.
  if (entry.plus === undefined && entry.size !== context.bits / 8) return undefined;
  const bytes = context.read(entry.table, entry.count * entry.size);
  if (!bytes || bytes.length < entry.count * entry.size) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const targets: bigint[] = [];
  for (let i = 0; i < entry.count; i++) {
    let value = entry.size === 8 ? view.getBigUint64(i * 8, true) : BigInt(entry.signed ? view.getInt32(i * 4, true) : view.getUint32(i * 4, true));
    if (entry.plus !== undefined) value = (value + entry.plus) & mask;
    if (!context.isCode(value)) return undefined;
    targets.push(value);
  }
  return { address: entry.table, size: entry.count * entry.size, targets };
}
