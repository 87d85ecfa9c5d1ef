// Text edits that insert suppression comments, in each dialect's comment syntax
// (`insertedComment`: checked with cpp and `as` in test/lsp/units.test.ts).
import type { TextEdit } from 'vscode-languageserver';
import { insertedComment } from '../analysis';
import type { Dialect, SourceLines } from '../analysis/types';

export const REASON_PLACEHOLDER = 'why this is safe here';

const NEXT_LINE_IDS = /virtlint-disable-next-line((?:[ \t]*,?[ \t]*[A-Za-z0-9_][A-Za-z0-9_-]*)+)/;

/**
 * Inserts `virtlint-disable-next-line <id> -- reason` above `line`, indented like it; when
 * the line above already has such a comment with ids, adds the id to it instead.
 */
export function disableForLineEdit(lines: SourceLines, line: number, dialect: Dialect, ruleId: string): TextEdit {
  const above = line > 0 ? NEXT_LINE_IDS.exec(lines.line(line - 1)) : null;
  if (above) {
    const at = above.index + above[0].length;
    return { range: { start: { line: line - 1, character: at }, end: { line: line - 1, character: at } }, newText: `, ${ruleId}` };
  }
  const indent = /^[ \t]*/.exec(lines.line(line))?.[0] ?? '';
  const comment = insertedComment(dialect, `virtlint-disable-next-line ${ruleId} -- ${REASON_PLACEHOLDER}`);
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}${comment}\n` };
}

/**
 * Inserts `virtlint-disable-file <id>` at the top of the file, below a first-line
 * `virtlint:` modeline if there is one (so the modeline stays first).
 */
export function disableForFileEdit(lines: SourceLines, dialect: Dialect, ruleId: string): TextEdit {
  const line = /virtlint:\s*\w+=/.test(lines.line(0)) ? 1 : 0;
  const comment = insertedComment(dialect, `virtlint-disable-file ${ruleId}`);
  const atEnd = line >= lines.lineCount;
  const position = atEnd ? { line: Math.max(0, lines.lineCount - 1), character: lines.line(lines.lineCount - 1).length } : { line, character: 0 };
  return { range: { start: position, end: position }, newText: atEnd ? `\n${comment}` : `${comment}\n` };
}
