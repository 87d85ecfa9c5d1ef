// The texts the front end reads (the host file and the headers it includes), and the tokens
// macro expansion works on: each knows where it was written, the host code that produced it,
// and the macro uses on the way, so a character of an asm template maps back to the host file.
import type { Position } from '../../types';
import { PositionIndex } from '../positions';
import { type Chars } from './literals';
import type { CTokenKind } from './lexer';
import type { HideSet } from '../../project/cpp/tokens';

export class SourceFile {
  private positions: PositionIndex | undefined;
  /** A header: the number of the last scan whose includes reached it (`Includes`). */
  reachedIn = 0;

  constructor(
    readonly path: string,
    readonly text: string,
    /** The file being scanned (its offsets are host offsets). */
    readonly isHost: boolean,
  ) {}

  /** The line and column of an offset, with line breaks counted as LSP counts them (text/lineBreaks.ts). */
  position(offset: number): Position {
    return this.index().position(offset);
  }

  index(): PositionIndex {
    return (this.positions ??= new PositionIndex(this.text));
  }

  /** Takes the index of an edited copy of `old` instead of counting every line again. */
  seedFromEdit(old: SourceFile, start: number, oldEnd: number, newEnd: number): void {
    this.positions = PositionIndex.afterEdit(old.index(), this.text, start, oldEnd, newEnd);
  }

  lineAndColumn = (offset: number): { line: number; column: number } => {
    const p = this.position(offset);
    return { line: p.line, column: p.character };
  };
}

/** A token of a macro body or of host code, as read. */
export interface SrcToken {
  readonly kind: CTokenKind;
  readonly text: string;
  readonly space: boolean;
  readonly file: SourceFile;
  readonly start: number;
  readonly end: number;
  /** A name's `nameHash` (`CToken.hash`); 0 for the other kinds. */
  readonly hash: number;
}

export interface MacroBodyToken extends SrcToken {
  /** Index of the parameter this token names, -1 otherwise. */
  readonly param: number;
  /** `#` before a parameter. */
  readonly stringify: boolean;
  readonly paste: boolean;
}

export interface CMacro {
  readonly name: string;
  readonly params: readonly string[] | null;
  readonly variadic: boolean;
  readonly body: readonly MacroBodyToken[];
  readonly file: SourceFile;
  readonly nameStart: number;
  readonly nameEnd: number;
  /** Defined by the build (`-D`) or predefined: no file. */
  readonly builtin?: boolean;
}

/** One macro use on the way to a token: the macro and where its name was written. */
export interface ViaStep {
  readonly macro: CMacro;
  readonly file: SourceFile | null;
  readonly start: number;
  readonly end: number;
}

export type XKind = CTokenKind | 'placemarker' | 'unknown';

/** A token during and after macro expansion. Every one is made with all its fields, in this order: one object shape for the code that reads them. */
export interface XToken {
  kind: XKind;
  text: string;
  space: boolean;
  hide: HideSet | null;
  /** Where the spelling was written; null for tokens expansion made (pastes, `defined` results). */
  file: SourceFile | null;
  start: number;
  end: number;
  /** Host offsets of the code that produced it (itself, or the outermost macro invocation); -1 when none. */
  anchorStart: number;
  anchorEnd: number;
  /** It came from the code being expanded (or a parameter, for a definition read on its own), not from a macro body. */
  userArg: boolean;
  /** Macro uses that produced it, outermost first. */
  via: readonly ViaStep[];
  /** A stringified argument: its characters with host offsets. */
  chars: Chars | undefined;
  /** A name pasted from an argument and body text (`__loadsegment_ ## seg`): the argument chose the macro it names. */
  chosenByArgument: boolean;
  /** A name's `nameHash` (`CToken.hash`); 0 for the other kinds. */
  hash: number;
}

export const NO_VIA: readonly ViaStep[] = Object.freeze([]);

export function fromSource(t: SrcToken, userArg: boolean): XToken {
  return fromToken(t, t.file, userArg);
}

/** `fromSource` of a token read from `file`, without making its `SrcToken` first. */
export function fromToken(t: Omit<SrcToken, 'file'>, file: SourceFile, userArg: boolean): XToken {
  const host = file.isHost;
  return {
    kind: t.kind, text: t.text, space: t.space, hide: null, file, start: t.start, end: t.end,
    anchorStart: host ? t.start : -1, anchorEnd: host ? t.end : -1, userArg, via: NO_VIA, chars: undefined, chosenByArgument: false, hash: t.hash,
  };
}

/** Host offset of the token's first character when its own spelling is what the host file shows there (no macro body made it); else -1. */
export function mappableStart(t: XToken): number {
  return t.file !== null && t.file.isHost && t.via.length === 0 ? t.start : -1;
}
