// Text helpers for the MASM preprocessor: identifiers outside strings, top-level argument lists,
// `<…>` text literals with `!` escapes, and MASM's number syntax.
import { quotedStringEnd } from '../shared/quotedString';

const IDENTIFIER_START = /[A-Za-z_@$?.]/;
const IDENTIFIER_PART = /[A-Za-z0-9_@$?]/;

export interface Word {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** The identifiers of `code` outside quoted strings, in order. */
export function* identifiers(code: string): Generator<Word> {
  let i = 0;
  const n = code.length;
  while (i < n) {
    const ch = code[i]!;
    if (ch === '"' || ch === "'") {
      i = quotedStringEnd(code, i);
      continue;
    }
    if (IDENTIFIER_START.test(ch) && (i === 0 || !IDENTIFIER_PART.test(code[i - 1]!))) {
      let end = i + 1;
      while (end < n && IDENTIFIER_PART.test(code[end]!)) end++;
      if (ch !== '.' || end > i + 1) {
        yield { text: code.slice(i, end), start: i, end };
        i = end;
        continue;
      }
    }
    if (/[0-9]/.test(ch)) {
      // A number such as 0FFh is not an identifier.
      while (i < n && IDENTIFIER_PART.test(code[i]!)) i++;
      continue;
    }
    i++;
  }
}

/** Rebuilds `code` with each identifier `replace` returns text for replaced. */
export function replaceIdentifiers(code: string, replace: (word: Word) => string | undefined): { text: string; changed: boolean } {
  let out = '';
  let copied = 0;
  let changed = false;
  for (const word of identifiers(code)) {
    const value = replace(word);
    if (value === undefined) continue;
    out += code.slice(copied, word.start) + value;
    copied = word.end;
    changed = true;
  }
  return { text: changed ? out + code.slice(copied) : code, changed };
}

/** Splits at commas outside strings, `<…>` literals and parentheses. Empty text gives no parts. */
export function splitTopLevel(text: string): string[] {
  if (text.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      i = quotedStringEnd(text, i) - 1;
    } else if (ch === '!' && depth > 0) i++;
    else if (ch === '<' || ch === '(') depth++;
    else if ((ch === '>' || ch === ')') && depth > 0) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** `<text>` without its brackets, `!x` read as `x`; other text as it is (trimmed). */
export function literalText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('<') || !trimmed.endsWith('>')) return trimmed;
  const inner = trimmed.slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '!' && i + 1 < inner.length) i++;
    out += inner[i]!;
  }
  return out;
}

/** MASM numbers (radix 10): `0FFh`, `101b`/`101y`, `17o`/`17q`, `10t`/`10d`, `10`. */
export function parseMasmNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  let digits: string;
  let radix: number;
  if (/^[0-9][0-9a-f]*h$/.test(lower)) {
    digits = lower.slice(0, -1);
    radix = 16;
  } else if (/^[01]+[by]$/.test(lower)) {
    digits = lower.slice(0, -1);
    radix = 2;
  } else if (/^[0-7]+[oq]$/.test(lower)) {
    digits = lower.slice(0, -1);
    radix = 8;
  } else if (/^[0-9]+[td]?$/.test(lower)) {
    digits = lower.replace(/[td]$/, '');
    radix = 10;
  } else return undefined;
  const value = parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : undefined;
}
