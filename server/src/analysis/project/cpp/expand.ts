// Macro expansion as the C standard describes it: arguments are expanded before they are
// substituted (except next to `#` and `##`), the result is rescanned with the rest of the line,
// and each token carries the names of the macros that produced it (its hide set), so a macro is
// never expanded again inside its own expansion. Everything is bounded: nesting by the depth
// limit, the tokens one line may produce by a budget.
import type { BodyToken, Macro } from './macros';
import {
  copyToken, hideSetAdd, hideSetHas, hideSetIntersect, hideSetUnion, lexOne, link, makeToken,
  type HideSet, type LexOptions, type Token,
} from './tokens';

/** What a `defined X` in `#if` is: defined, not defined, or not known here. */
export type Definedness = 1 | 0 | 'unknown';

export interface ExpandContext {
  readonly macros: { get(name: string): Macro | undefined };
  readonly lexOptions: LexOptions;
  /** Expanding a `#if` line: `defined` is an operator, a bare `-DNAME` is 1. */
  readonly forCondition: boolean;
  readonly depthLimit: number;
  /** Tokens the expansions of one line may produce. */
  readonly tokenBudget: number;
  tokensMade: number;
  /** A limit was reached: nothing more is expanded on this line. */
  stopped: 'depth' | 'size' | undefined;
  definedness(name: string): Definedness;
  /** `__LINE__` for a token (1-based), `__FILE__`. */
  lineNumber(token: Token): number;
  readonly fileName: string;
  /**
   * Arguments go on past the line end: links the next text line's tokens after `eof` (turned into
   * a `join`), and says whether there was one (`needParen`: only a line that starts with `(`).
   */
  moreLines?(needParen: boolean, eof: Token): boolean;
  /** Puts back the lines `moreLines` read since `mark` (the arguments did not close). */
  rollback?(mark: number): void;
  linesTaken?(): number;
  /** A macro was expanded from a token of the line itself. */
  used?(macro: Macro, name: Token, last: Token): void;
}

function isPunct(t: Token, text: string): boolean {
  return t.kind === 'punct' && t.text === text;
}

/** Expands a token list (ending in `eof`); `canReadOn` lets arguments continue on the next lines. */
export function expandList(head: Token, ctx: ExpandContext, canReadOn: boolean): Token[] {
  const out: Token[] = [];
  let tok: Token = head;
  for (;;) {
    if (tok.kind === 'eof') break;
    if (tok.kind === 'join') {
      tok = tok.next!;
      continue;
    }
    if (tok.kind === 'ident') {
      if (ctx.forCondition && tok.text === 'defined') {
        tok = readDefined(tok, out, ctx);
        continue;
      }
      const replaced = expandAt(tok, ctx, canReadOn);
      if (replaced) {
        tok = replaced;
        continue;
      }
    }
    out.push(tok);
    tok = tok.next!;
  }
  return out;
}

function skipJoins(t: Token): Token {
  while (t.kind === 'join') t = t.next!;
  return t;
}

/** `defined X` / `defined ( X )` → a number, or an `unknown` token naming X. */
function readDefined(op: Token, out: Token[], ctx: ExpandContext): Token {
  let t = skipJoins(op.next!);
  const paren = isPunct(t, '(');
  if (paren) t = skipJoins(t.next!);
  if (t.kind !== 'ident') {
    out.push(makeToken('other', 'defined', op.space));
    return t;
  }
  const value = ctx.definedness(t.text);
  const result = value === 'unknown' ? makeToken('unknown', t.text, op.space) : makeToken('number', String(value), op.space);
  out.push(result);
  t = skipJoins(t.next!);
  if (paren) {
    if (!isPunct(t, ')')) {
      out.push(makeToken('other', '(', false));
      return t;
    }
    t = t.next!;
  }
  return t;
}

