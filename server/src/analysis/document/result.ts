// From parsed lines to a result: per-chunk summaries (bitness regions, macro names, the lines
// that report something), suppression, and the result object the shells read.
import { emptyList } from '../syntax/emptyList';
import type { ForeignArchitecture } from '../syntax/architecture';
import type { DocumentHeader } from './documentHeader';
import { modeAt, modeRegionsOf, modeWithBits, type LineEvents } from './executionMode';
import { entryFindings, findingInMode, policyFor, type Policy } from './findings';
import { withIdioms } from './idiomFindings';
import { runsIdioms } from '../catalogue/index';
import { entryModeEvents, settleEntry, type LineEntry } from './lineEntries';
import type { Chunk, LineTable } from '../text/lineTable';
import { SuppressionIndex, type SuppressionDirective } from './suppress';
import type { AnalysisOptions, AnalysisResult, Bits, BitsRegion, Dialect, Finding, ModeRegion, ParsedInstruction, SettingSource } from '../types';

const policyCache = new WeakMap<AnalysisOptions, Policy>();

/** What one chunk of lines adds to a result, for one set of options. */
interface ChunkSummary {
  options: AnalysisOptions;
  /** Bitness entering the chunk's first line, and entering its last line. */
  firstBits: Bits;
  lastBits: Bits;
  /** Lines (offsets in the chunk) whose entering bitness differs from the line before. */
  bitsChanges: number[];
  macroNames: string[];
  /** Lines (offsets in the chunk) with findings or suppression comments. */
  contributing: number[];
  /** Lines (offsets in the chunk) that say something about the execution mode. */
  modeLines: number[];
  /** The first line (offset in the chunk) with an instruction outside a macro definition, or -1. */
  firstCode: number;
}

const NO_OFFSETS: number[] = [];
const NO_NAMES: string[] = emptyList();

function summaryOf(chunk: Chunk<LineEntry>, start: number, policy: Policy): ChunkSummary {
  const cached = chunk.memo as ChunkSummary | undefined;
  if (cached && cached.options === policy.options) return cached;
  const items = chunk.items;
  const summary: ChunkSummary = { options: policy.options, firstBits: items[0]!.before.bits, lastBits: items[0]!.before.bits, bitsChanges: NO_OFFSETS, macroNames: NO_NAMES, contributing: NO_OFFSETS, modeLines: NO_OFFSETS, firstCode: -1 };
  for (let offset = 0; offset < items.length; offset++) {
    const entry = items[offset]!;
    if (entry.before.bits !== summary.lastBits) {
      if (summary.bitsChanges === NO_OFFSETS) summary.bitsChanges = [];
      summary.bitsChanges.push(offset);
      summary.lastBits = entry.before.bits;
    }
    if (entry.parsed.definesMacro) {
      if (summary.macroNames === NO_NAMES) summary.macroNames = [];
      summary.macroNames.push(entry.parsed.definesMacro);
    }
    if (entry.parsed.instructions.length > 0 || entry.parsed.comments.length > 0) {
      if (summary.firstCode < 0 && entry.parsed.instructions.some((ins) => !ins.inMacro)) summary.firstCode = offset;
      if (entryModeEvents(entry).length > 0) {
        if (summary.modeLines === NO_OFFSETS) summary.modeLines = [];
        summary.modeLines.push(offset);
      }
    }
    if (!entry.reports) continue;
    settleEntry(entry, start + offset);
    if (entryFindings(entry, start + offset, policy) === policy.nothing) continue;
    if (summary.contributing === NO_OFFSETS) summary.contributing = [];
    summary.contributing.push(offset);
  }
  chunk.memo = summary;
  return summary;
}

/**
 * Builds the result from parsed lines (shared by the one-shot and the incremental analyzer).
 * Editors call this after every keystroke, so it reads per-chunk summaries and touches only the
 * lines that report something; only chunks an edit replaced are summarised again.
 * `instructions` is assembled on first use (few callers need the flat list).
 */
export function buildResult(table: LineTable<LineEntry>, header: DocumentHeader, options: AnalysisOptions): AnalysisResult {
  return buildResultWith(table, header, options).result;
}

