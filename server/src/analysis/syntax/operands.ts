// Classifies one operand as written (AT&T or Intel style) into the kinds the resolver matches.
import { registerInfo, SEGMENT_REGISTERS } from './registers';
import type { Dialect, ImmediateOperand, MemoryOperand, Operand, Range, SymbolOperand } from '../types';

const SIZE_KEYWORDS: Record<string, number> = {
  byte: 1,
  word: 2,
  dword: 4,
  fword: 6,
  pword: 6,
  qword: 8,
  tword: 10,
  tbyte: 10,
  oword: 16,
  dqword: 16,
  xmmword: 16,
  yword: 32,
  ymmword: 32,
  qqword: 32,
  zword: 64,
  zmmword: 64,
};

/** Words that may precede an Intel-syntax operand without changing its kind. */
const OPERAND_MODIFIERS = new Set(['ptr', 'near', 'short', 'strict', 'rel', 'abs', 'large', 'small', 'nosplit']);

const MACRO_PARAMETER = /(^|[^\w])(%\d|%\{|%%|%\+|%-|\\\w|\\\(|\{\w+\})/;

export interface OperandSource {
  text: string;
  masked: string;
  line: number;
  start: number;
}

export type OperandSyntax = 'att' | 'intel';

function rangeOf(src: OperandSource): Range {
  return { start: { line: src.line, character: src.start }, end: { line: src.line, character: src.start + src.text.length } };
}

export function parseNumber(text: string): bigint | undefined {
  let t = text.replace(/_/g, '').trim().toLowerCase();
  let negative = false;
  if (t.startsWith('-')) {
    negative = true;
    t = t.slice(1).trim();
  } else if (t.startsWith('+')) t = t.slice(1).trim();
  let value: bigint | undefined;
  try {
    if (/^0x[0-9a-f]+$/.test(t)) value = BigInt(t);
    else if (/^\$[0-9][0-9a-f]*$/.test(t)) value = BigInt('0x' + t.slice(1));
    else if (/^0b[01]+$/.test(t)) value = BigInt(t);
    else if (/^0[oq][0-7]+$/.test(t)) value = BigInt('0o' + t.slice(2));
    else if (/^[0-9][0-9a-f]*h$/.test(t)) value = BigInt('0x' + t.slice(0, -1));
    else if (/^[01]+b$/.test(t)) value = BigInt('0b' + t.slice(0, -1));
    else if (/^[0-7]+[oq]$/.test(t)) value = BigInt('0o' + t.slice(0, -1));
    else if (/^[0-9]+d?$/.test(t)) value = BigInt(t.replace(/d$/, ''));
  } catch {
    value = undefined;
  }
  if (value === undefined) return undefined;
  return negative ? -value : value;
}

// Each kind of operand is made by one function, with every field of its kind present (undefined
// when the source does not say): one hidden class per kind, so the resolver's reads of operands
// stay polymorphic over four or so classes instead of one class per combination of fields.

function immediate(text: string, range: Range, value: bigint | undefined): ImmediateOperand {
  return { kind: 'imm', text, range, value };
}

function symbol(text: string, range: Range, indirect: boolean | undefined, far: boolean | undefined): SymbolOperand {
  return { kind: 'sym', text, range, indirect, far };
}

function memory(text: string, range: Range): MemoryOperand {
  return { kind: 'mem', text, range, size: undefined, far: undefined, segment: undefined, base: undefined, index: undefined, scale: undefined, displacement: undefined, indirect: undefined };
}

export function parseOperand(src: OperandSource, syntax: OperandSyntax, dialect: Dialect): Operand {
  const range = rangeOf(src);
  const text = src.text;
  if (MACRO_PARAMETER.test(src.masked) || src.masked.trim() === '') return { kind: 'unknown', text, range };
  return syntax === 'att' ? parseAttOperand(src, range) : parseIntelOperand(src, range, dialect);
}

function parseAttOperand(src: OperandSource, range: Range): Operand {
  const text = src.text;
  let body = src.masked.trim();
  let indirect = false;
  if (body.startsWith('*')) {
    indirect = true;
    body = body.slice(1).trim();
  }
  const lower = body.toLowerCase();
  if (lower.startsWith('$')) {
    const value = parseNumber(lower.slice(1));
    return immediate(text, range, value);
  }
  // %seg:anything is a memory operand with a segment override.
  const segmented = lower.charCodeAt(0) === 37 /* % */ && lower.includes(':') ? /^%(es|cs|ss|ds|fs|gs)\s*:\s*(.*)$/.exec(lower) : null;
  if (segmented) return attMemory(text, range, segmented[2]!, segmented[1], indirect);
  if (lower.startsWith('%')) {
    const written = lower.slice(1);
    const name = hasRegExpSpace(written) ? written.replace(/\s+/g, '') : written;
    const info = registerInfo(name);
    if (info) return { kind: 'reg', text: text === info.attName ? info.attName : text, range, reg: info.name, cls: info.cls, size: info.size };
    return { kind: 'unknown', text, range };
  }
  if (lower.includes('(')) return attMemory(text, range, lower, undefined, indirect);
  return symbol(text, range, indirect, undefined);
}

function attMemory(text: string, range: Range, body: string, segment: string | undefined, indirect: boolean): Operand {
  const open = body.indexOf('(');
  const displacement = (open < 0 ? body : body.slice(0, open)).trim() || undefined;
  let base: string | undefined;
  let index: string | undefined;
  let scale: number | undefined;
  if (open >= 0) {
    const inner = body.slice(open + 1, body.lastIndexOf(')') < 0 ? undefined : body.lastIndexOf(')'));
    const parts = inner.split(',').map((p) => p.trim().replace(/^%/, ''));
    // Read within the list: a read past an array's end throws away the optimized code.
    base = parts[0] || undefined;
    index = (parts.length > 1 && parts[1]) || undefined;
    scale = parts.length > 2 && parts[2] ? Number(parts[2]) : undefined;
  }
  const mem = memory(text, range);
  mem.indirect = indirect;
  if (segment) mem.segment = segment;
  if (displacement) mem.displacement = displacement;
  if (base) mem.base = base;
  if (index) mem.index = index;
  if (scale !== undefined && !Number.isNaN(scale)) mem.scale = scale;
  return mem;
}

function parseIntelOperand(src: OperandSource, range: Range, dialect: Dialect): Operand {
  const text = src.text;
  let body = src.masked.trim().toLowerCase();
  let size: number | undefined;
  let far = false;
  let offsetOf = false;
  // Peel size keywords and modifiers: `dword ptr`, `far`, `qword`, `offset`...
  for (;;) {
    const word = /^([a-z]+)\b\s*/.exec(body);
    if (!word) break;
    const w = word[1]!;
    if (w in SIZE_KEYWORDS && !registerInfo(w)) size = SIZE_KEYWORDS[w];
    else if (w === 'far') far = true;
    else if (w === 'offset' || w === 'seg') offsetOf = true;
    else if (!OPERAND_MODIFIERS.has(w)) break;
    body = body.slice(word[0].length);
  }
  if (offsetOf) return immediate(text, range, undefined);
  const bracket = body.indexOf('[');
  if (bracket >= 0) return intelMemory(text, range, body, size, far);
  // `fs:something` without brackets (MASM / GAS Intel): memory with a segment override.
  const colon = topLevelColon(body);
  if (colon >= 0) {
    const left = body.slice(0, colon).trim();
    const right = body.slice(colon + 1).trim();
    if (SEGMENT_REGISTERS.has(left)) {
      const mem = memory(text, range);
      mem.segment = left;
      if (right) mem.displacement = right;
      if (size !== undefined) mem.size = size;
      if (far) mem.far = true;
      return mem;
    }
    return { kind: 'farptr', text, range, selector: left, offset: right };
  }
  const info = registerInfo(body.replace(/\s+/g, ''));
  if (info) return { kind: 'reg', text: text === info.name ? info.name : text, range, reg: info.name, cls: info.cls, size: info.size };
  const value = parseNumber(body);
  if (value !== undefined) return immediate(text, range, value);
  if (/^[-+~(]*\s*(0x[0-9a-f]|[0-9]|'|"|`)/.test(body)) return immediate(text, range, undefined);
  // A bare name: MASM treats a data label as memory; `far ptr label` is a direct far target.
  if (far || size !== undefined) {
    if (dialect === 'masm' || dialect === 'gas-intel') {
      if (far && size === undefined) return symbol(text, range, undefined, true);
      const mem = memory(text, range);
      mem.displacement = body;
      if (size !== undefined) mem.size = size;
      if (far) mem.far = true;
      return mem;
    }
  }
  return symbol(text, range, undefined, undefined);
}

function intelMemory(text: string, range: Range, body: string, size: number | undefined, far: boolean): Operand {
  const mem = memory(text, range);
  if (size !== undefined) mem.size = size;
  if (far) mem.far = true;
  const before = body.slice(0, body.indexOf('[')).trim().replace(/:$/, '').trim();
  if (SEGMENT_REGISTERS.has(before)) mem.segment = before;
  const inner = body.slice(body.indexOf('[') + 1, body.lastIndexOf(']') < 0 ? undefined : body.lastIndexOf(']'));
  const segInside = /^\s*(es|cs|ss|ds|fs|gs)\s*:/.exec(inner);
  let expression = inner;
  if (segInside) {
    mem.segment = segInside[1]!;
    expression = inner.slice(segInside[0].length);
  }
  const terms = expression.split(/([+-])/).map((t) => t.trim());
  let displacement = '';
  let sign = '+';
  for (const term of terms) {
    if (term === '+' || term === '-') {
      sign = term;
      continue;
    }
    if (!term) continue;
    const scaled = /^(\w+)\s*\*\s*(\d+)$|^(\d+)\s*\*\s*(\w+)$/.exec(term);
    if (scaled) {
      mem.index = scaled[1] ?? scaled[4];
      mem.scale = Number(scaled[2] ?? scaled[3]);
      continue;
    }
    const info = registerInfo(term);
    if (info && sign === '+' && info.cls !== 'sreg') {
      if (!mem.base) mem.base = term;
      else if (!mem.index) mem.index = term;
      continue;
    }
    displacement += (displacement || sign === '-' ? sign : '') + term;
  }
  if (displacement) mem.displacement = displacement;
  return mem;
}

function topLevelColon(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ':' && depth === 0 && text[i + 1] !== ':') return i;
  }
  return -1;
}

/** Splits the operand field at top-level commas; returns [start, end) offsets into the line. */
export function splitOperands(masked: string, from: number, to: number): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const c = masked[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(trimSpan(masked, start, i));
      start = i + 1;
    }
  }
  parts.push(trimSpan(masked, start, to));
  let empty = false;
  for (const [s, e] of parts) if (e <= s) empty = true;
  return empty ? parts.filter(([s, e]) => e > s) : parts;
}

function trimSpan(text: string, start: number, end: number): [number, number] {
  while (start < end && isRegExpSpace(text.charCodeAt(start))) start++;
  while (end > start && isRegExpSpace(text.charCodeAt(end - 1))) end--;
  return [start, end];
}

function hasRegExpSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isRegExpSpace(text.charCodeAt(i))) return true;
  return false;
}

/** What `\s` matches in a regular expression (white space and line terminators), without running one per character. */
function isRegExpSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}