function builtin(tok: Token, ctx: ExpandContext): Token | null {
  if (hideSetHas(tok.hide, tok.text)) return null;
  let made: Token;
  if (tok.text === '__LINE__') made = makeToken('number', String(ctx.lineNumber(tok)), tok.space);
  else if (tok.text === '__FILE__') made = makeToken('string', JSON.stringify(ctx.fileName), tok.space);
  else return null;
  made.hide = hideSetAdd(tok.hide, tok.text);
  made.next = tok.next;
  return made;
}

/** Expands the macro named by `tok`; returns the new head of the list, or null when `tok` stays. */
function expandAt(tok: Token, ctx: ExpandContext, canReadOn: boolean): Token | null {
  const macro = ctx.macros.get(tok.text);
  if (!macro) return tok.text.startsWith('__') ? builtin(tok, ctx) : null;
  if (ctx.stopped || hideSetHas(tok.hide, macro.name)) return null;
  if ((tok.hide?.size ?? 0) >= ctx.depthLimit) {
    ctx.stopped = 'depth';
    return null;
  }
  if (macro.params === null) {
    const body = substitute(macro, [], tok, hideSetAdd(tok.hide, macro.name), ctx);
    if (tok.line !== undefined) ctx.used?.(macro, tok, tok);
    return spliceIn(body, tok.next!);
  }
  const open = findOpenParen(tok, ctx, canReadOn);
  if (!open) return null;
  const mark = ctx.linesTaken?.() ?? 0;
  const call = readArguments(open, macro, ctx, canReadOn);
  if (!call) {
    ctx.rollback?.(mark);
    return null;
  }
  const hide = hideSetAdd(hideSetIntersect(tok.hide, call.close.hide), macro.name);
  const body = substitute(macro, call.args, tok, hide, ctx);
  if (tok.line !== undefined) ctx.used?.(macro, tok, call.close);
  return spliceIn(body, call.close.next!);
}

function spliceIn(body: Token[], rest: Token): Token {
  return body.length === 0 ? rest : link(body, rest);
}

/** The `(` after a function-like macro's name, looking on the next line when the name ends the line. */
function findOpenParen(name: Token, ctx: ExpandContext, canReadOn: boolean): Token | undefined {
  let t = skipJoins(name.next!);
  if (t.kind === 'eof' && canReadOn && ctx.moreLines?.(true, t)) t = skipJoins(t);
  return isPunct(t, '(') ? t : undefined;
}

interface Call {
  args: Token[][];
  close: Token;
}

/** The arguments after `open`, reading on into the next lines when they continue there; null when they never close. */
function readArguments(open: Token, macro: Macro, ctx: ExpandContext, canReadOn: boolean): Call | null {
  const params = macro.params!;
  const args: Token[][] = [[]];
  let depth = 0;
  let newline = false;
  let t = open.next!;
  for (;;) {
    if (t.kind === 'eof' && !(canReadOn && ctx.moreLines?.(false, t))) return null;
    if (t.kind === 'join') {
      newline = true;
      t = t.next!;
      continue;
    }
    if (t.kind === 'punct') {
      if (t.text === '(') depth++;
      else if (t.text === ')') {
        if (depth === 0) break;
        depth--;
      } else if (t.text === ',' && depth === 0 && !(macro.variadic && args.length === params.length)) {
        args.push([]);
        t = t.next!;
        continue;
      }
    }
    if (newline) {
      t.space = true;
      newline = false;
    }
    args[args.length - 1]!.push(t);
    t = t.next!;
  }
  if (params.length === 0) return args.length === 1 && args[0]!.length === 0 ? { args: [], close: t } : null;
  if (macro.variadic && args.length === params.length - 1) args.push([]);
  return args.length === params.length ? { args, close: t } : null;
}

/**
 * Whether expanding `tokens` may change them: an identifier names a macro (looked up as the
 * expansion would, so the look-ups are recorded the same), or is `defined` in `#if`. Most
 * arguments (registers, numbers) name none, and are used as they are. (`__LINE__` and
 * `__FILE__` need not count: the rescan after substitution expands them to the same text.)
 */
