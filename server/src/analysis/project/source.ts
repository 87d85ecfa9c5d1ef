// The contract between the project model's parts: how files reach the core (a reader the shells
// provide), how one inclusion of a file is named, and what a preprocessor hands to the assembler
// stage — one line of text at a time, each knowing the line the user wrote and the macros and
// includes that led to it.
import { emptyList } from '../syntax/emptyList';
import type { Bits, Dialect } from '../types';

/** What a shell gives the project model for a path: the text (an editor's unsaved buffer wins over the disk), or why there is none. */
export type ReadResult = { text: string } | { error: string };

export interface SourceReader {
  /** `path` is absolute and normalised with `/` separators (see `paths.ts`). */
  read(path: string): ReadResult;
}

/** One inclusion of a file: the root, or the file as one include directive brought it in. */
export interface FileInstance {
  /** Unique within one walk. */
  readonly id: number;
  readonly path: string;
  /** The include directive that brought the file in; absent for the root. */
  readonly includedAt?: SourceLine;
}

export interface SourceLine {
  readonly file: FileInstance;
  /** 0-based. */
  readonly line: number;
}

/** Columns on a line (0-based UTF-16, end exclusive). */
export interface ColumnSpan {
  readonly start: number;
  readonly end: number;
}

export type MacroKind = 'macro' | 'cpp' | 'repeat' | 'struc' | 'fix' | 'define';

/** One macro use on the way from what the user wrote to the line the assembler sees. */
export interface MacroUse {
  readonly name: string;
  readonly kind: MacroKind;
  /** Where the macro (or the `rept`/`irp` block) is defined. */
  readonly definedAt?: SourceLine;
  /** The line holding the invocation, and its columns when known. */
  readonly invokedAt: SourceLine;
  readonly columns?: ColumnSpan;
}

/** One line as the assembler proper (after preprocessing) sees it. */
export interface ExpandedLine {
  readonly text: string;
  /** Where the user wrote it: the line itself, or the outermost macro invocation that produced it. */
  readonly at: SourceLine;
  /** `text` is exactly the text of `at` (columns map one to one): no macro, define or substitution changed it. */
  readonly verbatim: boolean;
  /** For text a macro produced: the body line (or `#define` line) it came from. */
  readonly body?: SourceLine;
  /**
   * Macro uses that produced the text, outermost first; empty for lines read as written.
   * A stage that expands a line which itself came from an earlier stage keeps that line's `at`
   * and puts its own use after the earlier ones; `body` is then the body line's own `body ?? at`.
   */
  readonly macros: readonly MacroUse[];
  /** A line of a macro definition, passed on so its file still has it (not assembled as it stands). */
  readonly definition?: boolean;
}

/** What a preprocessor may ask of the walk and report to it. */
export interface ExpandEnv {
  /**
   * Opens an include: `spec` as written (quotes removed), `from` the directive's line.
   * `system` is cpp's `<…>` form (include paths only). Returns the included file's lines as
   * written (verbatim, no macros), or undefined after the walk has reported why it could not
   * (not found, cycle, too deep).
   */
  include(spec: string, from: SourceLine, options?: { system?: boolean; columns?: ColumnSpan }): IncludedFile | undefined;
  /** A problem on a line the user can see. */
  report(problem: ExpansionProblem): void;
  /** A macro (or `%define`, cpp `#define`, FASM `struc`…) was defined here: for go to definition and find references. */
  defined(name: string, kind: MacroKind, at: SourceLine): void;
  /** Defines from the configuration and the build (`-D`), name to value (`''` for `-DNAME`). */
  readonly defines: ReadonlyMap<string, string>;
  /**
   * The defines are all the build gives (`compile_commands.json`, or the configuration says so):
   * a name none of them and no file defines is undefined, as the assembler would take it, not undecided.
   */
  readonly definesComplete?: boolean;
  /** The dialect the walk reads the program in (GNU as `.S` files have cpp in front of it). */
  readonly dialect: Dialect;
  /** The bitness the root starts in (NASM's `__?BITS?__` follows it until a `bits` directive). */
  readonly bits?: Bits;
  /** Limits so a runaway macro or loop ends with a report instead of a hang. */
  readonly limits: ExpansionLimits;
}

export interface IncludedFile {
  readonly file: FileInstance;
  readonly lines: FileLines;
}

/** Lines read by index: an array of them, or a file's `FileLines`. */
export interface IndexedLines {
  readonly length: number;
  at(index: number): ExpandedLine | undefined;
}

