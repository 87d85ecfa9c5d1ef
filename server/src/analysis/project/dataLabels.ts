// FASM and MASM give a label the size of the data declared with it (`callback dd ?`), and an
// instruction that uses the label without a size takes it: `call [callback]` in 16-bit code is
// then a far call through a 32-bit pointer. A label may be declared after its use, so the sizes
// are applied once the whole program has been read.
import { resolve } from '../resolve/resolve';
import type { LineEntry } from '../document/lineEntries';
import type { Dialect, MemoryOperand, Operand } from '../types';

const DATA_SIZES: Record<string, number> = {
  db: 1, rb: 1, byte: 1, sbyte: 1,
  dw: 2, rw: 2, word: 2, sword: 2,
  dd: 4, rd: 4, dword: 4, sdword: 4, real4: 4,
  dp: 6, df: 6, rp: 6, rf: 6, fword: 6, pword: 6,
  dq: 8, rq: 8, qword: 8, real8: 8,
  dt: 10, rt: 10, tbyte: 10, tword: 10, real10: 10,
};

const DECLARATION = /^\s*([A-Za-z_.$?@][\w.$?@]*)\s+([A-Za-z]\w*)\b/;
const FASM_LABEL = /^\s*label\s+([A-Za-z_.$?@][\w.$?@]*)\s*(?::\s*)?([A-Za-z]\w*)?/i;

export function labelSizesApply(dialect: Dialect): boolean {
  return dialect === 'fasm' || dialect === 'masm';
}

/** Notes the size a line declares its label with, if it declares one. */
export function noteDataLabel(text: string, sizes: Map<string, number>, dialect: Dialect): void {
  const label = dialect === 'fasm' ? FASM_LABEL.exec(text) : null;
  const match = label ?? DECLARATION.exec(text);
  if (!match || !match[2]) return;
  const size = DATA_SIZES[match[2].toLowerCase()];
  if (size === undefined) return;
  const name = dialect === 'masm' ? match[1]!.toLowerCase() : match[1]!;
  if (!sizes.has(name)) sizes.set(name, size);
}

/** Gives unsized operands that name a sized data label its size, and resolves the instruction again. */
export function applyDataLabelSizes(entries: Iterable<LineEntry>, sizes: ReadonlyMap<string, number>, dialect: Dialect): void {
  if (sizes.size === 0) return;
  for (const entry of entries) {
    entry.parsed.instructions.forEach((ins, i) => {
      let changed = false;
      ins.operands = ins.operands.map((operand) => {
        const sized = sizedOperand(operand, sizes, dialect);
        if (sized !== operand) changed = true;
        return sized;
      });
      if (!changed) return;
      try {
        ins.resolution = resolve(ins, { masmFarProcedure: entry.parsed.farProcedure[i] ?? false });
      } catch (error) {
        ins.resolution = { status: 'unresolved', reason: `internal error: ${(error as Error).message}` };
      }
      entry.contribution = undefined;
    });
  }
}

function sizedOperand(operand: Operand, sizes: ReadonlyMap<string, number>, dialect: Dialect): Operand {
  const key = (name: string): string => (dialect === 'masm' ? name.toLowerCase() : name);
  if (operand.kind === 'mem' && operand.size === undefined && !operand.base && !operand.index && operand.displacement) {
    const size = sizes.get(key(operand.displacement.trim()));
    return size === undefined ? operand : { ...operand, size };
  }
  // MASM reads a bare data label as memory: `call cb` calls through the pointer stored at cb.
  if (dialect === 'masm' && operand.kind === 'sym' && !operand.far) {
    const size = sizes.get(key(operand.text.trim()));
    if (size === undefined) return operand;
    const memory: MemoryOperand = { kind: 'mem', text: operand.text, range: operand.range, size, displacement: operand.text.trim() };
    return memory;
  }
  return operand;
}
