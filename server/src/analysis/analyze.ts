// From text to findings: detect dialect and bitness, parse line by line, resolve each
// instruction against iced-x86, classify it, then apply rule selection, profile severities
// and suppression comments.
import { formatMessage, parseProfile, resolveRuleSelection, ruleById, severityFor, type ProfileId } from './catalogue/index';
import { isInt3, ruleForCode } from './classify';
import { detectBits, detectDialect, findModeline, sampleOf } from './detect';
import { initialParserState, parseLine, type ParsedLine, type ParserState } from './parser';
import { resolve } from './resolve';
import { parseDirectives, SuppressionIndex, type SuppressionDirective } from './suppress';
import type { AnalysisOptions, AnalysisResult, Bits, BitsRegion, Dialect, Finding, ParsedInstruction, SettingSource } from './types';

export interface LineEntry {
  /** State before the line. */
  before: ParserState;
  parsed: ParsedLine;
  /** State after the line. */
  after: ParserState;
  /** The line can report something: it has instructions or a `virtlint-` comment. */
  reports: boolean;
  /** Findings and directives of this line, for the options they were computed with. */
  contribution: EntryFindings | undefined;
}

export interface DocumentHeader {
  dialect: Dialect;
  dialectSource: SettingSource;
  bits: Bits;
  bitsSource: SettingSource;
}

/** Lines as LSP counts them: `\r\n`, `\n` and a lone `\r` all end a line. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

export function detectHeader(lines: readonly string[], options: AnalysisOptions): DocumentHeader {
  const modeline = findModeline(lines);
  const sample = sampleOf(lines);
  let dialect: Dialect;
  let dialectSource: SettingSource;
  if (modeline.dialect) [dialect, dialectSource] = [modeline.dialect, 'modeline'];
  else if (options.dialect) [dialect, dialectSource] = [options.dialect, 'override'];
  else ({ value: dialect, source: dialectSource } = detectDialect(sample, options.fileName));
  // A GNU as dialect given from outside still starts in whichever syntax the file opens with.
  let bits: Bits;
  let bitsSource: SettingSource;
  if (modeline.bits) [bits, bitsSource] = [modeline.bits, 'modeline'];
  else if (options.bits) [bits, bitsSource] = [options.bits, 'override'];
  else ({ value: bits, source: bitsSource } = detectBits(sample, dialect, options.fileName));
  return { dialect, dialectSource, bits, bitsSource };
}

export function parseLineEntry(line: string, lineNumber: number, before: ParserState): LineEntry {
  const { parsed, state } = parseLine(line, lineNumber, before);
  parsed.instructions.forEach((ins, i) => {
    ins.resolution = safeResolve(ins, parsed.farProcedure[i] ?? false);
  });
  const reports = parsed.instructions.length > 0 || mentionsVirtlint(parsed.comments);
  return { before, parsed, after: state, reports, contribution: undefined };
}

function safeResolve(ins: ParsedInstruction, masmFarProcedure: boolean): ParsedInstruction['resolution'] {
  try {
    return resolve(ins, { masmFarProcedure });
  } catch (error) {
    return { status: 'unresolved', reason: `internal error: ${(error as Error).message}` };
  }
}

export function parseAllLines(lines: readonly string[], header: DocumentHeader): LineEntry[] {
  const entries: LineEntry[] = new Array(lines.length);
  let state = initialParserState(header.dialect, header.bits);
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLineEntry(lines[i]!, i, state);
    entries[i] = entry;
    state = entry.after;
  }
  return entries;
}

interface Policy {
  profile: ProfileId;
  enabled: Set<string>;
  includeInt3: boolean;
  options: AnalysisOptions;
  /** The shared contribution of a line with nothing to report. */
  nothing: EntryFindings;
}

function policyFor(options: AnalysisOptions): Policy {
  const profile = parseProfile(options.profile);
  const selection = resolveRuleSelection(options.rules, profile);
  const nothing: EntryFindings = { options, findings: [], directives: [] };
  return { profile, enabled: selection.enabled, includeInt3: selection.includeInt3 || options.includeInt3 === true, options, nothing };
}

function makeFinding(ruleId: string, ins: ParsedInstruction, policy: Policy, message?: string): Finding | undefined {
  if (!policy.enabled.has(ruleId)) return undefined;
  const severity = severityFor(ruleId, policy.profile, policy.options.severities);
  if (severity === 'off') return undefined;
  const entry = ruleById(ruleId);
  const finding: Finding = {
    ruleId,
    severity,
    message: message ?? (entry ? formatMessage(entry, displayMnemonic(ins)) : ruleId),
    range: ins.range,
    mnemonicRange: ins.mnemonicRange,
    instruction: ins,
  };
  if (ins.resolution?.status === 'ok') {
    finding.code = ins.resolution.code;
    finding.codeName = ins.resolution.codeName;
  }
  return finding;
}

function displayMnemonic(ins: ParsedInstruction): string {
  return ins.mnemonic.toUpperCase();
}

