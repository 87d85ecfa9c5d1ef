// Line-by-line parser. Each line is parsed from the state left by the previous line, and
// yields the state for the next: that is what lets the incremental analyzer re-parse only
// the lines an edit can affect.
import { INITIAL_LEX_STATE, lexLine, sameLexState, type Comment, type LexState } from './lexer';
import { canonicalMnemonic, PREFIXES } from './mnemonics';
import { parseOperand, splitOperands, type OperandSyntax } from './operands';
import type { Bits, Dialect, ParsedInstruction } from './types';

export interface ParserState {
  dialect: Dialect;
  bits: Bits;
  lex: LexState;
  /** Open macro-definition blocks (their bodies are parsed, with parameters left unknown). */
  macroDepth: number;
  /** MASM/FASM block stack: `m` macro, `r` repeat/loop block (body is real code). */
  blocks: string;
  /** MASM: inside `name PROC FAR` (a plain `ret` is then a far return). */
  masmFarProcedure: boolean;
  /** MASM: `.model medium|large|huge` makes procedures FAR by default. */
  masmFarModel: boolean;
  /** A `.codeNN`/`bits`/`useNN` directive has set the bitness (cpp conditionals then leave it alone). */
  explicitBits: boolean;
  /** NASM/MASM/FASM line continuation: the text so far of a statement whose line ended in `\`. */
  pending?: PendingStatement;
  /**
   * Open cpp conditionals in GNU as `.S` files, innermost last, as `kind:savedBits` joined by `|`.
   * kind `6`/`3` marks `#ifdef CONFIG_X86_64`-style / `CONFIG_X86_32`-style branches, `n` any other.
   */
  cppStack: string;
}

export interface PendingStatement {
  text: string;
  masked: string;
  /** Where each joined line starts in `text`. */
  segments: Array<{ line: number; offset: number }>;
}

export function initialParserState(dialect: Dialect, bits: Bits): ParserState {
  return { dialect, bits, lex: INITIAL_LEX_STATE, macroDepth: 0, blocks: '', masmFarProcedure: false, masmFarModel: false, explicitBits: false, cppStack: '' };
}

export function sameParserState(a: ParserState, b: ParserState): boolean {
  return (
    a.dialect === b.dialect &&
    a.bits === b.bits &&
    a.macroDepth === b.macroDepth &&
    a.blocks === b.blocks &&
    a.masmFarProcedure === b.masmFarProcedure &&
    a.masmFarModel === b.masmFarModel &&
    a.explicitBits === b.explicitBits &&
    a.cppStack === b.cppStack &&
    (a.pending?.text ?? '') === (b.pending?.text ?? '') &&
    (a.pending?.segments[0]?.line ?? -1) === (b.pending?.segments[0]?.line ?? -1) &&
    sameLexState(a.lex, b.lex)
  );
}

export interface ParsedLine {
  instructions: ParsedInstruction[];
  comments: Comment[];
  /** Bitness set by a directive on this line (applies from the next statement on). */
  bitsDirective?: Bits;
  /** Per instruction: MASM far-procedure context for `ret`. */
  farProcedure: boolean[];
  /** Lower-case name of a macro this line defines (so its invocations are not "unknown mnemonics"). */
  definesMacro?: string;
}

