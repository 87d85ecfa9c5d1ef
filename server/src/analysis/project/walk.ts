// One walk: a root file through its preprocessor stages, every line the assembler proper would
// see parsed with the line parser in the state the lines before left, and each parsed line kept
// with the file inclusion (instance) it belongs to. Macro output is kept apart, to be reported
// at the invocation.
import { detectHeader, type DocumentHeader } from '../document/documentHeader';
import type { Policy } from '../document/findings';
import { cachedPolicy } from '../document/result';
import { parseLineEntry, settleEntry, type LineEntry } from '../document/lineEntries';
import { changedState, initialParserState, type ParserState } from '../syntax/parser';
import { emptyList } from '../syntax/emptyList';
import type { AnalysisOptions, Bits, DeclaredMode, Dialect } from '../types';
import { entryMayReport } from './attribute';
import { applyDataLabelSizes, labelSizesApply, noteDataLabel } from './dataLabels';
import type { FileCache } from './fileCache';
import type { ParseCache } from './parseCache';
import { dirname, joinPath, isAbsolute } from './paths';
import { runsCpp, stagesFor } from './stages';
import {
  DEFAULT_LIMITS,
  linesOf,
  type ColumnSpan,
  type ExpandEnv,
  type ExpandedLine,
  type ExpansionLimits,
  type ExpansionProblem,
  type FileInstance,
  type IncludedFile,
  type MacroKind,
  type SourceLine,
} from './source';

/** One inclusion of a file and what the walk saw of it. */
export interface InstanceRecord {
  file: FileInstance;
  root: string;
  header: DocumentHeader;
  /** Lines read as written, parsed in the state the stream had there (and macro definition lines). */
  entries: Map<number, LineEntry>;
  /** Lines the assembler saw as changed text (macro output, substitutions), with what was parsed from them. */
  produced: ProducedLine[];
  problems: ExpansionProblem[];
  /** The walk has parsed a line of this instance (its header bits are then those of its first line). */
  started: boolean;
  /** The first line whose macro output holds an instruction: code ran there, as on a line of instructions. */
  firstProducedCode: number | undefined;
}

export interface ProducedLine {
  line: ExpandedLine;
  entry: LineEntry;
}

export interface WalkSettings {
  analysis: AnalysisOptions;
  dialect?: Dialect;
  dialectFamily?: 'gas';
  bits?: Bits;
  /** The mode the root starts in (a setting); the file's own `mode=` modeline still wins. */
  mode?: DeclaredMode;
  includePaths: readonly string[];
  defines: ReadonlyMap<string, string>;
  definesComplete: boolean;
  limits: ExpansionLimits;
  parseCache: ParseCache;
}

export interface WalkSinks {
  nextInstanceId(): number;
  defined(name: string, kind: MacroKind, at: SourceLine): void;
  included(from: SourceLine, spec: string, target: string | undefined): void;
  /** A line the assembler sees came from these macro uses (outermost first). */
  expanded(line: ExpandedLine): void;
}

export interface WalkOutput {
  instances: InstanceRecord[];
}

const MAX_INCLUDE_DEPTH = 64;
/** Inclusions of one file kept and reported per walk; later ones are read (for the state they leave) but not kept. */
const MAX_KEPT_INCLUSIONS = 32;
/** Lines one walk may read through includes (a `%rep` around an `%include` multiplies them). */
const MAX_LINES_INCLUDED = 5_000_000;

export function walkRoot(root: string, cache: FileCache, settings: WalkSettings, sinks: WalkSinks): WalkOutput {
  const rootLines = cache.lines(root) ?? [];
  const header = detectHeader(rootLines, { ...settings.analysis, fileName: root, dialect: settings.dialect, dialectFamily: settings.dialectFamily, bits: settings.bits, mode: settings.mode ?? settings.analysis.mode });
  const rootFile: FileInstance = { id: sinks.nextInstanceId(), path: root };
  const instances = new Map<number, InstanceRecord>();
  const walk = new Walk(root, header, cache, { ...settings, defines: definesFor(root, header, settings.defines) }, sinks, instances);
  walk.instanceFor(rootFile, header.bits);
  const env = walk.env();
  let input: Iterable<ExpandedLine> = linesOf(rootFile, rootLines);
  for (const stage of stagesFor(header.dialect, root)) input = stage(input, env);
  walk.run(input);
  walk.finish();
  return { instances: [...instances.values()] };
}

