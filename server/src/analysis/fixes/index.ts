// Quick fixes for sensitive instructions: trapping equivalents, forced-emulation prefixes
// and hypercalls through a chosen ABI. Pure text in, edits out; no IO.
import { ruleById } from '../catalogue';
import { lineOffsets, offsetAt } from '../text/lineBreaks';
import type { AnalysisResult, Finding, Range, SourceLines } from '../types';
import { conventionFor, prefixFlavour } from './abi';
import type { FixContext, FixKind, FixOptions, FixStrategy, GeneratedFix } from './context';
import { upper } from './context';
import { emitHypercall } from './hypercall';
import { definitionsFile, definitionsFileName, hasDefinitions, includeEdit, inlineNumbersEdit, type DefinitionsFile } from './definitionsFile';
import { editForLines, labelMaker, linesOfText, siteOf, sourceOf, type TextEdit } from './layout';
import { insertedComment } from '../syntax/dialects';
import { titleInBody, withExpansionLabels } from './macroBody';
import { planFor } from './plans';
import { readingPin, type Reading } from './reading';
import { forcedEmulationFix, popfTrapFix, smswTrapFix } from './trap';
import { xenFarRetFix, xenIretFix, xenPopfFix, xenPushfFix } from './xen';

export type { FixKind, FixOptions, FixStrategy, HypercallAbi } from './context';
export type { TextEdit } from './layout';
export { hypercallDefinitions, hypercallHeader } from './definitions';
export { hypercallNumber, hypercallSymbol, HYPERCALL_RULES } from './numbers';
export { FORCED_EMULATION_PREFIX } from './trap';
export { parseCustomTemplate } from './abi';
export { readingPin, type Reading } from './reading';
export { macroFixRefusal } from './layout';
export { fixPreview, type PreviewOptions } from './preview';
/** The include a hypercall fix adds and the file it names; `inline`: the numbers themselves instead of the include (nothing to create). */
export interface FixDefinitionsEdit {
  include: TextEdit;
  file: DefinitionsFile;
  inline?: true;
}

export { definitionsFile, definitionsFileName, definitionsFolderProblem, includeDirective, inlineNumbersEdit, textWithNumbersInline, titleWithNumbersInline, type DefinitionsFile } from './definitionsFile';

export interface QuickFix {
  title: string;
  ruleId: string;
  strategy: FixStrategy;
  kind: FixKind;
  edit: TextEdit;
  isPreferred?: boolean;
  /**
   * A hypercall fix in a file that does not include the definitions yet: the include to add
   * (part of the fix) and the file it names, which the shell creates where it is missing.
   */
  definitions?: FixDefinitionsEdit;
}

/** Meta findings (invalid-in-mode, unknown-mnemonic, unknown-rule) have no fixes. */

const ABI_NAME: Record<FixOptions['abi'], string> = {
  kvm: 'KVM hypercall',
  'kvm-amd': 'KVM (AMD, VMMCALL) hypercall',
  xen: 'Xen hypercall',
  hyperv: 'Hyper-V hypercall',
  custom: 'custom-ABI hypercall',
};

type LabelMaker = (hint: string) => string;

function contextFor(text: string | SourceLines, finding: Finding, options: FixOptions, label: LabelMaker = labelMaker(text)): FixContext | undefined {
  // A rule whose catalogue entry lists no fix gets none: the meta rules, and the VM-detection
  // idioms, whose docs say there is nothing to rewrite (the instruction's own rule has the fixes).
  if ((ruleById(finding.ruleId)?.fixes.length ?? 0) === 0) return undefined;
  const site = siteOf(text, finding);
  if (!site) return undefined;
  const ins = site.instruction;
  return {
    ruleId: finding.ruleId,
    site,
    ins,
    dialect: ins.dialect,
    bits: ins.bits,
    options,
    label,
    ...(finding.codeName ? { codeName: finding.codeName } : {}),
  };
}

/** The ISA's own trapping equivalent, where there is one (SMSW, POPF's IF change). */
function trapEquivalent(text: string | SourceLines, ctx: FixContext): GeneratedFix | undefined {
  const equivalent = ctx.ruleId === 'smsw' ? smswTrapFix(ctx) : ctx.ruleId === 'popf' ? popfTrapFix(ctx) : undefined;
  return equivalent && placed(text, ctx, headed(ctx, equivalent));
}

