// Every root of a project reads the same headers again, mostly in the same parser state: a line
// read as written, at the same place, in the same state, parses to the same entry. The cache
// hands that entry back instead of parsing the line again. Entries are settled on their own line,
// so every instance that shares one reads the same positions.
import { parseLineEntry, settleEntry, type LineEntry } from '../document/lineEntries';
import { isGas } from '../syntax/dialects';
import { emptyList } from '../syntax/emptyList';
import { lexLine, sameLexState } from '../syntax/lexer';
import type { ParserState } from '../syntax/parser';
import type { ParsedInstruction } from '../types';

/** The entries of one written line, a list (mostly of one: a line is mostly read in one state). */
interface Cached {
  readonly text: string;
  readonly state: number;
  readonly entry: LineEntry;
  readonly next: Cached | undefined;
}

/** Distinct macro-produced lines kept; past it they are parsed each time (a cache must not grow without bound). */
const MAX_PRODUCED = 200_000;

/** Lines read as written kept in all; past it the cache starts again (an editor session edits many lines). */
const MAX_WRITTEN = 500_000;

export class ParseCache {
  /**
   * One cache for every analysis in the process: the key (path, line, text, parser state) decides
   * the entry, so a later analysis (the editor's next run) may take what an earlier one parsed.
   */
  static readonly shared = new ParseCache();

  /** Per path, the lines read as written by line number (an array: a file's lines are dense and few). */
  private byPath = new Map<string, (Cached | undefined)[]>();
  /** Macro-produced lines by parser state (its id), then by text. */
  private readonly produced = new Map<number, Map<string, LineEntry>>();
  private producedCount = 0;
  private written = 0;
  /**
   * The state last asked about and its texts: most lines leave the state as it was, so the next
   * asks with the very same object (on arch/x86, 195k of 206k look-ups), and its key and map
   * need not be looked up again.
   */
  private lastState: ParserState | undefined;
  private lastTexts: Map<string, LineEntry> | undefined;

  /**
   * The entry for a line a macro produced. Its positions are never read (its findings are moved
   * to the invocation), so the text and the state are the whole key.
   */
  producedLine(text: string, before: ParserState, streamLine: number): LineEntry {
    return this.produced1(text, before, streamLine, true);
  }

  private produced1(text: string, before: ParserState, streamLine: number, split: boolean): LineEntry {
    if (!cacheable(before)) return parseLineEntry(text, streamLine, before);
    const known = this.producedTexts(before).get(text);
    if (known) return known;
    const entry = (split && this.fromStatements(text, before, streamLine)) || parseLineEntry(text, streamLine, before);
    if (entry.after.pending) return entry;
    if (++this.producedCount > MAX_PRODUCED) {
      this.produced.clear();
      this.lastState = undefined;
      this.producedCount = 1;
    }
    // Asked again: reading the statements may have asked about other states since.
    this.producedTexts(before).set(text, entry);
    return entry;
  }

  private producedTexts(before: ParserState): Map<string, LineEntry> {
    if (before === this.lastState) return this.lastTexts!;
    const state = stateId(before, false);
    let texts = this.produced.get(state);
    if (!texts) this.produced.set(state, (texts = new Map()));
    this.lastState = before;
    this.lastTexts = texts;
    return texts;
  }

  /**
   * A GNU as line of several statements (cpp macros make lines of hundreds), put together from
   * each statement's own cached entry: a macro repeats the same statements on many lines (on
   * arch/x86, 108k statements on the produced lines parsed, 21k distinct). Only where reading the
   * statements one by one is reading the line: no comment, no preprocessor line, the lexer's state
   * and the dialect unchanged, no macro definition; otherwise undefined (parse the line whole).
   * The instructions' positions are each statement's own, which is why only produced lines (whose
   * positions are never read) are put together this way.
   */
  private fromStatements(text: string, before: ParserState, streamLine: number): LineEntry | undefined {
    if (!isGas(before.dialect) || !text.includes(';')) return undefined;
    const lexed = lexLine(text, before.dialect, before.lex);
    if (lexed.preprocessor || lexed.comments.length > 0 || !sameLexState(lexed.state, before.lex)) return undefined;
    const masked = lexed.masked;
    const instructions: ParsedInstruction[] = [];
    let farProcedure: boolean[] | undefined;
    let state = before;
    let start = 0;
    for (let i = 0; i <= masked.length; i++) {
      if (i < masked.length && masked.charCodeAt(i) !== SEMICOLON) continue;
      const statement = text.slice(start, i).trim();
      start = i + 1;
      if (statement === '') continue;
      const part = this.produced1(statement, state, streamLine, false);
      const parsed = part.parsed;
      if (parsed.definesMacro !== undefined || parsed.comments.length > 0 || part.after.pending || part.after.dialect !== before.dialect || !sameLexState(part.after.lex, before.lex)) return undefined;
      for (let k = 0; k < parsed.instructions.length; k++) {
        if (parsed.farProcedure[k]) (farProcedure ??= new Array<boolean>(instructions.length).fill(false))[instructions.length] = true;
        else if (farProcedure) farProcedure[instructions.length] = false;
        instructions.push(parsed.instructions[k]!);
      }
      state = part.after;
    }
    if (instructions.length === 0) return undefined;
    return { line: streamLine, before, parsed: { instructions, comments: NO_COMMENTS, farProcedure: farProcedure ?? NO_FLAGS, definesMacro: undefined }, after: state, reports: true, contribution: undefined, modeEvents: undefined, dataIdiom: undefined };
  }

