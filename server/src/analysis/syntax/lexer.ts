// Splits one source line into code, strings and comments, the way each assembler does.
// The result keeps every character position: comments become spaces in `masked`, and the
// inside of strings becomes `_`, so later stages can split on `;`, `,` and `:` safely.
import { isGas } from './dialects';
import type { Dialect } from '../types';

export interface Comment {
  text: string;
  /** Offset of the comment's first character (the comment marker itself). */
  start: number;
}

/** Lexer state carried from one line to the next. */
export interface LexState {
  /** Inside a C block comment (GNU as / cpp). */
  inBlockComment: boolean;
  /** Inside a MASM `COMMENT x ... x` block: the delimiter character. */
  masmCommentDelimiter: string;
  /** The previous line was a cpp directive ending in a backslash. */
  cppContinuation: boolean;
  /**
   * NASM: the previous line's `;` comment ended in a backslash. NASM joins such a line with the
   * next one before it looks for comments, so the whole next line is comment too.
   */
  commentContinues: boolean;
}

/**
 * Every lex state is made here, so all have one hidden class (a frozen object or a spread copy of
 * one gets another, and the code that compares states would see several). States are never changed.
 */
function lexState(inBlockComment: boolean, masmCommentDelimiter: string, cppContinuation: boolean, commentContinues: boolean): LexState {
  return { inBlockComment, masmCommentDelimiter, cppContinuation, commentContinues };
}

export const INITIAL_LEX_STATE: Readonly<LexState> = lexState(false, '', false, false);
const IN_BLOCK_COMMENT: Readonly<LexState> = lexState(true, '', false, false);
const COMMENT_CONTINUES: Readonly<LexState> = lexState(false, '', false, true);

/** NASM joins a line ending in a backslash (and nothing after it, not even a space) with the next. */
function joinsNextLine(line: string): boolean {
  return line.endsWith('\\');
}

export interface LexedLine {
  /** Same length as the line: code characters kept, comments blanked, string contents replaced by `_`. */
  masked: string;
  comments: Comment[];
  /** A C-preprocessor directive line (or its continuation): not assembly. */
  preprocessor: boolean;
  state: LexState;
}

const CPP_DIRECTIVE = /^\s*#\s*(include|define|undef|if|ifdef|ifndef|elif|else|endif|error|warning|pragma|line|include_next)\b/;

