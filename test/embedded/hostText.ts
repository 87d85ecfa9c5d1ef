// Reads a C, C++ or Rust host text the way the oracle needs it: where its string literals are, so a
// finding can be checked to point inside one. Independent of virtlint's own front ends on purpose.

export interface Span {
  start: number;
  end: number;
}

/** Offsets of every string literal's contents (between the quotes) in C, C++ or Rust text. */
export function stringLiteralSpans(text: string, rust: boolean): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (rust && c === 'r' && /^r#*"/.test(text.slice(i, i + 260)) && !/\w/.test(text[i - 1] ?? '')) {
      const hashes = /^r(#*)"/.exec(text.slice(i, i + 260))![1]!;
      const start = i + 2 + hashes.length;
      const end = text.indexOf('"' + hashes, start);
      spans.push({ start, end: end < 0 ? text.length : end });
      i = end < 0 ? text.length : end + 1 + hashes.length;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      spans.push({ start: i + 1, end: Math.min(j, text.length) });
      i = j + 1;
    } else if (c === "'") {
      i = skipCharacterLiteral(text, i, rust);
    } else i++;
  }
  return spans;
}

function skipCharacterLiteral(text: string, at: number, rust: boolean): number {
  if (text[at + 1] === '\\') {
    const end = text.indexOf("'", at + 3);
    return end < 0 ? text.length : end + 1;
  }
  if (text[at + 2] === "'") return at + 3;
  if (rust) return at + 1; // a lifetime
  const end = text.indexOf("'", at + 1);
  return end < 0 ? text.length : end + 1;
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}
