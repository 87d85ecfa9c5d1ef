// Runs the walks for a set of files and turns what they saw into one result per file: the
// findings of every context the file was read in, merged, each saying where it was seen.
import { cachedPolicy, buildResultWith } from '../document/result';
import { modeAt } from '../document/executionMode';
import { modeCandidateOf } from '../document/findings';
import type { DocumentHeader } from '../document/documentHeader';
import type { LineEntry } from '../document/lineEntries';
import { parseLineEntry } from '../document/lineEntries';
import type { SuppressionIndex } from '../document/suppress';
import { severityFor, ruleById, parseProfile } from '../catalogue/index';
import { emptyList } from '../syntax/emptyList';
import { initialParserState } from '../syntax/parser';
import { LineTable } from '../text/lineTable';
import type { AnalysisOptions, AnalysisResult, DeclaredMode, Finding, FindingContext, FileLocation, Severity } from '../types';
import { bodyUseKey, countUse, locationOf, mayReport, producedFindings, rangeOn, type BodyUse, type BodyUses, type ProducedOrigin } from './attribute';
import { FileCache } from './fileCache';
import { ParseCache } from './parseCache';
import { normalize } from './paths';
import { includedFiles } from './prescan';
import type { ExpandedLine, ExpansionProblem, FileInstance, MacroUse, SourceLine } from './source';
import type { FileAnalysis, IncludeSite, MacroDefinition, ProjectInput, ProjectResult } from './types';
import { limitsOf, walkRoot, type InstanceRecord, type WalkSettings, type WalkSinks } from './walk';

const MAX_EXPANSION_LINES_KEPT = 200;

export function analyzeProgram(input: ProjectInput): ProjectResult {
  return new ProgramRun(input).whole();
}

/** What a share of a program's walks saw, for a shell that spreads the roots over threads. */
export interface ProgramPart {
  records: InstanceRecord[];
  includes: IncludeSite[];
}

/**
 * A program read in parts: `roots()` in order, cut into consecutive slices walked apart (each by
 * `walkPart`, possibly on another thread), then `filesOf` with the parts in slice order gives
 * exactly `analyzeProgram`'s files. The macro index (macros, invocations, expansions) is not kept.
 */
export class ProgramRun {
  readonly cache: FileCache;
  private readonly files: string[];
  private readonly includePathsOf: (file: string) => string[];

  constructor(private readonly input: ProjectInput) {
    this.cache = new FileCache(input.reader);
    this.files = [...new Set(input.files.map(normalize))];
    const globalIncludes = (input.options.includePaths ?? []).map(normalize);
    this.includePathsOf = (file) => [...globalIncludes, ...(input.options.buildFor?.(file)?.includePaths ?? []).map(normalize)];
  }

  /** The whole program on this thread, with the macro index. */
  whole(): ProjectResult {
    const collected = new Collector(0, true);
    const results = this.filesWith(collected);
    return { files: results, macros: collected.macros, invocations: collected.invocations, includes: collected.includes, expansions: collected.expansions };
  }

  /**
   * Each file's analysis on this thread, the same as `whole().files`, without the macro index
   * (what a command line reports: the index serves an editor's navigation and hovers).
   */
  fileAnalyses(): Map<string, FileAnalysis> {
    return this.filesWith(new Collector(0, false));
  }

  private filesWith(collected: Collector): Map<string, FileAnalysis> {
    const records = this.walk(this.roots(), collected);
    this.walkUnreached(records, collected);
    const results = resultsOf(records, this.input.options.analysis, this.cache);
    addIncluders(results, collected.includes);
    return results;
  }

  /** The files walked first, in order: those nobody includes, and those the build assembles on their own. */
  roots(): string[] {
    const included = includedFiles(this.files, this.cache, this.includePathsOf);
    return this.files.filter((file) => !included.has(file) || this.input.options.buildFor?.(file) !== undefined);
  }

  /** Files named only by includes no walk reached (a false branch, a cycle): each read alone, unless an earlier one of them reached it. */
  private walkUnreached(records: InstanceRecord[], collected: Collector): void {
    const reached = new Set<string>();
    for (const record of records) reached.add(record.file.path);
    for (const file of this.files) {
      if (reached.has(file)) continue;
      for (const record of this.walk([file], collected)) {
        records.push(record);
        reached.add(record.file.path);
      }
    }
  }

