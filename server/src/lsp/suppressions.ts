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
  return disableAboveEdit((at) => lines.line(at), line, ruleId, (body) => insertedComment(dialect, body));
}

/**
 * The same for any comment syntax: `comment` wraps the directive (and may end the inserted line,
 * as a `\` continuation does); `lineText` gives one line of the document.
 */
export function disableAboveEdit(lineText: (line: number) => string, line: number, ruleId: string, comment: (body: string) => string): TextEdit {
  const above = line > 0 ? NEXT_LINE_IDS.exec(lineText(line - 1)) : null;
  if (above) {
    const at = above.index + above[0].length;
    return { range: { start: { line: line - 1, character: at }, end: { line: line - 1, character: at } }, newText: `, ${ruleId}` };
  }
  const indent = /^[ \t]*/.exec(lineText(line))?.[0] ?? '';
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}${comment(`virtlint-disable-next-line ${ruleId} -- ${REASON_PLACEHOLDER}`)}\n` };
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
