// One instruction at a time, with what it does to control flow: the walker behind code discovery.
// Common encodings are sized by `fastLength` and their branches read from the bytes; everything it
// defers (every catalogue instruction among them) goes to iced-x86, whose flow-control facts decide.
import { iced } from '../analysis/resolve/iced';
import { BARE_INT3, fastLength } from './lengths';
import { ensureShapeTableAndPrimedLoop } from './shapes';
import { INT3_CODE, isCoveredCode, type Bitness } from './sweep';

export interface Step {
  length: number;
  /** The iced Code when a rule covers the instruction, else -1. */
  code: number;
  /** True when execution never reaches the next instruction: ret, iret, jmp, ud2, int3, an invalid opcode. */
  ends: boolean;
  /** True when the instruction is a direct branch or call. */
  hasTarget: boolean;
  /** Its target as an offset into the walked bytes, when it lies inside them; else -1. */
  targetOffset: number;
  /** Its target address, when it lies outside the walked bytes; else -1n. */
  target: bigint;
  /** True for a near jump through a register or memory (maybe a jump table; see jumpTable.ts). */
  indirect: boolean;
}

const MAX_INSTRUCTION_LENGTH = 15;
/** 0F xx instructions the fast path sizes that never fall through: sysret, ud2, rsm, sysexit, ud1, ud0. */
const ENDS_AFTER_0F = new Set([0x07, 0x0b, 0xaa, 0x35, 0xb9, 0xff]);
const DECODE_WINDOW = 64 * 1024;

/** First bytes after which an instruction may change control flow or carry prefixes (REX aside). */
const FLOW_FIRST_BYTE = new Uint8Array(256);
for (const byte of [0x0f, 0xc2, 0xc3, 0xe8, 0xe9, 0xeb, 0xff, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65]) FLOW_FIRST_BYTE[byte] = 1;
for (let byte = 0x70; byte <= 0x7f; byte++) FLOW_FIRST_BYTE[byte] = 1;
for (let byte = 0xe0; byte <= 0xe3; byte++) FLOW_FIRST_BYTE[byte] = 1;

function isLegacyPrefix(byte: number): boolean {
  return byte === 0x66 || byte === 0x67 || byte === 0xf0 || byte === 0xf2 || byte === 0xf3 || byte === 0x2e || byte === 0x36 || byte === 0x3e || byte === 0x26 || byte === 0x64 || byte === 0x65;
}

export class FlowWalker {
  private decoder: iced.Decoder | undefined;
  private windowStart = 0;
  private windowEnd = 0;
  private readonly instruction = new iced.Instruction();
  private readonly ipMask: bigint;
  /** The instruction pointer's width for the current branch (a 66 prefix changes it outside 64-bit code). */
  private targetMask = 0n;
  readonly step: Step = { length: 0, code: -1, ends: false, hasTarget: false, targetOffset: -1, target: -1n, indirect: false };

  constructor(
    private readonly bytes: Uint8Array,
    private readonly bits: Bitness,
    /** Address of bytes[0]. */
    private readonly base: bigint,
  ) {
    this.ipMask = bits === 64 ? (1n << 64n) - 1n : bits === 32 ? 0xffffffffn : 0xffffn;
    ensureShapeTableAndPrimedLoop();
  }

  /** Decodes the instruction at `pos` into `this.step`. */
  decode(pos: number): Step {
    const step = this.step;
    step.code = -1;
    step.hasTarget = false;
    step.targetOffset = -1;
    step.target = -1n;
    step.ends = false;
    step.indirect = false;
    const length = fastLength(this.bytes, pos, this.bytes.length, this.bits);
    if (length > 0) {
      step.length = length;
      this.classifyFast(pos, length);
      return step;
    }
    if (length === BARE_INT3) {
      step.length = 1;
      step.code = INT3_CODE;
      step.ends = true;
      return step;
    }
    this.decodeWithIced(pos);
    return step;
  }

  free(): void {
    this.instruction.free();
    this.decoder?.free();
    this.decoder = undefined;
  }