function prefixFix(text: string | SourceLines, ctx: FixContext): GeneratedFix | undefined {
  return placed(text, ctx, headed(ctx, forcedEmulationFix(ctx, prefixFlavour(ctx.options))));
}

/** Xen honours its forced-emulation prefix outside test setups for one instruction: CPUID from a PV guest. */
function prefixWorksInProduction(ctx: FixContext): boolean {
  return ctx.ruleId === 'cpuid' && prefixFlavour(ctx.options) === 'xen';
}

/** The trap strategy's choice: the equivalent, else the prefix. */
function trapFixes(text: string | SourceLines, ctx: FixContext): GeneratedFix[] {
  const out: GeneratedFix[] = [];
  const equivalent = trapEquivalent(text, ctx);
  if (equivalent) out.push(equivalent);
  const prefixed = prefixFix(text, ctx);
  if (prefixed) out.push(prefixed);
  return out;
}

function hypercallFix(text: string | SourceLines, ctx: FixContext): GeneratedFix | undefined {
  const fix = generatedHypercall(ctx);
  return fix && placed(text, ctx, headed(ctx, fix));
}

function generatedHypercall(ctx: FixContext): GeneratedFix | undefined {
  if (ctx.options.abi === 'xen') {
    if (ctx.ruleId === 'pushf') return xenPushfFix(ctx);
    if (ctx.ruleId === 'popf') return xenPopfFix(ctx);
    if (ctx.ruleId === 'iret') return xenIretFix(ctx);
    if (ctx.ruleId === 'far-ret') return xenFarRetFix(ctx);
  }
  const plan = planFor(ctx.ruleId, ctx.ins);
  const convention = conventionFor(ctx.options, ctx.bits);
  if (!plan || !convention) return undefined;
  const lines = emitHypercall(plan, convention, ctx.bits);
  if (!lines) return undefined;
  return {
    title: `Replace ${upper(ctx.ins.mnemonic)} with a ${ABI_NAME[ctx.options.abi]} (${plan.numberSymbol})`,
    kind: 'hypercall',
    strategy: 'hypercall',
    lines,
    usesNumbers: true,
  };
}

/** The one-line comment that opens every inserted block: what it does and what it needs. */
function headed(ctx: FixContext, fix: GeneratedFix): GeneratedFix {
  const body = `virtlint: ${fix.summary ?? summaryOf(ctx, fix)}`;
  return { ...fix, lines: [{ t: 'raw', text: insertedComment(ctx.dialect, body) }, ...fix.lines] };
}

function summaryOf(ctx: FixContext, fix: GeneratedFix): string {
  const name = upper(ctx.ins.mnemonic);
  if (fix.kind === 'hypercall') {
    const where = ctx.options.numbers === 'inline' ? 'numbers defined in this file' : `numbers in ${definitionsFileName(ctx.dialect, ctx.options.definitionsFolder)}`;
    return `${ABI_NAME[ctx.options.abi]} for ${name}, ${where}`;
  }
  return fix.title;
}

/**
 * A fix on a macro body line gets labels that are new in each expansion, and a title that
 * says it changes every use; undefined when its labels cannot be written that way.
 */
function placed(text: string | SourceLines, ctx: FixContext, fix: GeneratedFix): GeneratedFix | undefined {
  const body = ctx.site.macro;
  if (!body) return fix;
  const before = ctx.site.lineText.slice(0, ctx.ins.range.start.character);
  const labelled = withExpansionLabels(fix.lines, ctx.dialect, body, sourceOf(text), before);
  if (!('lines' in labelled)) return undefined;
  return { ...fix, title: titleInBody(fix.title, body), lines: labelled.lines };
}

function toQuickFix(text: string | SourceLines, ctx: FixContext, fix: GeneratedFix, isPreferred: boolean): QuickFix {
  const definitions = fix.usesNumbers ? definitionsNeeded(text, ctx) : undefined;
  return {
    title: definitions ? withAddition(fix.title, definitions.inline ? 'defines its numbers in the file' : `adds ${definitions.file.name}`) : fix.title,
    ruleId: ctx.ruleId,
    strategy: fix.strategy,
    kind: fix.kind,
    edit: editForLines(ctx.site, fix.lines, ctx.dialect),
    ...(isPreferred ? { isPreferred: true } : {}),
    ...(definitions ? { definitions } : {}),
  };
}