class Walk {
  private state: ParserState;
  private streamLine = 0;
  private readonly dataSizes = new Map<string, number>();
  private readonly inclusions = new Map<string, number>();
  /** Inclusions past MAX_KEPT_INCLUSIONS: read, never kept. */
  private readonly unkept = new Set<number>();
  private linesIncluded = 0;
  /** The inclusion the last line taken belongs to, and its record (undefined when it is not kept). */
  private runFile: FileInstance | undefined;
  private runRecord: InstanceRecord | undefined;
  /** The last stream state a definition line was read in, and the same state inside a macro. */
  private definitionBase: ParserState | undefined;
  private definitionInside: ParserState | undefined;
  /** FASM and MASM entries change once label sizes are known; they are not shared between roots. */
  private readonly shareable: boolean;
  /** Candidate paths of an include, by the includer's directory and the spec (this walk's root directory and include paths). */
  private readonly resolved: Map<string, readonly string[]>;
  private readonly policy: Policy;

  constructor(
    private readonly root: string,
    private readonly header: DocumentHeader,
    private readonly cache: FileCache,
    private readonly settings: WalkSettings,
    private readonly sinks: WalkSinks,
    private readonly instances: Map<number, InstanceRecord>,
  ) {
    this.state = initialParserState(header.dialect, header.bits);
    this.shareable = !labelSizesApply(header.dialect);
    this.resolved = resolutionsFor(cache, dirname(root), settings.includePaths);
    this.policy = cachedPolicy(settings.analysis);
  }

  instanceFor(file: FileInstance, bits: Bits): InstanceRecord {
    let record = this.instances.get(file.id);
    if (!record) {
      const included = file.includedAt !== undefined;
      const header: DocumentHeader = included
        ? includerHeader(this.state.dialect, bits)
        : this.header;
      record = { file, root: this.root, header, entries: new Map(), produced: emptyList(), problems: emptyList(), started: false, firstProducedCode: undefined };
      this.instances.set(file.id, record);
    }
    return record;
  }

  env(): ExpandEnv {
    return {
      include: (spec, from, options) => this.include(spec, from, options),
      report: (problem) => {
        if (!this.unkept.has(problem.at.file.id)) this.instanceFor(problem.at.file, this.state.bits).problems.push(problem);
      },
      defined: (name, kind, at) => this.sinks.defined(name, kind, at),
      defines: this.settings.defines,
      definesComplete: this.settings.definesComplete,
      dialect: this.header.dialect,
      bits: this.header.bits,
      limits: this.settings.limits,
    };
  }

  run(lines: Iterable<ExpandedLine>): void {
    const limit = this.settings.limits.lines;
    for (const line of lines) {
      if (this.streamLine >= limit) {
        this.instanceFor(line.at.file, this.state.bits).problems.push({
          kind: 'undecided',
          at: line.at,
          message: `The program expands to more than ${limit} lines; virtlint stops reading it here`,
        });
        return;
      }
      this.take(line);
    }
  }

  /** What can only be known once the whole program has been read: the sizes of data labels. */
  finish(): void {
    if (!labelSizesApply(this.header.dialect)) return;
    for (const record of this.instances.values()) {
      applyDataLabelSizes(record.entries.values(), this.dataSizes, this.header.dialect);
      applyDataLabelSizes(record.produced.map((produced) => produced.entry), this.dataSizes, this.header.dialect);
    }
  }

  private take(line: ExpandedLine): void {
    const file = line.at.file;
    // Lines come in runs of one inclusion: its record (none when it is not kept) is looked up once a run.
    if (file !== this.runFile) {
      this.runFile = file;
      this.runRecord = this.unkept.has(file.id) ? undefined : this.instanceFor(file, this.state.bits);
    }
    const record = this.runRecord;
    if (!record) {
      if (!line.definition) this.state = parseLineEntry(line.text, this.streamLine, this.state).after;
      this.streamLine++;
      return;
    }
    if (!record.started) {
      record.started = true;
      if (record.header.bitsSource === 'includer') record.header = includerHeader(this.state.dialect, this.state.bits);
    }
    if (line.definition) {
      const before = this.definitionState();
      if (!record.entries.has(line.at.line)) {
        const entry = this.asWritten(line, before, true);
        leaveModeToUses(entry);
        record.entries.set(line.at.line, entry);
      }
      this.streamLine++;
      return;
    }
    if (line.verbatim && line.macros.length === 0 && this.shareable) {
      const entry = this.asWritten(line, this.state, false);
      this.streamLine++;
      this.state = entry.after;
      if (!record.entries.has(line.at.line)) record.entries.set(line.at.line, entry);
      return;
    }
    const entry =
      line.macros.length > 0 && this.shareable
        ? this.settings.parseCache.producedLine(line.text, this.state, this.streamLine++)
        : parseLineEntry(line.text, this.streamLine++, this.state);
    this.state = entry.after;
    if (labelSizesApply(this.state.dialect)) noteDataLabel(line.text, this.dataSizes, this.state.dialect);
    if (line.macros.length > 0) this.sinks.expanded(line);
    if ((line.verbatim && line.macros.length === 0) || this.joinedAsWritten(line, entry)) {
      if (!record.entries.has(line.at.line)) {
        settleEntry(entry, line.at.line);
        record.entries.set(line.at.line, entry);
      }
      return;
    }
    if (entry.parsed.instructions.length === 0) return;
    // Code a macro produced counts as code that ran, whether or not any rule reports its line.
    if (record.firstProducedCode === undefined || line.at.line < record.firstProducedCode) record.firstProducedCode = line.at.line;
    if (this.mayReport(entry)) record.produced.push({ line, entry });
  }

