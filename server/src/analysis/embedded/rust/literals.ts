// A Rust string literal's value, piece by piece, each piece with the host characters it came from:
// runs of plain characters map one to one (`exact`), an escape maps its decoded character to the
// whole escape, and a line continuation (`\` at a line's end) contributes nothing.
import type { RustLexProblem, RustToken } from './lexer';

export interface LiteralPiece {
  readonly text: string;
  /** Host offsets. */
  readonly start: number;
  readonly end: number;
  readonly exact: boolean;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '0': '\0', "'": "'", '"': '"' };

export function decodeString(text: string, token: RustToken, problems: RustLexProblem[]): LiteralPiece[] {
  const pieces: LiteralPiece[] = [];
  const start = token.contentStart ?? token.start;
  const end = token.contentEnd ?? token.end;
  let runStart = start;
  let i = start;
  const flush = (to: number): void => {
    if (to > runStart) pieces.push({ text: text.slice(runStart, to), start: runStart, end: to, exact: true });
  };
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) {
      // rustc reads CRLF inside a literal as one newline
      flush(i);
      pieces.push({ text: '\n', start: i, end: i + 2, exact: false });
      i += 2;
      runStart = i;
      continue;
    }
    if (c !== 92 || token.raw) {
      i++;
      continue;
    }
    flush(i);
    const escape = readEscape(text, i, end);
    if (escape.message) problems.push({ start: i, end: escape.end, message: escape.message });
    if (escape.value !== '') pieces.push({ text: escape.value, start: i, end: escape.end, exact: false });
    i = escape.end;
    runStart = i;
  }
  flush(end);
  return pieces;
}

interface Escape {
  value: string;
  end: number;
  message?: string;
}

function readEscape(text: string, at: number, limit: number): Escape {
  const kind = text[at + 1] ?? '';
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) return { value: simple, end: at + 2 };
  if (kind === '\n' || kind === '\r') {
    let i = at + 1;
    while (i < limit && /[ \t\n\r]/.test(text[i]!)) i++;
    return { value: '', end: i };
  }
  if (kind === 'x') {
    const hex = text.slice(at + 2, at + 4);
    if (/^[0-7][0-9a-fA-F]$/.test(hex)) return { value: String.fromCharCode(parseInt(hex, 16)), end: at + 4 };
    return { value: '?', end: Math.min(at + 4, limit), message: `bad escape \\x${hex}` };
  }
  if (kind === 'u' && text[at + 2] === '{') {
    const close = text.indexOf('}', at + 3);
    const digits = close < 0 || close > limit ? '' : text.slice(at + 3, close).replace(/_/g, '');
    const value = /^[0-9a-fA-F]{1,6}$/.test(digits) ? parseInt(digits, 16) : NaN;
    if (close < 0 || close > limit || !(value <= 0x10ffff) || (value >= 0xd800 && value <= 0xdfff)) {
      return { value: '?', end: close < 0 || close > limit ? Math.min(at + 3, limit) : close + 1, message: 'bad unicode escape' };
    }
    return { value: String.fromCodePoint(value), end: close + 1 };
  }
  return { value: kind, end: Math.min(at + 2, limit), message: `unknown escape \\${kind}` };
}
