// `#[cfg(...)]` attributes that say which x86 the code is for. Each attribute covers the item or
// statement after it (an inner `#![cfg]`, the rest of its enclosing block); a predicate is read as
// the set of target architectures it allows among x86, x86_64 and any other, so `all`, `any` and
// `not` compose and predicates on other keys (`feature`, `unix`) allow everything.
import type { Bits } from '../../types';
import type { RustToken } from './lexer';

const X86 = 1;
const X86_64 = 2;
const OTHER = 4;
/** Every architecture: what no attribute restricts. */
export const ANY_ARCH = X86 | X86_64 | OTHER;
/** Bounds on garbage: arch attributes read per file, and tokens one item may span. */
const MAX_REGIONS = 2000;
/** The bound on regions a file may have: an incremental scan near it reads the whole file. */
export const MAX_CFG_REGIONS = MAX_REGIONS;
const MAX_ITEM_TOKENS = 100_000;

interface CfgRegion {
  /** Token indices covered, inclusive start, exclusive end. */
  readonly start: number;
  readonly end: number;
  readonly arches: number;
  /** An inner `#![cfg]` outside every block: it covers the rest of the file. */
  readonly wholeRest: boolean;
}

export type ArchVerdict = { kind: 'x86'; bits?: Bits } | { kind: 'not-x86' };

function isPunct(token: RustToken | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

export class CfgRegions {
  private readonly regions: CfgRegion[] = [];
  /** An item's region runs to the end of the tokens without an end of its own (the item is cut off). */
  private reachesEnd = false;
  /** For a token that starts `#[…]`, the first token after the run of attributes it begins; -1 elsewhere. */
  private readonly pastAttributes: Int32Array;
  private readonly itemEnds = new Map<number, number>();

  /** `inherited`: what the inner attributes of the file before the first token allow. */
  constructor(
    private readonly text: string,
    private readonly tokens: readonly RustToken[],
    private readonly closeOf: Int32Array,
    private readonly inherited = ANY_ARCH,
  ) {
    this.pastAttributes = this.attributeRuns();
    this.collect();
  }

  private attributeRuns(): Int32Array {
    const tokens = this.tokens;
    const past = new Int32Array(tokens.length + 1).fill(-1);
    for (let i = tokens.length - 1; i >= 0; i--) {
      if (!isPunct(tokens[i], '#') || !isPunct(tokens[i + 1], '[')) continue;
      const close = this.closeOf[i + 1]!;
      if (close <= i + 1) continue;
      const next = past[close + 1]!;
      past[i] = next >= 0 ? next : close + 1;
    }
    return past;
  }

  /** The regions read, in token order of their attributes. */
  get list(): readonly { readonly start: number; readonly end: number; readonly arches: number; readonly wholeRest: boolean }[] {
    return this.regions;
  }

  /** True when an item's region runs on past the last token (an incremental scan cannot stop there). */
  get openAtEnd(): boolean {
    return this.reachesEnd;
  }

  /** What the attributes around token `index` say about the target. */
  verdictAt(index: number): ArchVerdict {
    let arches = this.inherited;
    for (const region of this.regions) if (index >= region.start && index < region.end) arches &= region.arches;
    const x86 = arches & (X86 | X86_64);
    if (x86 === 0) return { kind: 'not-x86' };
    if (x86 === X86) return { kind: 'x86', bits: 32 };
    if (x86 === X86_64) return { kind: 'x86', bits: 64 };
    return { kind: 'x86' };
  }

  private collect(): void {
    const tokens = this.tokens;
    const openBraces: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (isPunct(token, '{')) openBraces.push(i);
      else if (isPunct(token, '}')) openBraces.pop();
      if (!isPunct(token, '#')) continue;
      const inner = isPunct(tokens[i + 1], '!');
      const open = inner ? i + 2 : i + 1;
      if (!isPunct(tokens[open], '[')) continue;
      const close = this.closeOf[open]!;
      if (close < 0) continue;
      const arches = this.attributeArches(open + 1, close);
      if (arches === ANY_ARCH) continue;
      if (this.regions.length >= MAX_REGIONS) break;
      const enclosing = openBraces.length > 0 ? this.closeOf[openBraces[openBraces.length - 1]!]! : -1;
      const end = inner ? (enclosing < 0 ? tokens.length : enclosing) : this.itemEnd(close + 1);
      this.regions.push({ start: close + 1, end, arches, wholeRest: inner && enclosing < 0 });
    }
  }

  /** `cfg(PRED)` inside `#[…]` (tokens `from..to`); anything else allows every arch. */
  private attributeArches(from: number, to: number): number {
    const tokens = this.tokens;
    if (tokens[from]?.kind !== 'ident' || tokens[from]!.text !== 'cfg' || !isPunct(tokens[from + 1], '(')) return ANY_ARCH;
    const close = this.closeOf[from + 1]!;
    if (close < 0 || close > to) return ANY_ARCH;
    return this.predicate(from + 2, close);
  }

  /** The arches predicate `from..to` allows (a comma-separated list is read as `all`). */
  private predicate(from: number, to: number): number {
    const tokens = this.tokens;
    const head = tokens[from];
    if (!head || head.kind !== 'ident') return ANY_ARCH;
    if ((head.text === 'all' || head.text === 'any' || head.text === 'not') && isPunct(tokens[from + 1], '(')) {
      const close = this.closeOf[from + 1]!;
      if (close < 0 || close > to) return ANY_ARCH;
      const parts = this.parts(from + 2, close);
      if (head.text === 'not') return parts.length === 1 ? ANY_ARCH & ~this.predicate(parts[0]![0], parts[0]![1]) : ANY_ARCH;
      let result = head.text === 'all' ? ANY_ARCH : 0;
      for (const [a, b] of parts) result = head.text === 'all' ? result & this.predicate(a, b) : result | this.predicate(a, b);
      return result;
    }
    const value = tokens[from + 2];
    if (!isPunct(tokens[from + 1], '=') || !value || value.kind !== 'string') return ANY_ARCH;
    const spelled = this.text.slice(value.contentStart ?? value.start, value.contentEnd ?? value.end);
    if (head.text === 'target_arch') return spelled === 'x86' ? X86 : spelled === 'x86_64' ? X86_64 : OTHER;
    if (head.text === 'target_pointer_width') return spelled === '32' ? X86 | OTHER : spelled === '64' ? X86_64 | OTHER : OTHER;
    return ANY_ARCH;
  }

  private parts(from: number, to: number): Array<[number, number]> {
    const parts: Array<[number, number]> = [];
    let start = from;
    let i = from;
    while (i < to) {
      if (isPunct(this.tokens[i], ',')) {
        if (i > start) parts.push([start, i]);
        start = i + 1;
        i++;
        continue;
      }
      const close = this.closeOf[i]!;
      i = close > i ? close + 1 : i + 1;
    }
    if (to > start) parts.push([start, to]);
    return parts;
  }

  /** Where the item or statement starting at token `from` ends (exclusive token index). */
  private itemEnd(from: number): number {
    // further attributes on the same item
    const item = this.pastAttributes[from]! >= 0 ? this.pastAttributes[from]! : from;
    let end = this.itemEnds.get(item);
    if (end === undefined) {
      end = this.scanItem(item);
      this.itemEnds.set(item, end);
    }
    return end;
  }

  private scanItem(from: number): number {
    const tokens = this.tokens;
    let i = from;
    const isLet = tokens[i]?.kind === 'ident' && tokens[i]!.text === 'let';
    const limit = Math.min(tokens.length, i + MAX_ITEM_TOKENS);
    while (i < limit) {
      const token = tokens[i]!;
      if (token.kind === 'punct') {
        if (token.text === ';' || (token.text === ',' && !isLet)) return i + 1;
        if (token.text === '}' || token.text === ')' || token.text === ']') return i; // the enclosing group ends
        const close = this.closeOf[i]!;
        if (close > i) {
          if (token.text === '{' && !isLet) return close + 1;
          i = close + 1;
          continue;
        }
        if (close < 0 && (token.text === '{' || token.text === '(' || token.text === '[')) {
          this.reachesEnd = true;
          return tokens.length;
        }
      }
      i++;
    }
    if (limit === tokens.length) this.reachesEnd = true;
    return limit;
  }
}

