// Unified diff of two texts (for --fix-dry-run), by jsdiff (the `diff` package): Myers' line
// diff, capped so that a file changed everywhere costs no more than a whole-file replacement.
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch, type StructuredPatch } from 'diff';

const CONTEXT = 3;
/** Past this many differing lines the diff is shown as one replaced block. */
const MAX_EDIT_LENGTH = 3000;
const NO_NEWLINE = '\\ No newline at end of file';

export interface DiffOptions {
  /**
   * Both files start with a UTF-8 byte order mark that the texts no longer hold (the CLI decodes
   * it away). The diff's first line then carries it, as `git diff` writes it, or `git apply`
   * would not find that line.
   */
  byteOrderMark?: boolean;
}

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, options: DiffOptions = {}): string {
  if (oldText === newText) return '';
  const bom = options.byteOrderMark ? '\ufeff' : '';
  const before = bom + oldText;
  const after = bom + newText;
  const patch =
    structuredPatch(oldName, newName, before, after, undefined, undefined, { context: CONTEXT, maxEditLength: MAX_EDIT_LENGTH }) ??
    wholeReplacement(oldName, newName, before, after);
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

/** Every old line removed, every new line added: one hunk, for texts too different to diff. */
function wholeReplacement(oldName: string, newName: string, before: string, after: string): StructuredPatch {
  const removed = linesOf(before, '-');
  const added = linesOf(after, '+');
  const lines = removed.lines;
  for (const line of added.lines) lines.push(line);
  return {
    oldFileName: oldName,
    newFileName: newName,
    oldHeader: undefined,
    newHeader: undefined,
    hunks: [{ oldStart: 1, oldLines: removed.count, newStart: 1, newLines: added.count, lines }],
  };
}

function linesOf(text: string, marker: '-' | '+'): { lines: string[]; count: number } {
  if (text === '') return { lines: [], count: 0 };
  const parts = text.split('\n');
  const endsWithNewline = parts[parts.length - 1] === '';
  if (endsWithNewline) parts.pop();
  const lines = parts.map((part) => marker + part);
  if (!endsWithNewline) lines.push(NO_NEWLINE);
  return { lines, count: parts.length };
}
