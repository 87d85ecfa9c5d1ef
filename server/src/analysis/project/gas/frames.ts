// Where the macro stage reads its next line from: the input, an included file, a macro's
// expansion, or a `.rept`/`.irp` block's iterations (made lazily, so a long loop costs no memory).
import { INITIAL_LEX_STATE, type LexState, type LexedLine } from '../../syntax/lexer';
import type { ExpandedLine, IndexedLines } from '../source';
import type { Statement } from './statements';

export type FrameKind = 'input' | 'include' | 'macro' | 'repeat';

export interface FrameContext {
  /** This frame is a macro's expansion or lies inside one. */
  readonly insideMacro: boolean;
  /** Macro expansions open around (and including) this frame. */
  readonly macroDepth: number;
  readonly includeDepth: number;
}

export abstract class Frame implements FrameContext {
  lex: LexState = INITIAL_LEX_STATE;

  constructor(
    readonly kind: FrameKind,
    readonly insideMacro: boolean,
    readonly macroDepth: number,
    readonly includeDepth: number,
    /** Open conditionals when the frame started (`.exitm` closes the ones the macro opened). */
    readonly conditionalDepth: number,
  ) {}

  abstract next(): ExpandedLine | undefined;
}

export class InputFrame extends Frame {
  private readonly iterator: Iterator<ExpandedLine>;

  constructor(input: Iterable<ExpandedLine>) {
    super('input', false, 0, 0, 0);
    this.iterator = input[Symbol.iterator]();
  }

  next(): ExpandedLine | undefined {
    const result = this.iterator.next();
    return result.done ? undefined : result.value;
  }
}

export class LinesFrame extends Frame {
  private index = 0;

  constructor(kind: 'include' | 'macro', private readonly lines: IndexedLines, context: FrameContext, conditionalDepth: number) {
    super(kind, context.insideMacro, context.macroDepth, context.includeDepth, conditionalDepth);
  }

  next(): ExpandedLine | undefined {
    return this.index < this.lines.length ? this.lines.at(this.index++) : undefined;
  }
}

/** A macro's expansion, each line made when it is read: a long body costs no memory before its lines are read. */
export class MacroFrame extends Frame {
  private index = 0;

  constructor(
    private readonly length: number,
    private readonly make: (bodyIndex: number) => ExpandedLine,
    context: FrameContext,
    conditionalDepth: number,
  ) {
    super('macro', context.insideMacro, context.macroDepth, context.includeDepth, conditionalDepth);
  }

  next(): ExpandedLine | undefined {
    return this.index < this.length ? this.make(this.index++) : undefined;
  }
}

/** `iterations` passes over `body`, each line made by `make(iteration, bodyIndex)`. */
export class RepeatFrame extends Frame {
  private iteration = 0;
  private index = 0;

  constructor(
    private readonly bodyLength: number,
    private readonly iterations: number,
    private readonly make: (iteration: number, bodyIndex: number) => ExpandedLine,
    context: FrameContext,
    conditionalDepth: number,
  ) {
    super('repeat', context.insideMacro, context.macroDepth, context.includeDepth, conditionalDepth);
  }

  next(): ExpandedLine | undefined {
    if (this.index >= this.bodyLength) {
      this.iteration++;
      this.index = 0;
    }
    if (this.iteration >= this.iterations || this.bodyLength === 0) return undefined;
    return this.make(this.iteration, this.index++);
  }
}

/** The statements of a line still to be read after an expansion it started (`m 1; nop`). */
export interface RestOfLine {
  readonly kind: 'rest';
  readonly line: ExpandedLine;
  readonly lexed: LexedLine;
  readonly statements: readonly Statement[];
  readonly from: number;
  /** The frame the line came from. */
  readonly context: Frame;
}
