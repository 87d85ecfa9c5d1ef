// Hover text: a full card for a flagged instruction, one line of iced facts for any other
// instruction, and the rule summary for a rule id inside a virtlint suppression comment.
import { allEntries, docsPath, formatMessage, ruleById, tagsForFinding } from '../catalogue/index';
import { FAMILY_LABEL } from '../catalogue/labels';
import { MODE_LABEL, modeSeverity, modeWhy, segmentFormOf, type SegmentForm } from '../catalogue/modes';
import { modeAt } from '../document/executionMode';
import { fixesForFinding, fixPreview, inlineNumbersEdit, textWithNumbersInline, titleWithNumbersInline, type DefinitionsFile, type FixOptions, type QuickFix } from '../fixes/index';
import type { RuleEntry } from '../catalogue/schema';
import { PROFILES } from '../catalogue/schema';
import { isInt3, ruleForCode } from '../resolve/classify';
import { codeFacts, type CodeFacts } from '../resolve/iced';
import { resolve, resolveInstruction } from '../resolve/resolve';
import type { AnalysisResult, ExecutionMode, Finding, ParsedInstruction, Position, Range, Resolution, SourceLines } from '../types';

export interface HoverInfo {
  markdown: string;
  range: Range;
}

export interface HoverOptions {
  /** The options the code actions use, so the hover lists the same fixes (default: the KVM ABI). */
  fixes?: FixOptions;
  /**
   * Whether the menu's hypercall fixes write their numbers into the document instead of adding
   * the include (a client that cannot create files); the shell knows, and the titles follow it.
   */
  numbersInline?: (file: DefinitionsFile) => boolean;
  /** After the card, a short diff of what each fix would change (the editor's hover; default off). */
  previews?: boolean;
  /** Where the rule's page is for the reader (default: `docs/rules/<id>.md`). */
  docsLink?: (ruleId: string) => string;
  /**
   * The findings the editor shows for the document, when they are not the result's: the whole
   * program's, where a line read in several contexts speaks for the loudest (default: the result's).
   */
  findings?: readonly Finding[];
}

/** The document: its text, its lines, or a function giving one line of it. */
export type HoverSource = string | SourceLines | ((line: number) => string);

