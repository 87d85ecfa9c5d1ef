// Line-by-line parser. Each line is parsed from the state left by the previous line, and
// yields the state for the next: that is what lets the incremental analyzer re-parse only
// the lines an edit can affect.
import { applyCppConditional } from './cppConditionals';
import { isGas } from './dialects';
import { applyDirective, closeFasmBlocks, directiveFor, nasmPreprocessor, SEGMENT_WORDS } from './directives';
import { lexLine, sameLexState, type Comment } from './lexer';
import { emptyList } from './emptyList';
import { canonicalMnemonic, PREFIXES } from './mnemonics';
import { parseOperand, splitOperands, type OperandSyntax } from './operands';
import { changedState, type ParserState, type PendingStatement } from './parserState';
import type { Bits, Dialect, Operand, ParsedInstruction } from '../types';

export { changedState, initialParserState, sameParserState, type ParserState, type PendingStatement } from './parserState';

export interface ParsedLine {
  instructions: ParsedInstruction[];
  comments: Comment[];
  /** Bitness set by a directive on this line (applies from the next statement on). */
  bitsDirective?: Bits;
  /** Per instruction: MASM far-procedure context for `ret`. */
  farProcedure: boolean[];
  /**
   * Lower-case name of a macro this line defines (so its invocations are not "unknown mnemonics").
   * Always present (undefined when none), like every optional field of the analysis's hot
   * objects: an object that gains a field later gets another hidden class, and code V8 optimized
   * for one is thrown away when it meets the other.
   */
  definesMacro: string | undefined;
}