  /**
   * The state a macro definition's lines are parsed in: the stream's, inside a macro. One object
   * per stream state (a definition's lines all see the same one), so the parse cache knows it
   * without working out its key again for every line.
   */
  private definitionState(): ParserState {
    const state = this.state;
    if (state.macroDepth > 0) return state;
    if (this.definitionBase !== state) {
      this.definitionBase = state;
      this.definitionInside = changedState(state, { macroDepth: 1 });
    }
    return this.definitionInside!;
  }

  /**
   * Whether a macro-produced line is worth keeping: one no rule reports adds nothing to the result
   * (crypto macros produce a hundred thousand such lines). FASM and MASM lines may still change
   * once label sizes are known, so they are all kept.
   */
  private mayReport(entry: LineEntry): boolean {
    return !this.shareable || entryMayReport(entry, this.policy);
  }

  private asWritten(line: ExpandedLine, before: ParserState, definition: boolean): LineEntry {
    return this.settings.parseCache.lineAsWritten(line.at.file.path, line.at.line, line.text, before, this.streamLine, definition);
  }

  /**
   * A line the preprocessor joined with the next (`\` at the end) but left otherwise as written:
   * when its instructions all lie in the first line's text, their columns are that line's.
   */
  private joinedAsWritten(line: ExpandedLine, entry: LineEntry): boolean {
    if (line.macros.length > 0 || entry.parsed.instructions.length === 0) return false;
    const written = this.cache.lines(line.at.file.path)?.[line.at.line]?.replace(/\\[ \t]*$/, '');
    if (written === undefined || !line.text.startsWith(written)) return false;
    return entry.parsed.instructions.every((ins) => ins.range.end.line === ins.range.start.line && ins.range.end.character <= written.length);
  }

  private include(spec: string, from: SourceLine, options: { system?: boolean; columns?: ColumnSpan } = {}): IncludedFile | undefined {
    const report = (message: string, kind: 'include' | 'undecided' = 'include'): undefined => {
      if (!this.unkept.has(from.file.id)) this.instanceFor(from.file, this.state.bits).problems.push({ kind, at: from, columns: options.columns, message });
      this.sinks.included(from, spec, undefined);
      return undefined;
    };
    const candidates = this.candidates(spec, from, options.system === true);
    const target = candidates.find((path) => this.cache.lines(path) !== undefined);
    if (!target) {
      const why = candidates.map((path) => this.cache.error(path)).find((error) => error !== undefined && error !== 'not found');
      return report(why ? `Cannot read "${spec}": ${why}` : `Cannot find "${spec}" (looked in ${candidates.map(dirname).join(', ')})`);
    }
    let depth = 0;
    for (let file: FileInstance | undefined = from.file; file; file = file.includedAt?.file) {
      if (file.path === target) return report(`"${spec}" includes itself (through ${chainOf(from.file)})`);
      depth++;
    }
    if (depth > MAX_INCLUDE_DEPTH) return report(`Includes nest deeper than ${MAX_INCLUDE_DEPTH} levels; "${spec}" is not read`);
    const text = this.cache.lines(target)!;
    if (this.linesIncluded + text.length > MAX_LINES_INCLUDED) {
      return report(`The program reads more than ${MAX_LINES_INCLUDED} lines through includes; "${spec}" is not read`, 'undecided');
    }
    this.linesIncluded += text.length;
    this.sinks.included(from, spec, target);
    const file: FileInstance = { id: this.sinks.nextInstanceId(), path: target, includedAt: from };
    const count = (this.inclusions.get(target) ?? 0) + 1;
    this.inclusions.set(target, count);
    if (count > MAX_KEPT_INCLUSIONS) {
      if (count === MAX_KEPT_INCLUSIONS + 1) {
        report(`"${spec}" is included more than ${MAX_KEPT_INCLUSIONS} times; the later inclusions are read but not reported`, 'undecided');
      }
      this.unkept.add(file.id);
    } else {
      this.instanceFor(file, this.state.bits);
    }
    return { file, lines: linesOf(file, text) };
  }

