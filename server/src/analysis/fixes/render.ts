// Prints the fix IR (ir.ts) in each assembler's own syntax.
import { isGas } from '../syntax/dialects';
import type { Dialect } from '../types';
import type { Line, Opnd, OrigMemOpnd, Width } from './ir';

const INTEL_SIZE: Record<Width, string> = { 1: 'byte', 2: 'word', 4: 'dword', 8: 'qword' };
const ATT_SUFFIX: Record<Width, string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };
const SIZE_KEYWORD = /^\s*(byte|word|dword|fword|pword|qword|tword|tbyte|oword|xmmword)\s+(ptr\s+)?/i;

export function commentMarker(dialect: Dialect): string {
  return isGas(dialect) ? '#' : ';';
}

/** Local label spelling that neither clashes with nor re-scopes the user's labels. */
export function labelName(base: string, dialect: Dialect): string {
  switch (dialect) {
    case 'nasm':
      return `..@${base}`; // NASM: `..@` labels don't start a new local-label scope
    case 'fasm':
      return `..${base}`; // FASM: `..` labels are global but don't become the local-label prefix
    case 'gas-att':
    case 'gas-intel':
      return `.L${base}`; // GNU as: `.L` symbols stay out of the symbol table
    case 'masm':
      return base;
  }
}

export function formatNumber(value: number, dialect: Dialect): string {
  if (value < 0) return `-${formatNumber(-value, dialect)}`;
  if (value < 10) return String(value);
  const hex = value.toString(16);
  if (dialect === 'masm') return `${/^[a-f]/.test(hex) ? '0' : ''}${hex.toUpperCase()}h`;
  return `0x${hex}`;
}

/** A displacement term in decimal (every assembler reads it; it is what people write). */
function signed(value: number): string {
  if (value === 0) return '';
  return value < 0 ? `-${-value}` : `+${value}`;
}

function immText(value: number | string, dialect: Dialect): string {
  return typeof value === 'number' ? formatNumber(value, dialect) : value;
}

/** The user's memory operand with the push adjustment folded into its displacement. */
function origMemText(o: OrigMemOpnd, dialect: Dialect, asAddress: boolean, wantWidth: Width | undefined): string {
  // An access of a set width drops the size the operand had in its own instruction (SGDT's `fword ptr`, copied 8 + 2 bytes).
  const ownSize = o.width !== undefined && dialect !== 'gas-att';
  let text = o.operand.text.trim();
  if (dialect === 'gas-att') {
    if (text.startsWith('*')) text = text.slice(1);
    if (o.adjust !== 0) {
      const open = text.lastIndexOf('(');
      const head = text.slice(0, open);
      const seg = /^\s*%[a-z]s\s*:\s*/i.exec(head);
      const segText = seg ? seg[0] : '';
      const disp = head.slice(segText.length).trim();
      text = `${segText}${addToDisplacement(disp, o.adjust)}${text.slice(open)}`;
    }
    return text;
  }
  if (asAddress || ownSize) text = text.replace(SIZE_KEYWORD, '');
  if (o.adjust !== 0) {
    const close = text.lastIndexOf(']');
    if (close >= 0) {
      // Fold into a trailing number (`[rsp+8]` → `[rsp+24]`), else append the term.
      const head = text.slice(0, close);
      const tail = /([+-])\s*(0x[0-9a-f]+|[0-9]+)\s*$/i.exec(head);
      if (tail) {
        const value = (tail[1] === '-' ? -1 : 1) * Number(tail[2]) + o.adjust;
        text = `${head.slice(0, tail.index)}${signed(value)}${text.slice(close)}`;
      } else text = `${head}${signed(o.adjust)}${text.slice(close)}`;
    }
  }
  if (!asAddress && wantWidth !== undefined && !SIZE_KEYWORD.test(text)) text = `${sizeKeyword(wantWidth, dialect)} ${text}`;
  return text;
}

/** `8` + 16 → `24`; `foo-8` + 16 → `foo-8+16`; `` + 16 → `16`. */
function addToDisplacement(disp: string, adjust: number): string {
  if (disp === '') return String(adjust);
  if (/^[-+]?(0x[0-9a-f]+|[0-9]+)$/i.test(disp)) {
    const negative = disp.startsWith('-');
    const value = (negative ? -1 : 1) * Number(disp.replace(/^[-+]/, '')) + adjust;
    return String(value);
  }
  return `${disp}${adjust < 0 ? `-${-adjust}` : `+${adjust}`}`;
}

