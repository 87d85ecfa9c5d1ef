// Directives: the statements that change how the following lines are read (bitness, syntax,
// macro and repeat blocks, MASM procedures and memory models) or that emit data, per dialect.
import { isGas } from './dialects';
import { changedState, type ParserState } from './parserState';
import type { Bits } from '../types';

/** The part of a parsed word a directive needs: its lower-case spelling and where it ends. */
export interface DirectiveWord {
  lower: string;
  end: number;
}

const NASM_DATA = new Set(['db', 'dw', 'dd', 'dq', 'dt', 'do', 'dy', 'dz', 'ddq', 'resb', 'resw', 'resd', 'resq', 'rest', 'reso', 'resy', 'resz', 'incbin', 'equ']);
const MASM_DATA = new Set(['db', 'dw', 'dd', 'dq', 'df', 'dt', 'byte', 'sbyte', 'word', 'sword', 'dword', 'sdword', 'fword', 'qword', 'sqword', 'tbyte', 'oword', 'real4', 'real8', 'real10', 'equ', 'textequ', 'label', 'struct', 'struc', 'union', 'record', 'typedef', 'proto', 'ends', 'endp', 'proc', 'segment', 'macro', 'group', '=']);
const FASM_DATA = new Set(['db', 'dw', 'du', 'dd', 'dp', 'df', 'dq', 'dt', 'rb', 'rw', 'rd', 'rp', 'rf', 'rq', 'rt', 'file', 'equ', 'label', '=', 'fix']);

export const SEGMENT_WORDS = new Set(['cs', 'ds', 'es', 'fs', 'gs', 'ss']);

