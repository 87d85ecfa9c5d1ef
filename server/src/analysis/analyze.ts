// From text to findings: detect dialect and bitness, parse line by line, resolve each
// instruction against iced-x86, classify it, then apply rule selection, profile severities
// and suppression comments.
import { formatMessage, parseProfile, resolveRuleSelection, ruleById, severityFor, type ProfileId } from './catalogue/index';
import { isInt3, ruleForCode } from './classify';
import { detectBits, detectDialect, findModeline, sampleOf } from './detect';
import { initialParserState, parseLine, type ParsedLine, type ParserState } from './parser';
import { resolve } from './resolve';
import { parseDirectives, SuppressionIndex } from './suppress';
import type { AnalysisOptions, AnalysisResult, Bits, BitsRegion, Dialect, Finding, ParsedInstruction, SettingSource } from './types';

export interface LineEntry {
  /** State before the line. */
  before: ParserState;
  parsed: ParsedLine;
  /** State after the line. */
  after: ParserState;
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
  return { before, parsed, after: state };
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
}

function policyFor(options: AnalysisOptions): Policy {
  const profile = parseProfile(options.profile);
  const selection = resolveRuleSelection(options.rules, profile);
  return { profile, enabled: selection.enabled, includeInt3: selection.includeInt3 || options.includeInt3 === true, options };
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

/** Findings for one instruction before suppression. */
function findingsFor(ins: ParsedInstruction, policy: Policy, macroNames: ReadonlySet<string>): Finding | undefined {
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
      if (ins.inMacro || macroNames.has(ins.mnemonic)) return undefined;
      return makeFinding('unknown-mnemonic', ins, policy);
    case 'unresolved':
      return undefined;
  }
}

/** Builds the result from parsed lines (shared by the one-shot and the incremental analyzer). */
export function buildResult(entries: readonly LineEntry[], header: DocumentHeader, options: AnalysisOptions): AnalysisResult {
  const policy = policyFor(options);
  const instructions: ParsedInstruction[] = [];
  const bitsRegions: BitsRegion[] = [{ startLine: 0, bits: header.bits }];
  const directives = [];
  const macroNames = new Set<string>();
  for (let line = 0; line < entries.length; line++) {
    const entry = entries[line]!;
    if (entry.before.bits !== bitsRegions[bitsRegions.length - 1]!.bits) bitsRegions.push({ startLine: line, bits: entry.before.bits });
    for (const ins of entry.parsed.instructions) instructions.push(ins);
    if (entry.parsed.comments.length > 0) directives.push(...parseDirectives(entry.parsed.comments, line));
    if (entry.parsed.definesMacro) macroNames.add(entry.parsed.definesMacro);
  }
  const index = new SuppressionIndex(directives);
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const ins of instructions) {
    const finding = findingsFor(ins, policy, macroNames);
    if (!finding) continue;
    if (index.isFixed(finding.ruleId, ins.line)) continue;
    (index.isSuppressed(finding.ruleId, ins.line) ? suppressed : findings).push(finding);
  }
  for (const directive of directives) {
    for (const mention of directive.ids) {
      if (ruleById(mention.id)) continue;
      const severity = severityFor('unknown-rule', policy.profile, options.severities);
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
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { ...header, bitsRegions, instructions, findings, suppressed };
}

export function analyzeText(text: string, options: AnalysisOptions = {}): AnalysisResult {
  const lines = splitLines(text);
  const header = detectHeader(lines, options);
  return buildResult(parseAllLines(lines, header), header, options);
}