export interface ExpansionLimits {
  /** Nested macro invocations. */
  readonly depth: number;
  /** Lines one walk may produce in all. */
  readonly lines: number;
  /** Iterations of one `rept`/`%rep`/`.rept`/`irp` block. */
  readonly repeat: number;
}

export const DEFAULT_LIMITS: ExpansionLimits = { depth: 64, lines: 2_000_000, repeat: 100_000 };

export type ProblemKind =
  /** The include could not be opened (not found, unreadable), or it would include itself. */
  | 'include'
  /** Expansion cannot be decided here: an unknown symbol in a condition, a limit reached, a form not understood. */
  | 'undecided';

export interface ExpansionProblem {
  readonly kind: ProblemKind;
  readonly at: SourceLine;
  readonly columns?: ColumnSpan;
  /** One line, no trailing period. */
  readonly message: string;
}

/**
 * A preprocessor: lines in (a file's lines, or an earlier stage's output), lines out.
 * It must read its input once, in order, and end: every loop and recursion is bounded by `env.limits`.
 */
export type Preprocessor = (input: Iterable<ExpandedLine>, env: ExpandEnv) => Iterable<ExpandedLine>;

/** The lines of a file as written, for a preprocessor's input. */
export function linesOf(file: FileInstance, lines: readonly string[]): FileLines {
  return new FileLines(file, lines);
}

/**
 * One inclusion's lines as written, each line object made when it is first read: a header every
 * root includes is mostly replayed from the cpp memo, which reads few of its lines (on Linux
 * arch/x86 the walks include 799k lines; making them all up front was 1.6M objects).
 * The same index always gives the same object.
 */
export class FileLines implements IndexedLines, Iterable<ExpandedLine> {
  private made: (ExpandedLine | undefined)[] | undefined;

  constructor(
    readonly file: FileInstance,
    /** The file's text lines (the file cache's array: every inclusion of a file shares it). */
    readonly texts: readonly string[],
  ) {}

  get length(): number {
    return this.texts.length;
  }

  at(index: number): ExpandedLine | undefined {
    if (index < 0 || index >= this.texts.length) return undefined;
    const made = (this.made ??= new Array<ExpandedLine | undefined>(this.texts.length));
    return (made[index] ??= writtenLine(this.texts[index]!, this.file, index));
  }

  /** The line at `index` if it was read already (looking does not make it). */
  madeAt(index: number): ExpandedLine | undefined {
    return this.made?.[index];
  }

  /** The lines from `start` on. */
  from(start: number): Iterator<ExpandedLine> {
    let index = start;
    return {
      next: (): IteratorResult<ExpandedLine> => {
        const line = this.at(index++);
        return line ? { done: false, value: line } : { done: true, value: undefined };
      },
    };
  }

  [Symbol.iterator](): Iterator<ExpandedLine> {
    return this.from(0);
  }
}

export const NO_MACROS: readonly MacroUse[] = emptyList();

/**
 * A line a stage made or changed. Every such line has the same fields in the same order (`body`
 * and `definition` even when undefined or false), so the code that reads lines sees two hidden
 * classes, this one and the line as written, rather than one per way of spelling the literal.
 */
export function madeLine(text: string, at: SourceLine, verbatim: boolean, body: SourceLine | undefined, macros: readonly MacroUse[]): ExpandedLine {
  return { text, at, verbatim, body, macros, definition: false };
}

/** A macro use, with every field present (see `madeLine`). */
export function macroUse(name: string, kind: MacroKind, definedAt: SourceLine | undefined, invokedAt: SourceLine, columns: ColumnSpan | undefined): MacroUse {
  return { name, kind, definedAt, invokedAt, columns };
}

/** `line` passed on as a line of a macro definition (see `ExpandedLine.definition`). */
export function definitionLine(line: ExpandedLine): ExpandedLine {
  return { text: line.text, at: line.at, verbatim: line.verbatim, body: line.body, macros: line.macros, definition: true };
}

/**
 * A line as written is its own place: one object where a line and its `at` were two (the walks
 * over Linux arch/x86 read ~185k such lines). A copy (`{ ...line }`) keeps `at` pointing here.
 */
function writtenLine(text: string, file: FileInstance, line: number): ExpandedLine & SourceLine {
  const written: { text: string; file: FileInstance; line: number; at: SourceLine | undefined; verbatim: true; macros: readonly MacroUse[] } =
    { text, file, line, at: undefined, verbatim: true, macros: NO_MACROS };
  written.at = written as SourceLine;
  return written as ExpandedLine & SourceLine;
}
