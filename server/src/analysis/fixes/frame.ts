// Tracks how far a fix sequence has moved the stack pointer, so every stack-relative
// address (the user's `[rsp+8]`, the fix's own slots) is written relative to the current SP.
import type { Bits } from '../types';
import type { MemoryOperand } from '../types';
import { imm, ins, mem, reg, type Line, type MemOpnd, type Opnd, type OrigMemOpnd, type Width } from './ir';
import { fullReg, isStackPointer, regOfWidth, saveWidth, stackPointer } from './registers';

export class Frame {
  readonly lines: Line[] = [];
  /** Bytes pushed so far (SP = original SP − depth). */
  depth = 0;
  /** Register family → its save slot, as an offset from the original SP. */
  readonly saved = new Map<string, number>();
  readonly sp: string;
  readonly saveWidth: Width;
  /**
   * 16-bit code: the depth at which BP was pointed at the stack (`anchor`). SP cannot address
   * memory there, and ESP's upper half may hold anything, so the frame's slots are read through BP.
   */
  private anchorDepth: number | undefined;
  /** The anchor pushed EBP itself (it was not among the sequence's own saves). */
  anchoredBp = false;

  constructor(readonly bits: Bits) {
    this.sp = stackPointer(bits);
    this.saveWidth = saveWidth(bits);
  }

  /** Memory at original SP + offset. */
  at(offset: number, width?: Width): MemOpnd {
    if (this.bits !== 16) return mem(this.sp, offset + this.depth, width);
    if (this.anchorDepth === undefined) throw new Error('a 16-bit frame is read through BP: anchor it first');
    return mem('bp', offset + this.anchorDepth, width);
  }

  /**
   * 16-bit code: saves EBP (unless saved already) and points BP at the stack. Call it after the
   * user's memory operands are read, since they may use BP; the user's BP is then in its save slot.
   */
  anchor(): void {
    if (this.bits !== 16 || this.anchorDepth !== undefined) return;
    if (!this.saved.has('bp')) {
      this.save('bp');
      this.anchoredBp = true;
    }
    this.emit({ t: 'ins', op: 'mov', args: [reg('bp'), reg('sp')], comment: 'SP cannot address memory in 16-bit code' });
    this.anchorDepth = this.depth;
  }

  orig(operand: MemoryOperand, width?: Width): OrigMemOpnd {
    return { k: 'orig', operand, adjust: isStackPointer(operand.base) ? this.depth : 0, ...(width ? { width } : {}) };
  }

  emit(...lines: Line[]): void {
    this.lines.push(...lines);
  }

  save(family: string): void {
    this.emit(ins('push', reg(fullReg(family, this.bits))));
    this.depth += this.saveWidth;
    this.saved.set(family, -this.depth);
  }

  restore(family: string): void {
    this.emit(ins('pop', reg(fullReg(family, this.bits))));
    this.depth -= this.saveWidth;
  }

  /** Reserves bytes below SP without touching flags; returns their offset from the original SP. */
  reserve(bytes: number, comment?: string): number {
    if (bytes === 0) return -this.depth;
    this.emit({ ...ins('lea', reg(this.stackDestination()), mem(this.sp, -bytes)), ...(comment ? { comment } : {}) });
    this.depth += bytes;
    return -this.depth;
  }

  release(bytes: number, comment?: string): void {
    if (bytes === 0) return;
    this.emit({ ...ins('lea', reg(this.stackDestination()), mem(this.sp, bytes)), ...(comment ? { comment } : {}) });
    this.depth -= bytes;
  }

  /** A 16-bit stack moves SP only: writing SP leaves ESP's upper half as PUSH and POP do. */
  private stackDestination(): string {
    return this.bits === 16 ? 'sp' : this.sp;
  }

  /** Pushes a slot of `width` bytes (its content is replaced later); returns its offset. */
  pushSlot(width: Width): number | undefined {
    if (this.bits === 64 && width === 4) return undefined;
    this.emit(ins('push', reg(regOfWidth('a', width))));
    this.depth += width;
    return -this.depth;
  }

  /** Loads a value of `width` into `family`, zero-extended to at least 32 bits. */
  load(family: string, source: Opnd, width: Width): void {
    if (width === 8) this.emit(ins('mov', reg(regOfWidth(family, 8)), source));
    else if (width === 4) this.emit(ins('mov', reg(regOfWidth(family, 4)), source));
    else this.emit(ins('movzx', reg(regOfWidth(family, 4)), source));
  }

  loadImm(family: string, value: number | string): void {
    this.emit(ins('mov', reg(regOfWidth(family, 4)), imm(value)));
  }
}
