// The lines the NASM stage reads: a file's lines, joined where one ends in a backslash, each
// knowing where it came from.
import type { ExpandedLine, IndexedLines, MacroUse, SourceLine } from '../source';

/** A line on its way through the preprocessor, with where it came from. */
export interface RawLine {
  readonly text: string;
  readonly at: SourceLine;
  readonly macros: readonly MacroUse[];
  readonly body?: SourceLine;
  /** `text` is exactly the text of `at`. */
  readonly verbatim: boolean;
  /** Read straight from a file (not replayed by a macro or `%rep`): its definitions are passed on. */
  readonly written: boolean;
  /** The input line itself, when this line is exactly it: handed on as it is. */
  readonly source?: ExpandedLine;
}

export class FileSource {
  private index = 0;
  constructor(private readonly lines: IndexedLines) {}

  next(): RawLine | undefined {
    const first = this.lines.at(this.index++);
    if (!first) return undefined;
    let text = first.text;
    let joined = false;
    // nasm joins a line ending in a backslash with the next before anything else (comments too).
    while (text.endsWith('\\') && this.index < this.lines.length) {
      text = text.slice(0, -1) + this.lines.at(this.index++)!.text;
      joined = true;
    }
    const written = first.macros.length === 0;
    if (!joined) return { text, at: first.at, macros: first.macros, body: first.body, verbatim: first.verbatim, written, source: first };
    return { text, at: first.at, macros: first.macros, body: first.body, verbatim: false, written };
  }
}