  /** The entry for `text` written at `path:line`, parsed in `before` (the stream position only matters to a fresh parse). */
  lineAsWritten(path: string, line: number, text: string, before: ParserState, streamLine: number, definition: boolean): LineEntry {
    if (!cacheable(before)) return settled(parseLineEntry(text, streamLine, before), line);
    const state = stateId(before, definition);
    let lines = this.byPath.get(path);
    if (!lines) this.byPath.set(path, (lines = []));
    const first = lines[line];
    for (let cached = first; cached; cached = cached.next) if (cached.text === text && cached.state === state) return cached.entry;
    const entry = settled(parseLineEntry(text, streamLine, before), line);
    // A statement left open by `\` carries line numbers in its state: never shared.
    if (!entry.after.pending) {
      if (++this.written > MAX_WRITTEN) {
        this.byPath = new Map();
        this.written = 1;
        this.byPath.set(path, withLine([], line, { text, state, entry, next: undefined }));
      } else {
        const stored = withLine(lines, line, { text, state, entry, next: first });
        if (stored !== lines) this.byPath.set(path, stored);
      }
    }
    return entry;
  }
}

/**
 * `lines` with `cached` at `line`: the same array, or a copy grown past `line` (a store far past
 * an array's end may turn it into a dictionary, whose look-ups hash again).
 */
function withLine(lines: (Cached | undefined)[], line: number, cached: Cached): (Cached | undefined)[] {
  let out = lines;
  if (line >= lines.length) {
    out = new Array<Cached | undefined>(Math.max(line + 1, lines.length * 2, 16));
    for (let i = 0; i < lines.length; i++) out[i] = lines[i];
  }
  out[line] = cached;
  return out;
}

const SEMICOLON = 59;
const NO_COMMENTS: LineEntry['parsed']['comments'] = emptyList();
const NO_FLAGS: boolean[] = emptyList();

function settled(entry: LineEntry, line: number): LineEntry {
  settleEntry(entry, line);
  return entry;
}

function cacheable(state: ParserState): boolean {
  return state.pending === undefined;
}

/**
 * A state's key: a small number, one per distinct fingerprint, kept per state object (lines that
 * change nothing hand the same object on). A number compares and indexes without hashing text,
 * and the fingerprint strings of states already seen die young.
 */
const STATE_IDS = new WeakMap<ParserState, number>();
const DEFINITION_STATE_IDS = new WeakMap<ParserState, number>();
const IDS_BY_FINGERPRINT = new Map<string, number>();

function stateId(s: ParserState, definition: boolean): number {
  const memo = definition ? DEFINITION_STATE_IDS : STATE_IDS;
  let id = memo.get(s);
  if (id === undefined) {
    const print = fingerprintOf(s, definition);
    id = IDS_BY_FINGERPRINT.get(print);
    if (id === undefined) IDS_BY_FINGERPRINT.set(print, (id = IDS_BY_FINGERPRINT.size));
    memo.set(s, id);
  }
  return id;
}

function fingerprintOf(s: ParserState, definition: boolean): string {
  const lex = s.lex;
  return `${s.dialect}|${s.bits}|${s.macroDepth}|${s.blocks}|${s.masmFarProcedure ? 1 : 0}${s.masmFarModel ? 1 : 0}${s.explicitBits ? 1 : 0}|${s.cppStack}|${lex.inBlockComment ? 1 : 0}${lex.cppContinuation ? 1 : 0}${lex.commentContinues ? 1 : 0}${lex.masmCommentDelimiter}|${definition ? 'd' : ''}`;
}