/** For each opening `(`/`[`/`{` token, the index of its closing token (-1 when unclosed); -2 elsewhere. */
export function matchDelimiters(tokens: readonly RustToken[]): { closeOf: Int32Array; unbalanced: number[]; topLevelEnds: number[] } {
  const closeOf = new Int32Array(tokens.length).fill(-2);
  const stack: number[] = [];
  const unbalanced: number[] = [];
  /**
   * The `}` and `;` after which no group is open: where an incremental scan may start or stop.
   * None after an opener that never closes: what reads its group reads to the last token.
   */
  const topLevelEnds: number[] = [];
  let lostOpener = false;
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'punct') continue;
    if (token.text === '(' || token.text === '[' || token.text === '{') {
      stack.push(i);
      closeOf[i] = -1;
      continue;
    }
    if (token.text === ';' && stack.length === 0 && !lostOpener) topLevelEnds.push(i);
    const opener = pairs[token.text];
    if (!opener) continue;
    // close the nearest matching opener; openers left between are unclosed
    // (only a few levels deep, so garbage like `((((…]]]]` stays linear)
    let k = stack.length - 1;
    while (k >= 0 && k >= stack.length - 8 && tokens[stack[k]!]!.text !== opener) k--;
    if (k < 0 || tokens[stack[k]!]!.text !== opener) {
      unbalanced.push(i);
      continue;
    }
    while (stack.length - 1 > k) {
      unbalanced.push(stack.pop()!);
      lostOpener = true;
    }
    closeOf[stack.pop()!] = i;
    if (token.text === '}' && stack.length === 0 && !lostOpener) topLevelEnds.push(i);
  }
  for (const open of stack) unbalanced.push(open);
  return { closeOf, unbalanced, topLevelEnds };
}