/** The policy for a set of options, made once per options object. */
export function cachedPolicy(options: AnalysisOptions): Policy {
  let policy = policyCache.get(options);
  if (!policy) policyCache.set(options, (policy = policyFor(options)));
  return policy;
}

/** What the project model knows of the code macros produced on a file's lines. */
export interface ProducedCode {
  /** The bitness a finding from `extra` was read in, when it can differ from its line's (a macro body that switches `bits`). */
  bitsOf?: (finding: Finding) => Bits | undefined;
  /** The first line where macro output holds an instruction. */
  firstLine?: number;
}

/**
 * `buildResult`, with findings from elsewhere (the project model's macro findings, reported on
 * this file's lines) put through the same suppression, and the file's suppression index returned.
 */
export function buildResultWith(
  table: LineTable<LineEntry>,
  header: DocumentHeader,
  options: AnalysisOptions,
  extra: readonly Finding[] = [],
  produced: ProducedCode = {},
): { result: AnalysisResult; suppression: SuppressionIndex | undefined } {
  const policy = cachedPolicy(options);
  const bitsRegions: BitsRegion[] = [{ startLine: 0, bits: header.bits }];
  let regionBits = header.bits;
  const directives: SuppressionDirective[] = [];
  const macroNames = new Set<string>();
  let candidates: Finding[] = [];
  const modeEvents: LineEvents[] = [];
  let firstCodeLine: number | undefined;
  table.chunks.forEach((chunk, index) => {
    const start = table.startOf(index);
    const summary = summaryOf(chunk, start, policy);
    if (firstCodeLine === undefined && summary.firstCode >= 0) firstCodeLine = start + summary.firstCode;
    if (summary.firstBits !== regionBits) bitsRegions.push({ startLine: start, bits: summary.firstBits });
    for (const offset of summary.bitsChanges) bitsRegions.push({ startLine: start + offset, bits: chunk.items[offset]!.before.bits });
    regionBits = summary.lastBits;
    for (const name of summary.macroNames) macroNames.add(name);
    for (const offset of summary.modeLines) modeEvents.push({ line: start + offset, events: entryModeEvents(chunk.items[offset]!) });
    for (const offset of summary.contributing) {
      const entry = chunk.items[offset]!;
      settleEntry(entry, start + offset);
      const contribution = entryFindings(entry, start + offset, policy);
      for (const d of contribution.directives) directives.push(d);
      for (const f of contribution.findings) candidates.push(f);
    }
  });
  for (const finding of extra) candidates.push(finding);
  // Another instruction set's mnemonics read as x86 are noise, not findings.
  if (header.foreignArchitecture) candidates.length = 0;
  else if (runsIdioms(policy.profile, policy.enabled)) candidates = withIdioms(candidates, flatInstructions(table), table, policy);
  // Code a macro produced ran as much as code written on the line (a `bits 16` after it starts 16-bit protected mode).
  const firstCode = Math.min(firstCodeLine ?? Infinity, produced.firstLine ?? Infinity);
  const modeRegions = cachedModeRegions(header, bitsRegions, modeEvents, firstCode);
  const index = directives.length > 0 ? new SuppressionIndex(directives) : undefined;
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const candidate of candidates) {
    const ins = candidate.instruction;
    if (ins && candidate.ruleId === 'unknown-mnemonic' && macroNames.has(ins.mnemonic)) continue;
    const line = ins?.line ?? candidate.range.start.line;
    const lineMode = modeAt(modeRegions, line);
    const extraBits = ins ? undefined : produced.bitsOf?.(candidate);
    const finding = findingInMode(candidate, extraBits === undefined ? lineMode : modeWithBits(lineMode, extraBits), policy);
    if (!finding) continue;
    if (index?.isFixed(finding.ruleId, line)) continue;
    (index?.isSuppressed(finding.ruleId, line) ? suppressed : findings).push(finding);
  }
  if (extra.length > 0) for (const list of [findings, suppressed]) list.sort(byPosition);
  return { result: new TableResult(header, bitsRegions, modeRegions, policy.profile, findings, suppressed, table), suppression: index };
}

