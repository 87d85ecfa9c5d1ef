// Fixes on a line inside a macro body. The body is rewritten once, in the file that defines
// it, so the fix reaches every use. That works only when the line means the same in every
// expansion (no parameters in the instruction) and when the labels the fix adds are new in
// each expansion, written the assembler's own way.
import { isGas } from '../syntax/dialects';
import type { Dialect, ParsedInstruction, SourceLines } from '../types';
import type { Line } from './ir';
import { labelName } from './render';

export interface MacroBody {
  /** The macro's name as its header spells it. */
  name: string;
  /** Line of the header (`%macro`, `.macro`, `NAME MACRO`, `macro name {`). */
  header: number;
  /** Parameter names the header declares (MASM and FASM name them; NASM and GNU as mark their uses). */
  parameters: string[];
  /** A repeat block (`%rep`, `.rept`, `rept {`) inside the macro holds the line: one expansion repeats it. */
  inRepeat: boolean;
}

export type BodyLookup = { body: MacroBody } | { refusal: string };

/** The macro around `line`, or why a fix cannot go there. */
export function enclosingMacro(source: SourceLines, line: number, dialect: Dialect): BodyLookup {
  const found = dialect === 'fasm' ? fasmEnclosing(source, line) : lineBlocksEnclosing(source, line, dialect);
  return found ?? { refusal: 'the line is inside a macro whose definition could not be found above it' };
}

/** Why the instruction on a body line cannot be fixed there, or undefined when it can. */
export function bodyInstructionRefusal(ins: ParsedInstruction, instructionText: string, body: MacroBody): string | undefined {
  if (ins.resolution?.status !== 'ok') return `the instruction in the body of ${body.name} is not fully known`;
  const parameter = parameterIn(instructionText, ins.dialect, body);
  return parameter ? `the operands use ${parameter}, so each use of ${body.name} assembles a different instruction` : undefined;
}