  /** Branches among the encodings `fastLength` sizes itself (no 66 prefix on near branches: those are deferred). */
  private classifyFast(pos: number, length: number): void {
    const bytes = this.bytes;
    const first = bytes[pos]!;
    if (FLOW_FIRST_BYTE[first] === 0 && !(this.bits === 64 && (first & 0xf0) === 0x40)) return; // the common case: no prefix, no branch
    let p = pos;
    let operandSize16 = this.bits === 16;
    while (isLegacyPrefix(bytes[p]!)) {
      if (bytes[p] === 0x66 && this.bits !== 64) operandSize16 = this.bits !== 16;
      p++;
    }
    this.targetMask = operandSize16 ? 0xffffn : this.bits === 64 ? this.ipMask : 0xffffffffn;
    const rex = this.bits === 64 && (bytes[p]! & 0xf0) === 0x40 ? bytes[p++]! : 0;
    const opcode = bytes[p]!;
    const next = pos + length;
    if ((opcode >= 0x70 && opcode <= 0x7f) || (opcode >= 0xe0 && opcode <= 0xe3)) this.setTarget(next, (bytes[next - 1]! << 24) >> 24);
    else if (opcode === 0xeb) {
      this.setTarget(next, (bytes[next - 1]! << 24) >> 24);
      this.step.ends = true;
    } else if (opcode === 0xe8 || opcode === 0xe9) {
      this.setTarget(next, this.displacement(next, length - (p + 1 - pos)));
      if (opcode === 0xe9) this.step.ends = true;
    } else if (opcode === 0xc3 || opcode === 0xc2) this.step.ends = true;
    else if (opcode === 0xff) {
      const reg = (bytes[p + 1]! >> 3) & 7;
      if (reg === 4) {
        // An indirect jmp: a tail call, or a jump table the traversal may recover.
        this.step.ends = true;
        this.step.indirect = true;
      }
    } else if (opcode === 0x0f) {
      const second = bytes[p + 1]!;
      // MOV to or from CR/DR with REX.R names CR8..CR15 or DR8..DR15; only CR8 exists. The fast
      // table is keyed without REX.R, so iced decides these.
      if (second >= 0x20 && second <= 0x23 && (rex & 4) !== 0) this.decodeWithIced(pos);
      else if (second >= 0x80 && second <= 0x8f) this.setTarget(next, this.displacement(next, length - (p + 2 - pos)));
      else if (ENDS_AFTER_0F.has(second)) this.step.ends = true;
    }
  }

  private displacement(next: number, size: number): number {
    const b = this.bytes;
    if (size === 4) return (b[next - 4]! | (b[next - 3]! << 8) | (b[next - 2]! << 16) | (b[next - 1]! << 24)) | 0;
    if (size === 2) return ((b[next - 2]! | (b[next - 1]! << 8)) << 16) >> 16;
    return 0;
  }

  private setTarget(next: number, displacement: number): void {
    const offset = next + displacement;
    // In 32- and 64-bit code a target inside the block is plain arithmetic (the block would have
    // to span 4 GB to wrap onto itself); 16-bit instruction pointers wrap at 64 KB.
    if (this.bits !== 16 && this.targetMask !== 0xffffn && offset >= 0 && offset < this.bytes.length) {
      this.step.hasTarget = true;
      this.step.targetOffset = offset;
      return;
    }
    this.setTargetAddress((((this.base + BigInt(next)) & this.ipMask) + BigInt(displacement)) & this.targetMask);
  }

  private setTargetAddress(address: bigint): void {
    const step = this.step;
    step.hasTarget = true;
    const offset = address - this.base;
    if (offset >= 0n && offset < BigInt(this.bytes.length)) step.targetOffset = Number(offset);
    else step.target = address;
  }

  private decodeWithIced(pos: number): void {
    const end = this.bytes.length;
    if (!this.decoder || pos < this.windowStart || (pos + MAX_INSTRUCTION_LENGTH > this.windowEnd && this.windowEnd < end)) {
      this.decoder?.free();
      this.windowStart = pos;
      this.windowEnd = Math.min(end, pos + DECODE_WINDOW);
      this.decoder = new iced.Decoder(this.bits, this.bytes.subarray(this.windowStart, this.windowEnd), iced.DecoderOptions.None);
    }
    const decoder = this.decoder;
    decoder.position = pos - this.windowStart;
    decoder.ip = (this.base + BigInt(pos)) & this.ipMask;
    const instruction = this.instruction;
    decoder.decodeOut(instruction);
    const step = this.step;
    step.length = instruction.length;
    const code = instruction.code;
    if (code === iced.Code.INVALID) {
      step.ends = true;
      return;
    }
    if (isCoveredCode(code)) step.code = code;
    switch (instruction.flowControl) {
      case iced.FlowControl.UnconditionalBranch:
        step.ends = true;
        if (instruction.isJmpShortOrNear) this.setTargetAddress(instruction.nearBranchTarget);
        break;
      case iced.FlowControl.ConditionalBranch:
      case iced.FlowControl.Call:
        if (instruction.isJccShortOrNear || instruction.isCallNear || instruction.isJcxShort || instruction.isLoop || instruction.isLoopcc) this.setTargetAddress(instruction.nearBranchTarget);
        break;
      case iced.FlowControl.IndirectBranch:
        step.ends = true;
        step.indirect = instruction.mnemonic === iced.Mnemonic.Jmp;
        break;
      case iced.FlowControl.Return:
      case iced.FlowControl.Exception:
        step.ends = true;
        break;
      case iced.FlowControl.Interrupt:
        if (code === INT3_CODE) step.ends = true; // padding between functions
        break;
    }
  }
}
