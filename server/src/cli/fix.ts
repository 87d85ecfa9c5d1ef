// --fix: rewrite the sensitive instructions with the fix engine, then lint what is left.
import type { AnalysisResult } from '../analysis';
import { applyEdits, plannedEdits, planFixes, type FixOptions, type FixStrategy } from '../analysis/fixes';

export interface FixOutcome {
  text: string;
  /** How many instructions were rewritten. */
  applied: number;
}

/** The engine writes added lines with the line break of the line they replace, so the text keeps its own style. */
export function applyFixes(text: string, result: Pick<AnalysisResult, 'findings'> & Partial<AnalysisResult>, strategy: FixStrategy, options: FixOptions): FixOutcome {
  const planned = planFixes(text, result, strategy, options);
  if (planned.fixes.length === 0) return { text, applied: 0 };
  return { text: applyEdits(text, plannedEdits(planned)), applied: planned.fixes.length };
}

export function fixNote(applied: number, dryRun: boolean): string | undefined {
  if (applied === 0) return undefined;
  const what = `${applied} ${applied === 1 ? 'instruction' : 'instructions'}`;
  return dryRun ? `--fix-dry-run: would rewrite ${what}; the problems listed are what would remain` : `fixed ${what}; the problems listed remain`;
}
