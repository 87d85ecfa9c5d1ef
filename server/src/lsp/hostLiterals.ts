// Whether the start of a line of a C, C++ or Rust file lies inside a string literal or a block
// comment, read from a point known to be in code (an asm statement's keyword). A disable comment
// inserted there would become part of the literal: a multi-line Rust template, a `\`-continued C
// string, a C++ raw string.
import type { HostLanguage } from '../analysis/embedded/index';
import type { Position } from '../analysis/types';

/** Lines read at most; past it the answer is "inside" (nothing is inserted). */
const MAX_LINES_SCANNED = 5000;
/** C++ raw-string delimiters are at most 16 characters. */
const MAX_RAW_DELIMITER = 16;

type State =
  | { kind: 'code' }
  | { kind: 'string' }
  | { kind: 'char' }
  | { kind: 'block'; depth: number }
  /** `closing`: what ends it (`"##` in Rust, `)delim"` in C++). */
  | { kind: 'raw'; closing: string };

const CODE: State = { kind: 'code' };

export function lineStartsInsideLiteral(lineText: (line: number) => string, from: Position, line: number, language: HostLanguage): boolean {
  if (line <= from.line) return false;
  if (line - from.line > MAX_LINES_SCANNED) return true;
  let state: State = CODE;
  for (let current = from.line; current < line; current++) {
    state = scanLine(lineText(current), current === from.line ? from.character : 0, state, language);
    // A line comment or a stray quote ends with its line; strings go on (continued or multi-line).
    if (state.kind === 'char') state = CODE;
  }
  return state.kind !== 'code';
}

function scanLine(text: string, start: number, entry: State, language: HostLanguage): State {
  let state = entry;
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    switch (state.kind) {
      case 'code': {
        if (ch === '/' && text[i + 1] === '/') return CODE;
        if (ch === '/' && text[i + 1] === '*') {
          state = { kind: 'block', depth: 1 };
          i += 2;
          continue;
        }
        if (ch === '"') {
          const raw = rawOpening(text, i, language);
          if (raw) {
            state = { kind: 'raw', closing: raw.closing };
            i = raw.bodyStart;
            continue;
          }
          state = { kind: 'string' };
        } else if (ch === "'") {
          const length = charLiteralLength(text, i, language);
          if (length > 0) {
            i += length;
            continue;
          }
          if (language !== 'rust') state = { kind: 'char' };
        }
        i++;
        continue;
      }
      case 'string':
      case 'char':
        if (ch === '\\') i += 2;
        else {
          if ((state.kind === 'string' && ch === '"') || (state.kind === 'char' && ch === "'")) state = CODE;
          i++;
        }
        continue;
      case 'block':
        if (ch === '*' && text[i + 1] === '/') {
          state = state.depth > 1 ? { kind: 'block', depth: state.depth - 1 } : CODE;
          i += 2;
        } else if (language === 'rust' && ch === '/' && text[i + 1] === '*') {
          state = { kind: 'block', depth: state.depth + 1 };
          i += 2;
        } else {
          i++;
        }
        continue;
      case 'raw': {
        const end = text.indexOf(state.closing, i);
        if (end < 0) return state;
        i = end + state.closing.length;
        state = CODE;
        continue;
      }
    }
  }
  return state;
}

/** A raw string opening at the quote `at`: Rust `r#"`, `br"`, `cr##"`; C++ `R"delim(`, `u8R"(`. */
function rawOpening(text: string, at: number, language: HostLanguage): { closing: string; bodyStart: number } | undefined {
  const before = text.slice(Math.max(0, at - 260), at);
  if (language === 'rust') {
    const match = /(?<![A-Za-z0-9_])[bc]?r(#*)$/.exec(before);
    return match ? { closing: `"${match[1]}`, bodyStart: at + 1 } : undefined;
  }
  if (language === 'cpp' && /(?<![A-Za-z0-9_])(?:u8|u|U|L)?R$/.test(before)) {
    const open = text.indexOf('(', at + 1);
    if (open < 0 || open - at - 1 > MAX_RAW_DELIMITER) return undefined;
    return { closing: `)${text.slice(at + 1, open)}"`, bodyStart: open + 1 };
  }
  return undefined;
}

/** The length of a complete character literal at `at` (0 when there is none: a Rust lifetime, a C++ digit separator). */
function charLiteralLength(text: string, at: number, language: HostLanguage): number {
  if (language === 'cpp' && /[0-9A-Fa-f]/.test(text[at - 1] ?? '') && /[0-9A-Fa-f]/.test(text[at + 1] ?? '')) return 1;
  const match = /^'(?:\\(?:x[0-9A-Fa-f]+|u\{[0-9A-Fa-f]+\}|[0-7]{1,3}|.)|[^\\'\n])'/.exec(text.slice(at, at + 16));
  if (match) return match[0].length;
  return language === 'rust' ? 1 : 0;
}