  /**
   * The walks of `roots`; instance ids start at `firstInstanceId` (parts must not share ids).
   * Macro-produced lines no rule reports are left out: they add nothing to the result, and a part
   * may have to be copied to another thread.
   */
  walkPart(roots: readonly string[], firstInstanceId: number): ProgramPart {
    const collected = new Collector(firstInstanceId, false);
    const records = this.walk(roots, collected);
    const policy = cachedPolicy(this.input.options.analysis);
    for (const record of records) record.produced = record.produced.filter((produced) => mayReport(produced, policy));
    return { records, includes: collected.includes };
  }

  /** Each file's analysis from the parts, in slice order, then the files none of them reached (walked here). */
  filesOf(parts: readonly ProgramPart[], firstInstanceId: number): Map<string, FileAnalysis> {
    const records: InstanceRecord[] = [];
    const includes = new IncludeList();
    for (const part of parts) {
      for (const record of part.records) records.push(record);
      for (const site of part.includes) includes.add(site);
    }
    const rest = new Collector(firstInstanceId, false);
    this.walkUnreached(records, rest);
    for (const site of rest.includes) includes.add(site);
    const results = resultsOf(records, this.input.options.analysis, this.cache);
    addIncluders(results, includes.sites);
    return results;
  }

  private walk(roots: readonly string[], collected: Collector): InstanceRecord[] {
    const records: InstanceRecord[] = [];
    for (const root of roots) {
      const settings = settingsFor(root, this.input, this.includePathsOf(root), ParseCache.shared);
      for (const record of walkRoot(root, this.cache, settings, collected.sinks).instances) records.push(record);
    }
    return records;
  }
}

/** Include sites, each directive once (the first walk that read it). */
class IncludeList {
  readonly sites: IncludeSite[] = [];
  private readonly seen = new SeenLines();

  add(site: IncludeSite): void {
    if (this.seen.add(site.from.path, site.from.line)) this.sites.push(site);
  }

  /** As `add`, making the site only for a directive not seen before. */
  addAt(from: SourceLine, spec: string, target: string | undefined): void {
    if (this.seen.add(from.file.path, from.line)) this.sites.push({ from: locationOf(from), target, spec });
  }
}

/** A root's walk settings, as one literal: the spread copy it was got a hidden class per root's mix of set and unset fields. */
function settingsFor(root: string, input: ProjectInput, includePaths: readonly string[], parseCache: ParseCache): WalkSettings {
  const options = input.options;
  const file = options.settingsFor?.(root);
  const build = options.buildFor?.(root);
  return {
    analysis: options.analysis,
    dialect: file?.dialect,
    dialectFamily: file?.dialectFamily,
    bits: file?.bits ?? build?.bits,
    mode: file?.mode,
    includePaths,
    defines: definesOf(options, build?.defines),
    // The build's own flags for this file are all it passes.
    definesComplete: options.definesComplete === true || build?.defines !== undefined,
    limits: limitsOf(options.limits),
    parseCache,
  };
}

const DEFINE_MAPS = new WeakMap<ProjectInput['options'], Map<unknown, ReadonlyMap<string, string>>>();

/** The defines for a root: one map object per distinct set, so stages can cache what they parse from it. */
function definesOf(options: ProjectInput['options'], build: Readonly<Record<string, string>> | undefined): ReadonlyMap<string, string> {
  let maps = DEFINE_MAPS.get(options);
  if (!maps) DEFINE_MAPS.set(options, (maps = new Map()));
  const key = build ?? NO_BUILD;
  let defines = maps.get(key);
  if (!defines) {
    const merged = new Map<string, string>(Object.entries(options.defines ?? {}));
    for (const [name, value] of Object.entries(build ?? {})) merged.set(name, value);
    maps.set(key, (defines = merged));
  }
  return defines;
}

const NO_BUILD = {};

/** Remembers (path, line) pairs without building a string per question. */
class SeenLines {
  private readonly byPath = new Map<string, Set<number>>();
  /** The last path asked about and its lines: a header's definitions and includes come one after another. */
  private lastPath: string | undefined;
  private lastLines: Set<number> | undefined;

  /** True the first time a pair is seen. */
  add(path: string, line: number): boolean {
    let lines = path === this.lastPath ? this.lastLines : this.byPath.get(path);
    if (!lines) this.byPath.set(path, (lines = new Set()));
    this.lastPath = path;
    this.lastLines = lines;
    if (lines.has(line)) return false;
    lines.add(line);
    return true;
  }
}