function sizeKeyword(width: Width, dialect: Dialect): string {
  return dialect === 'masm' || dialect === 'gas-intel' ? `${INTEL_SIZE[width]} ptr` : INTEL_SIZE[width];
}

function intelOperand(o: Opnd, dialect: Dialect, op: string, needSize: boolean): string {
  switch (o.k) {
    case 'reg':
      return o.name;
    case 'imm':
      return immText(o.value, dialect);
    case 'mem': {
      const inner = `${o.base ?? o.symbol ?? ''}${o.base && o.symbol ? `+${o.symbol}` : ''}${signed(o.disp ?? 0)}`;
      const size = needSize && o.width ? `${sizeKeyword(o.width, dialect)} ` : '';
      return `${size}[${inner || '0'}]`;
    }
    case 'orig':
      return origMemText(o, dialect, op === 'lea', needSize ? o.width : undefined);
  }
}

function attOperand(o: Opnd, dialect: Dialect): string {
  switch (o.k) {
    case 'reg':
      return `%${o.name}`;
    case 'imm':
      return `$${immText(o.value, dialect)}`;
    case 'mem': {
      const disp = `${o.symbol ?? ''}${o.symbol ? signed(o.disp ?? 0) : o.disp ? String(o.disp) : ''}`;
      return o.base ? `${disp}(%${o.base})` : disp || '0';
    }
    case 'orig':
      return origMemText(o, dialect, false, undefined);
  }
}

function memWidth(args: Opnd[]): Width | undefined {
  for (const a of args) if ((a.k === 'mem' || a.k === 'orig') && a.width) return a.width;
  return undefined;
}

function renderInstruction(op: string, args: Opnd[], dialect: Dialect, suffixWidth: Width | undefined): string {
  const hasReg = args.some((a) => a.k === 'reg');
  if (dialect === 'gas-att') {
    let mnemonic = op;
    if (op === 'movzx') {
      const dest = args[0];
      const srcWidth = memWidth(args) ?? 2;
      const destWidth: Width = dest?.k === 'reg' && dest.name.startsWith('r') ? 8 : 4;
      mnemonic = `movz${ATT_SUFFIX[srcWidth]}${ATT_SUFFIX[destWidth]}`;
    } else if (suffixWidth) mnemonic += ATT_SUFFIX[suffixWidth];
    else if (!hasReg && op !== 'lea') {
      const width = memWidth(args);
      if (width) mnemonic += ATT_SUFFIX[width];
    }
    const operands = [...args].reverse().map((a) => attOperand(a, dialect));
    return operands.length ? `${mnemonic} ${operands.join(', ')}` : mnemonic;
  }
  const needSize = (!hasReg || op === 'movzx') && op !== 'lea';
  let operands = args.map((a) => intelOperand(a, dialect, op, needSize));
  if (suffixWidth && args[0]?.k === 'imm' && (dialect === 'nasm' || dialect === 'fasm')) {
    operands = [`${INTEL_SIZE[suffixWidth]} ${operands[0]!}`];
  }
  return operands.length ? `${op} ${operands.join(', ')}` : op;
}

function withComment(text: string, comment: string | undefined, dialect: Dialect): string {
  return comment ? `${text} ${commentMarker(dialect)} ${comment}` : text;
}

/** One source line per IR line, without indentation. */
export function renderLine(line: Line, dialect: Dialect): string {
  switch (line.t) {
    case 'ins':
      return withComment(renderInstruction(line.op, line.args, dialect, line.suffixWidth), line.comment, dialect);
    case 'branch': {
      const target = line.toLabel ? labelName(line.target, dialect) : line.target;
      return withComment(`${line.op} ${target}`, line.comment, dialect);
    }
    case 'call-indirect': {
      const text =
        dialect === 'gas-att'
          ? `call *${line.pointer}`
          : `call ${sizeKeyword(line.width, dialect)} [${line.pointer}]`;
      return withComment(text, line.comment, dialect);
    }
    case 'label':
      return `${labelName(line.name, dialect)}:`;
    case 'bytes': {
      const directive = isGas(dialect) ? '.byte' : 'db';
      const list = line.bytes.map((b) => (dialect === 'masm' ? formatMasmByte(b) : `0x${b.toString(16).padStart(2, '0')}`));
      return withComment(`${directive} ${list.join(', ')}`, line.comment, dialect);
    }
    case 'raw':
      return withComment(line.text, line.comment, dialect);
  }
}

function formatMasmByte(b: number): string {
  const hex = b.toString(16).toUpperCase().padStart(2, '0');
  return `${/^[A-F]/.test(hex) ? '0' : ''}${hex}h`;
}