export function hoverAt(source: HoverSource, result: AnalysisResult, position: Position, options: HoverOptions = {}): HoverInfo | undefined {
  if (!isValidPosition(position)) return undefined;
  const line = typeof source === 'string' ? lineAt(source, position.line) : typeof source === 'function' ? source(position.line) : source.line(position.line);
  return suppressionHover(line, position) ?? findingHover(source, result, position, options) ?? instructionHover(result, position);
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
// Flagged instructions: the answer first (the problem in this mode and profile), then what to
// do (the quick fixes the code-action menu offers for this line), one paragraph of why, and a
// link to the rule's page for the hardware details, proof observations, encoding and sources.

function findingHover(source: HoverSource, result: AnalysisResult, position: Position, options: HoverOptions): HoverInfo | undefined {
  const hits = (options.findings ?? result.findings).filter((finding) => contains(finding.range, position));
  if (hits.length === 0) return undefined;
  // A virtualization finding explains more than a meta one on the same statement.
  const finding = hits.find((hit) => ruleById(hit.ruleId)?.group !== 'meta') ?? hits[0]!;
  const entry = ruleById(finding.ruleId);
  if (!entry) return { markdown: `**${finding.ruleId}** — ${finding.message}`, range: finding.range };
  if (entry.group === 'meta') return { markdown: metaCard(entry, finding), range: finding.range };
  if (entry.group === 'idiom') return { markdown: idiomCard(entry, finding, (options.docsLink ?? docsPath)(entry.id)), range: finding.range };
  const fixSource = sourceForFixes(source, finding);
  const fixes = offeredFixes(fixSource, result, finding, options);
  const fixTitles = fixes.map((fix) => menuTitle(fix, options));
  const card = findingCard(entry, finding, fixTitles, (options.docsLink ?? docsPath)(entry.id), result.profile);
  const previews = options.previews ? fixPreviews(fixSource, fixes, fixTitles, options) : '';
  return { markdown: previews ? `${card}\n\n---\n\n${previews}` : card, range: finding.range };
}

/** The quick fixes the code-action menu offers for the finding, from the same engine. */
function offeredFixes(source: string | SourceLines, result: AnalysisResult, finding: Finding, options: HoverOptions): QuickFix[] {
  try {
    return fixesForFinding(source, result, finding, options.fixes ?? DEFAULT_FIX_OPTIONS);
  } catch {
    // A hover must never take the server down; a fix engine failure only loses the list.
    return [];
  }
}

/** Each fix's title and a short diff of its edits, as the menu would apply them (the include, or the numbers inline). */
function fixPreviews(source: string | SourceLines, fixes: readonly QuickFix[], titles: readonly string[], options: HoverOptions): string {
  const blocks: string[] = [];
  fixes.forEach((fix, index) => {
    const definitions = fix.definitions;
    const inline = definitions !== undefined && options.numbersInline?.(definitions.file) === true;
    const edits = [inline ? { ...fix.edit, newText: textWithNumbersInline(fix.edit.newText, definitions.file.name) } : fix.edit];
    if (definitions) edits.push(inline ? inlineNumbersEdit(definitions.include, definitions.file) : definitions.include);
    try {
      blocks.push(`_${titles[index]!}_\n\n\`\`\`diff\n${fixPreview(source, edits)}\n\`\`\``);
    } catch {
      // A preview is a courtesy: a failure leaves it out.
    }
  });
  return blocks.join('\n\n');
}

const DEFAULT_FIX_OPTIONS: FixOptions = { abi: 'kvm' };

function menuTitle(fix: QuickFix, options: HoverOptions): string {
  const file = fix.definitions?.file;
  return file && options.numbersInline?.(file) ? titleWithNumbersInline(fix.title, file.name) : fix.title;
}

/** A line function holds no line count: the lines through the finding's statement are enough to place its fixes. */
function sourceForFixes(source: HoverSource, finding: Finding): string | SourceLines {
  if (typeof source !== 'function') return source;
  const lineCount = finding.range.end.line + 1;
  return { lineCount, line: (index) => (index < lineCount ? source(index) : ''), lineBreak: (index) => (index < lineCount - 1 ? '\n' : '') };
}

/** Characters a card may take before its link: the issue asks for about 600, so the answer and the next step fit one glance. */
export const CARD_LENGTH_BEFORE_LINK = 600;

const BLOCK_SEPARATOR = '\n\n';

export function findingCard(entry: RuleEntry, finding: Finding, fixTitles: readonly string[], docsLink: string, profile?: string): string {
  const mode = finding.mode;
  const where = mode ? `, ${MODE_LABEL[mode]}` : '';
  const why = whyParagraph(entry, finding, profile);
  const answerWith = (elsewhere: string): string[] => [`**${finding.message}.**`, `\`${entry.id}\` · ${finding.severity}${where}${elsewhere}`, whatToDo(entry, fixTitles, mode)];
  // Each block before the link is followed by a separator, the why paragraph's included.
  const roomAfter = (answer: readonly string[]): number => CARD_LENGTH_BEFORE_LINK - answer.reduce((total, block) => total + block.length + BLOCK_SEPARATOR.length, 0) - BLOCK_SEPARATOR.length;
  // The other readings go in whole, or counted, or not at all: the why paragraph's first sentence stays.
  const answer = otherReadingNotes(finding).map(answerWith).find((candidate) => roomAfter(candidate) >= firstSentence(why).length) ?? answerWith('');
  const blocks = [...answer, sentencesWithin(why, roomAfter(answer))];
  blocks.push(`[VT-x, AMD-V, UMIP, proof observations, encoding and sources](${docsLink})`);
  return blocks.join(BLOCK_SEPARATOR);
}

/** Readings of the line named at most this many at a time, and includers per reading. */
const MOST_READINGS_NAMED = 2;
const MOST_INCLUDERS_NAMED = 2;

/**
 * How the line reads in the contexts that read it otherwise than the card (a header included in
 * real mode and in protected mode: one finding, shown for the loudest), longest note first:
 * `; hint in real mode when included from mbr.asm:3`, then `; reads otherwise in 1 other context`.
 */
function otherReadingNotes(finding: Finding): string[] {
  const readings = new Map<string, { severity: string; mode: ExecutionMode | undefined; alone: boolean; includers: string[] }>();
  let contexts = 0;
  for (const context of finding.contexts ?? []) {
    const severity = context.severity;
    if (severity === undefined || (severity === finding.severity && context.mode === finding.mode)) continue;
    contexts++;
    const key = `${severity}|${context.mode ?? ''}`;
    let reading = readings.get(key);
    if (!reading) readings.set(key, (reading = { severity, mode: context.mode, alone: false, includers: [] }));
    const direct = context.includes[context.includes.length - 1];
    if (direct) reading.includers.push(`${direct.path.slice(direct.path.lastIndexOf('/') + 1)}:${direct.line + 1}`);
    else reading.alone = true;
  }
  if (contexts === 0) return [];
  const named = Array.from(readings.values()).slice(0, MOST_READINGS_NAMED).map(({ severity, mode, alone, includers }) => {
    const inMode = mode ? ` in ${MODE_LABEL[mode]}` : '';
    const more = includers.length > MOST_INCLUDERS_NAMED ? ` and ${includers.length - MOST_INCLUDERS_NAMED} more` : '';
    const included = includers.length > 0 ? `when included from ${includers.slice(0, MOST_INCLUDERS_NAMED).join(' or ')}${more}` : '';
    const where = alone ? (included ? `on its own or ${included}` : 'on its own') : included;
    return `; ${severity}${inMode} ${where}`;
  });
  const unnamed = readings.size > MOST_READINGS_NAMED ? `; ${readings.size - MOST_READINGS_NAMED} more readings` : '';
  return [named.join('') + unnamed, `; reads otherwise in ${contexts} other context${contexts === 1 ? '' : 's'}`];
}

/**
 * The fixes are named as the menu names them, without the titles' remarks in parentheses (what a
 * fix adds, what it needs, why it traps): the editor's previews after the link, and the menu
 * itself, give each title in full. Two fixes the remarks alone tell apart keep them.
 */
function whatToDo(entry: RuleEntry, fixTitles: readonly string[], mode: ExecutionMode | undefined): string {
  const control = entry.fixes.includes('cr4-control') && mode !== 'real' ? ` ${controlAdvice(entry)}` : '';
  if (fixTitles.length === 0) return `**Do:** no quick fix on this line; ${lowerFirst(firstSentence(entry.advice))}${control}`;
  const names = fixTitles.map(withoutRemarks);
  const named = names.map((name, index) => (names.indexOf(name) === names.lastIndexOf(name) ? name : fixTitles[index]!));
  return `**Do:** ${named.join(' · ')}.${control}`;
}

/** A fix title without its parenthesised remarks: `Replace SMSW with MOV from CR0 (traps at CPL>0)` is `Replace SMSW with MOV from CR0`. */
export function withoutRemarks(title: string): string {
  return title.replace(/\s*\([^()]*\)/g, '').trim();
}

/**
 * The paragraph's opening sentences that fit in `room` characters; the first one always, but for
 * a message that leaves it no room (a merged view's `[only included from …]` list): then its
 * opening words, with an ellipsis.
 */
function sentencesWithin(paragraph: string, room: number): string {
  let kept = firstSentence(paragraph);
  if (kept.length > room) return wordsWithin(kept, room);
  while (kept.length < paragraph.length) {
    const next = firstSentence(paragraph.slice(kept.length).trimStart());
    const longer = `${kept} ${next}`;
    if (longer.length > room) break;
    kept = longer;
  }
  return kept;
}

/** Whole words from the start that fit in `room` characters with the ellipsis after them (at least the first word). */
function wordsWithin(sentence: string, room: number): string {
  const cut = sentence.lastIndexOf(' ', room - 1);
  const firstWordEnd = sentence.indexOf(' ');
  const words = sentence.slice(0, cut > 0 ? cut : firstWordEnd > 0 ? firstWordEnd : sentence.length);
  return `${words.replace(/[,;:]$/, '')}…`;
}

function controlAdvice(entry: RuleEntry): string {
  if (entry.id === 'rdpmc') return 'System setting: leave CR4.PCE clear.';
  if (entry.id === 'rdtsc' || entry.id === 'rdtscp') return 'System setting: CR4.TSD.';
  return 'System setting: CR4.UMIP.';
}

/** Why, from the point of view of the mode and the profile: what goes wrong, what is revealed, or what it costs. */
function whyParagraph(entry: RuleEntry, finding: Finding, profile: string | undefined): string {
  const mode = finding.mode;
  // The message already gives both readings; the paragraph says what would settle it.
  if (mode === 'unknown') return UNKNOWN_MODE_WHY;
  if (profile === 'hardware-assisted-guest' && mode !== 'real') return openingSentences(entry.vtx);
  const forMode = mode ? modeWhy(entry.id, mode, segmentFormOfFinding(finding)) : undefined;
  if (forMode) return forMode;
  if (profile === 'vm-detection-audit' && entry.detection) return openingSentences(entry.detection);
  return openingSentences(entry.problem);
}

const UNKNOWN_MODE_WHY = 'Nothing in the file says whether this 16-bit code runs in real, virtual-8086 or 16-bit protected mode. A `; virtlint: mode=` comment above it, or the `mode` setting, does.';

/** The first sentence of a paragraph, and the second as well when the first is short and the two stay short. */
function openingSentences(text: string): string {
  const first = firstSentence(text);
  if (first.length >= 90 || first.length === text.length) return first;
  const both = `${first} ${firstSentence(text.slice(first.length).trimStart())}`;
  return both.length <= 260 ? both : first;
}

function segmentFormOfFinding(finding: Finding): SegmentForm | undefined {
  const sreg = finding.instruction?.operands.find((operand) => operand.kind === 'reg' && operand.cls === 'sreg');
  return segmentFormOf(finding.ruleId, finding.codeName, sreg?.kind === 'reg' ? sreg.reg : undefined);
}

/** The first sentence of a paragraph (a period followed by a space and a capital, or the end). */
function firstSentence(text: string): string {
  const end = /\.\s+(?=[A-Z(])/.exec(text);
  return end ? text.slice(0, end.index + 1) : text;
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** A VM-detection idiom: what the code is testing, what defeats the test, and its ATT&CK and MBC identifiers. */
function idiomCard(entry: RuleEntry, finding: Finding, docsLink: string): string {
  const tags = tagsForFinding(entry, finding.instruction?.mnemonic)
    .map((tag) => `${tag.taxonomy} ${tag.id} (${tag.name})`)
    .join(' · ');
  return [
    `**${finding.message}.**`,
    '',
    `\`${entry.id}\` · ${finding.severity} · VM-detection idiom`,
    '',
    openingSentences(entry.problem),
    '',
    `**Defeated by:** ${firstSentence(entry.controls)}`,
    '',
    `**Tags:** ${tags}`,
    '',
    `[The idiom, what defeats it, and sources](${docsLink})`,
  ].join('\n');
}

function metaCard(entry: RuleEntry, finding: Finding): string {
  return [`**\`${entry.id}\`** — ${entry.title}`, '', `${finding.message}.`, '', entry.advice].join('\n');
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
    return `sensitive but unprivileged (rule \`${rule}\`), not reported here: ${suppressed ? 'suppressed by a comment' : whyNotReported(rule, instruction, result)}`;
  }
  return 'unprivileged and not sensitive: it behaves the same under a VMM';
}

/** A rule the mode silences (segment loads in real mode) says so; otherwise the profile or selection turned it off. */
function whyNotReported(rule: string, instruction: ParsedInstruction | undefined, result: AnalysisResult | undefined): string {
  const regions = result?.modeRegions;
  if (instruction && regions && regions.length > 0) {
    const mode = modeAt(regions, instruction.line);
    if ((mode === 'real' || mode === 'v86') && modeSeverity(rule, { mode, profile: 'deprivileged-kernel' }, 'warning') === 'off') {
      return `${MODE_LABEL[mode]} has no CPL and checks nothing, so it behaves the same under a VMM`;
    }
  }
  return 'the rule is off for this profile or selection';
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

