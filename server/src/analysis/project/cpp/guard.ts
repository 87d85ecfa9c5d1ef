// gcc's multiple-include optimisation: a header whose whole text sits inside
// `#ifndef G` / `#define G` … `#endif` is, once G is defined, read by cpp as nothing at all. The
// shape is learnt while cpp reads the file in full the first time (its own logical lines, so a
// guard inside a comment or a directive after the `#endif` is not taken for one); a later
// inclusion with G defined is then not read at all.
import type { LineReader, LogicalLine } from './lines';
import { lex, type LexOptions } from './tokens';

const HASH = 35;
const BRANCHES = new Set(['else', 'elif', 'elifdef', 'elifndef']);

/** Guards learnt per text lines (the file cache's array), for assembler and C lexing; null: the text has none. */
const GUARDS = new WeakMap<readonly string[], Map<boolean, string | null>>();

let skipping = true;

/** Inclusions skipped for their guard since the process started (tests check that a skip happened). */
export const guardSkips = { count: 0 };

/** Turns the skip off (tests compare results with and without it). */
export function setGuardSkip(enabled: boolean): void {
  skipping = enabled;
}

/** The include guard of `texts` when a full reading of it has shown one. */
export function knownIncludeGuard(texts: readonly string[], options: LexOptions): string | undefined {
  return skipping ? GUARDS.get(texts)?.get(options.dollars) ?? undefined : undefined;
}

const enum Stage {
  NotGuarded,
  Start,
  AfterIfndef,
  Inside,
  Closed,
}

/**
 * Watches one full reading of a file for the guarded shape: outside comments and blank lines,
 * exactly `#ifndef G`, on the very next logical line `#define G …` (the line cpp looks at to learn
 * the guard), then anything with no `#else`/`#elif` of the outer group, the `#endif` that closes
 * it, and nothing after.
 */
export class GuardWatch {
  private stage = Stage.Start;
  private name = '';

  constructor(
    private readonly texts: readonly string[],
    private readonly options: LexOptions,
  ) {}

  /** One logical line, with the number of open conditional groups before and after cpp read it. */
  see(line: LogicalLine, depthBefore: number, depthAfter: number): void {
    if (this.stage === Stage.NotGuarded) return;
    if (line.openComment) {
      this.stage = Stage.NotGuarded;
      return;
    }
    if (line.first < 0) {
      if (this.stage === Stage.AfterIfndef) this.stage = Stage.NotGuarded;
      return;
    }
    switch (this.stage) {
      case Stage.Start:
        this.stage = depthBefore === 0 && depthAfter === 1 ? this.opening(line) : Stage.NotGuarded;
        return;
      case Stage.AfterIfndef:
        this.stage = this.definesGuard(line) ? Stage.Inside : Stage.NotGuarded;
        return;
      case Stage.Inside:
        if (depthAfter === 0) this.stage = Stage.Closed;
        else if (depthBefore === 1 && BRANCHES.has(directiveWord(line))) this.stage = Stage.NotGuarded;
        return;
      case Stage.Closed:
        this.stage = Stage.NotGuarded;
        return;
    }
  }

  /** The file was read to its end. */
  end(reader: LineReader): void {
    const guard = this.stage === Stage.Closed && reader.unterminatedComment === undefined ? this.name : null;
    let byOptions = GUARDS.get(this.texts);
    if (!byOptions) GUARDS.set(this.texts, (byOptions = new Map()));
    byOptions.set(this.options.dollars, guard);
  }

  private opening(line: LogicalLine): Stage {
    const tokens = directiveTokens(line, this.options);
    const name = tokens?.[1];
    if (tokens?.[0]?.text !== 'ifndef' || tokens.length !== 2 || name?.kind !== 'ident') return Stage.NotGuarded;
    this.name = name.text;
    return Stage.AfterIfndef;
  }

  private definesGuard(line: LogicalLine): boolean {
    const tokens = directiveTokens(line, this.options);
    return tokens?.[0]?.text === 'define' && tokens[1]?.text === this.name;
  }
}

function directiveTokens(line: LogicalLine, options: LexOptions): ReturnType<typeof lex> | undefined {
  if (line.code.charCodeAt(line.first) !== HASH) return undefined;
  return lex(line.code, options, line.first + 1);
}

/** The word after a directive's `#` ('' for a text line), without lexing the rest. */
function directiveWord(line: LogicalLine): string {
  const code = line.code;
  if (code.charCodeAt(line.first) !== HASH) return '';
  let start = line.first + 1;
  while (start < code.length && (code.charCodeAt(start) === 32 || code.charCodeAt(start) === 9)) start++;
  let end = start;
  while (end < code.length && isWordChar(code.charCodeAt(end))) end++;
  return code.slice(start, end);
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}
