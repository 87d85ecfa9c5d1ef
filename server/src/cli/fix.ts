// --fix: rewrite the sensitive instructions with the fix engine, then lint what is left.
import type { AnalysisResult } from '../analysis';
import { applyEdits, fixAll, type FixOptions, type FixStrategy, type TextEdit } from '../analysis/fixes';

export interface FixOutcome {
  text: string;
  /** How many instructions were rewritten. */
  applied: number;
}

export function applyFixes(text: string, result: AnalysisResult, strategy: FixStrategy, options: FixOptions): FixOutcome {
  const edits = fixAll(text, result, strategy, options);
  if (edits.length === 0) return { text, applied: 0 };
  const crlf = usesCrlf(text);
  const matched: TextEdit[] = crlf ? edits.map((edit) => ({ range: edit.range, newText: edit.newText.replace(/\r?\n/g, '\r\n') })) : edits;
  return { text: applyEdits(text, matched), applied: edits.length };
}

/** The engine writes `\n`; a file that mostly uses CRLF keeps CRLF. */
function usesCrlf(text: string): boolean {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1;
  return crlf > 0 && crlf * 2 >= lf;
}

export function fixNote(applied: number, dryRun: boolean): string | undefined {
  if (applied === 0) return undefined;
  const what = `${applied} ${applied === 1 ? 'instruction' : 'instructions'}`;
  return dryRun ? `--fix-dry-run: would rewrite ${what}; the problems listed are what would remain` : `fixed ${what}; the problems listed remain`;
}
