// What one line leaves for the next: the incremental analyzer compares these states to know
// where re-parsing may stop.
import { INITIAL_LEX_STATE, sameLexState, type LexState } from './lexer';
import type { Bits, Dialect } from '../types';

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
  pending: PendingStatement | undefined;
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
  return { dialect, bits, lex: INITIAL_LEX_STATE, macroDepth: 0, blocks: '', masmFarProcedure: false, masmFarModel: false, explicitBits: false, pending: undefined, cppStack: '' };
}

/**
 * `state` with `changes`, as a copy made field by field, so every state has the hidden class of
 * the literal above. Spread copies (`{ ...state, bits: 32 }`) got one class per copying site
 * (16 over Linux arch/x86), and the walk and the parser, which read a state for every line,
 * were optimized for some and thrown away at the others.
 */
export function changedState(state: ParserState, changes: Partial<ParserState>): ParserState {
  const next: ParserState = {
    dialect: state.dialect,
    bits: state.bits,
    lex: state.lex,
    macroDepth: state.macroDepth,
    blocks: state.blocks,
    masmFarProcedure: state.masmFarProcedure,
    masmFarModel: state.masmFarModel,
    explicitBits: state.explicitBits,
    pending: state.pending,
    cppStack: state.cppStack,
  };
  return Object.assign(next, changes);
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