function mayExpand(tokens: readonly Token[], ctx: ExpandContext): boolean {
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'ident') continue;
    if (ctx.macros.get(t.text) !== undefined || (ctx.forCondition && t.text === 'defined')) return true;
  }
  return false;
}

function copies(tokens: readonly Token[]): Token[] {
  const out: Token[] = new Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) out[i] = copyToken(tokens[i]!);
  return out;
}

function escapeLiteral(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`);
}

function stringify(tokens: readonly Token[], space: boolean): Token {
  let text = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (i > 0 && t.space) text += ' ';
    text += t.kind === 'string' || t.kind === 'char' ? escapeLiteral(t.text) : t.text;
  }
  return makeToken('string', `"${text}"`, space);
}

/**
 * `a ## b` onto `out`: one token when the spellings lex as one, else both side by side (cpp's
 * assembler mode). `rhs` is a fresh token the caller hands over.
 */
function pasteOnto(out: Token[], lhs: Token, rhs: Token, ctx: ExpandContext): void {
  const joined = lexOne(lhs.text + rhs.text, ctx.lexOptions);
  if (joined) {
    joined.space = lhs.space;
    joined.hide = lhs.hide;
    out.push(joined);
    return;
  }
  rhs.space = false;
  out.push(lhs, rhs);
}

class Substitution {
  /** Each argument's expansion, made when a body token first needs it. */
  private expanded: (Token[] | undefined)[] | undefined;
  /** Bit k: argument k's expansion went into the output as it is, so a later use copies it. */
  private handedOut = 0;
  readonly out: Token[] = [];

  constructor(
    private readonly macro: Macro,
    private readonly args: readonly Token[][],
    private readonly ctx: ExpandContext,
  ) {}

  private expandedArg(index: number): Token[] {
    const expanded = (this.expanded ??= []);
    let done = expanded[index];
    if (!done) {
      const raw = this.args[index]!;
      if (raw.length === 0) done = [];
      else {
        const tokens = copies(raw);
        done = mayExpand(tokens, this.ctx) ? expandList(link(tokens), this.ctx, false) : tokens;
      }
      expanded[index] = done;
    }
    return done;
  }

  /**
   * An argument's expansion where its parameter stands: the expansion's tokens are fresh copies
   * nothing else holds, so the first use takes them as they are (most parameters are used once)
   * and only a later use copies them.
   */
  private pushExpanded(index: number, space: boolean): void {
    const tokens = this.expandedArg(index);
    const bit = index < 31 ? 1 << index : 0;
    if (bit === 0 || (this.handedOut & bit) !== 0) {
      this.push(tokens, space);
      return;
    }
    this.handedOut |= bit;
    for (let i = 0; i < tokens.length; i++) this.out.push(tokens[i]!);
    if (tokens.length > 0) tokens[0]!.space = space;
  }

  private vaArgsPresent(): boolean {
    return this.macro.variadic && this.expandedArg(this.args.length - 1).length > 0;
  }

  private push(tokens: readonly Token[], space: boolean): void {
    for (let i = 0; i < tokens.length; i++) {
      const t = copyToken(tokens[i]!);
      if (i === 0) t.space = space;
      this.out.push(t);
    }
  }