const MACRO_DEFINITION: Record<Dialect, RegExp> = {
  nasm: /^\s*%\s*(?:i?r?macro|i?x?define|idefine)\s+([\w.$?@]+)/i,
  'gas-att': /^\s*(?:\.macro\s+|#\s*define\s+)([\w.$]+)/i,
  'gas-intel': /^\s*(?:\.macro\s+|#\s*define\s+)([\w.$]+)/i,
  masm: /^\s*([\w.$?@]+)\s+(?:macro|textequ|equ)\b/i,
  fasm: /^\s*(?:macro|struc)\s+([\w.$?@]+)/i,
};


function syntaxOf(dialect: Dialect): OperandSyntax {
  return dialect === 'gas-att' ? 'att' : 'intel';
}

interface Statement {
  start: number;
  end: number;
}

/**
 * Parses each statement of the line: GNU as separates statements with `;`, the other dialects
 * have one statement per line (decided by the dialect the line starts in). No list of them is
 * made: most lines hold one.
 */
function parseStatements(line: string, masked: string, lineNumber: number, state: ParserState, out: ParsedLine): ParserState {
  if (!isGas(state.dialect)) return parseStatement(line, masked, { start: 0, end: masked.length }, lineNumber, state, out);
  let next = state;
  let start = 0;
  for (;;) {
    const separator = masked.indexOf(';', start);
    const end = separator < 0 ? masked.length : separator;
    next = parseStatement(line, masked, { start, end }, lineNumber, next, out);
    if (separator < 0) return next;
    start = separator + 1;
  }
}

interface Word {
  text: string;
  lower: string;
  start: number;
  end: number;
}

/** ASCII character classes of a word: 1 may start one (`[A-Za-z_.$?@]`), 2 may continue one (`[\w.$?@#~]`). */
const WORD_CHARACTERS = (() => {
  const table = new Uint8Array(128);
  const mark = (characters: string, bits: number): void => {
    for (const c of characters) table[c.charCodeAt(0)]! |= bits;
  };
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  mark(letters + '_.$?@', 1);
  mark(letters + '0123456789_.$?@#~', 2);
  return table;
})();

/** `code` is in the class (`bits`); past the end of the text (NaN) counts as in, as the text `undefined` matched before. */
function isWordCharacter(code: number, bits: number): boolean {
  if (code < 128) return (WORD_CHARACTERS[code]! & bits) !== 0;
  return code !== code;
}

function wordAt(masked: string, from: number, to: number): Word | undefined {
  const i = skipSpaces(masked, from, to);
  if (i >= to || !isWordCharacter(masked.charCodeAt(i), 1)) return undefined;
  let end = i + 1;
  while (end < to && isWordCharacter(masked.charCodeAt(end), 2)) end++;
  const text = masked.slice(i, end);
  return { text, lower: text.toLowerCase(), start: i, end };
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 12 || code === 11 || code === 13 || code === 0xa0 || code === 0xfeff;
}

/**
 * Whether `= …` or `equ …` may follow: the first character after the spaces is `=`, `e`, or one
 * `isSpace` does not skip but `\s` would (a line feed, a non-ASCII space), so the match decides.
 */
function mayAssign(masked: string, from: number, to: number): boolean {
  const i = skipSpaces(masked, from, to);
  if (i >= to) return false;
  const c = masked.charCodeAt(i);
  return c === 61 || c === 101 || c === 69 || c === 10 || c > 127;
}

function skipSpaces(masked: string, i: number, to: number): number {
  while (i < to && isSpace(masked.charCodeAt(i))) i++;
  return i;
}

const NO_COMMENTS: Comment[] = emptyList();
const NO_INSTRUCTIONS: ParsedInstruction[] = emptyList();
const NO_FLAGS: boolean[] = emptyList();
const NO_PREFIXES: string[] = emptyList();
const NO_OPERANDS: Operand[] = emptyList();

/**
 * A line with nothing in it (no instruction, comment, macro name or bits directive): one object
 * for every such line, as nothing changes a parsed line after parsing (most lines a program keeps
 * are blank, labels, directives or C in a false branch).
 */
const EMPTY_LINE: ParsedLine = { instructions: NO_INSTRUCTIONS, comments: NO_COMMENTS, farProcedure: NO_FLAGS, definesMacro: undefined };

/**
 * Shares empty arrays between lines and trims the others to their length (nothing appends to
 * a parsed line after parsing; an array grown by push keeps room for 16 more).
 */
function compact(parsed: ParsedLine): ParsedLine {
  if (parsed.instructions.length === 0 && parsed.comments.length === 0 && parsed.definesMacro === undefined && parsed.bitsDirective === undefined) return EMPTY_LINE;
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
  result.parsed = compact(result.parsed);
  return result;
}

function parseLineInner(line: string, lineNumber: number, state: ParserState): { parsed: ParsedLine; state: ParserState } {
  const lexed = lexLine(line, state.dialect, state.lex);
  // Most lines change nothing: keep the same state object so 50,000 lines do not hold 50,000 copies.
  let next: ParserState = sameLexState(lexed.state, state.lex) ? state : changedState(state, { lex: lexed.state });
  const macro = MACRO_DEFINITION[state.dialect].exec(line);
  const comments = lexed.comments.length > 0 ? lexed.comments : NO_COMMENTS;
  const parsed: ParsedLine = { instructions: [], comments, farProcedure: [], definesMacro: macro ? macro[1]!.toLowerCase() : undefined };
  if (lexed.preprocessor) return { parsed, state: state.lex.cppContinuation ? next : applyCppConditional(line, next) };
  if (!isGas(state.dialect)) {
    const joined = joinContinuation(line, lexed.masked, lineNumber, state.pending);
    if (joined.pending) return { parsed, state: changedState(next, { pending: joined.pending }) };
    if (state.pending) {
      next = changedState(next, { pending: undefined });
      const first = state.pending.segments[0]!.line;
      const statement = { start: 0, end: joined.masked.length };
      next = parseStatement(joined.text, joined.masked, statement, first, next, parsed);
      for (const ins of parsed.instructions) remapInstruction(ins, joined.segments);
      return { parsed, state: closeFasmBlocks(lexed.masked, next) };
    }
  }
  next = parseStatements(line, lexed.masked, lineNumber, next, parsed);
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
    // A label needs a colon: most statements have none, and need no slice and no match.
    const colon = masked.indexOf(':', i);
    if (colon < 0 || colon >= st.end) break;
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
  if (mayAssign(masked, first.end, st.end) && /^\s*(=|equ\b)/i.test(masked.slice(first.end, st.end))) return state;

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
      // `name times 4 db 0` and `name insn`: a label without its colon.
      if (canonicalMnemonic(second.lower, dialect) || PREFIXES.has(second.lower) || ((dialect === 'nasm' || dialect === 'fasm') && second.lower === 'times')) {
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
  // Pushed, not mapped: `map` sometimes makes a holey array, another hidden class to the resolver.
  const operands: Operand[] = spans.length === 0 ? NO_OPERANDS : [];
  for (let k = 0; k < spans.length; k++) {
    const [s, e] = spans[k]!;
    const op = parseOperand({ text: line.slice(s, e), masked: masked.slice(s, e), line: lineNumber, start: s }, syntax, dialect);
    if (op.kind === 'mem' && op.far) far = true;
    if (op.kind === 'sym' && /^far\b/i.test(masked.slice(s, e).trim())) far = true;
    operands.push(op);
  }
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
  // Equal positions are one object: without prefixes the statement and the mnemonic start at the
  // same place, and the statement ends where its last operand ends, or without operands where the
  // mnemonic does (settleEntry and remapInstruction move each position object once).
  const start = { line: lineNumber, character: startOfStatement };
  const mnemonicStart = word.start === startOfStatement ? start : { line: lineNumber, character: word.start };
  const mnemonicEnd = { line: lineNumber, character: word.end };
  const end = operands.length > 0 ? lastOperandEnd(operands[operands.length - 1]!.range.end, spans[spans.length - 1]![1]) : mnemonicEnd;
  const instruction: ParsedInstruction = {
    dialect,
    bits: state.bits,
    range: { start, end },
    mnemonicRange: { start: mnemonicStart, end: mnemonicEnd },
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

/** The last operand's end position when it is where the statement ends (it always is: its text is the span's), else a new one there. */
function lastOperandEnd(operandEnd: { line: number; character: number }, character: number): { line: number; character: number } {
  return operandEnd.character === character ? operandEnd : { line: operandEnd.line, character };
}
