// Multi-line macros (`%macro`, `%imacro`, `%rmacro`): the header, the table (overloaded by
// parameter count), the arguments of an invocation and the substitution of `%1`, `%0`, `%{a:b}`,
// `%%label`, `%?` in a body line.
import type { SourceLine } from '../source';
import { MacroTable } from './macroTable';
import { splitMacroArgs, splitMacroArgsAt, tokenize, trimSpaces, type Token } from './tokens';

export interface MultiMacro<L> {
  readonly name: string;
  readonly caseless: boolean;
  readonly min: number;
  /** `Infinity` for `n-*`. */
  readonly max: number;
  readonly greedy: boolean;
  /** Default values of the parameters after the `min`th. */
  readonly defaults: readonly Token[][];
  /** `%rmacro`: may invoke itself. */
  readonly recursive: boolean;
  readonly definedAt: SourceLine;
  body: L[];
  /** Invocations of this macro now being expanded. */
  active: number;
}

export interface MacroHeader {
  name: string;
  min: number;
  max: number;
  greedy: boolean;
  defaults: Token[][];
}

const HEADER = /^\s*(\S+?)(?:\s+|$)(?:(\d+)(?:\s*-\s*(\d+|\*))?(\+)?(\.nolist)?)?\s*(.*)$/i;

/** The header after `%macro`; undefined when there is no name. */
export function parseMacroHeader(text: string): MacroHeader | undefined {
  const m = HEADER.exec(text);
  if (!m || !m[1]) return undefined;
  const min = m[2] ? Number(m[2]) : 0;
  const max = m[3] === '*' ? Infinity : m[3] ? Math.max(min, Number(m[3])) : min;
  return { name: m[1], min, max, greedy: m[4] === '+', defaults: m[6] ? splitMacroArgs(tokenize(m[6])) : [] };
}

export class MultiMacros<L> extends MacroTable<MultiMacro<L>> {
  define(macro: MultiMacro<L>): void {
    this.add(macro, () => true);
  }

  /** `%unmacro name spec`: removes the definitions with that exact parameter range. */
  undefine(name: string, min: number, max: number): void {
    this.remove(name, (m) => m.min === min && m.max === max);
  }

  /** The definition taking `count` arguments. */
  find(name: string, count: number): MultiMacro<L> | undefined {
    for (const m of this.named(name)) if (count >= m.min && (count <= m.max || m.greedy)) return m;
    return undefined;
  }
}

/** The parameters an invocation gives: greedy extra arguments folded into the last, defaults filled in. */
export function bindArguments<L>(macro: MultiMacro<L>, argumentTokens: readonly Token[]): Token[][] {
  const { args, starts } = splitMacroArgsAt(argumentTokens);
  if (macro.greedy && args.length > macro.max) {
    // nasm hands the greedy parameter the text as written, commas and braces included.
    const last = trimSpaces(argumentTokens.slice(starts[macro.max - 1]));
    args.length = macro.max - 1;
    args.push(last);
  }
  for (let i = args.length; i < macro.max && i - macro.min < macro.defaults.length; i++) {
    if (i < macro.min) continue;
    args.push(macro.defaults[i - macro.min]!);
  }
  return args;
}

/** One expansion's parameters. */
export interface MacroCall {
  readonly invokedName: string;
  readonly definedName: string;
  readonly params: Token[][];
  rotation: number;
  /** Names `%%label` as `..@<id>.label`. */
  readonly localId: number;
}

/** A greedy last parameter keeps the text of the arguments it took, commas and all: with a count of their own only for `%0`. */
export function paramAt(call: MacroCall, n: number): Token[] {
  const count = call.params.length;
  if (n < 1 || n > count) return [];
  const index = (n - 1 + call.rotation) % count;
  return call.params[index]!;
}

/** `%{a:b}`: the parameters from a to b (either may count from the end when negative), comma separated. */
function paramRange(call: MacroCall, spec: string): Token[] | undefined {
  const m = /^\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?$/.exec(spec);
  if (!m) return undefined;
  const count = call.params.length;
  const resolve = (v: number): number => (v < 0 ? count + v + 1 : v);
  const from = resolve(Number(m[1]));
  if (m[2] === undefined) return from >= 1 && Number(m[1]) > 0 ? paramAt(call, from) : undefined;
  const to = resolve(Number(m[2]));
  const out: Token[] = [];
  const step = from <= to ? 1 : -1;
  for (let n = from; ; n += step) {
    if (n !== from) out.push({ type: 'other', text: ',' });
    for (const t of paramAt(call, n)) out.push(t);
    if (n === to) break;
  }
  return out;
}

/**
 * Substitutes a body line's parameter tokens. Returns the new tokens and whether anything
 * changed; unknown forms (`%-1` condition codes, `%{-1}`) are reported through `problem`.
 */
export function substituteParams(tokens: readonly Token[], call: MacroCall, problem: (message: string) => void): { tokens: Token[]; changed: boolean } {
  const out: Token[] = [];
  let changed = false;
  for (const t of tokens) {
    if (t.type !== 'percent') {
      out.push(t);
      continue;
    }
    const replacement = paramToken(t.text, call);
    if (replacement === undefined) {
      out.push(t);
      continue;
    }
    if (replacement === null) {
      problem(`macro parameter \`${t.text}\` is not understood`);
      changed = true;
      continue;
    }
    changed = true;
    for (const r of replacement) out.push(r);
  }
  return { tokens: out, changed };
}

/** Tokens for one `%` token; undefined when it is not a parameter form; null when it is one we cannot read. */
function paramToken(text: string, call: MacroCall): Token[] | undefined | null {
  if (/^%\d+$/.test(text)) {
    if (text === '%0') return [{ type: 'number', text: String(call.params.length) }];
    if (text === '%00') return null;
    return paramAt(call, Number(text.slice(1)));
  }
  if (/^%\+\d+$/.test(text)) return paramAt(call, Number(text.slice(2)));
  if (/^%-\d+$/.test(text)) return null;
  if (text.startsWith('%{')) return paramRange(call, text.slice(2, text.endsWith('}') ? -1 : undefined)) ?? null;
  if (text.startsWith('%%')) return [{ type: 'id', text: `..@${call.localId}.${text.slice(2)}` }];
  if (text === '%?') return [{ type: 'id', text: call.invokedName }];
  if (text === '%??') return [{ type: 'id', text: call.definedName }];
  return undefined;
}