class Collector {
  /** `keepsIndex`: the macro index (definitions, invocations, expansions) is kept; the includes always are. */
  constructor(
    private nextId: number,
    private readonly keepsIndex: boolean,
  ) {}

  readonly macros = new Map<string, MacroDefinition[]>();
  readonly invocations = new Map<string, FileLocation[]>();
  readonly expansions = new Map<string, string[]>();
  private readonly definitionsSeen = new SeenLines();
  private readonly includeList = new IncludeList();
  readonly includes = this.includeList.sites;
  private readonly invocationsSeen = new Map<string, SeenLines>();

  readonly sinks: WalkSinks = {
    nextInstanceId: () => this.nextId++,
    defined: (name, kind, at) => {
      if (this.keepsIndex && this.definitionsSeen.add(at.file.path, at.line)) push(this.macros, name.toLowerCase(), { name, kind, definedAt: locationOf(at) });
    },
    included: (from, spec, target) => {
      this.includeList.addAt(from, spec, target);
    },
    expanded: (line) => {
      if (this.keepsIndex) this.expanded(line);
    },
  };

  /** The last line's uses and place: a macro's body lines share them, so they are looked at once. */
  private lastUses: readonly MacroUse[] | undefined;
  private lastAt: SourceLine | undefined;
  private lastTexts: string[] | undefined;