/** The last mode regions per header (one per open document), reused while nothing they depend on changed. */
const modeRegionCache = new WeakMap<DocumentHeader, { bitsRegions: BitsRegion[]; events: LineEvents[]; firstCodeLine: number; regions: ModeRegion[] }>();

function cachedModeRegions(header: DocumentHeader, bitsRegions: BitsRegion[], events: LineEvents[], firstCodeLine: number): ModeRegion[] {
  const cached = modeRegionCache.get(header);
  if (cached && cached.firstCodeLine === firstCodeLine && sameList(cached.bitsRegions, bitsRegions, sameBitsRegion) && sameList(cached.events, events, sameLineEvents)) return cached.regions;
  const regions = modeRegionsOf(header, bitsRegions, events, firstCodeLine);
  modeRegionCache.set(header, { bitsRegions, events, firstCodeLine, regions });
  return regions;
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i]!, b[i]!)) return false;
  return true;
}

function sameBitsRegion(a: BitsRegion, b: BitsRegion): boolean {
  return a.startLine === b.startLine && a.bits === b.bits;
}

/** Event lists are computed once per parsed line, so the same line keeps the same list. */
function sameLineEvents(a: LineEvents, b: LineEvents): boolean {
  return a.line === b.line && a.events === b.events;
}

function byPosition(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

/**
 * A result that reads instructions from its line table on demand. A class, not an object
 * literal with a getter: a literal's accessor gives every result its own hidden class, which V8
 * allocates in old space, and the CLI's many short analyses then paid for ten full collections
 * where one did (measured over the Linux tree: 140 ms against 180 ms a pass).
 */
class TableResult implements AnalysisResult {
  readonly dialect: Dialect;
  readonly dialectSource: SettingSource;
  readonly bits: Bits;
  readonly bitsSource: SettingSource;
  readonly architecture: ForeignArchitecture | undefined;
  private flat: ParsedInstruction[] | undefined = undefined;

  constructor(
    header: DocumentHeader,
    readonly bitsRegions: BitsRegion[],
    readonly modeRegions: ModeRegion[],
    readonly profile: string,
    readonly findings: Finding[],
    readonly suppressed: Finding[],
    private readonly table: LineTable<LineEntry>,
  ) {
    this.dialect = header.dialect;
    this.dialectSource = header.dialectSource;
    this.bits = header.bits;
    this.bitsSource = header.bitsSource;
    this.architecture = header.foreignArchitecture;
  }

  /** Every instruction in order; built on first use (few callers need the flat list). */
  get instructions(): ParsedInstruction[] {
    return (this.flat ??= flatInstructions(this.table));
  }

  instructionsTouching(line: number): ParsedInstruction[] {
    return instructionsTouching(this.table, line);
  }
}

/** Longest run of `\` continuation lines looked through for the statement a line belongs to. */
const MAX_CONTINUED_LINES = 1000;

function instructionsTouching(table: LineTable<LineEntry>, line: number): ParsedInstruction[] {
  const found: ParsedInstruction[] = [];
  if (!Number.isInteger(line) || line < 0) return found;
  // A statement continued onto later lines is parsed where it ends.
  const last = Math.min(table.length, line + MAX_CONTINUED_LINES);
  for (let at = line; at < last; at++) {
    const entry = table.at(at);
    if (at > line && !entry.before.pending) break;
    settleEntry(entry, at);
    for (const ins of entry.parsed.instructions) if (ins.range.start.line <= line && line <= ins.range.end.line) found.push(ins);
  }
  return found;
}

function flatInstructions(table: LineTable<LineEntry>): ParsedInstruction[] {
  const all: ParsedInstruction[] = [];
  table.chunks.forEach((chunk, index) => {
    const start = table.startOf(index);
    chunk.items.forEach((entry, offset) => {
      if (entry.parsed.instructions.length === 0) return;
      settleEntry(entry, start + offset);
      for (const ins of entry.parsed.instructions) all.push(ins);
    });
  });
  return all;
}
