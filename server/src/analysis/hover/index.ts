// Hover text: a full card for a flagged instruction, one line of iced facts for any other
// instruction, and the rule summary for a rule id inside a virtlint suppression comment.
import { allEntries, describeObservation, formatMessage, OBSERVED, ruleById } from '../catalogue/index';
import { FAMILY_LABEL, FIX_LABEL } from '../catalogue/labels';
import type { RuleEntry } from '../catalogue/schema';
import { PROFILES } from '../catalogue/schema';
import { isInt3, ruleForCode } from '../resolve/classify';
import { codeFacts, type CodeFacts } from '../resolve/iced';
import { resolve, resolveInstruction } from '../resolve/resolve';
import type { AnalysisResult, Finding, ParsedInstruction, Position, Range, Resolution } from '../types';

export interface HoverInfo {
  markdown: string;
  range: Range;
}

/** `source`: the document's text, or a function giving one line of it (an editor holds lines). */
export function hoverAt(source: string | ((line: number) => string), result: AnalysisResult, position: Position): HoverInfo | undefined {
  if (!isValidPosition(position)) return undefined;
  const line = typeof source === 'string' ? lineAt(source, position.line) : source(position.line);
  return suppressionHover(line, position) ?? findingHover(result, position) ?? instructionHover(result, position);
}

// ---------------------------------------------------------------------------------------------
// Rule ids in suppression comments

const MARKER = /virtlint-(?:disable-next-line|disable-line|disable-file|disable|enable|fixed:?)/g;
const RULE_TOKEN = /[A-Za-z0-9_][A-Za-z0-9_-]*/g;

function suppressionHover(line: string, position: Position): HoverInfo | undefined {
  for (const marker of line.matchAll(MARKER)) {
    const idsStart = marker.index + marker[0].length;
    const idsEnd = endOfIdList(line, idsStart);
    if (position.character < idsStart || position.character > idsEnd) continue;
    for (const token of line.slice(idsStart, idsEnd).matchAll(RULE_TOKEN)) {
      const start = idsStart + token.index;
      const end = start + token[0].length;
      if (position.character < start || position.character > end) continue;
      const range = { start: { line: position.line, character: start }, end: { line: position.line, character: end } };
      return { markdown: ruleSummary(token[0]), range };
    }
  }
  return undefined;
}

/** The id list ends at the `--` that introduces a reason, at a block-comment end, or at the end of the line. */
function endOfIdList(line: string, from: number): number {
  const rest = line.slice(from);
  const stops = [/(^|\s)--(\s|$)/.exec(rest), /\*\//.exec(rest), /virtlint-/.exec(rest)]
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => match.index);
  return from + (stops.length > 0 ? Math.min(...stops) : rest.length);
}