  private expanded(line: ExpandedLine): void {
    if (line.macros !== this.lastUses) {
      this.lastUses = line.macros;
      for (let k = 0; k < line.macros.length; k++) {
        const use = line.macros[k]!;
        const name = use.name.toLowerCase();
        let seen = this.invocationsSeen.get(name);
        if (!seen) this.invocationsSeen.set(name, (seen = new SeenLines()));
        if (seen.add(use.invokedAt.file.path, use.invokedAt.line)) push(this.invocations, name, locationOf(use.invokedAt, use.columns));
      }
    }
    let texts = this.lastTexts;
    if (line.at !== this.lastAt || !texts) {
      const at = `${line.at.file.path}:${line.at.line}`;
      texts = this.expansions.get(at);
      if (!texts) this.expansions.set(at, (texts = []));
      this.lastAt = line.at;
      this.lastTexts = texts;
    }
    if (texts.length < MAX_EXPANSION_LINES_KEPT) texts.push(line.text);
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function addIncluders(results: Map<string, FileAnalysis>, includes: readonly IncludeSite[]): void {
  for (const site of includes) {
    if (!site.target) continue;
    const analysis = results.get(site.target);
    if (analysis && !analysis.includers.includes(site.from.path)) analysis.includers.push(site.from.path);
  }
}

type BuiltResult = ReturnType<typeof buildResultWith>;

interface InstanceResult {
  record: InstanceRecord;
  result: AnalysisResult;
  suppression: SuppressionIndex | undefined;
  /** The mode the instance started in when its includer or a setting decided it. */
  startMode: DeclaredMode | undefined;
}

/** How the assembler read a line a macro produced: at the invocation, not where the file starts. */
type Reading = Pick<FindingContext, 'dialect' | 'bits'>;

function resultsOf(records: readonly InstanceRecord[], analysis: AnalysisOptions, cache: FileCache): Map<string, FileAnalysis> {
  const policy = cachedPolicy(analysis);
  const uses: BodyUses = new Map();
  const origins = new WeakMap<Finding, ProducedOrigin>();
  const bodyOf = new WeakMap<Finding, SourceLine>();
  const readingOf = new WeakMap<Finding, Reading>();
  const byPath = new Map<string, InstanceResult[]>();
  const byInstance = new ByInstance<InstanceResult>();
  const tables = new EntryTables(cache);
  for (const record of includersFirst(records)) {
    const extra = producedFindings(record, policy, cache, origins);
    for (const problem of listedProblems(record.problems)) {
      const finding = problemFinding(problem, analysis, cache);
      if (finding) extra.push(finding);
    }
    const header = withIncludersMode(record, byInstance);
    const table = tables.of(record);
    const build = (): BuiltResult =>
      buildResultWith(table, header, analysis, extra, {
        bitsOf: (candidate) => origins.get(candidate)?.bits,
        ...(record.firstProducedCode !== undefined ? { firstLine: record.firstProducedCode } : {}),
      });
    const alone = extra.length === 0 && record.firstProducedCode === undefined;
    const { result, suppression } = alone ? tables.builtAlone(table, header, build) : build();
    // Uses are counted in the mode each ran in: one the mode silences does not make its body line report.
    for (const list of [result.findings, result.suppressed]) {
      for (const finding of list) {
        const origin = origins.get(modeCandidateOf(finding));
        if (!origin) continue;
        readingOf.set(finding, { dialect: origin.dialect, bits: origin.bits });
        if (!origin.body) continue;
        bodyOf.set(finding, origin.body);
        if (origin.macros.length > 0) countUse(uses, origin.body, finding, origin.macros);
      }
    }
    const instance = { record, result, suppression, startMode: header.mode };
    byInstance.set(record.root, record.file.id, instance);
    push(byPath, record.file.path, instance);
  }
  const suppressionOf = (path: string): SuppressionIndex | undefined => byPath.get(path)?.[0]?.suppression;
  const out = new Map<string, FileAnalysis>();
  for (const [path, instances] of byPath) out.set(path, mergeInstances(path, instances, uses, { bodyOf, readingOf }, suppressionOf));
  addBodyFindings(out, uses, cache, suppressionOf);
  return out;
}

/** Values by file instance: its walk's root, then its id (ids are per walk). Nested maps: no key string per look-up. */
class ByInstance<T> {
  private readonly byRoot = new Map<string, Map<number, T>>();
  /** The last root asked about and its map: records come root by root. */
  private lastRoot: string | undefined;
  private lastIds: Map<number, T> | undefined;

  private ids(root: string): Map<number, T> {
    if (root === this.lastRoot) return this.lastIds!;
    let ids = this.byRoot.get(root);
    if (!ids) this.byRoot.set(root, (ids = new Map()));
    this.lastRoot = root;
    this.lastIds = ids;
    return ids;
  }

  get(root: string, fileId: number): T | undefined {
    return this.ids(root).get(fileId);
  }

  set(root: string, fileId: number, value: T): void {
    this.ids(root).set(fileId, value);
  }
}

/** The records with every includer before the files it includes (instance ids are per walk, so per root). */
function includersFirst(records: readonly InstanceRecord[]): InstanceRecord[] {
  const byKey = new ByInstance<InstanceRecord>();
  for (const record of records) byKey.set(record.root, record.file.id, record);
  const ordered: InstanceRecord[] = [];
  const placed = new Set<InstanceRecord>();
  const place = (record: InstanceRecord): void => {
    if (placed.has(record)) return;
    placed.add(record);
    const includedAt = record.file.includedAt;
    const includer = includedAt && byKey.get(record.root, includedAt.file.id);
    if (includer) place(includer);
    ordered.push(record);
  };
  for (const record of records) place(record);
  return ordered;
}

/**
 * An included file starts in the execution mode its includer is in at the include directive, as
 * it starts in its bitness: a boot sector's real-mode include is real-mode code. A `mode=` comment
 * in the file, a CR0.PE switch or a bitness the mode cannot have still change it further down.
 */
function withIncludersMode(record: InstanceRecord, byInstance: ByInstance<InstanceResult>): InstanceRecord['header'] {
  const includedAt = record.file.includedAt;
  if (!includedAt || record.header.mode) return record.header;
  const regions = byInstance.get(record.root, includedAt.file.id)?.result.modeRegions;
  const mode = regions ? modeAt(regions, includedAt.line) : 'unknown';
  return mode === 'unknown' ? record.header : { ...record.header, mode, modeSource: 'override' };
}

/**
 * A body line whose own reading found nothing (its operands are parameters: `push %1`) still
 * carries one finding for what its uses produced, saying how many there were.
 */
function addBodyFindings(files: Map<string, FileAnalysis>, uses: BodyUses, cache: FileCache, suppressionOf: (path: string) => SuppressionIndex | undefined): void {
  for (const use of uses.values()) {
    const path = use.body.file.path;
    const analysis = files.get(path);
    if (!analysis) continue;
    const { result } = analysis;
    const line = use.body.line;
    const known = (list: readonly Finding[]): boolean => list.some((f) => f.ruleId === use.sample.ruleId && f.range.start.line === line && !f.macroChain);
    if (known(result.findings) || known(result.suppressed)) continue;
    const range = rangeOn(cache, use.body);
    const finding: Finding = {
      ruleId: use.sample.ruleId,
      severity: use.sample.severity,
      message: `${use.sample.message.replace(/; via .*$/, '')}${usesNote(use)}`,
      range,
      mnemonicRange: range,
      code: use.sample.code,
      codeName: use.sample.codeName,
      ...(use.sample.mode ? { mode: use.sample.mode } : {}),
    };
    const list = suppressionOf(path)?.isSuppressed(finding.ruleId, line) ? result.suppressed : result.findings;
    list.push(finding);
    list.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  }
}

function usesNote(use: BodyUse): string {
  return ` (used by ${use.count} invocation${use.count === 1 ? '' : 's'} of ${[...use.macros].join(', ')})`;
}

const EMPTY_PARSED: LineEntry['parsed'] = { instructions: emptyList(), comments: emptyList(), farProcedure: emptyList(), definesMacro: undefined };

/**
 * The line tables of a run's instances. A header read by every root is mostly quiet (its C half,
 * false branches) and its few parsed lines come from the shared parse cache, so most inclusions
 * of a file hold the very same entries: they share one table, and with it the chunk summaries
 * `buildResultWith` keeps (on arch/x86, 5,373 inclusions make 459 distinct tables).
 */
export class EntryTables {
  /** Per file, the tables built for its instances (a few each: the key is the whole reading). */
  private readonly byPath = new Map<string, SharedTable[]>();
  /**
   * What `buildResultWith` made of a table in a header with nothing added (no macro findings,
   * no problems): the same for every instance that reads it so (on arch/x86, most inclusions of
   * a header), and read only afterwards, so they share it.
   */
  private readonly alone = new Map<LineTable<LineEntry>, Map<string, BuiltResult>>();

  constructor(private readonly cache: FileCache) {}

  of(record: InstanceRecord): LineTable<LineEntry> {
    const path = record.file.path;
    let shared = this.byPath.get(path);
    if (!shared) this.byPath.set(path, (shared = []));
    for (let k = 0; k < shared.length; k++) if (readsAs(record, shared[k]!)) return shared[k]!.table;
    const lines: number[] = [];
    const entries: LineEntry[] = [];
    record.entries.forEach((entry, line) => {
      lines.push(line);
      entries.push(entry);
    });
    const table = entriesOf(record, this.cache);
    shared.push({ dialect: record.header.dialect, bits: record.header.bits, lines, entries, table });
    return table;
  }

  builtAlone(table: LineTable<LineEntry>, header: DocumentHeader, build: () => BuiltResult): BuiltResult {
    let byHeader = this.alone.get(table);
    if (!byHeader) this.alone.set(table, (byHeader = new Map()));
    const key = JSON.stringify(header);
    let built = byHeader.get(key);
    if (!built) byHeader.set(key, (built = build()));
    return built;
  }
}

/** A line table and everything `entriesOf` read to build it: the state its first quiet lines are in, and which entry sits on which line, in the walk's order. */
interface SharedTable {
  readonly dialect: DocumentHeader['dialect'];
  readonly bits: DocumentHeader['bits'];
  readonly lines: readonly number[];
  readonly entries: readonly LineEntry[];
  readonly table: LineTable<LineEntry>;
}

/** Whether `entriesOf` would build `shared`'s table from the record (compared in place: no key is made per record). */
function readsAs(record: InstanceRecord, shared: SharedTable): boolean {
  if (record.header.dialect !== shared.dialect || record.header.bits !== shared.bits || record.entries.size !== shared.lines.length) return false;
  let k = 0;
  let same = true;
  // forEach, not `for…of`: no [line, entry] array per entry.
  record.entries.forEach((entry, line) => {
    if (same && (shared.lines[k] !== line || shared.entries[k] !== entry)) same = false;
    k++;
  });
  return same;
}

/** One entry per line of the instance's file: what the walk parsed there, or an empty line in the state around it. */
function entriesOf(record: InstanceRecord, cache: FileCache): LineTable<LineEntry> {
  const lines = cache.lines(record.file.path) ?? [];
  const entries: LineEntry[] = new Array(lines.length);
  let state: LineEntry['before'] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const seen = record.entries.get(i);
    if (seen) {
      entries[i] = seen;
      state = seen.after;
      continue;
    }
    entries[i] = quietEntry(lines[i]!, i, (state ??= firstState(record)));
  }
  return LineTable.from(entries);
}

function firstState(record: InstanceRecord): LineEntry['before'] {
  return initialParserState(record.header.dialect, record.header.bits);
}

/** A line the assembler did not read as code (a false branch, a directive the preprocessor took): only its suppression comments count. */
function quietEntry(text: string, line: number, state: LineEntry['before']): LineEntry {
  if (text.includes('virtlint-')) {
    const entry = parseLineEntry(text, line, state);
    return { ...entry, parsed: { ...entry.parsed, instructions: [], farProcedure: [] }, after: state };
  }
  return { line, before: state, parsed: EMPTY_PARSED, after: state, reports: false, contribution: undefined, modeEvents: undefined, dataIdiom: undefined };
}

/** Undecided places listed per file inclusion; past it, one line says how many more there are. */
const MAX_UNDECIDED_LISTED = 50;

function listedProblems(problems: readonly ExpansionProblem[]): ExpansionProblem[] {
  const listed: ExpansionProblem[] = [];
  let undecided = 0;
  let last: ExpansionProblem | undefined;
  for (const problem of problems) {
    if (problem.kind === 'undecided' && ++undecided > MAX_UNDECIDED_LISTED) {
      last = problem;
      continue;
    }
    listed.push(problem);
  }
  if (last) {
    const more = undecided - MAX_UNDECIDED_LISTED;
    listed.push({ ...last, message: `${more} more place${more === 1 ? '' : 's'} in this file where expansion cannot be decided are not listed (the last is here)` });
  }
  return listed;
}

function problemFinding(problem: ExpansionProblem, analysis: AnalysisOptions, cache: FileCache): Finding | undefined {
  const ruleId = problem.kind === 'include' ? 'unresolved-include' : 'undecided-expansion';
  const entry = ruleById(ruleId);
  const severity = severityFor(ruleId, parseProfile(analysis.profile), analysis.severities);
  if (!entry || severity === 'off') return undefined;
  const range = rangeOn(cache, problem.at, problem.columns);
  return { ruleId, severity, message: problem.message, range, mnemonicRange: range };
}

/** How the instance was read: the dialect, bitness and mode it started in (the mode when its includer or a setting decided it). */
function fileContextOf({ record, startMode }: InstanceResult): FindingContext {
  // Every field present (undefined when not said), here and in findingContextOf: one hidden class for contexts.
  return { root: record.root, includes: includeChainOf(record), dialect: record.header.dialect, bits: record.header.bits, mode: startMode || undefined, severity: undefined, message: undefined };
}

/** How the instance read the finding's line: its instruction's dialect and bitness (a macro's at the invocation), its mode, and what it said there. */
function findingContextOf(record: InstanceRecord, finding: Finding, reading: Reading | undefined, message: string): FindingContext {
  const ins = finding.instruction;
  return {
    root: record.root,
    includes: includeChainOf(record),
    dialect: ins?.dialect ?? reading?.dialect ?? record.header.dialect,
    bits: ins?.bits ?? reading?.bits ?? record.header.bits,
    mode: finding.mode || undefined,
    severity: finding.severity,
    message,
  };
}

/**
 * The include directives that led to an instance, outermost first: one array per file instance,
 * shared by its contexts and built on its includer's (a header's findings name it in every
 * context, and an inclusion's chain is its includer's and one more). Never modified.
 */
const CHAINS = new WeakMap<FileInstance, FileLocation[]>();
const CHAIN_KEYS = new WeakMap<readonly FileLocation[], string>();

function includeChainOf(record: InstanceRecord): FileLocation[] {
  return chainOf(record.file);
}

function chainOf(file: FileInstance): FileLocation[] {
  let chain = CHAINS.get(file);
  if (!chain) {
    const at = file.includedAt;
    chain = at ? [...chainOf(at.file), locationOf(at)] : emptyList<FileLocation>(); // an empty [] would be another hidden class
    CHAINS.set(file, chain);
  }
  return chain;
}

function contextKey(context: FindingContext): string {
  let chain = CHAIN_KEYS.get(context.includes);
  if (chain === undefined) {
    // Joined by hand: the arrays `map` makes (of small integers when empty, now and then holey)
    // were other hidden classes to `join`.
    const includes = context.includes;
    chain = '';
    for (let k = 0; k < includes.length; k++) chain += `${k > 0 ? '>' : ''}${includes[k]!.path}:${includes[k]!.line}`;
    CHAIN_KEYS.set(includes, chain);
  }
  return `${context.root}|${chain}|${context.dialect}|${context.bits}`;
}

/**
 * One finding per rule and place; a macro's findings also per macro (a recursive macro reaches one
 * body line many times). The message before the execution mode reworded it: one line read in two
 * modes is one finding seen in both contexts.
 */
function findingKey(finding: Finding): string {
  const { start, end } = finding.range;
  const what = finding.macroChain ? finding.macroChain[0]!.name : modeCandidateOf(finding).message;
  return `${finding.ruleId}|${start.line}:${start.character}-${end.line}:${end.character}|${what}`;
}

/** What the results know of each finding a macro produced. */
interface ProducedFacts {
  bodyOf: WeakMap<Finding, SourceLine>;
  readingOf: WeakMap<Finding, Reading>;
}

function mergeInstances(
  path: string,
  instances: readonly InstanceResult[],
  uses: BodyUses,
  produced: ProducedFacts,
  suppressionOf: (path: string) => SuppressionIndex | undefined,
): FileAnalysis {
  const findings = new Map<string, Finding>();
  const suppressed = new Map<string, Finding>();
  const contexts = new Map<string, FindingContext>();
  const keysOf: ContextKeys = new WeakMap();
  for (const instance of instances) {
    const { record, result } = instance;
    const fileContext = fileContextOf(instance);
    contexts.set(contextKey(fileContext), fileContext);
    const merge = (into: Map<string, Finding>, finding: Finding): void => {
      const message = withUses(finding, uses, path);
      addMerged(into, finding, message, findingContextOf(record, finding, produced.readingOf.get(finding), message), keysOf);
    };
    for (const finding of result.findings) {
      const body = produced.bodyOf.get(finding);
      const silencedInBody = body !== undefined && suppressionOf(body.file.path)?.isSuppressed(finding.ruleId, body.line) === true;
      merge(silencedInBody ? suppressed : findings, finding);
    }
    for (const finding of result.suppressed) merge(suppressed, finding);
  }
  const first = instances[0]!.result;
  const result: AnalysisResult = {
    dialect: first.dialect,
    dialectSource: first.dialectSource,
    bits: first.bits,
    bitsSource: first.bitsSource,
    bitsRegions: first.bitsRegions,
    ...(first.modeRegions ? { modeRegions: first.modeRegions } : {}),
    ...(first.profile ? { profile: first.profile } : {}),
    get instructions() {
      return first.instructions;
    },
    findings: sorted(findings),
    suppressed: sorted(suppressed),
    instructionsTouching: (line: number) => first.instructionsTouching?.(line) ?? [],
  };
  return { path, result, contexts: [...contexts.values()], includers: [] };
}


const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 3, warning: 2, info: 1, hint: 0 };

