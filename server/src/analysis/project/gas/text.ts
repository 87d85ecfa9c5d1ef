// Character-level reading the way GNU as's macro processor (gas/macro.c) reads its input: names,
// whitespace, commas, and one macro argument at a time.

export function isWhite(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/** A character that can start a symbol or macro name on x86 (`$` and `.` included). */
export function isNameStart(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || c === '_' || c === '.' || c === '$';
}

/** `isNameStart` or a digit (written out: this runs for every character of every name). */
export function isNamePart(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || c === '_' || c === '.' || c === '$';
}

export function skipWhite(text: string, index: number): number {
  while (index < text.length && isWhite(text[index])) index++;
  return index;
}

/** Whitespace, then at most one comma, then whitespace. */
export function skipComma(text: string, index: number): number {
  index = skipWhite(text, index);
  if (text[index] === ',') index = skipWhite(text, index + 1);
  return index;
}

/** End of the name starting at `index` (== `index` when there is none). */
export function nameEnd(text: string, index: number): number {
  if (!isNameStart(text[index])) return index;
  index++;
  while (index < text.length && isNamePart(text[index])) index++;
  return index;
}

export interface Piece {
  readonly value: string;
  readonly end: number;
}

/**
 * One macro argument: a double-quoted string (quotes removed, `""` and `\"` kept as a quote),
 * or text up to whitespace or a comma, where whitespace inside `(…)`/`[…]` and quoted parts are kept.
 */
export function readArgument(text: string, index: number): Piece {
  index = skipWhite(text, index);
  if (text[index] === '"') return readQuoted(text, index);
  // The value is the text read, as it stands: one slice at the end.
  const start = index;
  const brackets: string[] = [];
  while (index < text.length && text[index] !== ',' && (brackets.length > 0 || !isWhite(text[index]))) {
    const c = text[index]!;
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, index + 1);
      index = close < 0 ? text.length : close + 1;
      continue;
    }
    if (c === '(' || c === '[') brackets.push(c);
    else if ((c === ')' && brackets[brackets.length - 1] === '(') || (c === ']' && brackets[brackets.length - 1] === '[')) brackets.pop();
    index++;
  }
  return { value: text.slice(start, index), end: index };
}

/** Adjacent double-quoted strings, joined, without their quotes. */
function readQuoted(text: string, index: number): Piece {
  let value = '';
  while (text[index] === '"') {
    index++;
    let escaped = false;
    while (index < text.length) {
      escaped = text[index - 1] === '\\' ? !escaped : false;
      const c = text[index]!;
      if (c === '"' && !escaped) {
        index++;
        if (text[index] !== '"') break;
      }
      value += text[index];
      index++;
    }
  }
  return { value, end: index };
}

/** Runs of spaces and tabs outside double quotes become one space, as GNU as's input scrubber does. */
export function collapseWhite(text: string): string {
  let out = '';
  let inQuote = false;
  let lastWhite = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' && text[i - 1] !== '\\') inQuote = !inQuote;
    if (!inQuote && isWhite(c)) {
      if (!lastWhite) out += ' ';
      lastWhite = true;
      continue;
    }
    lastWhite = false;
    out += c;
  }
  return out;
}