const MACRO_DEFINITION: Record<Dialect, RegExp> = {
  nasm: /^\s*%\s*(?:i?r?macro|i?x?define|idefine)\s+([\w.$?@]+)/i,
  'gas-att': /^\s*(?:\.macro\s+|#\s*define\s+)([\w.$]+)/i,
  'gas-intel': /^\s*(?:\.macro\s+|#\s*define\s+)([\w.$]+)/i,
  masm: /^\s*([\w.$?@]+)\s+(?:macro|textequ|equ)\b/i,
  fasm: /^\s*(?:macro|struc)\s+([\w.$?@]+)/i,
};

const NASM_DATA = new Set(['db', 'dw', 'dd', 'dq', 'dt', 'do', 'dy', 'dz', 'ddq', 'resb', 'resw', 'resd', 'resq', 'rest', 'reso', 'resy', 'resz', 'incbin', 'equ']);
const MASM_DATA = new Set(['db', 'dw', 'dd', 'dq', 'df', 'dt', 'byte', 'sbyte', 'word', 'sword', 'dword', 'sdword', 'fword', 'qword', 'sqword', 'tbyte', 'oword', 'real4', 'real8', 'real10', 'equ', 'textequ', 'label', 'struct', 'struc', 'union', 'record', 'typedef', 'proto', 'ends', 'endp', 'proc', 'segment', 'macro', 'group', '=']);
const FASM_DATA = new Set(['db', 'dw', 'du', 'dd', 'dp', 'df', 'dq', 'dt', 'rb', 'rw', 'rd', 'rp', 'rf', 'rq', 'rt', 'file', 'equ', 'label', '=', 'fix']);


function syntaxOf(dialect: Dialect): OperandSyntax {
  return dialect === 'gas-att' ? 'att' : 'intel';
}

function isGas(dialect: Dialect): boolean {
  return dialect === 'gas-att' || dialect === 'gas-intel';
}

interface Statement {
  start: number;
  end: number;
}

/** GNU as separates statements with `;`; the other dialects have one statement per line. */
function statementsOf(masked: string, dialect: Dialect): Statement[] {
  if (!isGas(dialect)) return [{ start: 0, end: masked.length }];
  const out: Statement[] = [];
  let start = 0;
  for (let i = 0; i <= masked.length; i++) {
    if (i === masked.length || masked[i] === ';') {
      out.push({ start, end: i });
      start = i + 1;
    }
  }
  return out;
}

interface Word {
  text: string;
  lower: string;
  start: number;
  end: number;
}

const IDENT_START = /[A-Za-z_.$?@]/;
const IDENT_PART = /[\w.$?@#~]/;

function wordAt(masked: string, from: number, to: number): Word | undefined {
  const i = skipSpaces(masked, from, to);
  if (i >= to || !IDENT_START.test(masked[i]!)) return undefined;
  let end = i + 1;
  while (end < to && IDENT_PART.test(masked[end]!)) end++;
  const text = masked.slice(i, end);
  return { text, lower: text.toLowerCase(), start: i, end };
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 12 || code === 11 || code === 13 || code === 0xa0 || code === 0xfeff;
}

function skipSpaces(masked: string, i: number, to: number): number {
  while (i < to && isSpace(masked.charCodeAt(i))) i++;
  return i;
}

const NO_COMMENTS: Comment[] = [];
const NO_INSTRUCTIONS: ParsedInstruction[] = [];
const NO_FLAGS: boolean[] = [];
const NO_PREFIXES: string[] = [];

/**
 * Shares empty arrays between lines and trims the others to their length (nothing appends to
 * a parsed line after parsing; an array grown by push keeps room for 16 more).
 */
function compact(parsed: ParsedLine): ParsedLine {
  parsed.instructions = parsed.instructions.length === 0 ? NO_INSTRUCTIONS : parsed.instructions.slice();
  parsed.farProcedure = parsed.farProcedure.includes(true) ? parsed.farProcedure.slice() : NO_FLAGS;
  if (parsed.comments.length > 0) parsed.comments = parsed.comments.slice();
  for (const ins of parsed.instructions) ins.mnemonic = intern(ins.mnemonic);
  return parsed;
}

const INTERNED = new Map<string, string>();

/** One copy of each mnemonic spelling, however many lines use it. */
function intern(text: string): string {
  const known = INTERNED.get(text);
  if (known !== undefined) return known;
  if (INTERNED.size < 50000) INTERNED.set(text, text);
  return text;
}

export function parseLine(line: string, lineNumber: number, state: ParserState): { parsed: ParsedLine; state: ParserState } {
  const result = parseLineInner(line, lineNumber, state);
  compact(result.parsed);
  return result;
}

function parseLineInner(line: string, lineNumber: number, state: ParserState): { parsed: ParsedLine; state: ParserState } {
  const lexed = lexLine(line, state.dialect, state.lex);
  // Most lines change nothing: keep the same state object so 50,000 lines do not hold 50,000 copies.
  let next: ParserState = sameLexState(lexed.state, state.lex) ? state : { ...state, lex: lexed.state };
  const parsed: ParsedLine = { instructions: [], comments: lexed.comments.length > 0 ? lexed.comments : NO_COMMENTS, farProcedure: [] };
  const macro = MACRO_DEFINITION[state.dialect].exec(line);
  if (macro) parsed.definesMacro = macro[1]!.toLowerCase();
  if (lexed.preprocessor) return { parsed, state: state.lex.cppContinuation ? next : applyCppConditional(line, next) };
  if (!isGas(state.dialect)) {
    const joined = joinContinuation(line, lexed.masked, lineNumber, state.pending);
    if (joined.pending) return { parsed, state: { ...next, pending: joined.pending } };
    if (state.pending) {
      next = { ...next, pending: undefined };
      const first = state.pending.segments[0]!.line;
      const statement = { start: 0, end: joined.masked.length };
      next = parseStatement(joined.text, joined.masked, statement, first, next, parsed);
      for (const ins of parsed.instructions) remapInstruction(ins, joined.segments);
      return { parsed, state: closeFasmBlocks(lexed.masked, next) };
    }
  }
  for (const statement of statementsOf(lexed.masked, next.dialect)) {
    next = parseStatement(line, lexed.masked, statement, lineNumber, next, parsed);
  }
  return { parsed, state: closeFasmBlocks(lexed.masked, next) };
}

interface Joined {
  text: string;
  masked: string;
  segments: Array<{ line: number; offset: number }>;
  pending?: PendingStatement;
}

/** Joins `\`-continued lines into one statement (the backslash becomes a space, so offsets stay put). */
function joinContinuation(line: string, masked: string, lineNumber: number, pending: PendingStatement | undefined): Joined {
  const base = pending ?? { text: '', masked: '', segments: [] };
  const offset = base.text.length;
  const segments = [...base.segments, { line: lineNumber, offset }];
  const trimmed = masked.replace(/\s+$/, '');
  if (trimmed.endsWith('\\')) {
    const cut = trimmed.length - 1;
    const text = base.text + line.slice(0, cut) + ' ';
    const m = base.masked + masked.slice(0, cut) + ' ';
    return { text, masked: m, segments, pending: { text, masked: m, segments } };
  }
  return { text: base.text + line, masked: base.masked + masked, segments };
}

function remapPosition(pos: { line: number; character: number }, segments: ReadonlyArray<{ line: number; offset: number }>): void {
  for (let i = segments.length - 1; i >= 0; i--) {
    const seg = segments[i]!;
    if (pos.character >= seg.offset) {
      pos.line = seg.line;
      pos.character -= seg.offset;
      return;
    }
  }
}

function remapInstruction(ins: ParsedInstruction, segments: ReadonlyArray<{ line: number; offset: number }>): void {
  const positions = new Set([ins.range.start, ins.range.end, ins.mnemonicRange.start, ins.mnemonicRange.end]);
  for (const op of ins.operands) positions.add(op.range.start).add(op.range.end);
  for (const pos of positions) remapPosition(pos, segments);
  ins.line = ins.mnemonicRange.start.line;
}

function parseStatement(line: string, masked: string, st: Statement, lineNumber: number, state: ParserState, out: ParsedLine): ParserState {
  let i = skipSpaces(masked, st.start, st.end);
  if (i >= st.end) return state;
  const dialect = state.dialect;

  // NASM `[bits 32]`, `[section .text]` and friends.
  if (masked[i] === '[' && (dialect === 'nasm' || dialect === 'fasm')) {
    const close = masked.indexOf(']', i);
    const inner = masked.slice(i + 1, close < 0 ? st.end : close).trim().toLowerCase();
    return applyDirective(inner.split(/\s+/), state);
  }

  // Labels: `name:`, `1:`, `.L1:`, `@@:`, `name::` (MASM), possibly several.
  for (;;) {
    const label = /^([A-Za-z_.$?@][\w.$?@#~]*|\d+)\s*::?/.exec(masked.slice(i, st.end));
    if (!label) break;
    // `fs:` at the start would be a segment override, not a label (e.g. `fs: mov eax,[ebx]` is rare; keep as prefix).
    if (/^(es|cs|ss|ds|fs|gs)$/i.test(label[1]!) && !isGas(dialect)) break;
    i = skipSpaces(masked, i + label[0].length, st.end);
  }
  if (i >= st.end) return state;

  const first = wordAt(masked, i, st.end);
  if (!first) {
    // `%` preprocessor lines in NASM are words after `%`.
    if (masked[i] === '%') return nasmPreprocessor(masked.slice(i + 1, st.end), state);
    return state;
  }

  const directive = directiveFor(first, masked, st, state);
  if (directive) return directive;
  // Symbol assignments: `name = expr`, `name equ expr`.
  if (/^\s*(=|equ\b)/i.test(masked.slice(first.end, st.end))) return state;

  // NASM `times N insn`: the instruction follows the count expression.
  if ((dialect === 'nasm' || dialect === 'fasm') && first.lower === 'times') {
    const rest = masked.slice(first.end, st.end);
    const m = /^\s*\S+?\s+(?=[A-Za-z])/.exec(rest);
    if (!m) return state;
    return parseStatement(line, masked, { start: first.end + m[0].length, end: st.end }, lineNumber, state, out);
  }

  // Prefixes, then the mnemonic.
  const prefixes: string[] = [];
  let word: Word | undefined = first;
  let startOfStatement = first.start;
  while (word && PREFIXES.has(word.lower)) {
    const after = wordAt(masked, word.end, st.end);
    if (!after) break;
    if (SEGMENT_WORDS.has(word.lower) && masked.slice(word.end, after.start).includes(',')) break;
    prefixes.push(word.lower);
    word = after;
  }
  // GNU as allows a prefix as its own statement (`rep; movsb`, `lock; incl (%eax)`): nothing to analyze.
  if (!word || (PREFIXES.has(word.lower) && wordAt(masked, word.end, st.end) === undefined)) return state;

  // A name without a colon before an instruction or data (NASM/MASM/FASM label or data name).
  if (!isGas(dialect) && !canonicalMnemonic(word.lower, dialect)) {
    const second = wordAt(masked, word.end, st.end);
    if (second) {
      const secondDirective = directiveFor(second, masked, { start: second.start, end: st.end }, state, word);
      if (secondDirective) return secondDirective;
      if (canonicalMnemonic(second.lower, dialect) || PREFIXES.has(second.lower)) {
        return parseStatement(line, masked, { start: second.start, end: st.end }, lineNumber, state, out);
      }
    }
  }

  const operandStart = skipSpaces(masked, word.end, st.end);
  let operandEnd = st.end;
  while (operandEnd > operandStart && isSpace(masked.charCodeAt(operandEnd - 1))) operandEnd--;
  // FASM/MASM continuation markers and trailing `{` of FASM blocks are not operands.
  const spans = operandEnd > operandStart ? splitOperands(masked, operandStart, operandEnd) : [];
  const syntax = syntaxOf(dialect);
  let far = false;
  const operands = spans.map(([s, e]) => {
    const op = parseOperand({ text: line.slice(s, e), masked: masked.slice(s, e), line: lineNumber, start: s }, syntax, dialect);
    if (op.kind === 'mem' && op.far) far = true;
    if (op.kind === 'sym' && /^far\b/i.test(masked.slice(s, e).trim())) far = true;
    return op;
  });
  // FASM: `push cs ds` pushes each operand in turn.
  if (dialect === 'fasm' && (word.lower === 'push' || word.lower === 'pop') && spans.length === 1 && operands.length === 1) {
    const parts = [...masked.slice(spans[0]![0], spans[0]![1]).matchAll(/\S+/g)];
    if (parts.length > 1 && parts.every((p) => /^[a-z]\w*$/i.test(p[0]))) {
      for (const part of parts) {
        const s0 = spans[0]![0] + part.index!;
        const e0 = s0 + part[0].length;
        const op = parseOperand({ text: line.slice(s0, e0), masked: masked.slice(s0, e0), line: lineNumber, start: s0 }, syntax, dialect);
        out.instructions.push({
          dialect,
          bits: state.bits,
          range: { start: { line: lineNumber, character: startOfStatement }, end: { line: lineNumber, character: e0 } },
          mnemonicRange: { start: { line: lineNumber, character: word.start }, end: { line: lineNumber, character: word.end } },
          mnemonic: word.lower,
          prefixes,
          operands: [op],
          far: false,
          inMacro: state.macroDepth > 0,
          line: lineNumber,
          resolution: undefined,
        });
        out.farProcedure.push(state.masmFarProcedure);
      }
      return state;
    }
  }
  const end = spans.length > 0 ? spans[spans.length - 1]![1] : word.end;
  // Without prefixes the statement and the mnemonic start at the same place: share the position.
  const start = { line: lineNumber, character: startOfStatement };
  const mnemonicStart = word.start === startOfStatement ? start : { line: lineNumber, character: word.start };
  const instruction: ParsedInstruction = {
    dialect,
    bits: state.bits,
    range: { start, end: { line: lineNumber, character: end } },
    mnemonicRange: { start: mnemonicStart, end: { line: lineNumber, character: word.end } },
    mnemonic: word.lower,
    prefixes: prefixes.length > 0 ? prefixes : NO_PREFIXES,
    operands,
    far,
    inMacro: state.macroDepth > 0,
    line: lineNumber,
    // Declared now, filled in by the analyzer: an object that gains a field later keeps it out of line.
    resolution: undefined,
  };
  out.instructions.push(instruction);
  out.farProcedure.push(state.masmFarProcedure);
  return state;
}

const SEGMENT_WORDS = new Set(['cs', 'ds', 'es', 'fs', 'gs', 'ss']);

/** Handles a directive word; returns the new state, or undefined when `word` is not a directive. */
function directiveFor(word: Word, masked: string, st: Statement, state: ParserState, name?: Word): ParserState | undefined {
  const dialect = state.dialect;
  const rest = masked.slice(word.end, st.end).trim();
  const restLower = rest.toLowerCase();
  const w = word.lower;
  if (isGas(dialect)) {
    if (!w.startsWith('.')) return undefined;
    switch (w) {
      case '.code16':
      case '.code16gcc':
        return { ...state, bits: 16, explicitBits: true };
      case '.code32':
        return { ...state, bits: 32, explicitBits: true };
      case '.code64':
        return { ...state, bits: 64, explicitBits: true };
      case '.intel_syntax':
        return { ...state, dialect: 'gas-intel' };
      case '.att_syntax':
        return { ...state, dialect: 'gas-att' };
      case '.macro':
        return { ...state, macroDepth: state.macroDepth + 1 };
      case '.endm':
      case '.endmacro':
        return { ...state, macroDepth: Math.max(0, state.macroDepth - 1) };
      default:
        return state;
    }
  }
  if (dialect === 'nasm') {
    if (w === 'bits' || w === 'use16' || w === 'use32' || w === 'use64') return applyDirective([w, ...restLower.split(/\s+/)], state);
    if (NASM_DATA.has(w) || name && NASM_DATA.has(w)) return state;
    if (['section', 'segment', 'global', 'extern', 'common', 'org', 'align', 'alignb', 'default', 'cpu', 'absolute', 'struc', 'endstruc', 'istruc', 'iend', 'at', 'static', 'float', 'warning', 'sectalign', 'group', 'import', 'export', 'library', 'module', 'uppercase', 'osabi', 'required'].includes(w) && !name) return state;
    return undefined;
  }
  if (dialect === 'fasm') {
    if (w === 'use16' || w === 'use32' || w === 'use64') return applyDirective([w], state);
    if (w === 'format') return /\b(pe64|elf64|ms64\s+coff|macho64)\b/.test(restLower) ? { ...state, bits: 64 } : /\b(pe|elf|coff|ms\s+coff|mz)\b/.test(restLower) ? { ...state, bits: restLower.startsWith('mz') ? 16 : 32 } : state;
    if (w === 'macro' || w === 'struc') return { ...state, macroDepth: state.macroDepth + 1, blocks: state.blocks + 'm' };
    if (w === 'rept' || w === 'irp' || w === 'irps' || w === 'irpv' || w === 'repeat' || w === 'while' || w === 'if' || w === 'else' || w === 'virtual' || w === 'match') {
      return rest.includes('{') ? { ...state, blocks: state.blocks + 'r' } : state;
    }
    if (w === 'end' || w === 'include' || w === 'entry' || w === 'section' || w === 'segment' || w === 'org' || w === 'align' || w === 'public' || w === 'extrn' || w === 'stack' || w === 'heap' || w === 'data' || w === 'import' || w === 'library' || w === 'display') return state;
    if (FASM_DATA.has(w) || (name && FASM_DATA.has(w))) return state;
    return undefined;
  }
  // MASM
  if (w.startsWith('.')) {
    if (w === '.model') {
      const farModel = /^(medium|large|huge)\b/.test(restLower);
      return { ...state, masmFarModel: farModel, bits: /^flat\b/.test(restLower) ? 32 : /^(tiny|small|compact|medium|large|huge)\b/.test(restLower) ? 16 : state.bits };
    }
    return state;
  }
  if (name) {
    if (w === 'proc') {
      const isFar = /\bfar(16|32)?\b/.test(restLower) || (state.masmFarModel && !/\bnear\b/.test(restLower));
      return { ...state, masmFarProcedure: isFar };
    }
    if (w === 'endp') return { ...state, masmFarProcedure: false };
    if (w === 'macro') return { ...state, macroDepth: state.macroDepth + 1, blocks: state.blocks + 'm' };
    if (w === 'segment') {
      const use = /\buse(16|32|64)\b/.exec(restLower);
      return use ? { ...state, bits: Number(use[1]) as Bits } : state;
    }
    if (MASM_DATA.has(w)) return state;
    return undefined;
  }
  if (w === 'rept' || w === 'repeat' || w === 'irp' || w === 'irpc' || w === 'for' || w === 'forc' || w === 'while') return { ...state, blocks: state.blocks + 'r' };
  if (w === 'endm') {
    const top = state.blocks[state.blocks.length - 1];
    const blocks = state.blocks.slice(0, -1);
    return top === 'm' ? { ...state, blocks, macroDepth: Math.max(0, state.macroDepth - 1) } : { ...state, blocks };
  }
  if (['assume', 'end', 'include', 'includelib', 'extrn', 'extern', 'externdef', 'public', 'option', 'align', 'even', 'org', 'title', 'subtitle', 'page', 'local', 'if', 'ifdef', 'ifndef', 'else', 'elseif', 'endif', 'exitm', 'purge', 'invoke', 'db', 'dw', 'dd', 'dq', 'df', 'dt', 'byte', 'word', 'dword', 'qword', 'fword', 'tbyte', 'comm', 'label'].includes(w)) return state;
  return undefined;
}

function applyDirective(words: string[], state: ParserState): ParserState {
  const [head, arg] = words;
  if (head === 'bits' && (arg === '16' || arg === '32' || arg === '64')) return { ...state, bits: Number(arg) as Bits, explicitBits: true };
  if (head === 'use16') return { ...state, bits: 16, explicitBits: true };
  if (head === 'use32') return { ...state, bits: 32, explicitBits: true };
  if (head === 'use64') return { ...state, bits: 64, explicitBits: true };
  return state;
}

const CPP_64 = /^(defined\s*\(?\s*)?(CONFIG_X86_64|__x86_64__|__amd64__|__LP64__)\s*\)?$/;
const CPP_32 = /^(defined\s*\(?\s*)?(CONFIG_X86_32|__i386__)\s*\)?$/;

/** Which bitness a cpp condition selects: `6`, `3` or `n` (cannot tell). */
function conditionKind(keyword: string, condition: string): string {
  const c = condition.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
  let kind = CPP_64.test(c) ? '6' : CPP_32.test(c) ? '3' : 'n';
  if (keyword === 'if' && !/^defined\b/.test(c) && kind !== 'n' && !/^(CONFIG_X86_64|CONFIG_X86_32|__x86_64__|__i386__)$/.test(c)) kind = 'n';
  const negated = keyword === 'ifndef' || /^!\s*defined/.test(c);
  if (negated) {
    const inner = c.replace(/^!\s*/, '');
    const k = CPP_64.test(inner) ? '6' : CPP_32.test(inner) ? '3' : 'n';
    return k === '6' ? '3' : k === '3' ? '6' : 'n';
  }
  return kind;
}

function bitsForKind(kind: string, current: Bits): Bits {
  if (current === 16) return current;
  return kind === '6' ? 64 : kind === '3' ? 32 : current;
}

/** Tracks `#ifdef CONFIG_X86_64`-style branches so mixed 32/64-bit `.S` files get the right bitness per branch. */
function applyCppConditional(line: string, state: ParserState): ParserState {
  const m = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(line);
  if (!m) return state;
  const keyword = m[1]!;
  const frames = state.cppStack ? state.cppStack.split('|') : [];
  if (keyword === 'if' || keyword === 'ifdef' || keyword === 'ifndef') {
    const kind = state.explicitBits ? 'n' : conditionKind(keyword, m[2]!);
    frames.push(`${kind}:${state.bits}`);
    return { ...state, cppStack: frames.join('|'), bits: kind === 'n' ? state.bits : bitsForKind(kind, state.bits) };
  }
  const top = frames.pop();
  if (top === undefined) return state;
  const [kind, saved] = top.split(':') as [string, string];
  const savedBits = Number(saved) as Bits;
  if (keyword === 'endif') return { ...state, cppStack: frames.join('|'), bits: kind === 'n' ? state.bits : savedBits };
  // #else / #elif: the other branch starts from the state before the #if (the first branch was not
  // assembled); the other branch of a 32/64 test is the other bitness.
  const flipped = keyword === 'else' ? (kind === '6' ? '3' : kind === '3' ? '6' : 'n') : state.explicitBits ? 'n' : conditionKind('if', m[2]!);
  frames.push(`${flipped}:${savedBits}`);
  return { ...state, cppStack: frames.join('|'), bits: bitsForKind(flipped, savedBits) };
}

function nasmPreprocessor(text: string, state: ParserState): ParserState {
  const word = /^[a-z]+/i.exec(text)?.[0]?.toLowerCase();
  if (word === 'macro' || word === 'imacro' || word === 'rmacro' || word === 'irmacro') return { ...state, macroDepth: state.macroDepth + 1 };
  if (word === 'endmacro' || word === 'endm') return { ...state, macroDepth: Math.max(0, state.macroDepth - 1) };
  return state;
}

/** FASM closes blocks with `}`. */
function closeFasmBlocks(masked: string, state: ParserState): ParserState {
  if (state.dialect !== 'fasm') return state;
  let next = state;
  for (const ch of masked) {
    if (ch === '}') {
      const top = next.blocks[next.blocks.length - 1];
      next = { ...next, blocks: next.blocks.slice(0, -1), macroDepth: top === 'm' ? Math.max(0, next.macroDepth - 1) : next.macroDepth };
    }
  }
  return next;
}
