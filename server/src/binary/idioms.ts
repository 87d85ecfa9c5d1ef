// VM-detection idioms in machine code: the bytes decoded in a straight line, the instructions
// around each candidate (CPUID, RDTSC, IN, SIDT, …) handed to the same matcher the source
// analysis uses. Pure: bytes in, matches with byte offsets out.
import { iced, mnemonicName } from '../analysis/resolve/iced';
import { findIdioms, registerOperand, signatureAtStart, type HypervisorSignature, type IdiomInstruction, type IdiomOperand, type IdiomRuleId } from '../analysis/idioms';

export interface BinaryIdiom {
  ruleId: IdiomRuleId | 'virtualpc-backdoor';
  message: string;
  /** Offsets (in the bytes given) of the instruction the idiom is reported at, and of all its instructions. */
  anchor: number;
  members: number[];
}

/** Instructions a match can start at (iced Mnemonic values: no string per decoded instruction); the matcher looks at most this far before and after one. */
const ANCHORS = new Set<number>([iced.Mnemonic.Cpuid, iced.Mnemonic.Rdtsc, iced.Mnemonic.Rdtscp, iced.Mnemonic.In, iced.Mnemonic.Vmcall, iced.Mnemonic.Vmmcall, iced.Mnemonic.Sidt, iced.Mnemonic.Sgdt, iced.Mnemonic.Sldt, iced.Mnemonic.Str, iced.Mnemonic.Smsw]);
const BEFORE = 8;
const AFTER = 80;

/**
 * Where the bytes are loaded and what the image's data sections hold at an address: an operand that
 * points at a vendor signature (`lea rsi, [rip+…]` before `call memcmp`) joins the signature idiom.
 */
export interface DataLookup {
  address: bigint;
  read(address: bigint, length: number): Uint8Array | undefined;
}

const REGISTER_NAMES: string[] = [];
for (const [name, value] of Object.entries(iced.Register)) if (typeof value === 'number') REGISTER_NAMES[value] = name.toLowerCase();

export function findBinaryIdioms(bytes: Uint8Array, bits: 16 | 32 | 64, start = 0, stop = bytes.length, data?: DataLookup): BinaryIdiom[] {
  const found: BinaryIdiom[] = vpcextBytes(bytes, start, stop);
  const { offsets, anchors } = linearOffsets(bytes, bits, start, stop);
  if (anchors.length === 0) return found;
  const seen = new Set<string>();
  const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
  const instruction = new iced.Instruction();
  try {
    for (const anchor of anchors) {
      const first = Math.max(0, anchor - BEFORE);
      const last = Math.min(offsets.length - 1, anchor + AFTER);
      const stream: IdiomInstruction[] = [];
      for (let k = first; k <= last; k++) {
        decoder.position = offsets[k]!;
        if (data) decoder.ip = BigInt.asUintN(bits === 64 ? 64 : 32, data.address + BigInt(offsets[k]!));
        decoder.decodeOut(instruction);
        const ins = idiomInstructionOf(instruction, bits);
        const references = data ? signaturesPointedTo(instruction, bits, data) : [];
        if (references.length > 0) ins.references = references;
        stream.push(ins);
      }
      for (const match of findIdioms(stream)) {
        if (first + match.anchor !== anchor) continue;
        const key = `${match.ruleId}@${offsets[anchor]}`;
        if (seen.has(key)) continue;
        seen.add(key);
        found.push({ ruleId: match.ruleId, message: match.message, anchor: offsets[anchor]!, members: match.members.map((index) => offsets[first + index]!) });
      }
    }
  } finally {
    instruction.free();
    decoder.free();
  }
  return found;
}

/** VirtualPC's `vpcext 7, 0Bh`: bytes no decoder reads as an instruction, so they are looked for as bytes. */
const VPCEXT = [0x0f, 0x3f, 0x07, 0x0b];

function vpcextBytes(bytes: Uint8Array, start: number, stop: number): BinaryIdiom[] {
  const found: BinaryIdiom[] = [];
  for (let at = bytes.indexOf(0x0f, start); at >= 0 && at + 4 <= stop; at = bytes.indexOf(0x0f, at + 1)) {
    if (bytes[at + 1] === VPCEXT[1] && bytes[at + 2] === VPCEXT[2] && bytes[at + 3] === VPCEXT[3]) {
      found.push({ ruleId: 'virtualpc-backdoor', message: "Bytes 0F 3F 07 0B, VirtualPC's vpcext instruction: this code calls the Virtual PC backdoor", anchor: at, members: [at] });
    }
  }
  return found;
}

