// Between a keystroke and the project's next run, a file shows its own (fast) analysis. That
// analysis cannot see findings only the whole program makes — an instruction a macro from another
// file puts on an invocation line, an include that cannot be read — so those are carried over
// from the last run, moved with the lines the edits shift, and dropped on the lines they touch.
import type { Finding } from '../analysis/types';

export interface LineEdit {
  /** A change with a range; undefined replaces the whole text. */
  range?: { start: { line: number }; end: { line: number } };
  text: string;
}

/** The findings the file's own analysis cannot make. */
export function projectOnlyFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => (finding.macroChain?.length ?? 0) > 0 || finding.ruleId === 'unresolved-include' || finding.ruleId === 'undecided-expansion');
}

/** The findings after one edit: above it unchanged, below it moved by the lines it added or removed, on it gone. */
export function carriedThrough(findings: readonly Finding[], edit: LineEdit): Finding[] {
  if (!edit.range || findings.length === 0) return [];
  const first = Math.min(edit.range.start.line, edit.range.end.line);
  const last = Math.max(edit.range.start.line, edit.range.end.line);
  const delta = lineBreaks(edit.text) - (last - first);
  const out: Finding[] = [];
  for (const finding of findings) {
    const { start, end } = finding.range;
    if (end.line < first) out.push(finding);
    else if (start.line > last) out.push(delta === 0 ? finding : moved(finding, delta));
  }
  return out;
}

function moved(finding: Finding, delta: number): Finding {
  const { start, end } = finding.range;
  const range = { start: { line: start.line + delta, character: start.character }, end: { line: end.line + delta, character: end.character } };
  return { ...finding, range, mnemonicRange: range };
}

/** Line breaks as LSP counts them: `\r\n`, `\n` and a lone `\r`. */
function lineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13) {
      count++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return count;
}
