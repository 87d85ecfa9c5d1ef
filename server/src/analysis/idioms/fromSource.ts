// Parsed source statements as the idiom matcher's stream: the mnemonic iced-x86 resolved them to,
// operands in Intel order with their constants evaluated (character constants included, which
// NASM and FASM store little-endian and MASM big-endian).
import { CODE_MNEMONICS } from '../resolve/codeMnemonics.generated';
import { mnemonicName } from '../resolve/iced';
import type { Dialect, Operand, ParsedInstruction } from '../types';
import { registerOperand, type IdiomInstruction, type IdiomOperand } from './stream';

export function idiomInstructionOf(ins: ParsedInstruction): IdiomInstruction {
  const written = ins.dialect === 'gas-att' ? [...ins.operands].reverse() : ins.operands;
  return { mnemonic: mnemonicOf(ins), operands: written.map((operand) => operandOf(operand, ins.dialect)) };
}

function mnemonicOf(ins: ParsedInstruction): string {
  const resolution = ins.resolution;
  if (resolution?.status === 'ok') {
    const mnemonic = CODE_MNEMONICS[resolution.code];
    if (mnemonic !== undefined) return mnemonicName(mnemonic).toLowerCase();
  }
  return ins.mnemonic;
}

function operandOf(operand: Operand, dialect: Dialect): IdiomOperand {
  switch (operand.kind) {
    case 'reg':
      return registerOperand(operand.reg);
    case 'imm':
      return { kind: 'imm', value: operand.value ?? characterConstant(operand.text.replace(/^\$/, ''), dialect) };
    case 'mem': {
      const displacement = splitDisplacement(operand.displacement);
      const memory: IdiomOperand = { kind: 'mem', offset: displacement.offset };
      if (operand.base !== undefined) memory.base = operand.base.toLowerCase();
      if (operand.index !== undefined) memory.index = operand.index.toLowerCase();
      if (displacement.symbol !== undefined) memory.symbol = displacement.symbol;
      if (operand.size !== undefined) memory.size = operand.size;
      return memory;
    }
    default:
      return { kind: 'other' };
  }
}

/** `'VMXh'` as the assembler stores it: first character lowest in NASM, FASM and GNU as, highest in MASM. */
function characterConstant(text: string, dialect: Dialect): bigint | undefined {
  const quoted = /^(['"`])([\x20-\x7e]{1,8})\1$/.exec(text.trim());
  if (!quoted) return undefined;
  const characters = [...quoted[2]!];
  if (dialect !== 'masm') characters.reverse();
  let value = 0n;
  for (const ch of characters) value = (value << 8n) | BigInt(ch.charCodeAt(0));
  return value;
}

const NUMBER = /^[-+]?\s*(?:0x[0-9a-f]+|[0-9][0-9a-f]*h|\$[0-9a-f]+|0b[01]+|[0-9]+)$/i;

/** `idtr+5` → symbol `idtr`, offset 5; `-8` → offset -8; anything harder is kept whole as the symbol. */
function splitDisplacement(text: string | undefined): { symbol?: string; offset: bigint } {
  if (text === undefined || text.trim() === '') return { offset: 0n };
  const compact = text.replace(/\s+/g, '');
  if (NUMBER.test(compact)) return { offset: numberValue(compact) };
  const withOffset = /^([A-Za-z_.$?@][\w.$?@]*)([-+])(.+)$/.exec(compact);
  if (withOffset && NUMBER.test(withOffset[3]!)) {
    const offset = numberValue(withOffset[3]!);
    return { symbol: withOffset[1]!, offset: withOffset[2] === '-' ? -offset : offset };
  }
  const leading = /^(.+)\+([A-Za-z_.$?@][\w.$?@]*)$/.exec(compact);
  if (leading && NUMBER.test(leading[1]!)) return { symbol: leading[2]!, offset: numberValue(leading[1]!) };
  return { symbol: compact, offset: 0n };
}

function numberValue(text: string): bigint {
  const negative = text.startsWith('-');
  const digits = text.replace(/^[-+]/, '');
  let value: bigint;
  if (/^0x/i.test(digits)) value = BigInt(digits);
  else if (/^0b/i.test(digits)) value = BigInt(digits);
  else if (/h$/i.test(digits)) value = BigInt(`0x${digits.slice(0, -1)}`);
  else if (digits.startsWith('$')) value = BigInt(`0x${digits.slice(1)}`);
  else value = BigInt(digits);
  return negative ? -value : value;
}
