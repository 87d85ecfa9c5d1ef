// A short diff of what a fix would do to the text: the lines its edits replace and the lines
// they become, for a hover to show before anyone applies it.
import type { SourceLines } from '../types';
import type { TextEdit } from './layout';
import { sourceOf } from './layout';

export interface PreviewOptions {
  /** Added lines shown per edit; the rest are counted (default 8). */
  maxAdded?: number;
}

const DEFAULT_MAX_ADDED = 8;

/**
 * Unified-diff-like text for the edits (any order, never overlapping): per edit a `@@ line N @@`
 * header, `-` for each line it touches, `+` for each line those become. Long insertions are cut
 * after `maxAdded` lines with a count of the rest.
 */
export function fixPreview(text: string | SourceLines, edits: readonly TextEdit[], options: PreviewOptions = {}): string {
  const source = sourceOf(text);
  const maxAdded = options.maxAdded ?? DEFAULT_MAX_ADDED;
  const hunks: string[] = [];
  const sorted = [...edits].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  for (const edit of sorted) {
    const { start, end } = edit.range;
    const pureInsert = start.line === end.line && start.character === end.character && start.character === 0 && /(\r\n|\n|\r)$/.test(edit.newText);
    const before: string[] = [];
    let after: string[];
    if (pureInsert) {
      // A whole-line insertion (the include): the line it lands on is untouched.
      after = splitLines(edit.newText.replace(/(\r\n|\n|\r)$/, ''));
    } else {
      for (let line = start.line; line <= end.line && line < source.lineCount; line++) before.push(source.line(line));
      const head = start.line < source.lineCount ? source.line(start.line).slice(0, start.character) : '';
      const tail = end.line < source.lineCount ? source.line(end.line).slice(end.character) : '';
      after = splitLines(`${head}${edit.newText}${tail}`);
    }
    const lines = [`@@ line ${start.line + 1} @@`, ...before.map((line) => `-${line}`)];
    const shown = after.length > maxAdded ? after.slice(0, maxAdded - 1) : after;
    for (const line of shown) lines.push(`+${line}`);
    if (shown.length < after.length) lines.push(`+… ${after.length - shown.length} more lines`);
    hunks.push(lines.join('\n'));
  }
  return hunks.join('\n');
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}