/** `Replace X with ... (adds F)`, before a macro body's ` in the body of M (changes every use)`, which stays last. */
function withAddition(title: string, addition: string): string {
  const body = title.indexOf(' in the body of ');
  return body < 0 ? `${title} (${addition})` : `${title.slice(0, body)} (${addition})${title.slice(body)}`;
}

/** The include a fix using the symbolic numbers adds, unless the text has them already. */
function definitionsNeeded(text: string | SourceLines, ctx: FixContext): QuickFix['definitions'] {
  const source = sourceOf(text);
  if (hasDefinitions(source, ctx.dialect)) return undefined;
  const file = definitionsFile(ctx.dialect, ctx.options.abi, ctx.options.definitionsFolder);
  const include = includeEdit(source, ctx.dialect, file.name);
  return ctx.options.numbers === 'inline' ? { include: inlineNumbersEdit(include, file), file, inline: true } : { include, file };
}

/**
 * Every fix offered for one finding, the one that works in production first: the ISA's
 * trapping equivalent, the hypercall (Xen's paravirt mechanisms first for a PV guest), and
 * last the forced-emulation prefix, which a hypervisor honours only when a test setting is on
 * (its title says which). Xen PV CPUID is the exception: Xen emulates it behind the prefix.
 */
export function fixesForFinding(text: string | SourceLines, result: AnalysisResult, finding: Finding, options: FixOptions): QuickFix[] {
  void result;
  const ctx = contextFor(text, finding, options);
  if (!ctx) return [];
  const equivalent = trapEquivalent(text, ctx);
  const hypercall = hypercallFix(text, ctx);
  const prefixed = prefixFix(text, ctx);
  const ordered: { fix: GeneratedFix; preferred: boolean }[] = [];
  if (prefixed && prefixWorksInProduction(ctx)) ordered.push({ fix: prefixed, preferred: true });
  if (equivalent) ordered.push({ fix: equivalent, preferred: true });
  if (hypercall) ordered.push({ fix: hypercall, preferred: !equivalent && hypercall.paravirt === true });
  if (prefixed && !prefixWorksInProduction(ctx)) ordered.push({ fix: prefixed, preferred: false });
  return ordered.map(({ fix, preferred }) => toQuickFix(text, ctx, fix, preferred));
}

/** Whether `fixesForFinding` offers anything, without rendering the quick fixes (the CLI's fixable counts). */
export function hasFixes(text: string | SourceLines, finding: Finding, options: FixOptions): boolean {
  const ctx = contextFor(text, finding, options);
  if (!ctx) return false;
  return Boolean(prefixFix(text, ctx) || trapEquivalent(text, ctx) || hypercallFix(text, ctx));
}

/** The fix a strategy picks for one finding (trap: the ISA equivalent, else the prefix). */
export function fixForStrategy(text: string | SourceLines, finding: Finding, strategy: FixStrategy, options: FixOptions, label?: LabelMaker): QuickFix | undefined {
  const ctx = contextFor(text, finding, options, label);
  if (!ctx) return undefined;
  const fix = strategy === 'trap' ? trapFixes(text, ctx)[0] : hypercallFix(text, ctx);
  return fix ? toQuickFix(text, ctx, fix, false) : undefined;
}

/** What `fixAll` puts together: the fixes, and the modeline that keeps the file's reading when one is needed. */
export interface PlannedFixes {
  /** One edit per fixable finding, sorted, never overlapping (one fix per source line). */
  fixes: TextEdit[];
  /** Inserts a modeline at the top when the fixed text would otherwise be read differently (reading.ts). */
  readingPin?: TextEdit;
  /** Hypercall fixes: the include of the definitions file (once) and the file it names. */
  definitions?: FixDefinitionsEdit;
}

/**
 * Every fix a strategy makes in the text. The reading pin needs the result's reading (dialect,
 * bitness and where each came from); a result without it gets none.
 */
