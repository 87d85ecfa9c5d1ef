// Every forced-emulation prefix a host file can take, as the CLI's `--fix trap` writes them: the
// editor's own quick fixes (prefixFix.ts), applied together where they do not overlap and then
// again on a fresh analysis, until a pass changes nothing. Two instructions in one literal need
// two passes (the spliced edit runs to the literal's end, where the marker goes).
import type { Finding } from '../types';
import type { FixOptions } from '../fixes/context';
import { applyEdits } from '../fixes';
import type { TextEdit } from '../fixes/layout';
import { embeddedPrefixDecider, type EmbeddedFixInput } from './prefixFix';
import { isBefore } from '../text/position';

/** An analysis the passes can read: the blocks the fix needs and the findings to fix. */
export interface FixableHostAnalysis extends EmbeddedFixInput {
  readonly findings: readonly Finding[];
}

export interface HostFixRefusal {
  readonly finding: Finding;
  readonly reason: string;
}

export interface HostFixOutcome {
  readonly text: string;
  /** Prefixes written, over all passes. */
  readonly applied: number;
  /** The analysis of the returned text. */
  readonly analysis: FixableHostAnalysis;
  /** The findings of the returned text left as they are, each with the reason the editor would give none. */
  readonly refusals: readonly HostFixRefusal[];
  /** False when the pass bound was reached with prefixes still to write. */
  readonly stable: boolean;
}

/** Enough for a literal of that many sensitive instructions; each pass is one analysis of the file. */
export const MAX_HOST_FIX_PASSES = 32;

export function fixHostUntilStable(text: string, first: FixableHostAnalysis, analyze: (text: string) => FixableHostAnalysis, options: FixOptions, maxPasses = MAX_HOST_FIX_PASSES): HostFixOutcome {
  let current = text;
  let analysis = first;
  let applied = 0;
  for (let pass = 0; pass < maxPasses; pass++) {
    const { edits, refusals } = onePass(current, analysis, options);
    if (edits.length === 0) return { text: current, applied, analysis, refusals, stable: true };
    current = applyEdits(current, edits);
    applied += edits.length;
    analysis = analyze(current);
  }
  const last = onePass(current, analysis, options);
  return { text: current, applied, analysis, refusals: last.refusals, stable: last.edits.length === 0 };
}

/** The edits of one pass (one per instruction, none overlapping an earlier one) and the findings refused. */
function onePass(text: string, analysis: FixableHostAnalysis, options: FixOptions): { edits: TextEdit[]; refusals: HostFixRefusal[] } {
  const decide = embeddedPrefixDecider(text, analysis, options);
  const edits: TextEdit[] = [];
  const refusals: HostFixRefusal[] = [];
  const seenInstruction = new Set<string>();
  for (const finding of analysis.findings) {
    const at = finding.instruction?.range.start;
    const key = at ? `${at.line}:${at.character}` : undefined;
    // One prefix per instruction, whatever number of rules report it (as the editor offers one).
    if (key !== undefined && seenInstruction.has(key)) continue;
    const decision = decide(finding);
    if (!('fix' in decision)) {
      refusals.push({ finding, reason: decision.refusal });
      continue;
    }
    if (key !== undefined) seenInstruction.add(key);
    if (edits.some((edit) => overlaps(edit, decision.fix.edit))) continue; // the next pass reads it again
    edits.push(decision.fix.edit);
  }
  return { edits, refusals };
}

function overlaps(a: TextEdit, b: TextEdit): boolean {
  return (isBefore(a.range.start, b.range.end) && isBefore(b.range.start, a.range.end)) || samePoint(a, b);
}

/** Two insertions at one place would both land there, in an order no pass chose. */
function samePoint(a: TextEdit, b: TextEdit): boolean {
  const at = (p: TextEdit['range']['start']) => `${p.line}:${p.character}`;
  return at(a.range.start) === at(b.range.start);
}
