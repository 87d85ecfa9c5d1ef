// Policy and findings: which rules are on and at what severity (profile, selection, user
// severities), and what each line reports before suppression comments are applied.
import { formatMessage, parseProfile, resolveRuleSelection, ruleById, severityFor, type ProfileId } from '../catalogue/index';
import { modeMessageTemplate, modeSeverity, segmentFormOf, type ModeContext } from '../catalogue/modes';
import { isInt3, ruleForCode } from '../resolve/classify';
import type { LineEntry } from './lineEntries';
import { parseDirectives, type SuppressionDirective } from './suppress';
import type { AnalysisOptions, ExecutionMode, Finding, ParsedInstruction, RuleId } from '../types';

export interface Policy {
  profile: ProfileId;
  enabled: Set<string>;
  includeInt3: boolean;
  options: AnalysisOptions;
  /** The shared contribution of a line with nothing to report. */
  nothing: EntryFindings;
}

export function policyFor(options: AnalysisOptions): Policy {
  const profile = parseProfile(options.profile);
  const selection = resolveRuleSelection(options.rules, profile);
  const nothing: EntryFindings = { options, findings: [], directives: [] };
  return { profile, enabled: selection.enabled, includeInt3: selection.includeInt3 || options.includeInt3 === true, options, nothing };
}

function makeFinding(ruleId: RuleId, ins: ParsedInstruction, policy: Policy, message?: string): Finding | undefined {
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
export function findingFor(ins: ParsedInstruction, policy: Policy): Finding | undefined {
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
export interface EntryFindings {
  options: AnalysisOptions;
  /** Instruction findings (unknown mnemonics included; the macro filter needs the whole file) and bad ids in comments, in position order. */
  findings: Finding[];
  directives: SuppressionDirective[];
}

/** An `unknown-rule` finding for each id in the directives that names no rule (none when the policy turns the rule off). */
export function unknownRuleFindings(directives: readonly SuppressionDirective[], policy: Policy): Finding[] {
  const out: Finding[] = [];
  if (directives.length === 0) return out;
  const severity = severityFor('unknown-rule', policy.profile, policy.options.severities);
  if (severity === 'off') return out;
  for (const directive of directives) {
    for (const mention of directive.ids) {
      if (ruleById(mention.id)) continue;
      out.push({
        ruleId: 'unknown-rule',
        severity,
        message: `Unknown rule id "${mention.id}" in a virtlint-${directive.kind} comment`,
        range: mention.range,
        mnemonicRange: mention.range,
      });
    }
  }
  return out;
}

export function entryFindings(entry: LineEntry, line: number, policy: Policy): EntryFindings {
  const cached = entry.contribution;
  if (cached && cached.options === policy.options) return cached;
  const directives = entry.parsed.comments.length > 0 ? parseDirectives(entry.parsed.comments, line) : [];
  const findings: Finding[] = [];
  for (const ins of entry.parsed.instructions) {
    const finding = findingFor(ins, policy);
    if (finding) findings.push(finding);
  }
  for (const finding of unknownRuleFindings(directives, policy)) findings.push(finding);
  if (findings.length > 1) findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const result: EntryFindings = findings.length === 0 && directives.length === 0 ? policy.nothing : { options: policy.options, findings, directives };
  entry.contribution = result;
  return result;
}

// ---------------------------------------------------------------------------------------------
// The execution mode

/** A finding as it reads in `mode`, or undefined when the mode makes it noise; computed once per finding and mode. */
const inModeCache = new WeakMap<Finding, { mode: ExecutionMode; adapted: Finding | undefined }>();

/**
 * The finding with the message and severity of the execution mode it runs in. A severity the
 * user set for the rule (or its group, or `all`) is kept as set; the message still follows the mode.
 */
export function findingInMode(finding: Finding, mode: ExecutionMode, policy: Policy): Finding | undefined {
  const cached = inModeCache.get(finding);
  if (cached && cached.mode === mode) return cached.adapted;
  const adapted = adaptToMode(finding, mode, policy);
  inModeCache.set(finding, { mode, adapted });
  return adapted;
}

/** The finding each adapted one was made from: callers that keyed facts on a candidate find them again. */
const candidateOf = new WeakMap<Finding, Finding>();

/** The candidate `findingInMode` adapted this finding from (itself when it was not adapted). */
export function modeCandidateOf(finding: Finding): Finding {
  return candidateOf.get(finding) ?? finding;
}

function adaptToMode(finding: Finding, mode: ExecutionMode, policy: Policy): Finding | undefined {
  const entry = ruleById(finding.ruleId);
  // Idioms are read from several instructions; their wording does not follow one instruction's mode.
  if (!entry || entry.group === 'meta' || entry.group === 'idiom') return finding;
  const ins = finding.instruction;
  const sreg = ins?.operands.find((operand) => operand.kind === 'reg' && operand.cls === 'sreg');
  const segment = segmentFormOf(finding.ruleId, finding.codeName, sreg?.kind === 'reg' ? sreg.reg : undefined);
  const context: ModeContext = { mode, profile: policy.profile, ...(segment ? { segment } : {}) };
  const severity = hasSeverityOverride(finding.ruleId, entry.group, policy.options) ? finding.severity : modeSeverity(finding.ruleId, context, finding.severity);
  if (severity === 'off') return undefined;
  const template = modeMessageTemplate(finding.ruleId, context);
  const mnemonic = ins ? displayMnemonic(ins) : undefined;
  const usual = formatMessage(entry, mnemonic);
  const message = template && finding.message.startsWith(usual) ? formatMessage({ ...entry, message: template }, mnemonic) + finding.message.slice(usual.length) : finding.message;
  const adapted: Finding = { ...finding, severity, message, mode };
  candidateOf.set(adapted, finding);
  return adapted;
}

function hasSeverityOverride(ruleId: string, group: string, options: AnalysisOptions): boolean {
  const overrides = options.severities;
  return overrides !== undefined && (overrides[ruleId] !== undefined || overrides[group] !== undefined || overrides['all'] !== undefined);
}
