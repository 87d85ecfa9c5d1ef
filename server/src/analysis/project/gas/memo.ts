// What one use of a GNU as macro did, kept so a later use of the same macro with the same
// arguments replays it instead of reading the body again (crypto code uses one macro thousands of
// times: `club` 3,492 times with 2 argument lists over arch/x86). A recording names every symbol
// and macro name the expansion looked up, with what it found, so a replay happens only when the
// stage would find the same; anything the recording cannot say again (a `.macro`, `.include`,
// `.exitm`, `\@`, a limit) makes it unusable.
import type { ColumnSpan, ExpandedLine, MacroUse, SourceLine } from '../source';

/** A symbol as a look-up found it: a value, defined without a known value (undefined), or not defined (null). */
export type SymbolState = bigint | undefined | null;

/** A macro name as a look-up found it: the definition (compared by identity), or none. */
export type MacroState = object | null;

/** A line the expansion produced, without what depends on the use (its place and the uses around it). */
interface RecordedLine {
  readonly text: string;
  readonly body: SourceLine | undefined;
  readonly verbatim: boolean;
  /** The uses after the recorded one's own (nested macros, repeat blocks), which all name the use's line. */
  readonly inner: readonly MacroUse[];
  /** Lines of one frame share their uses: so do their replays. */
  readonly innerKey: readonly MacroUse[];
}

interface RecordedReport {
  readonly message: string;
  readonly columns: ColumnSpan | undefined;
}

type RecordedEvent = { readonly line: RecordedLine } | { readonly report: RecordedReport };

/** What a replay hands the stage, in the recorded order: a line for the next stage, or a problem on the use's line. */
export type ReplayEvent = { readonly line: ExpandedLine } | { readonly report: RecordedReport };

export class ExpansionRecording {
  readonly symbolReads = new Map<string, SymbolState>();
  readonly macroReads = new Map<string, MacroState>();
  /** Symbols set, with their last value. */
  readonly symbolWrites = new Map<string, bigint | undefined>();
  readonly events: RecordedEvent[] = [];
  /** Macro uses counted (`\@` goes up by this much) and lines reserved against the limit. */
  expansions = 0;
  produced = 0;
  poisoned = false;

  constructor(
    /** How many uses the using line's own chain holds: the recorded use is at this index. */
    private readonly prefixLength: number,
    private readonly use: MacroUse,
  ) {}

  readSymbol(name: string, state: SymbolState): void {
    if (!this.symbolWrites.has(name) && !this.symbolReads.has(name)) this.symbolReads.set(name, state);
  }

  readMacro(name: string, state: MacroState): void {
    if (!this.macroReads.has(name)) this.macroReads.set(name, state);
  }

  wroteSymbol(name: string, value: bigint | undefined): void {
    this.symbolWrites.set(name, value);
  }

  emitted(line: ExpandedLine): void {
    const chain = line.macros;
    // Every line a use makes carries the use; one that does not is beyond what a replay can say.
    if (chain[this.prefixLength] !== this.use) {
      this.poisoned = true;
      return;
    }
    this.events.push({ line: { text: line.text, body: line.body, verbatim: line.verbatim, inner: chain.slice(this.prefixLength + 1), innerKey: chain } });
  }

  reported(message: string, columns: ColumnSpan | undefined): void {
    this.events.push({ report: { message, columns } });
  }
}

/** The state a replay needs to match: what the stage answers now for a name. */
export interface ExpansionState {
  symbol(name: string): SymbolState;
  macro(name: string): MacroState;
}

export function matches(recording: ExpansionRecording, now: ExpansionState): boolean {
  for (const [name, state] of recording.symbolReads) if (now.symbol(name) !== state) return false;
  for (const [name, state] of recording.macroReads) if (now.macro(name) !== state) return false;
  return true;
}

/** The recorded lines and reports for a use on `at` whose own chain is `chain` (its use last). */
export function* replayed(recording: ExpansionRecording, at: SourceLine, chain: readonly MacroUse[]): Generator<ReplayEvent> {
  const chains = new Map<readonly MacroUse[], readonly MacroUse[]>();
  for (const event of recording.events) {
    if ('report' in event) {
      yield event;
      continue;
    }
    const recorded = event.line;
    let macros = chains.get(recorded.innerKey);
    if (!macros) {
      if (recorded.inner.length === 0) macros = chain;
      else {
        const rebuilt: MacroUse[] = chain.slice();
        for (const use of recorded.inner) rebuilt.push({ ...use, invokedAt: at });
        macros = rebuilt;
      }
      chains.set(recorded.innerKey, macros);
    }
    const line: { -readonly [K in keyof ExpandedLine]: ExpandedLine[K] } = { text: recorded.text, at, verbatim: recorded.verbatim, macros };
    if (recorded.body) line.body = recorded.body;
    yield { line };
  }
}

let memoEnabled = true;

/** Turns the memo off (tests compare the stage's output with and without it). */
export function setExpansionMemo(enabled: boolean): void {
  memoEnabled = enabled;
}

/** What the memo did since the process started (tests check that a replay they set up happened). */
export const expansionMemoCounters = { kept: 0, replays: 0 };

/** Recordings kept per macro and argument list; past it the oldest goes. */
const VARIANTS = 4;

/** The recordings of one expander, by macro definition and key (arguments and the state around the use). */
export class ExpansionMemo {
  private readonly byMacro = new WeakMap<object, Map<string, ExpansionRecording[]>>();
  /** Keys used once: a use is recorded only when its key comes again (most argument lists are used once). */
  private readonly seen = new WeakMap<object, Set<string>>();

  /** Whether a use is worth recording: its macro was used with this key before. */
  worthRecording(macro: object, key: string): boolean {
    if (!memoEnabled) return false;
    let keys = this.seen.get(macro);
    if (!keys) this.seen.set(macro, (keys = new Set()));
    if (keys.has(key)) return true;
    keys.add(key);
    return false;
  }

  find(macro: object, key: string, now: ExpansionState): ExpansionRecording | undefined {
    if (!memoEnabled) return undefined;
    const variants = this.byMacro.get(macro)?.get(key);
    if (!variants) return undefined;
    for (const recording of variants) {
      if (!matches(recording, now)) continue;
      expansionMemoCounters.replays++;
      return recording;
    }
    return undefined;
  }

  store(macro: object, key: string, recording: ExpansionRecording): void {
    if (!memoEnabled) return;
    let byKey = this.byMacro.get(macro);
    if (!byKey) this.byMacro.set(macro, (byKey = new Map()));
    let variants = byKey.get(key);
    if (!variants) byKey.set(key, (variants = []));
    if (variants.length >= VARIANTS) variants.shift();
    variants.push(recording);
    expansionMemoCounters.kept++;
  }
}