const GAS_SPECIAL = /["'#/]/g;
const NASM_SPECIAL = /[;"'`]/g;
const OTHER_SPECIAL = /[;"']/g;

export function lexLine(line: string, dialect: Dialect, state: LexState): LexedLine {
  const gas = isGas(dialect);
  if (gas && (state.cppContinuation || CPP_DIRECTIVE.test(line))) {
    // A cpp directive: the whole line is preprocessor text. A /* inside it still opens a block comment.
    const continues = /\\\s*$/.test(line);
    const opensBlock = line.lastIndexOf('/*') > line.lastIndexOf('*/');
    return {
      masked: ' '.repeat(line.length),
      comments: [],
      preprocessor: true,
      state: lexState(opensBlock, '', continues, false),
    };
  }

  if (dialect === 'nasm' && state.commentContinues) {
    return { masked: ' '.repeat(line.length), comments: [{ text: line, start: 0 }], preprocessor: false, state: joinsNextLine(line) ? COMMENT_CONTINUES : INITIAL_LEX_STATE };
  }

  const comments: Comment[] = [];
  let inBlock = state.inBlockComment;
  let masmDelimiter = state.masmCommentDelimiter;
  let blockStart = 0;
  let i = 0;
  const n = line.length;

  if (masmDelimiter) {
    const end = line.indexOf(masmDelimiter);
    if (end < 0) {
      comments.push({ text: line, start: 0 });
      return { masked: ' '.repeat(n), comments, preprocessor: false, state: state.masmCommentDelimiter === masmDelimiter ? state : lexState(false, masmDelimiter, false, false) };
    }
    // MASM ignores the rest of the line that closes a COMMENT block.
    comments.push({ text: line, start: 0 });
    return { masked: ' '.repeat(n), comments, preprocessor: false, state: INITIAL_LEX_STATE };
  }

  if (dialect === 'masm') {
    const block = /^\s*comment\s+(\S)/i.exec(line);
    if (block) {
      const delimiter = block[1]!;
      const rest = line.slice(block.index + block[0].length);
      comments.push({ text: line, start: 0 });
      const closed = rest.includes(delimiter);
      return { masked: ' '.repeat(n), comments, preprocessor: false, state: lexState(false, closed ? '' : delimiter, false, false) };
    }
  }

  // Copy code through in slices; only comments and string contents are rewritten.
  let masked = '';
  let copied = 0;
  const special = gas ? GAS_SPECIAL : dialect === 'nasm' ? NASM_SPECIAL : OTHER_SPECIAL;
  while (i < n) {
    if (inBlock) {
      const close = line.indexOf('*/', i);
      if (close < 0) {
        masked += ' '.repeat(n - i);
        i = n;
        copied = n;
        break;
      }
      comments.push({ text: line.slice(blockStart, close + 2), start: blockStart });
      masked += ' '.repeat(close + 2 - i);
      i = close + 2;
      copied = i;
      inBlock = false;
      continue;
    }
    special.lastIndex = i;
    const hit = special.exec(line);
    if (!hit) break;
    i = hit.index;
    const ch = line[i]!;
    masked += line.slice(copied, i);
    if (gas && ch === '/' && line[i + 1] === '*') {
      inBlock = true;
      blockStart = i;
      masked += '  ';
      i += 2;
      copied = i;
      continue;
    }
    const lineComment = gas ? ch === '#' || (ch === '/' && line[i + 1] === '/') : ch === ';';
    if (lineComment) {
      comments.push({ text: line.slice(i), start: i });
      masked += ' '.repeat(n - i);
      return { masked: masked.slice(0, n).padEnd(n, ' '), comments, preprocessor: false, state: dialect === 'nasm' && joinsNextLine(line) ? COMMENT_CONTINUES : INITIAL_LEX_STATE };
    }
    if (ch === '/') {
      masked += ch;
      i++;
      copied = i;
      continue;
    }
    if (ch === "'" && gas) {
      // GNU as character constant: 'c or '\n (no closing quote).
      const width = Math.min(line[i + 1] === '\\' ? 2 : 1, n - i - 1);
      masked += "'" + '_'.repeat(width);
      i += 1 + width;
      copied = i;
      continue;
    }
    const end = findStringEnd(line, i, ch, ch === '`' || (gas && ch === '"'));
    masked += ch + '_'.repeat(Math.max(0, Math.min(end, n) - i - 1));
    if (end < n) masked += line[end]!;
    i = end + 1;
    copied = Math.min(i, n);
  }
  if (copied < n) masked += line.slice(copied);
  if (inBlock) comments.push({ text: line.slice(blockStart), start: blockStart });
  masked = masked.slice(0, n).padEnd(n, ' ');
  return { masked, comments, preprocessor: false, state: inBlock ? IN_BLOCK_COMMENT : INITIAL_LEX_STATE };
}

/** Index of the closing quote, or the line length when the string is unterminated. */
function findStringEnd(line: string, start: number, quote: string, backslashEscapes: boolean): number {
  for (let j = start + 1; j < line.length; j++) {
    const c = line[j];
    if (backslashEscapes && c === '\\') {
      j++;
      continue;
    }
    if (c === quote) return j;
  }
  return line.length;
}

export function sameLexState(a: LexState, b: LexState): boolean {
  return (
    a.inBlockComment === b.inBlockComment &&
    a.masmCommentDelimiter === b.masmCommentDelimiter &&
    a.cppContinuation === b.cppContinuation &&
    a.commentContinues === b.commentContinues
  );
}