  private candidates(spec: string, from: SourceLine, system: boolean): readonly string[] {
    const key = `${system ? '<' : '"'}${dirname(from.file.path)}\0${spec}`;
    let known = this.resolved.get(key);
    if (!known) this.resolved.set(key, (known = this.candidatesOf(spec, from, system)));
    return known;
  }

  private candidatesOf(spec: string, from: SourceLine, system: boolean): string[] {
    const trimmed = spec.trim();
    if (trimmed === '') return [];
    if (isAbsolute(trimmed.replace(/\\/g, '/'))) return [joinPath('/', trimmed)];
    const dirs: string[] = [];
    if (!system) dirs.push(dirname(from.file.path), dirname(this.root));
    for (const dir of this.settings.includePaths) dirs.push(dir);
    const seen = new Set<string>();
    const out: string[] = [];
    for (const dir of dirs) {
      const path = joinPath(dir, trimmed);
      if (!seen.has(path)) out.push(path);
      seen.add(path);
    }
    return out;
  }
}

/** Include resolutions per analysis (its file cache), root directory and include paths: every root resolves the same includes again. */
const RESOLUTIONS = new WeakMap<FileCache, Map<string, Map<string, readonly string[]>>>();

function resolutionsFor(cache: FileCache, rootDirectory: string, includePaths: readonly string[]): Map<string, readonly string[]> {
  let byPaths = RESOLUTIONS.get(cache);
  if (!byPaths) RESOLUTIONS.set(cache, (byPaths = new Map()));
  const key = `${rootDirectory}\0${includePaths.join('\0')}`;
  let resolved = byPaths.get(key);
  if (!resolved) byPaths.set(key, (resolved = new Map()));
  return resolved;
}

/**
 * A macro body is assembled where it is used, in the mode there: whether a form exists in the
 * mode the definition happens to sit in says nothing (the uses are checked one by one).
 */
function leaveModeToUses(entry: LineEntry): void {
  for (const ins of entry.parsed.instructions) {
    if (ins.resolution?.status === 'invalid-in-mode') ins.resolution = { status: 'unresolved', reason: 'checked where the macro is used' };
  }
}

function chainOf(file: FileInstance): string {
  const names: string[] = [];
  for (let at: FileInstance | undefined = file; at; at = at.includedAt?.file) names.unshift(at.path.slice(at.path.lastIndexOf('/') + 1));
  return names.join(' → ');
}

/**
 * What gcc's cpp predefines for the target (`__x86_64__` or `__i386__`), and `__ASSEMBLY__`, the
 * name assembly headers test to hide their C half (Linux, Xen and others pass it with `-D`). The
 * build's and the configuration's defines come first.
 */
function definesFor(root: string, header: DocumentHeader, given: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  if (!runsCpp(root)) return given;
  let byBits = TARGET_DEFINES.get(given);
  if (!byBits) TARGET_DEFINES.set(given, (byBits = new Map()));
  let defines = byBits.get(header.bits);
  if (!defines) byBits.set(header.bits, (defines = withTargetDefines(header.bits, given)));
  return defines;
}

/** One map per (given defines, bitness), so the cpp stage parses a configuration's defines once. */
const TARGET_DEFINES = new WeakMap<ReadonlyMap<string, string>, Map<Bits, ReadonlyMap<string, string>>>();

function withTargetDefines(bits: Bits, given: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  const defines = new Map<string, string>();
  defines.set('__ASSEMBLY__', '1');
  if (bits === 64) for (const name of ['__x86_64__', '__x86_64', '__amd64__', '__amd64', '__LP64__']) defines.set(name, '1');
  else for (const name of ['__i386__', '__i386', 'i386']) defines.set(name, '1');
  for (const [name, value] of given) defines.set(name, value);
  return defines;
}

export function limitsOf(partial: Partial<ExpansionLimits> | undefined): ExpansionLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}

/** An included file's header, as its includer reads it (one literal, so one hidden class: a spread copy would be another). */
function includerHeader(dialect: Dialect, bits: Bits): DocumentHeader {
  return { dialect, dialectSource: 'includer', bits, bitsSource: 'includer' };
}
