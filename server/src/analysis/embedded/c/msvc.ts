// MSVC inline assembly: `__asm { … }` blocks and `__asm mov ax, ds` single lines (`_asm` too).
// The text is MASM, not C (a `'` in a `;` comment is no character constant), so it is read raw
// from the host text: a block runs to its `}`, a single line to the line's end, a `;` comment, or
// the next `__asm`.

/** A run of host text holding one line of assembly. */
export interface RawSpan {
  readonly start: number;
  readonly end: number;
}

export interface MsvcAsm {
  readonly form: 'msvc-block' | 'msvc-line';
  readonly lines: readonly RawSpan[];
  /** Keyword through the `}` or the line's end. */
  readonly start: number;
  readonly end: number;
  /** C comments (line and block) inside. */
  readonly comments: readonly RawSpan[];
  readonly unterminated: boolean;
}

const KEYWORD = /\b_?_asm\b(?!\s*(?:__volatile__|volatile|goto|inline|__inline__)?\s*\()/y;

function isBreak(c: string | undefined): boolean {
  return c === '\n' || c === '\r';
}

/** Whether the `__asm`/`_asm` ending at `afterKeyword` starts MSVC assembly (not GNU `__asm (…)` or `__asm volatile(…)`). */
export function startsMsvcAsm(text: string, afterKeyword: number): boolean {
  let i = afterKeyword;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const c = text[i];
  if (c === '{') return true;
  if (isBreak(c)) return text[skipWhitespace(text, i)] === '{';
  if (c === undefined || c === '(' || c === ';') return false;
  const word = /^[A-Za-z_]\w*/.exec(text.slice(i, i + 32));
  if (!word) return false;
  if (['volatile', '__volatile__', '__volatile', 'goto', 'inline', '__inline__', '__inline'].includes(word[0])) return false;
  return true;
}

/** Reads the MSVC asm whose keyword ends at `afterKeyword` (the keyword starts at `keywordStart`). */
export function readMsvcAsm(text: string, keywordStart: number, afterKeyword: number): MsvcAsm {
  let i = afterKeyword;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] === '{') return readBlock(text, keywordStart, i);
  // `__asm` alone on its line with the `{` on a following one (clang reads that as a block too).
  const brace = isBreak(text[i]) ? skipWhitespace(text, i) : -1;
  if (text[brace] === '{') return readBlock(text, keywordStart, brace);
  return readLine(text, keywordStart, i);
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function readLine(text: string, keywordStart: number, from: number): MsvcAsm {
  const comments: RawSpan[] = [];
  let i = from;
  let end = from;
  while (i < text.length && !isBreak(text[i])) {
    const c = text[i]!;
    if (c === ';' || (c === '/' && text[i + 1] === '/')) {
      let j = i;
      while (j < text.length && !isBreak(text[j])) j++;
      if (c === '/') comments.push({ start: i, end: j });
      end = i;
      i = j;
      break;
    }
    if (c === '/' && text[i + 1] === '*') {
      // A comment that ends the statement (`__asm _emit 0x6d /* why */ __asm sidt [eax]`) is a host comment, not assembly.
      const close = text.indexOf('*/', i + 2);
      const stop = close < 0 ? text.length : close + 2;
      let next = stop;
      while (text[next] === ' ' || text[next] === '\t') next++;
      KEYWORD.lastIndex = next;
      if (next >= text.length || isBreak(text[next]) || KEYWORD.test(text)) {
        comments.push({ start: i, end: stop });
        i = stop;
        break;
      }
      if (!hasBreak(text, i, stop)) {
        // Inside the statement: blanks, which the reader of the line's text blanks out.
        comments.push({ start: i, end: stop });
        i = stop;
        end = i;
        continue;
      }
    }
    if (c === '}') break;
    if (c === '_' && /[^\w$]/.test(text[i - 1] ?? ' ')) {
      KEYWORD.lastIndex = i;
      if (KEYWORD.test(text)) break;
    }
    i++;
    end = i;
  }
  const lines = trimmed(text, from, end);
  return { form: 'msvc-line', lines: lines ? [lines] : [], start: keywordStart, end: i, comments, unterminated: false };
}

function readBlock(text: string, keywordStart: number, open: number): MsvcAsm {
  const lines: RawSpan[] = [];
  const comments: RawSpan[] = [];
  let lineStart = open + 1;
  let lineEnd = -1;
  let i = open + 1;
  const finishLine = (at: number): void => {
    const span = trimmed(text, lineStart, lineEnd >= 0 ? lineEnd : at);
    if (span) for (const statement of statementsOf(text, span)) lines.push(statement);
    lineEnd = -1;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '}') {
      finishLine(i);
      return { form: 'msvc-block', lines, start: keywordStart, end: i + 1, comments, unterminated: false };
    }
    if (isBreak(c)) {
      finishLine(i);
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      lineStart = i;
      continue;
    }
    if (lineEnd < 0 && (c === ';' || (c === '/' && text[i + 1] === '/'))) {
      lineEnd = i;
      let j = i;
      while (j < text.length && !isBreak(text[j])) j++;
      if (c === '/') comments.push({ start: i, end: j });
      i = j;
      continue;
    }
    if (lineEnd < 0 && c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      const stop = close < 0 ? text.length : close + 2;
      comments.push({ start: i, end: stop });
      // A comment within one line is blanks between operands, as clang reads it (`sidt /* x */ [eax]`);
      // one that runs over a line break ends the line it starts on.
      if (!hasBreak(text, i, stop)) {
        i = stop;
        continue;
      }
      finishLine(i);
      i = stop;
      lineStart = i;
      continue;
    }
    i++;
  }
  finishLine(text.length);
  return { form: 'msvc-block', lines, start: keywordStart, end: text.length, comments, unterminated: true };
}

/** A line inside a block may hold several statements, each after its own `__asm` (`_emit 0x0f __asm _emit 0x0b`), as clang reads it. */
function statementsOf(text: string, span: RawSpan): RawSpan[] {
  const out: RawSpan[] = [];
  let start = span.start;
  for (let i = span.start + 1; i < span.end; i++) {
    if (text[i] !== '_' || !/[^\w$]/.test(text[i - 1]!)) continue;
    KEYWORD.lastIndex = i;
    if (!KEYWORD.test(text) || KEYWORD.lastIndex > span.end) continue;
    const part = trimmed(text, start, i);
    if (part) out.push(stripKeyword(text, part));
    start = i;
  }
  const last = trimmed(text, start, span.end);
  if (last) out.push(stripKeyword(text, last));
  return out;
}

/** A line inside a block may start with its own `__asm`. */
function stripKeyword(text: string, span: RawSpan): RawSpan {
  const m = /^_?_asm\s+/.exec(text.slice(span.start, span.end));
  return m ? { start: span.start + m[0].length, end: span.end } : span;
}

function hasBreak(text: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (isBreak(text[k])) return true;
  return false;
}

/** The text of a statement span with the comments inside it turned into spaces, so every character keeps its column. */
export function statementText(text: string, span: RawSpan, comments: readonly RawSpan[]): string {
  let out = text.slice(span.start, span.end);
  for (const c of comments) {
    const from = Math.max(c.start, span.start);
    const to = Math.min(c.end, span.end);
    if (from < to) out = out.slice(0, from - span.start) + ' '.repeat(to - from) + out.slice(to - span.start);
  }
  return out;
}

function trimmed(text: string, start: number, end: number): RawSpan | undefined {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s]!)) s++;
  while (e > s && /\s/.test(text[e - 1]!)) e--;
  return s < e ? { start: s, end: e } : undefined;
}
