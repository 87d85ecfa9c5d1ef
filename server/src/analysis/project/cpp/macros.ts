// cpp macro definitions: what `#define` says, read from the directive's tokens.
import type { SourceLine } from '../source';
import { lex, type LexOptions, type Token } from './tokens';

export interface BodyToken {
  readonly kind: Token['kind'];
  readonly text: string;
  readonly space: boolean;
  /** Index of the parameter this token names, -1 otherwise. */
  readonly param: number;
  /** `#` before a parameter (function-like macros only). */
  readonly stringify: boolean;
  /** The `##` operator. */
  readonly paste: boolean;
  /** `__VA_OPT__` in a variadic macro. */
  readonly vaOpt: boolean;
}

export interface Macro {
  readonly name: string;
  /** Parameter names; null for an object-like macro. */
  readonly params: readonly string[] | null;
  /** The last parameter takes the rest of the arguments (`...` or `name...`). */
  readonly variadic: boolean;
  readonly body: readonly BodyToken[];
  /** The `#define` line (undefined for defines from the configuration). */
  readonly definedAt: SourceLine | undefined;
  /** A bare `-DNAME`: defined as empty for the text, 1 in `#if` (the configuration says '' for it). */
  readonly bareCommandLine: boolean;
}

/** Every macro is made here: one hidden class for all (a spread copy or an added field makes another). */
export function makeMacro(name: string, params: readonly string[] | null, variadic: boolean, body: readonly BodyToken[], definedAt: SourceLine | undefined, bareCommandLine: boolean): Macro {
  return { name, params, variadic, body, definedAt, bareCommandLine };
}

const VA_ARGS = '__VA_ARGS__';

function bodyOf(tokens: readonly Token[], from: number, params: readonly string[] | null, variadic: boolean): BodyToken[] {
  // Of the token count: an array grown by push keeps slack, and the cpp memo keeps thousands of bodies.
  const body = new Array<BodyToken>(tokens.length - from);
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    const space = i > from && t.space;
    const param = params && t.kind === 'ident' ? params.indexOf(t.text) : -1;
    const nextParam = params && tokens[i + 1]?.kind === 'ident' ? params.indexOf(tokens[i + 1]!.text) : -1;
    const stringify = params !== null && t.kind === 'punct' && t.text === '#' && nextParam >= 0;
    const paste = t.kind === 'punct' && t.text === '##';
    const vaOpt = variadic && t.kind === 'ident' && t.text === '__VA_OPT__';
    body[i - from] = param < 0 && !stringify && !paste && !vaOpt ? plainToken(t.kind, t.text, space) : { kind: t.kind, text: t.text, space, param, stringify, paste, vaOpt };
  }
  return body;
}

/**
 * Body tokens that are no parameter and no operator, one object per text and spacing: nothing
 * changes a body token, and on arch/x86 the recorded bodies held 55k tokens of 2.4k distinct kinds.
 */
const PLAIN_TOKENS: readonly [Map<string, BodyToken>, Map<string, BodyToken>] = [new Map(), new Map()];
/** Texts kept per spacing; past it the table starts again. */
const MAX_PLAIN_TOKENS = 50_000;

function plainToken(kind: Token['kind'], text: string, space: boolean): BodyToken {
  const known = PLAIN_TOKENS[space ? 1 : 0];
  const shared = known.get(text);
  if (shared !== undefined && shared.kind === kind) return shared;
  const made: BodyToken = { kind, text, space, param: -1, stringify: false, paste: false, vaOpt: false };
  if (shared === undefined) {
    if (known.size >= MAX_PLAIN_TOKENS) known.clear();
    known.set(text, made);
  }
  return made;
}

/** Reads the parameter list starting after `(` at `tokens[from]`; null when it is malformed (shared with the C front end). */
export function paramsOf(tokens: readonly { readonly text: string; readonly kind: string }[], from: number): { params: string[]; variadic: boolean; next: number } | null {
  const params: string[] = [];
  let i = from;
  if (tokens[i]?.text === ')') return { params, variadic: false, next: i + 1 };
  for (;;) {
    const t = tokens[i];
    if (!t) return null;
    if (t.text === '...') {
      params.push(VA_ARGS);
      return tokens[i + 1]?.text === ')' ? { params, variadic: true, next: i + 2 } : null;
    }
    if (t.kind !== 'ident') return null;
    params.push(t.text);
    const after = tokens[i + 1];
    if (after?.text === '...') {
      return tokens[i + 2]?.text === ')' ? { params, variadic: true, next: i + 3 } : null;
    }
    if (after?.text === ')') return { params, variadic: false, next: i + 2 };
    if (after?.text !== ',') return null;
    i += 2;
  }
}

/** The macro a `#define` makes from the tokens after `define`, or undefined when it is malformed. */
export function parseDefine(tokens: readonly Token[], definedAt: SourceLine | undefined): Macro | undefined {
  const name = tokens[0];
  if (!name || name.kind !== 'ident' || name.text === 'defined') return undefined;
  const open = tokens[1];
  if (open && open.text === '(' && !open.space) {
    const list = paramsOf(tokens, 2);
    if (!list) return undefined;
    return makeMacro(name.text, list.params, list.variadic, bodyOf(tokens, list.next, list.params, list.variadic), definedAt, false);
  }
  return makeMacro(name.text, null, false, bodyOf(tokens, 1, null, false), definedAt, false);
}

/** A define from the configuration: `NAME` or `NAME(params)` to a value ('' for a bare `-DNAME`). */
export function commandLineDefine(name: string, value: string, lexOptions: LexOptions): Macro | undefined {
  const tokens = lex(`${name} ${value}`, lexOptions);
  const macro = parseDefine(tokens, undefined);
  if (!macro) return undefined;
  return value === '' && macro.params === null ? makeMacro(macro.name, null, false, macro.body, undefined, true) : macro;
}
