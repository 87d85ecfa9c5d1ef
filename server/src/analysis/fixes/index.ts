// Quick fixes for sensitive instructions: trapping equivalents, forced-emulation prefixes
// and hypercalls through a chosen ABI. Pure text in, edits out; no IO.
import type { AnalysisResult, Finding, Range, SourceLines } from '../types';
import { conventionFor, prefixFlavour } from './abi';
import type { FixContext, FixKind, FixOptions, FixStrategy, GeneratedFix } from './context';
import { upper } from './context';
import { emitHypercall } from './hypercall';
import { editForLines, labelMaker, linesOfText, siteOf, type TextEdit } from './layout';
import { planFor } from './plans';
import { forcedEmulationFix, popfTrapFix, smswTrapFix } from './trap';
import { xenIretFix, xenPopfFix, xenPushfFix } from './xen';

export type { FixOptions, FixStrategy, HypercallAbi } from './context';
export type { TextEdit } from './layout';
export { hypercallDefinitions, hypercallHeader } from './definitions';
export { hypercallNumber, hypercallSymbol, HYPERCALL_RULES } from './numbers';
export { FORCED_EMULATION_PREFIX } from './trap';
export { parseCustomTemplate } from './abi';

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

function trapFixes(ctx: FixContext): GeneratedFix[] {
  const out: GeneratedFix[] = [];
  const equivalent = ctx.ruleId === 'smsw' ? smswTrapFix(ctx) : ctx.ruleId === 'popf' ? popfTrapFix(ctx) : undefined;
  if (equivalent) out.push(equivalent);
  out.push(forcedEmulationFix(ctx, prefixFlavour(ctx.options)));
  return out;
}

function hypercallFix(ctx: FixContext): GeneratedFix | undefined {
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
  const fixes: QuickFix[] = trapFixes(ctx).map((f) => toQuickFix(ctx, f, f.kind === 'trap-equivalent'));
  const hypercall = hypercallFix(ctx);
  if (hypercall) fixes.push(toQuickFix(ctx, hypercall, false));
  return fixes;
}

/** The fix a strategy picks for one finding (trap: the ISA equivalent, else the prefix). */
export function fixForStrategy(text: string | SourceLines, finding: Finding, strategy: FixStrategy, options: FixOptions): QuickFix | undefined {
  const ctx = contextFor(text, finding, options);
  if (!ctx) return undefined;
  const fix = strategy === 'trap' ? trapFixes(ctx)[0] : hypercallFix(ctx);
  return fix ? toQuickFix(ctx, fix, false) : undefined;
}

/** One edit per fixable finding, sorted, never overlapping (one fix per source line). */
export function fixAll(text: string | SourceLines, result: Pick<AnalysisResult, 'findings'>, strategy: FixStrategy, options: FixOptions): TextEdit[] {
  const edits: TextEdit[] = [];
  const findings = [...result.findings].sort((a, b) => comparePositions(a.range.start, b.range.start));
  for (const finding of findings) {
    const fix = fixForStrategy(text, finding, strategy, options);
    if (!fix) continue;
    const last = edits[edits.length - 1];
    if (last && last.range.end.line >= fix.edit.range.start.line) continue; // a fix owns the rest of its line
    edits.push(fix.edit);
  }
  return edits;
}

function comparePositions(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}

/** Applies non-overlapping edits (any order) to the text. Throws on overlap. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (p: Range['start']): number => {
    const start = lineStarts[p.line];
    if (start === undefined) return text.length;
    const next = lineStarts[p.line + 1];
    const lineEnd = next === undefined ? text.length : next - 1 - (text[next - 2] === '\r' ? 1 : 0);
    return Math.min(start + p.character, lineEnd);
  };
  const spans = edits
    .map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), text: e.newText }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.start < spans[i - 1]!.end) throw new Error('applyEdits: overlapping edits');
  }
  let out = '';
  let cursor = 0;
  for (const s of spans) {
    out += text.slice(cursor, s.start) + s.text;
    cursor = s.end;
  }
  return out + text.slice(cursor);
}

export { linesOfText };