/** The keys of the contexts a merged finding lists (a finding of a header is seen in hundreds). */
type ContextKeys = WeakMap<FindingContext[], Set<string>>;

function addMerged(into: Map<string, Finding>, finding: Finding, message: string, context: FindingContext, keysOf: ContextKeys): void {
  const key = findingKey(finding);
  let merged = into.get(key);
  // Read in several modes, the finding speaks for the mode where it matters most; each context keeps what it said there.
  if (!merged || SEVERITY_RANK[finding.severity] > SEVERITY_RANK[merged.severity]) {
    merged = { ...finding, message, contexts: merged?.contexts ?? [] };
    into.set(key, merged);
  }
  const contexts = merged.contexts!;
  let keys = keysOf.get(contexts);
  if (!keys) keysOf.set(contexts, (keys = new Set(contexts.map(contextKey))));
  const contextId = contextKey(context);
  if (keys.has(contextId)) return;
  keys.add(contextId);
  contexts.push(context);
}

/** A body line's finding says how many invocations use it. */
function withUses(finding: Finding, uses: BodyUses, path: string): string {
  if (!finding.instruction?.inMacro) return finding.message;
  const use = uses.get(bodyUseKey(path, finding.instruction.line, finding.ruleId));
  return use ? `${finding.message}${usesNote(use)}` : finding.message;
}

function sorted(findings: Map<string, Finding>): Finding[] {
  return [...findings.values()].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}
