// Every root of a project reads the same headers again, mostly in the same parser state: a line
// read as written, at the same place, in the same state, parses to the same entry. The cache
// hands that entry back instead of parsing the line again. Entries are settled on their own line,
// so every instance that shares one reads the same positions.
import { parseLineEntry, settleEntry, type LineEntry } from '../document/lineEntries';
import type { ParserState } from '../syntax/parser';

interface Cached {
  text: string;
  state: string;
  entry: LineEntry;
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

  private byPath = new Map<string, Map<number, Cached[]>>();
  /** Macro-produced lines by parser state, then by text. */
  private readonly produced = new Map<string, Map<string, LineEntry>>();
  private producedCount = 0;
  private written = 0;

  /**
   * The entry for a line a macro produced. Its positions are never read (its findings are moved
   * to the invocation), so the text and the state are the whole key.
   */
  producedLine(text: string, before: ParserState, streamLine: number): LineEntry {
    if (!cacheable(before)) return parseLineEntry(text, streamLine, before);
    const state = fingerprint(before, false);
    let texts = this.produced.get(state);
    if (!texts) this.produced.set(state, (texts = new Map()));
    const known = texts.get(text);
    if (known) return known;
    const entry = parseLineEntry(text, streamLine, before);
    if (entry.after.pending) return entry;
    if (++this.producedCount > MAX_PRODUCED) {
      this.produced.clear();
      this.produced.set(state, (texts = new Map()));
      this.producedCount = 1;
    }
    texts.set(text, entry);
    return entry;
  }

  /** The entry for `text` written at `path:line`, parsed in `before` (the stream position only matters to a fresh parse). */
  lineAsWritten(path: string, line: number, text: string, before: ParserState, streamLine: number, definition: boolean): LineEntry {
    const state = cacheable(before) ? fingerprint(before, definition) : undefined;
    if (state === undefined) return settled(parseLineEntry(text, streamLine, before), line);
    let lines = this.byPath.get(path);
    if (!lines) this.byPath.set(path, (lines = new Map()));
    let known = lines.get(line);
    if (!known) lines.set(line, (known = []));
    for (const cached of known) if (cached.text === text && cached.state === state) return cached.entry;
    const entry = settled(parseLineEntry(text, streamLine, before), line);
    // A statement left open by `\` carries line numbers in its state: never shared.
    if (!entry.after.pending) {
      if (++this.written > MAX_WRITTEN) {
        this.byPath = new Map([[path, lines]]);
        lines.clear();
        lines.set(line, (known = []));
        this.written = 1;
      }
      known.push({ text, state, entry });
    }
    return entry;
  }
}

function settled(entry: LineEntry, line: number): LineEntry {
  settleEntry(entry, line);
  return entry;
}

function cacheable(state: ParserState): boolean {
  return state.pending === undefined;
}

/** A state's key, kept per state object: lines that change nothing hand the same object on. */
const FINGERPRINTS = new WeakMap<ParserState, string>();
const DEFINITION_FINGERPRINTS = new WeakMap<ParserState, string>();

function fingerprint(s: ParserState, definition: boolean): string {
  const memo = definition ? DEFINITION_FINGERPRINTS : FINGERPRINTS;
  let key = memo.get(s);
  if (key === undefined) memo.set(s, (key = fingerprintOf(s, definition)));
  return key;
}

function fingerprintOf(s: ParserState, definition: boolean): string {
  const lex = s.lex;
  return `${s.dialect}|${s.bits}|${s.macroDepth}|${s.blocks}|${s.masmFarProcedure ? 1 : 0}${s.masmFarModel ? 1 : 0}${s.explicitBits ? 1 : 0}|${s.cppStack}|${lex.inBlockComment ? 1 : 0}${lex.cppContinuation ? 1 : 0}${lex.commentContinues ? 1 : 0}${lex.masmCommentDelimiter}|${definition ? 'd' : ''}`;
}
