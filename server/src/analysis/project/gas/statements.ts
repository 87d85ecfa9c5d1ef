// A line's statements (separated by `;`), each with its labels and its first word, read from the
// lexer's masked text so `;`, `:` and `=` inside strings and comments do not count.
import { isNamePart, isWhite } from './text';

export interface Statement {
  /** Columns of the statement in the line, its `;` excluded. */
  readonly start: number;
  readonly end: number;
  /** Labels (`name:`) before the first word. */
  readonly labels: readonly string[];
  /** The first word as written ('' when there is none), and where it starts and ends. */
  readonly word: string;
  readonly wordStart: number;
  readonly wordEnd: number;
  /** `name = expr` or `name == expr`: the word is assigned a value. */
  readonly assignment: boolean;
}

const NO_LABELS: readonly string[] = Object.freeze([]);

export function splitStatements(masked: string): Statement[] {
  let separator = masked.indexOf(';');
  // Most lines hold one statement: an array of exactly one, where a `[]` pushed to reserves 16 slots
  // (the lexing cache keeps thousands of these arrays).
  if (separator < 0) return [readStatement(masked, 0, masked.length)];
  const statements: Statement[] = [];
  let start = 0;
  for (;;) {
    if (start > 0) separator = masked.indexOf(';', start);
    const end = separator < 0 ? masked.length : separator;
    statements.push(readStatement(masked, start, end));
    if (separator < 0) return statements;
    start = separator + 1;
  }
}

function readStatement(masked: string, start: number, end: number): Statement {
  let labels = NO_LABELS;
  let index = skipWhiteTo(masked, start, end);
  for (;;) {
    const wordEnd = nameOrNumberEnd(masked, index, end);
    if (wordEnd > index && masked[wordEnd] === ':' && wordEnd < end && masked[wordEnd + 1] !== ':') {
      if (labels === NO_LABELS) labels = [];
      (labels as string[]).push(masked.slice(index, wordEnd));
      index = skipWhiteTo(masked, wordEnd + 1, end);
      continue;
    }
    const after = skipWhiteTo(masked, wordEnd, end);
    const assignment = wordEnd > index && masked[after] === '=' && after < end;
    return { start, end, labels, word: masked.slice(index, wordEnd), wordStart: index, wordEnd, assignment };
  }
}

function skipWhiteTo(text: string, index: number, end: number): number {
  while (index < end && isWhite(text[index])) index++;
  return index;
}

function nameOrNumberEnd(text: string, index: number, end: number): number {
  while (index < end && isNamePart(text[index])) index++;
  return index;
}

/** The end of a statement's text without its trailing whitespace. */
export function trimmedEnd(text: string, start: number, end: number): number {
  while (end > start && (isWhite(text[end - 1]) || text[end - 1] === '\r')) end--;
  return end;
}

/**
 * The statement's text from `from` to its end as GNU as sees it: comments (blank in `masked`)
 * become spaces, strings keep their characters.
 */
export function cleanText(line: string, masked: string, from: number, end: number): string {
  // Runs of characters as written go in as slices; only a blanked character becomes a space.
  let out = '';
  let copied = from;
  for (let i = from; i < end; i++) {
    if (masked.charCodeAt(i) === SPACE && line.charCodeAt(i) !== SPACE) {
      out += line.slice(copied, i) + ' ';
      copied = i + 1;
    }
  }
  out += line.slice(copied, end);
  return out.trim();
}

const SPACE = 32;
