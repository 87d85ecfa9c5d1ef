// Quick fixes for sensitive instructions: trapping equivalents, forced-emulation prefixes
// and hypercalls through a chosen ABI. Pure text in, edits out; no IO.
import { lineOffsets, offsetAt } from '../text/lineBreaks';
import type { AnalysisResult, Finding, Range, SourceLines } from '../types';
import { conventionFor, prefixFlavour } from './abi';
import type { FixContext, FixKind, FixOptions, FixStrategy, GeneratedFix } from './context';
import { upper } from './context';
import { emitHypercall } from './hypercall';
import { editForLines, labelMaker, linesOfText, siteOf, sourceOf, type TextEdit } from './layout';
import { titleInBody, withExpansionLabels } from './macroBody';
import { planFor } from './plans';
import { readingPin, type Reading } from './reading';
import { forcedEmulationFix, popfTrapFix, smswTrapFix } from './trap';
import { xenIretFix, xenPopfFix, xenPushfFix } from './xen';

export type { FixKind, FixOptions, FixStrategy, HypercallAbi } from './context';
export type { TextEdit } from './layout';
export { hypercallDefinitions, hypercallHeader } from './definitions';
export { hypercallNumber, hypercallSymbol, HYPERCALL_RULES } from './numbers';
export { FORCED_EMULATION_PREFIX } from './trap';
export { parseCustomTemplate } from './abi';
export { readingPin, type Reading } from './reading';
export { macroFixRefusal } from './layout';

export interface QuickFix {
  title: string;
  ruleId: string;
  strategy: FixStrategy;
  kind: FixKind;
  edit: TextEdit;
  isPreferred?: boolean;
}

/** Meta findings (invalid-in-mode, unknown-mnemonic, unknown-rule) have no fixes. */
const META = new Set(['invalid-in-mode', 'unknown-mnemonic', 'unknown-rule']);

const ABI_NAME: Record<FixOptions['abi'], string> = {
  kvm: 'a KVM hypercall',
  'kvm-amd': 'a KVM (AMD, VMMCALL) hypercall',
  xen: 'a Xen hypercall',
  hyperv: 'a Hyper-V hypercall',
  custom: 'a custom-ABI hypercall',
};

function contextFor(text: string | SourceLines, finding: Finding, options: FixOptions): FixContext | undefined {
  if (META.has(finding.ruleId)) return undefined;
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
    label: labelMaker(text, site.line),
    ...(finding.codeName ? { codeName: finding.codeName } : {}),
  };
}

function trapFixes(text: string | SourceLines, ctx: FixContext): GeneratedFix[] {
  const out: GeneratedFix[] = [];
  const equivalent = ctx.ruleId === 'smsw' ? smswTrapFix(ctx) : ctx.ruleId === 'popf' ? popfTrapFix(ctx) : undefined;
  const placedEquivalent = equivalent && placed(text, ctx, equivalent);
  if (placedEquivalent) out.push(placedEquivalent);
  const prefixed = placed(text, ctx, forcedEmulationFix(ctx, prefixFlavour(ctx.options)));
  if (prefixed) out.push(prefixed);
  return out;
}

function hypercallFix(text: string | SourceLines, ctx: FixContext): GeneratedFix | undefined {
  const fix = generatedHypercall(ctx);
  return fix && placed(text, ctx, fix);
}

function generatedHypercall(ctx: FixContext): GeneratedFix | undefined {
  if (ctx.options.abi === 'xen') {
    if (ctx.ruleId === 'pushf') return xenPushfFix(ctx);
    if (ctx.ruleId === 'popf') return xenPopfFix(ctx);
    if (ctx.ruleId === 'iret') return xenIretFix(ctx);
  }
  const plan = planFor(ctx.ruleId, ctx.ins);
  const convention = conventionFor(ctx.options, ctx.bits);
  if (!plan || !convention) return undefined;
  const lines = emitHypercall(plan, convention, ctx.bits);
  if (!lines) return undefined;
  return {
    title: `Replace ${upper(ctx.ins.mnemonic)} with ${ABI_NAME[ctx.options.abi]} (${plan.numberSymbol})`,
    kind: 'hypercall',
    strategy: 'hypercall',
    lines,
  };
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

function toQuickFix(ctx: FixContext, fix: GeneratedFix, isPreferred: boolean): QuickFix {
  return {
    title: fix.title,
    ruleId: ctx.ruleId,
    strategy: fix.strategy,
    kind: fix.kind,
    edit: editForLines(ctx.site, fix.lines, ctx.dialect),
    ...(isPreferred ? { isPreferred: true } : {}),
  };
}

/** Every fix offered for one finding: trap-strategy fixes first, then the hypercall. */
export function fixesForFinding(text: string | SourceLines, result: AnalysisResult, finding: Finding, options: FixOptions): QuickFix[] {
  void result;
  const ctx = contextFor(text, finding, options);
  if (!ctx) return [];
  const fixes: QuickFix[] = trapFixes(text, ctx).map((f) => toQuickFix(ctx, f, f.kind === 'trap-equivalent'));
  const hypercall = hypercallFix(text, ctx);
  if (hypercall) fixes.push(toQuickFix(ctx, hypercall, false));
  return fixes;
}

/** The fix a strategy picks for one finding (trap: the ISA equivalent, else the prefix). */
export function fixForStrategy(text: string | SourceLines, finding: Finding, strategy: FixStrategy, options: FixOptions): QuickFix | undefined {
  const ctx = contextFor(text, finding, options);
  if (!ctx) return undefined;
  const fix = strategy === 'trap' ? trapFixes(text, ctx)[0] : hypercallFix(text, ctx);
  return fix ? toQuickFix(ctx, fix, false) : undefined;
}

/** What `fixAll` puts together: the fixes, and the modeline that keeps the file's reading when one is needed. */
export interface PlannedFixes {
  /** One edit per fixable finding, sorted, never overlapping (one fix per source line). */
  fixes: TextEdit[];
  /** Inserts a modeline at the top when the fixed text would otherwise be read differently (reading.ts). */
  readingPin?: TextEdit;
}

/**
 * Every fix a strategy makes in the text. The reading pin needs the result's reading (dialect,
 * bitness and where each came from); a result without it gets none.
 */
export function planFixes(text: string | SourceLines, result: Pick<AnalysisResult, 'findings'> & Partial<Reading>, strategy: FixStrategy, options: FixOptions): PlannedFixes {
  const fixes: TextEdit[] = [];
  const findings = result.findings.slice().sort((a, b) => comparePositions(a.range.start, b.range.start));
  for (const finding of findings) {
    const fix = fixForStrategy(text, finding, strategy, options);
    if (!fix) continue;
    const last = fixes[fixes.length - 1];
    if (last && last.range.end.line >= fix.edit.range.start.line) continue; // a fix owns the rest of its line
    fixes.push(fix.edit);
  }
  const reading = readingOf(result);
  const pin = reading ? readingPin(sourceOf(text), fixes, reading) : undefined;
  return pin ? { fixes, readingPin: pin } : { fixes };
}

/** The edits of `planFixes`, sorted, the reading pin (if any) first. */
export function fixAll(text: string | SourceLines, result: Pick<AnalysisResult, 'findings'> & Partial<Reading>, strategy: FixStrategy, options: FixOptions): TextEdit[] {
  return plannedEdits(planFixes(text, result, strategy, options));
}

/** A plan as the edits to apply: the reading pin (if any) first, then the fixes. */
export function plannedEdits(planned: PlannedFixes): TextEdit[] {
  return planned.readingPin ? [planned.readingPin].concat(planned.fixes) : planned.fixes;
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
