// GNU asm statements in a list of (expanded) tokens: `asm`/`__asm__`/`__asm` with qualifiers,
// the template (adjacent string literals), outputs, inputs, clobbers and goto labels.
import type { AsmForm } from '../types';
import { decodeStringLiteral, emptyChars, type Chars } from './literals';
import { mappableStart, type XToken } from './source';

export const GNU_ASM_KEYWORDS = new Set(['asm', '__asm__', '__asm']);
export const GNU_ASM_QUALIFIERS: ReadonlySet<string> = new Set(['volatile', '__volatile__', '__volatile', 'inline', '__inline', '__inline__', 'goto']);

export interface AsmOperandSyntax {
  readonly name: string | undefined;
  readonly constraint: string;
  readonly constraintTokens: readonly XToken[];
  readonly expr: readonly XToken[];
  readonly output: boolean;
}

export interface GnuAsmStatement {
  readonly keyword: XToken;
  readonly close: XToken;
  readonly form: AsmForm;
  readonly templateTokens: readonly XToken[];
  readonly template: Chars;
  readonly operands: readonly AsmOperandSyntax[];
  readonly labels: readonly string[];
}

function isPunct(t: XToken | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === text;
}

/** Index of the `)` matching the `(` at `open`, or -1. */
export function matchingParen(tokens: readonly XToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') {
      depth--;
      if (depth === 0) return t.text === ')' ? i : -1;
    }
  }
  return -1;
}

/**
 * Appends the characters of a string token to `out`, each mapped to the host text when the
 * token's spelling is there, else to the code that made it. A template's tokens are decoded
 * straight into one `Chars`, not each into its own and then copied.
 */
export function appendCharsOfString(out: Chars, t: XToken): void {
  const chars = t.chars;
  if (chars) {
    out.text += chars.text;
    out.appendOffsets(chars, 0, chars.length, t.anchorStart, t.anchorEnd, true);
    return;
  }
  const base = mappableStart(t);
  const first = out.length;
  decodeStringLiteral(t.text, base, out);
  if (base < 0) {
    const decoded = out.length - first;
    out.truncateOffsets(first);
    out.pushRepeated(decoded, t.anchorStart, t.anchorEnd);
  }
}

/** Splits `tokens[from, to)` at top-level `:` (a C++ `::` is two). */
function sections(tokens: readonly XToken[], from: number, to: number): XToken[][] {
  const out: XToken[][] = [[]];
  let depth = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct') {
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
      else if (depth === 0 && (t.text === ':' || t.text === '::')) {
        out.push([]);
        if (t.text === '::') out.push([]);
        continue;
      }
    }
    out[out.length - 1]!.push(t);
  }
  return out;
}

function splitCommas(tokens: readonly XToken[]): XToken[][] {
  const out: XToken[][] = [];
  let current: XToken[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct') {
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
      else if (t.text === ',' && depth === 0) {
        out.push(current);
        current = [];
        continue;
      }
    }
    current.push(t);
  }
  if (current.length > 0) out.push(current);
  return out;
}

function operandsOf(section: readonly XToken[] | undefined, output: boolean): AsmOperandSyntax[] {
  const out: AsmOperandSyntax[] = [];
  if (!section) return out;
  for (const part of splitCommas(section)) {
    let i = 0;
    let name: string | undefined;
    if (isPunct(part[0], '[') && part[1]?.kind === 'ident' && isPunct(part[2], ']')) {
      name = part[1].text;
      i = 3;
    }
    const constraintTokens: XToken[] = [];
    let constraint = '';
    while (part[i]?.kind === 'string') {
      constraintTokens.push(part[i]!);
      constraint += decodeStringLiteral(part[i]!.text, -1).text;
      i++;
    }
    out.push({ name, constraint, constraintTokens, expr: stripOuterParens(part.slice(i)), output });
  }
  return out;
}

function stripOuterParens(expr: XToken[]): XToken[] {
  if (isPunct(expr[0], '(') && matchingParen(expr, 0) === expr.length - 1) return expr.slice(1, -1);
  return expr;
}

/**
 * The asm statement whose keyword is `tokens[at]`, or undefined when what follows is not one
 * (no `(`, no closing `)`, no string template). `topLevel`: outside any function body.
 */
export function readGnuAsm(tokens: readonly XToken[], at: number, topLevel: boolean): { statement: GnuAsmStatement; end: number } | undefined {
  const keyword = tokens[at]!;
  let i = at + 1;
  let goto = false;
  while (i < tokens.length && tokens[i]!.kind === 'ident' && GNU_ASM_QUALIFIERS.has(tokens[i]!.text)) {
    if (tokens[i]!.text === 'goto') goto = true;
    i++;
  }
  if (!isPunct(tokens[i], '(')) return undefined;
  const close = matchingParen(tokens, i);
  if (close < 0) return undefined;
  const parts = sections(tokens, i + 1, close);
  const templateTokens = parts[0]!.filter((t) => t.kind === 'string');
  if (templateTokens.length === 0 || templateTokens.length !== parts[0]!.length) return undefined;
  const template = emptyChars();
  for (let k = 0; k < templateTokens.length; k++) appendCharsOfString(template, templateTokens[k]!);
  const extended = parts.length > 1;
  const operands = operandsOf(parts[1], true);
  for (const input of operandsOf(parts[2], false)) operands.push(input);
  const labels: string[] = [];
  for (const label of splitCommas(parts[4] ?? [])) if (label[0]?.kind === 'ident') labels.push(label[0].text);
  const form: AsmForm = goto ? 'gnu-goto' : extended ? 'gnu-extended' : topLevel ? 'gnu-toplevel' : 'gnu-basic';
  return { statement: { keyword, close: tokens[close]!, form, templateTokens, template, operands, labels }, end: close + 1 };
}