export function ruleSummary(id: string): string {
  const entry = ruleById(id);
  if (!entry) {
    const known = allEntries().map((rule) => `\`${rule.id}\``).join(', ');
    return `**Unknown rule id \`${id}\`**: this comment suppresses nothing for it.\n\nKnown ids: ${known}.`;
  }
  const defaults = PROFILES.map((profile) => `${profile}: ${entry.severity[profile]}`).join(' · ');
  return [
    `**\`${entry.id}\`** — ${entry.title}`,
    '',
    `${formatMessage(entry, undefined)}.`,
    '',
    `*${FAMILY_LABEL[entry.family]}.* Default severity — ${defaults}.`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Flagged instructions

function findingHover(result: AnalysisResult, position: Position): HoverInfo | undefined {
  const hits = result.findings.filter((finding) => contains(finding.range, position));
  if (hits.length === 0) return undefined;
  // A virtualization finding explains more than a meta one on the same statement.
  const finding = hits.find((hit) => ruleById(hit.ruleId)?.group !== 'meta') ?? hits[0]!;
  const entry = ruleById(finding.ruleId);
  if (!entry) return { markdown: `**${finding.ruleId}** — ${finding.message}`, range: finding.range };
  return { markdown: entry.group === 'meta' ? metaCard(entry, finding) : findingCard(entry, finding), range: finding.range };
}

function shownMnemonic(finding: Finding, entry: RuleEntry): string {
  return (finding.instruction?.mnemonic ?? entry.mnemonics[0] ?? entry.id).toUpperCase();
}

export function findingCard(entry: RuleEntry, finding: Finding): string {
  const family = entry.family === 'later-addition' ? 'a later addition to Robin & Irvine\'s list' : `Robin & Irvine: ${FAMILY_LABEL[entry.family].replace(/ \(Robin & Irvine 2000\)$/, '').toLowerCase()}`;
  const lines = [
    `**${shownMnemonic(finding, entry)}** — sensitive but unprivileged (${family}). Rule \`${entry.id}\`, ${finding.severity}.`,
    '',
    `${finding.message}.`,
    '',
    `**At CPL>0:** ${entry.problem}`,
    '',
    `**VT-x:** ${entry.vtx}`,
    '',
    `**AMD-V:** ${entry.amdv}`,
    '',
    `**UMIP / CR4:** ${entry.controls}`,
    '',
    `**Fixes:** ${entry.fixes.map((kind) => (kind === 'cr4-control' ? `${FIX_LABEL[kind]} (system setting)` : FIX_LABEL[kind])).join(', ')}. ${entry.advice}`,
  ];
  if (entry.detection) lines.push('', `**VM detection:** ${entry.detection}`);
  const observation = OBSERVED[entry.id];
  if (observation) lines.push('', `**Proof bench:** ${describeObservation(observation)}.`);
  const facts = finding.code === undefined ? undefined : safeCodeFacts(finding.code);
  if (facts) lines.push('', icedLine(facts));
  if (entry.sources.length > 0) lines.push('', `Sources: ${entry.sources.map((source) => `[${source.key}](${source.url} "${source.title.replace(/"/g, "'")}")`).join(' · ')}`);
  return lines.join('\n');
}

function metaCard(entry: RuleEntry, finding: Finding): string {
  return [`**\`${entry.id}\`** — ${entry.title}`, '', `${finding.message}.`, '', entry.advice].join('\n');
}

function safeCodeFacts(code: number): CodeFacts | undefined {
  try {
    return codeFacts(code);
  } catch {
    return undefined;
  }
}

function icedLine(facts: CodeFacts): string {
  return `iced-x86: \`${facts.codeName}\` · \`${facts.opCodeString}\` · ${facts.cpl3 && !facts.isPrivileged ? 'allowed at CPL 3, not privileged' : 'privileged'}`;
}

// ---------------------------------------------------------------------------------------------
// Any other instruction: one line of iced facts

function instructionHover(result: AnalysisResult, position: Position): HoverInfo | undefined {
  const onLine = result.instructionsTouching ? result.instructionsTouching(position.line) : instructionIndexOf(result).get(position.line);
  const instruction = innermost(onLine?.filter((ins) => contains(ins.range, position)) ?? []);
  if (!instruction) return undefined;
  const line = instructionFactsLine(instruction, result);
  return line === undefined ? undefined : { markdown: line, range: instruction.range };
}

/** Exposed for tests and for callers that already hold a ParsedInstruction. */
export function instructionFactsLine(instruction: ParsedInstruction, result?: AnalysisResult): string | undefined {
  const written = [instruction.mnemonic, instruction.operands.map((operand) => operand.text).join(', ')].filter(Boolean).join(' ');
  let resolution: Resolution;
  try {
    resolution = instruction.resolution ?? resolve(instruction);
    // The analyzer matches ordinary instructions by mnemonic only; a hover wants the exact form.
    if (resolution.status === 'ok' && resolution.approximate) resolution = resolveInstruction(instruction);
  } catch {
    // A hover must never take the server down; an instruction the resolver chokes on gets no card.
    return undefined;
  }
  switch (resolution.status) {
    case 'unknown-mnemonic':
      return `\`${written}\` — not an x86 instruction virtlint knows (a macro, or a typo), so it is not checked.`;
    case 'invalid-in-mode':
      return `\`${written}\` — ${resolution.reason}; valid in ${resolution.validIn.map((bits) => `${bits}-bit`).join(', ') || 'no'} code.`;
    case 'unresolved':
      return `\`${written}\` — operands could not be pinned down (${resolution.reason}), so virtlint cannot tell which form this is.`;
    case 'ok':
      return factsLine(codeFacts(resolution.code), instruction, result);
  }
}

export function factsLine(facts: CodeFacts, instruction?: ParsedInstruction, result?: AnalysisResult): string {
  return `\`${facts.instructionString}\` — ${privilegeVerdict(facts, instruction, result)}; VM exit under VT-x: ${vtxExit(facts)}; AMD-V: ${svmExit(facts)}.`;
}

function privilegeVerdict(facts: CodeFacts, instruction: ParsedInstruction | undefined, result: AnalysisResult | undefined): string {
  if (facts.mustBeCpl0 || (facts.isPrivileged && !facts.cpl3)) return 'privileged: faults at CPL>0, so a trap-and-emulate VMM sees it';
  // iced marks CLI/STI/IN/OUT and friends privileged yet allowed at CPL 3: their check is CPL ≤ IOPL.
  if (facts.isPrivileged) return 'IOPL-sensitive: faults when CPL > IOPL, so a VMM that keeps IOPL at 0 sees it';
  const rule = ruleForCode(facts.code);
  if (rule) {
    if (isInt3(facts.code)) return `sensitive but unprivileged, reported by \`${rule}\` only when \`all\` rules are selected (INT3 is the debugger breakpoint)`;
    const suppressed = instruction && result?.suppressed.some((finding) => finding.ruleId === rule && sameRange(finding.range, instruction.range));
    return `sensitive but unprivileged (rule \`${rule}\`), not reported here: ${suppressed ? 'suppressed by a comment' : 'the rule is off for this profile or selection'}`;
  }
  return 'unprivileged and not sensitive: it behaves the same under a VMM';
}

function vtxExit(facts: CodeFacts): string {
  if (facts.intelVmExit) return 'always';
  return facts.intelMayVmExit ? 'conditional' : 'none';
}

function svmExit(facts: CodeFacts): string {
  if (facts.amdVmExit) return 'always intercepted';
  return facts.amdMayVmExit ? 'interceptable' : 'no intercept';
}

// ---------------------------------------------------------------------------------------------
// Positions

// Findings are few enough to scan per hover. Instructions are not: a result without
// `instructionsTouching` gets a per-line index, built once.
const MAX_STATEMENT_LINES = 1000;
const instructionIndexes = new WeakMap<AnalysisResult, Map<number, ParsedInstruction[]>>();

function instructionIndexOf(result: AnalysisResult): Map<number, ParsedInstruction[]> {
  let index = instructionIndexes.get(result);
  if (!index) instructionIndexes.set(result, (index = byLine(result.instructions)));
  return index;
}

/** Every item under each line its range touches. */
function byLine<T extends { range: Range }>(items: readonly T[]): Map<number, T[]> {
  const map = new Map<number, T[]>();
  for (const item of items) {
    // A statement spans a few lines at most; the cap keeps a malformed range from costing memory.
    const last = Math.min(item.range.end.line, item.range.start.line + MAX_STATEMENT_LINES);
    for (let line = item.range.start.line; line <= last; line++) {
      let list = map.get(line);
      if (!list) map.set(line, (list = []));
      list.push(item);
    }
  }
  return map;
}

function isValidPosition(position: Position): boolean {
  return Number.isInteger(position.line) && Number.isInteger(position.character) && position.line >= 0 && position.character >= 0;
}

function lineAt(text: string, line: number): string {
  let start = 0;
  for (let current = 0; current < line; current++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return '';
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, '');
}

function compare(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

/** Inclusive at both ends, so hovering just after the last character still counts. */
function contains(range: Range, position: Position): boolean {
  return compare(range.start, position) <= 0 && compare(position, range.end) <= 0;
}

function sameRange(a: Range, b: Range): boolean {
  return compare(a.start, b.start) === 0 && compare(a.end, b.end) === 0;
}

function innermost(instructions: ParsedInstruction[]): ParsedInstruction | undefined {
  return instructions.sort((a, b) => compare(b.range.start, a.range.start))[0];
}