/** Where each instruction starts when the bytes are decoded in a straight line, and which are anchors. */
function linearOffsets(bytes: Uint8Array, bits: 16 | 32 | 64, start: number, stop: number): { offsets: number[]; anchors: number[] } {
  const offsets: number[] = [];
  const anchors: number[] = [];
  const decoder = new iced.Decoder(bits, bytes.subarray(0, stop), iced.DecoderOptions.None);
  const instruction = new iced.Instruction();
  try {
    decoder.position = start;
    while (decoder.canDecode) {
      const offset = decoder.position;
      decoder.decodeOut(instruction);
      offsets.push(offset);
      if (ANCHORS.has(instruction.mnemonic)) anchors.push(offsets.length - 1);
    }
  } finally {
    instruction.free();
    decoder.free();
  }
  return { offsets, anchors };
}

function idiomInstructionOf(instruction: iced.Instruction, bits: 16 | 32 | 64): IdiomInstruction {
  const operands: IdiomOperand[] = [];
  for (let i = 0; i < instruction.opCount; i++) operands.push(operandOf(instruction, i, bits));
  return { mnemonic: mnemonicName(instruction.mnemonic).toLowerCase(), operands };
}

function operandOf(instruction: iced.Instruction, i: number, bits: 16 | 32 | 64): IdiomOperand {
  const kind = instruction.opKind(i);
  switch (kind) {
    case iced.OpKind.Register: {
      return registerOperand(REGISTER_NAMES[instruction.opRegister(i)] ?? '');
    }
    case iced.OpKind.Immediate8:
    case iced.OpKind.Immediate8_2nd:
    case iced.OpKind.Immediate16:
    case iced.OpKind.Immediate32:
    case iced.OpKind.Immediate64:
    case iced.OpKind.Immediate8to16:
    case iced.OpKind.Immediate8to32:
    case iced.OpKind.Immediate8to64:
    case iced.OpKind.Immediate32to64:
      return { kind: 'imm', value: instruction.immediate(i) };
    case iced.OpKind.Memory: {
      const memory: IdiomOperand = { kind: 'mem', offset: BigInt.asIntN(bits, instruction.memoryDisplacement) };
      const base = REGISTER_NAMES[instruction.memoryBase];
      const index = REGISTER_NAMES[instruction.memoryIndex];
      if (base && base !== 'none') memory.base = base;
      if (index && index !== 'none') memory.index = index;
      // An absolute address stands for a symbol: two operands name the same data when their addresses are close.
      if (!memory.base && !memory.index) memory.symbol = 'absolute';
      return memory;
    }
    default:
      return { kind: 'other' };
  }
}

/** The signatures at the addresses an instruction names: a RIP-relative or absolute memory operand, or an immediate (32-bit code pushes addresses). */
function signaturesPointedTo(instruction: iced.Instruction, bits: 16 | 32 | 64, data: DataLookup): HypervisorSignature[] {
  const addresses: bigint[] = [];
  for (let i = 0; i < instruction.opCount; i++) {
    const kind = instruction.opKind(i);
    if (kind === iced.OpKind.Memory) {
      if (instruction.isIpRelMemoryOperand) addresses.push(instruction.ipRelMemoryAddress);
      else if (instruction.memoryBase === iced.Register.None && instruction.memoryIndex === iced.Register.None) addresses.push(BigInt.asUintN(bits === 64 ? 64 : 32, instruction.memoryDisplacement));
    } else if (kind === iced.OpKind.Immediate32 || kind === iced.OpKind.Immediate32to64) {
      addresses.push(BigInt.asUintN(32, instruction.immediate(i)));
    }
  }
  const found: HypervisorSignature[] = [];
  for (const address of addresses) {
    const bytes = data.read(address, 12);
    const signature = bytes ? signatureAtStart(bytes) : undefined;
    if (signature && !found.includes(signature)) found.push(signature);
  }
  return found;
}