  /** Substitutes body tokens [from, to). */
  run(from: number, to: number): void {
    const body = this.macro.body;
    for (let i = from; i < to; i++) {
      const b = body[i]!;
      const nextIsPaste = i + 1 < to && body[i + 1]!.paste;
      if (b.paste) {
        i++;
        if (i >= to) break;
        this.pasteWith(body[i]!);
        continue;
      }
      if (b.stringify && i + 1 < to) {
        i++;
        this.out.push(stringify(this.args[body[i]!.param] ?? [], b.space));
        continue;
      }
      if (b.param >= 0) {
        if (nextIsPaste) {
          const raw = this.args[b.param]!;
          if (raw.length === 0) this.out.push(makeToken('placemarker', '', b.space));
          else this.push(raw, b.space);
        } else {
          this.pushExpanded(b.param, b.space);
        }
        continue;
      }
      if (b.vaOpt && i + 1 < to && body[i + 1]!.text === '(') {
        const close = this.closingParen(i + 1, to);
        if (this.vaArgsPresent()) this.run(i + 2, close);
        else this.out.push(makeToken('placemarker', '', b.space));
        i = close;
        continue;
      }
      // GNU `, ## __VA_ARGS__`: the comma goes when the variable arguments are empty.
      if (b.text === ',' && nextIsPaste && this.macro.variadic && body[i + 2]?.param === this.args.length - 1) {
        if (this.args[this.args.length - 1]!.length === 0) {
          i += 2;
          continue;
        }
        const rest = this.args[this.args.length - 1]!;
        this.out.push(makeToken(b.kind, b.text, b.space));
        this.push(rest, rest[0]!.space);
        i += 2;
        continue;
      }
      this.out.push(makeToken(b.kind, b.text, b.space));
    }
  }

  private closingParen(open: number, to: number): number {
    let depth = 0;
    const body = this.macro.body;
    for (let k = open; k < to; k++) {
      const text = body[k]!.text;
      if (text === '(') depth++;
      else if (text === ')' && --depth === 0) return k;
    }
    return to - 1;
  }

  private pasteWith(rhs: BodyToken): void {
    const arg = rhs.param >= 0 ? this.args[rhs.param]! : undefined;
    if (arg && arg.length === 0) return;
    const first = arg ? copyToken(arg[0]!) : makeToken(rhs.kind, rhs.text, false);
    const lhs = this.out.pop();
    if (lhs && lhs.kind !== 'placemarker') pasteOnto(this.out, lhs, first, this.ctx);
    else {
      if (lhs) first.space = lhs.space;
      this.out.push(first);
    }
    if (arg) for (let k = 1; k < arg.length; k++) this.out.push(copyToken(arg[k]!));
  }
}

/**
 * An object-like macro's body without `##` (most of them) is its tokens as they are: made straight
 * into an array of their number, without a substitution (or the slack of an array grown by push).
 */
function plainObjectBody(macro: Macro): Token[] | undefined {
  if (macro.params !== null) return undefined;
  const tokens = macro.body;
  for (let k = 0; k < tokens.length; k++) if (tokens[k]!.paste) return undefined;
  const out = new Array<Token>(tokens.length);
  for (let k = 0; k < tokens.length; k++) {
    const b = tokens[k]!;
    out[k] = makeToken(b.kind, b.text, b.space);
  }
  return out;
}

function substituted(macro: Macro, args: readonly Token[][], ctx: ExpandContext): Token[] {
  const work = new Substitution(macro, args, ctx);
  work.run(0, macro.body.length);
  return work.out;
}

/** The macro's body with the arguments in, every token hidden from the macros that made it. */
function substitute(macro: Macro, args: readonly Token[][], name: Token, hide: HideSet, ctx: ExpandContext): Token[] {
  let body: Token[];
  if (macro.bareCommandLine && ctx.forCondition) body = [makeToken('number', '1', false)];
  else body = plainObjectBody(macro) ?? substituted(macro, args, ctx);
  // Placemarkers go, the rest move down in place: `body` is this call's own array.
  let kept = 0;
  let lastHide: HideSet | null = null;
  let lastUnion: HideSet = hide;
  for (let k = 0; k < body.length; k++) {
    const t = body[k]!;
    if (t.kind === 'placemarker') continue;
    if (!t.hide) t.hide = hide;
    else if (t.hide === lastHide) t.hide = lastUnion;
    else {
      lastHide = t.hide;
      lastUnion = hideSetUnion(t.hide, hide)!;
      t.hide = lastUnion;
    }
    body[kept++] = t;
  }
  body.length = kept;
  if (kept > 0) body[0]!.space = name.space;
  ctx.tokensMade += kept;
  if (ctx.tokensMade > ctx.tokenBudget) ctx.stopped = 'size';
  return body;
}