function parameterIn(text: string, dialect: Dialect, body: MacroBody): string | undefined {
  const code = text.replace(/(["'])(?:(?!\1).)*\1/g, '""');
  if (dialect === 'nasm') return /%/.test(code) ? 'a macro parameter or macro-local name (%...)' : undefined;
  if (isGas(dialect)) return /\\/.test(code) ? 'a macro parameter (\\name)' : undefined;
  if (dialect === 'masm' && code.includes('&')) return 'text substitution (&name&)';
  if (dialect === 'fasm' && /[#`]/.test(code)) return 'parameter concatenation (# or `)';
  const caseBlind = dialect === 'masm';
  for (const word of code.match(/[A-Za-z_.$?@][\w.$?@]*/g) ?? []) {
    const spelled = caseBlind ? word.toLowerCase() : word;
    if (body.parameters.includes(spelled)) return `the macro parameter ${word}`;
  }
  return undefined;
}

/** `.. in the body of NAME (changes every use)`: the title says where the edit goes and what it reaches. */
export function titleInBody(title: string, body: MacroBody): string {
  return `${title} in the body of ${body.name} (changes every use)`;
}

/**
 * The fix's lines with its labels spelled so that each expansion gets its own: NASM `%%name`,
 * GNU as `name\@` (the expansion counter), FASM `local` names, MASM anonymous `@@:`/`@F`.
 * Undefined when the labels cannot be written that way (the reason is the second value).
 */
export function withExpansionLabels(lines: Line[], dialect: Dialect, body: MacroBody, source: SourceLines, before: string): { lines: Line[] } | { refusal: string } {
  const names = labelNames(lines);
  if (names.length === 0) return { lines };
  if (body.inRepeat) return { refusal: `the line repeats within one expansion of ${body.name}, so added labels would too` };
  switch (dialect) {
    case 'nasm':
      return { lines: renamed(lines, (name) => `%%${name}`) };
    case 'gas-att':
    case 'gas-intel':
      return { lines: renamed(lines, (name) => `${labelName(name, dialect)}\\@`) };
    case 'fasm':
      return fasmLocal(lines, names, before);
    case 'masm':
      return masmAnonymous(lines, source);
  }
}

function labelNames(lines: readonly Line[]): string[] {
  const names: string[] = [];
  for (const line of lines) if (line.t === 'label') names.push(line.name);
  return names;
}

function renamed(lines: readonly Line[], spell: (name: string) => string): Line[] {
  return lines.map((line): Line => {
    if (line.t === 'label') return { t: 'raw', text: `${spell(line.name)}:` };
    if (line.t === 'branch' && line.toLabel) return { ...line, target: spell(line.target), toLabel: false };
    return line;
  });
}

/** FASM's `local` works anywhere in the body, but must start its line and come before the first use. */
function fasmLocal(lines: readonly Line[], names: readonly string[], before: string): { lines: Line[] } | { refusal: string } {
  const firstUse = lines.findIndex((line) => line.t === 'label' || (line.t === 'branch' && line.toLabel === true));
  if (firstUse === 0 && before.trim() !== '') return { refusal: "FASM's `local` must start its line, and a label stands before the instruction" };
  const out = renamed(lines, (name) => labelName(name, 'fasm'));
  out.splice(Math.max(firstUse, 0), 0, { t: 'raw', text: `local ${names.map((name) => labelName(name, 'fasm')).join(', ')}` });
  return { lines: out };
}

const MASM_ANONYMOUS_USE = /@@|@[fb]\b/i;

/**
 * MASM's LOCAL must follow the MACRO line, which a one-line fix cannot reach, so the fix uses
 * anonymous labels: each branch goes forward to the next `@@:`, which must be its own label.
 * Anonymous labels the file already uses could be captured, so then there is no fix.
 */
function masmAnonymous(lines: readonly Line[], source: SourceLines): { lines: Line[] } | { refusal: string } {
  for (let i = 0; i < source.lineCount; i++) {
    if (MASM_ANONYMOUS_USE.test(withoutMasmComment(source.line(i)))) return { refusal: 'the file uses anonymous labels (@@), which the fix\'s own would capture' };
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.t !== 'branch' || !line.toLabel) continue;
    const next = lines.findIndex((other, j) => j > i && other.t === 'label');
    const target = lines[next];
    if (!target || target.t !== 'label' || target.name !== line.target) return { refusal: 'the fix jumps past one of its own labels, which @@/@F cannot express' };
  }
  return {
    lines: lines.map((line): Line => {
      if (line.t === 'label') return { t: 'raw', text: '@@:' };
      return line.t === 'branch' && line.toLabel ? { ...line, target: '@F', toLabel: false } : line;
    }),
  };
}

function withoutMasmComment(text: string): string {
  const at = text.indexOf(';');
  return at < 0 ? text : text.slice(0, at);
}

// -- Finding the enclosing macro ---------------------------------------------------------------

type Mark = { k: 'macro'; name: string; parameters: string[] } | { k: 'repeat' } | { k: 'close' };

const NASM_MACRO = /^\s*%i?r?macro\s+([^\s]+)/i;
const NASM_REPEAT = /^\s*%rep\b/i;
const NASM_CLOSE = /^\s*%(endmacro|endm|endrep)\b/i;
const GAS_MACRO = /^\s*\.macro\s+([^\s,]+)/i;
const GAS_REPEAT = /^\s*\.(rept|irpc|irp)\b/i;
const GAS_CLOSE = /^\s*\.(endm|endmacro|endr)\b/i;
const MASM_MACRO = /^\s*([A-Za-z_$?@][\w$?@]*)\s+macro\b(.*)$/i;
const MASM_REPEAT = /^\s*(rept|repeat|irpc|irp|forc|for|while)\b/i;
const MASM_CLOSE = /^\s*endm\b/i;

function markOf(text: string, dialect: Dialect): Mark | undefined {
  if (dialect === 'nasm') {
    const macro = NASM_MACRO.exec(text);
    if (macro) return { k: 'macro', name: macro[1]!, parameters: [] };
    return NASM_REPEAT.test(text) ? { k: 'repeat' } : NASM_CLOSE.test(text) ? { k: 'close' } : undefined;
  }
  if (isGas(dialect)) {
    const macro = GAS_MACRO.exec(text);
    if (macro) return { k: 'macro', name: macro[1]!, parameters: [] };
    return GAS_REPEAT.test(text) ? { k: 'repeat' } : GAS_CLOSE.test(text) ? { k: 'close' } : undefined;
  }
  const code = withoutMasmComment(text);
  const macro = MASM_MACRO.exec(code);
  if (macro) return { k: 'macro', name: macro[1]!, parameters: declared(macro[2]!, true) };
  return MASM_REPEAT.test(code) ? { k: 'repeat' } : MASM_CLOSE.test(code) ? { k: 'close' } : undefined;
}

/** NASM, GNU as, MASM: blocks open and close on lines of their own. */
function lineBlocksEnclosing(source: SourceLines, line: number, dialect: Dialect): BodyLookup | undefined {
  let depth = 0;
  let inRepeat = false;
  for (let i = line - 1; i >= 0; i--) {
    const mark = markOf(source.line(i), dialect);
    if (!mark) continue;
    if (mark.k === 'close') depth++;
    else if (depth > 0) depth--;
    else if (mark.k === 'repeat') inRepeat = true;
    else return { body: { name: mark.name, header: i, parameters: mark.parameters, inRepeat } };
  }
  return undefined;
}

/** Parameter names of a MASM or FASM header: `a, b:REQ, c:=<1>` / `a, b*, [c]`. */
function declared(list: string, caseBlind: boolean): string[] {
  const names: string[] = [];
  for (const part of list.split(',')) {
    const name = /[A-Za-z_.$?@][\w.$?@]*/.exec(part.split(':')[0]!)?.[0];
    if (name) names.push(caseBlind ? name.toLowerCase() : name);
  }
  return names;
}

const FASM_MACRO = /^\s*(macro|struc)\s+([^\s{,]+)(.*)$/i;
const FASM_REPEAT = /^\s*(rept|irps|irpv|irp|match)\b/i;

/** FASM: a block is whatever the braces enclose; its header is the text before `{` (or the line above). */
function fasmEnclosing(source: SourceLines, line: number): BodyLookup | undefined {
  let depth = 0;
  let inRepeat = false;
  for (let i = line - 1; i >= 0; i--) {
    const text = fasmCode(source.line(i));
    for (let at = text.length - 1; at >= 0; at--) {
      if (text[at] === '}') depth++;
      else if (text[at] === '{' && depth > 0) depth--;
      else if (text[at] === '{') {
        const header = fasmHeader(source, i, text.slice(0, at));
        const macro = header && FASM_MACRO.exec(header.text);
        if (macro) return { body: { name: macro[2]!, header: header.line, parameters: declared(macro[3]!, false), inRepeat } };
        if (!header || !FASM_REPEAT.test(header.text)) return undefined;
        inRepeat = true;
      }
    }
  }
  return undefined;
}

function fasmHeader(source: SourceLines, line: number, before: string): { text: string; line: number } | undefined {
  if (before.trim() !== '') return { text: before, line };
  for (let i = line - 1; i >= 0; i--) {
    const text = fasmCode(source.line(i));
    if (text.trim() !== '') return { text, line: i };
  }
  return undefined;
}

/** The line without its comment and with quoted text blanked, so braces in them don't count. */
function fasmCode(text: string): string {
  let out = '';
  let quote = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = '';
      out += ' ';
    } else if (ch === ';') break;
    else if (ch === '"' || ch === "'") {
      quote = ch;
      out += ' ';
    } else out += ch;
  }
  return out;
}
