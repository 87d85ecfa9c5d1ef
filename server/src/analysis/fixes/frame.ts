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

  constructor(readonly bits: Bits) {
    this.sp = stackPointer(bits);
    this.saveWidth = saveWidth(bits);
  }

  /** Memory at original SP + offset. */
  at(offset: number, width?: Width): MemOpnd {
    return mem(this.sp, offset + this.depth, width);
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
    this.emit({ ...ins('lea', reg(this.sp), mem(this.sp, -bytes)), ...(comment ? { comment } : {}) });
    this.depth += bytes;
    return -this.depth;
  }

  release(bytes: number, comment?: string): void {
    if (bytes === 0) return;
    this.emit({ ...ins('lea', reg(this.sp), mem(this.sp, bytes)), ...(comment ? { comment } : {}) });
    this.depth -= bytes;
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