export function planFixes(text: string | SourceLines, result: Pick<AnalysisResult, 'findings'> & Partial<Reading>, strategy: FixStrategy, options: FixOptions): PlannedFixes {
  const fixes: TextEdit[] = [];
  let definitions: PlannedFixes['definitions'];
  const label = labelMaker(text);
  const findings = result.findings.slice().sort((a, b) => comparePositions(a.range.start, b.range.start));
  for (const finding of findings) {
    const last = fixes[fixes.length - 1];
    if (last && last.range.end.line >= finding.range.start.line) continue; // a fix owns the rest of its line
    const fix = fixForStrategy(text, finding, strategy, options, label);
    if (!fix) continue;
    fixes.push(fix.edit);
    definitions ??= fix.definitions;
  }
  const reading = readingOf(result);
  const pin = reading ? readingPin(sourceOf(text), definitions ? fixes.concat(definitions.include) : fixes, reading) : undefined;
  return { fixes, ...(pin ? { readingPin: pin } : {}), ...(definitions ? { definitions } : {}) };
}

/** The edits of `planFixes`, sorted, the reading pin (if any) first. */
export function fixAll(text: string | SourceLines, result: Pick<AnalysisResult, 'findings'> & Partial<Reading>, strategy: FixStrategy, options: FixOptions): TextEdit[] {
  return plannedEdits(planFixes(text, result, strategy, options));
}

/** A plan as the edits to apply: the reading pin (if any) first, the include of the definitions, then the fixes. */
export function plannedEdits(planned: PlannedFixes): TextEdit[] {
  const edits: TextEdit[] = [];
  if (planned.readingPin) edits.push(planned.readingPin);
  if (planned.definitions) edits.push(planned.definitions.include);
  for (const fix of planned.fixes) edits.push(fix);
  return edits;
}

/** Passes `fixUntilStable` makes at most: each fixes the first fixable statement of every line, so a GNU as line of N statements takes N. */
export const MAX_FIX_PASSES = 10;

export interface StableFixes {
  text: string;
  /** Instructions rewritten, over all passes. */
  applied: number;
  passes: number;
  /** False when the last pass still changed the text (the bound was reached). */
  stable: boolean;
  /** The definitions file the hypercall fixes include (the first pass that needed it says which). */
  definitions?: DefinitionsFile;
}

/**
 * Fixes, analyses the fixed text again and fixes what is left, until a pass changes nothing or
 * `MAX_FIX_PASSES` passes ran (ESLint's fix loop). A second run on the result then changes nothing.
 */
export function fixUntilStable(
  text: string,
  result: Pick<AnalysisResult, 'findings'> & Partial<Reading>,
  strategy: FixStrategy,
  options: FixOptions,
  reanalyze: (text: string) => Pick<AnalysisResult, 'findings'> & Partial<Reading>,
  maxPasses: number = MAX_FIX_PASSES,
): StableFixes {
  let current = text;
  let currentResult = result;
  let applied = 0;
  let definitions: DefinitionsFile | undefined;
  for (let pass = 1; pass <= maxPasses; pass++) {
    const planned = planFixes(current, currentResult, strategy, options);
    const next = planned.fixes.length === 0 ? current : applyEdits(current, plannedEdits(planned));
    if (next === current) return { text: current, applied, passes: pass - 1, stable: true, ...(definitions ? { definitions } : {}) };
    applied += planned.fixes.length;
    if (!planned.definitions?.inline) definitions ??= planned.definitions?.file;
    current = next;
    // The pin, if any, now fixes the reading: later passes keep it.
    currentResult = reanalyze(current);
  }
  const stable = planFixes(current, currentResult, strategy, options).fixes.length === 0;
  return { text: current, applied, passes: maxPasses, stable, ...(definitions ? { definitions } : {}) };
}

function readingOf(result: Partial<Reading>): Reading | undefined {
  const { dialect, dialectSource, bits, bitsSource } = result;
  return dialect && dialectSource && bits && bitsSource ? { dialect, dialectSource, bits, bitsSource } : undefined;
}

function comparePositions(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}

/** Applies non-overlapping edits (any order) to the text, counting lines as the analysis does. Throws on overlap. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const offsets = lineOffsets(text);
  const spans = edits
    .map((e) => ({ start: offsetAt(offsets, e.range.start, text.length), end: offsetAt(offsets, e.range.end, text.length), text: e.newText }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.start < spans[i - 1]!.end) throw new Error('applyEdits: overlapping edits');
  }
  const parts: string[] = [];
  let cursor = 0;
  for (const s of spans) {
    parts.push(text.slice(cursor, s.start), s.text);
    cursor = s.end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

export { linesOfText };