/** The finding for one instruction before suppression. */
function findingFor(ins: ParsedInstruction, policy: Policy): Finding | undefined {
  const resolution = ins.resolution;
  if (!resolution) return undefined;
  switch (resolution.status) {
    case 'ok': {
      const ruleId = ruleForCode(resolution.code);
      if (!ruleId) return undefined;
      if (isInt3(resolution.code) && !policy.includeInt3) return undefined;
      return makeFinding(ruleId, ins, policy);
    }
    case 'invalid-in-mode': {
      const where = resolution.validIn.length > 0 ? ` (valid in ${resolution.validIn.map((b) => `${b}-bit`).join(', ')} code)` : '';
      return makeFinding('invalid-in-mode', ins, policy, `${resolution.reason}${where}`);
    }
    case 'unknown-mnemonic':
      if (ins.inMacro) return undefined;
      return makeFinding('unknown-mnemonic', ins, policy);
    case 'unresolved':
      return undefined;
  }
}

/** What one line contributes before suppression; cached on the entry while the options stay the same. */
interface EntryFindings {
  options: AnalysisOptions;
  /** Instruction findings (unknown mnemonics included; the macro filter needs the whole file) and bad ids in comments, in position order. */
  findings: Finding[];
  directives: SuppressionDirective[];
}

function entryFindings(entry: LineEntry, line: number, policy: Policy): EntryFindings {
  const cached = entry.contribution;
  if (cached && cached.options === policy.options) return cached;
  const directives = entry.parsed.comments.length > 0 ? parseDirectives(entry.parsed.comments, line) : [];
  const findings: Finding[] = [];
  for (const ins of entry.parsed.instructions) {
    const finding = findingFor(ins, policy);
    if (finding) findings.push(finding);
  }
  for (const directive of directives) {
    for (const mention of directive.ids) {
      if (ruleById(mention.id)) continue;
      const severity = severityFor('unknown-rule', policy.profile, policy.options.severities);
      if (severity === 'off') continue;
      findings.push({
        ruleId: 'unknown-rule',
        severity,
        message: `Unknown rule id "${mention.id}" in a virtlint-${directive.kind} comment`,
        range: mention.range,
        mnemonicRange: mention.range,
      });
    }
  }
  if (findings.length > 1) findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const result: EntryFindings = findings.length === 0 && directives.length === 0 ? policy.nothing : { options: policy.options, findings, directives };
  entry.contribution = result;
  return result;
}

/** Moves an entry's cached comment directives when lines above it were added or removed. */
export function shiftCachedDirectives(entry: LineEntry, delta: number): void {
  const cached = entry.contribution;
  if (!cached) return;
  for (const directive of cached.directives) {
    directive.line += delta;
    for (const mention of directive.ids) {
      mention.range.start.line += delta;
      mention.range.end.line += delta;
    }
  }
}

function mentionsVirtlint(comments: readonly { text: string }[]): boolean {
  for (const comment of comments) if (comment.text.includes('virtlint-')) return true;
  return false;
}

const policyCache = new WeakMap<AnalysisOptions, Policy>();

/**
 * Builds the result from parsed lines (shared by the one-shot and the incremental analyzer).
 * One pass over the lines that only reads cached per-line work: an editor calls this after
 * every keystroke. `instructions` is assembled on first use (few callers need the flat list).
 * `entries` must not change afterwards (the incremental analyzer makes a new array per edit).
 */
export function buildResult(entries: readonly LineEntry[], header: DocumentHeader, options: AnalysisOptions): AnalysisResult {
  let policy = policyCache.get(options);
  if (!policy) policyCache.set(options, (policy = policyFor(options)));
  const bitsRegions: BitsRegion[] = [{ startLine: 0, bits: header.bits }];
  let regionBits = header.bits;
  const directives: SuppressionDirective[] = [];
  const macroNames = new Set<string>();
  const candidates: Finding[] = [];
  for (let line = 0; line < entries.length; line++) {
    const entry = entries[line]!;
    if (entry.before.bits !== regionBits) bitsRegions.push({ startLine: line, bits: (regionBits = entry.before.bits) });
    if (entry.parsed.definesMacro) macroNames.add(entry.parsed.definesMacro);
    if (!entry.reports) continue;
    const contribution = entryFindings(entry, line, policy);
    if (contribution === policy.nothing) continue;
    for (const d of contribution.directives) directives.push(d);
    for (const f of contribution.findings) candidates.push(f);
  }
  const index = directives.length > 0 ? new SuppressionIndex(directives) : undefined;
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const finding of candidates) {
    const ins = finding.instruction;
    if (ins && finding.ruleId === 'unknown-mnemonic' && macroNames.has(ins.mnemonic)) continue;
    const line = ins?.line ?? finding.range.start.line;
    if (index?.isFixed(finding.ruleId, line)) continue;
    (index?.isSuppressed(finding.ruleId, line) ? suppressed : findings).push(finding);
  }
  let instructions: ParsedInstruction[] | undefined;
  return {
    ...header,
    bitsRegions,
    get instructions(): ParsedInstruction[] {
      return (instructions ??= flatInstructions(entries));
    },
    findings,
    suppressed,
  };
}

function flatInstructions(entries: readonly LineEntry[]): ParsedInstruction[] {
  const all: ParsedInstruction[] = [];
  for (const entry of entries) for (const ins of entry.parsed.instructions) all.push(ins);
  return all;
}

export function analyzeText(text: string, options: AnalysisOptions = {}): AnalysisResult {
  const lines = splitLines(text);
  const header = detectHeader(lines, options);
  return buildResult(parseAllLines(lines, header), header, options);
}