/** Handles a directive word; returns the new state, or undefined when `word` is not a directive. */
export function directiveFor(word: DirectiveWord, masked: string, st: { start: number; end: number }, state: ParserState, name?: DirectiveWord): ParserState | undefined {
  const dialect = state.dialect;
  const w = word.lower;
  if (isGas(dialect)) {
    if (!w.startsWith('.')) return undefined;
    switch (w) {
      case '.code16':
      case '.code16gcc':
        return changedState(state, { bits: 16, explicitBits: true });
      case '.code32':
        return changedState(state, { bits: 32, explicitBits: true });
      case '.code64':
        return changedState(state, { bits: 64, explicitBits: true });
      case '.intel_syntax':
        return changedState(state, { dialect: 'gas-intel' });
      case '.att_syntax':
        return changedState(state, { dialect: 'gas-att' });
      case '.macro':
        return changedState(state, { macroDepth: state.macroDepth + 1 });
      case '.endm':
      case '.endmacro':
        return changedState(state, { macroDepth: Math.max(0, state.macroDepth - 1) });
      default:
        return state;
    }
  }
  // GNU as reads nothing after the word; the other dialects' directives read their arguments.
  const rest = masked.slice(word.end, st.end).trim();
  const restLower = rest.toLowerCase();
  if (dialect === 'nasm') {
    if (w === 'bits' || w === 'use16' || w === 'use32' || w === 'use64') return applyDirective([w, ...restLower.split(/\s+/)], state);
    if (NASM_DATA.has(w) || name && NASM_DATA.has(w)) return state;
    if (['section', 'segment', 'global', 'extern', 'common', 'org', 'align', 'alignb', 'default', 'cpu', 'absolute', 'struc', 'endstruc', 'istruc', 'iend', 'at', 'static', 'float', 'warning', 'sectalign', 'group', 'import', 'export', 'library', 'module', 'uppercase', 'osabi', 'required'].includes(w) && !name) return state;
    return undefined;
  }
  if (dialect === 'fasm') {
    if (w === 'use16' || w === 'use32' || w === 'use64') return applyDirective([w], state);
    if (w === 'format') return /\b(pe64|elf64|ms64\s+coff|macho64)\b/.test(restLower) ? changedState(state, { bits: 64 }) : /\b(pe|elf|coff|ms\s+coff|mz)\b/.test(restLower) ? changedState(state, { bits: restLower.startsWith('mz') ? 16 : 32 }) : state;
    if (w === 'macro' || w === 'struc') return changedState(state, { macroDepth: state.macroDepth + 1, blocks: state.blocks + 'm' });
    if (w === 'rept' || w === 'irp' || w === 'irps' || w === 'irpv' || w === 'repeat' || w === 'while' || w === 'if' || w === 'else' || w === 'virtual' || w === 'match') {
      return rest.includes('{') ? changedState(state, { blocks: state.blocks + 'r' }) : state;
    }
    if (w === 'end' || w === 'include' || w === 'entry' || w === 'section' || w === 'segment' || w === 'org' || w === 'align' || w === 'public' || w === 'extrn' || w === 'stack' || w === 'heap' || w === 'data' || w === 'import' || w === 'library' || w === 'display') return state;
    if (FASM_DATA.has(w) || (name && FASM_DATA.has(w))) return state;
    return undefined;
  }
  // MASM
  if (w.startsWith('.')) {
    if (w === '.model') {
      const farModel = /^(medium|large|huge)\b/.test(restLower);
      return changedState(state, { masmFarModel: farModel, bits: /^flat\b/.test(restLower) ? 32 : /^(tiny|small|compact|medium|large|huge)\b/.test(restLower) ? 16 : state.bits });
    }
    return state;
  }
  if (name) {
    if (w === 'proc') {
      const isFar = /\bfar(16|32)?\b/.test(restLower) || (state.masmFarModel && !/\bnear\b/.test(restLower));
      return changedState(state, { masmFarProcedure: isFar });
    }
    if (w === 'endp') return changedState(state, { masmFarProcedure: false });
    if (w === 'macro') return changedState(state, { macroDepth: state.macroDepth + 1, blocks: state.blocks + 'm' });
    if (w === 'segment') {
      const use = /\buse(16|32|64)\b/.exec(restLower);
      return use ? changedState(state, { bits: Number(use[1]) as Bits }) : state;
    }
    if (MASM_DATA.has(w)) return state;
    return undefined;
  }
  if (w === 'rept' || w === 'repeat' || w === 'irp' || w === 'irpc' || w === 'for' || w === 'forc' || w === 'while') return changedState(state, { blocks: state.blocks + 'r' });
  if (w === 'endm') {
    const top = state.blocks[state.blocks.length - 1];
    const blocks = state.blocks.slice(0, -1);
    return top === 'm' ? changedState(state, { blocks, macroDepth: Math.max(0, state.macroDepth - 1) }) : changedState(state, { blocks });
  }
  if (['assume', 'end', 'include', 'includelib', 'extrn', 'extern', 'externdef', 'public', 'option', 'align', 'even', 'org', 'title', 'subtitle', 'page', 'local', 'if', 'ifdef', 'ifndef', 'else', 'elseif', 'endif', 'exitm', 'purge', 'invoke', 'db', 'dw', 'dd', 'dq', 'df', 'dt', 'byte', 'word', 'dword', 'qword', 'fword', 'tbyte', 'comm', 'label'].includes(w)) return state;
  return undefined;
}

export function applyDirective(words: string[], state: ParserState): ParserState {
  const [head, arg] = words;
  if (head === 'bits' && (arg === '16' || arg === '32' || arg === '64')) return changedState(state, { bits: Number(arg) as Bits, explicitBits: true });
  if (head === 'use16') return changedState(state, { bits: 16, explicitBits: true });
  if (head === 'use32') return changedState(state, { bits: 32, explicitBits: true });
  if (head === 'use64') return changedState(state, { bits: 64, explicitBits: true });
  return state;
}

export function nasmPreprocessor(text: string, state: ParserState): ParserState {
  const word = /^[a-z]+/i.exec(text)?.[0]?.toLowerCase();
  if (word === 'macro' || word === 'imacro' || word === 'rmacro' || word === 'irmacro') return changedState(state, { macroDepth: state.macroDepth + 1 });
  if (word === 'endmacro' || word === 'endm') return changedState(state, { macroDepth: Math.max(0, state.macroDepth - 1) });
  return state;
}

/** FASM closes blocks with `}`. */
export function closeFasmBlocks(masked: string, state: ParserState): ParserState {
  if (state.dialect !== 'fasm') return state;
  let next = state;
  for (const ch of masked) {
    if (ch === '}') {
      const top = next.blocks[next.blocks.length - 1];
      next = changedState(next, { blocks: next.blocks.slice(0, -1), macroDepth: top === 'm' ? Math.max(0, next.macroDepth - 1) : next.macroDepth });
    }
  }
  return next;
}
