// cpp macro expansion over `XToken`s (hide sets as the standard describes, arguments expanded
// before substitution except next to `#`/`##`), keeping where every token came from: body tokens
// carry the macro use that made them, argument tokens keep their own origin, and `#x` keeps the
// host offsets of the argument's characters. Bounded by a nesting depth and a token budget.
import { hideSetAdd, hideSetHas, hideSetIntersect, hideSetUnion, type HideSet } from '../../project/cpp/tokens';
import { CLexer } from './lexer';
import { emptyChars, pushChar, pushRun } from './literals';
import { emptyList } from '../../syntax/emptyList';
import { mappableStart, NO_VIA, type CMacro, type MacroBodyToken, type ViaStep, type XToken } from './source';

export type Definedness = 1 | 0 | 'unknown';

export interface ExpandContext {
  /** The macro a name denotes; `hash` is its `nameHash`. */
  lookup(name: string, hash: number): CMacro | undefined;
  /** Expanding a `#if` line: `defined` is an operator. */
  readonly forCondition: boolean;
  definedness(name: string): Definedness;
  readonly depthLimit: number;
  /** Tokens all expansions of one statement may make. */
  readonly tokenBudget: number;
  made: number;
  stopped: 'depth' | 'size' | undefined;
}

/** What an argument or macro use that has none reads: the lists it stands for have the same map (`emptyList`). */
const NO_TOKENS: readonly XToken[] = emptyList<XToken>();
const NO_ARGUMENTS: readonly XToken[][] = emptyList<XToken[]>();

function isPunct(t: XToken | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === text;
}

/** A copy to change (`space`, `hide`) without touching the token it came from. */
function copyOf(t: XToken): XToken {
  return {
    kind: t.kind, text: t.text, space: t.space, hide: t.hide, file: t.file, start: t.start, end: t.end,
    anchorStart: t.anchorStart, anchorEnd: t.anchorEnd, userArg: t.userArg, via: t.via, chars: t.chars, chosenByArgument: t.chosenByArgument, hash: t.hash,
  };
}

/** `hash`: a name's `nameHash`, 0 for the other kinds. */
function made(kind: XToken['kind'], text: string, hash: number, space: boolean, like: XToken): XToken {
  return {
    kind, text, space, hide: like.hide, file: null, start: -1, end: -1,
    anchorStart: like.anchorStart, anchorEnd: like.anchorEnd, userArg: like.userArg, via: like.via, chars: undefined, chosenByArgument: false, hash,
  };
}

/**
 * Finding asm statements needs only the expansions that can make one: outside an asm
 * statement's parentheses, a macro that holds no asm and whose arguments name nothing that
 * does is left as written (its expansion holds no asm keyword).
 */
export interface AsmOnlyExpansion {
  /** Expanding the macro can make an asm statement. */
  holdsAsm(macro: CMacro): boolean;
  /** The name (of `nameHash` `hash`) is an asm keyword or names a macro that holds asm. */
  mayMakeAsm(name: string, hash: number): boolean;
  readonly keywords: ReadonlySet<string>;
  readonly qualifiers: ReadonlySet<string>;
}

/** Where the output stands relative to an asm statement: after its keyword (and qualifiers), or inside its parentheses. */
class AsmPosition {
  private pending = false;
  private depth = 0;

  constructor(private readonly words: AsmOnlyExpansion) {}

  get inside(): boolean {
    return this.pending || this.depth > 0;
  }

  note(t: XToken): void {
    if (t.kind === 'ident' && this.words.keywords.has(t.text)) {
      this.pending = true;
      return;
    }
    if (this.pending) {
      if (t.kind === 'ident' && this.words.qualifiers.has(t.text)) return;
      this.pending = false;
      if (isPunct(t, '(')) this.depth++;
      return;
    }
    if (this.depth > 0 && t.kind === 'punct') {
      if (t.text === '(') this.depth++;
      else if (t.text === ')') this.depth--;
    }
  }
}

/** Index in the work list of the `)` closing the call whose `(` is on top, when no token up to it may make asm; else -1. */
function inertCallEnd(stack: readonly XToken[], only: AsmOnlyExpansion): number {
  let depth = 0;
  for (let i = stack.length - 1; i >= 0; i--) {
    const t = stack[i]!;
    if (t.kind === 'ident') {
      if (only.mayMakeAsm(t.text, t.hash)) return -1;
    } else if (t.kind === 'punct') {
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return i;
    }
  }
  return -1;
}

function emit(out: XToken[], position: AsmPosition | undefined, t: XToken): void {
  out.push(t);
  position?.note(t);
}

/**
 * Expands `input` fully (rescanning each result with the rest); with `only`, just what can make
 * asm. `ownOutput`: every token returned is new (a token of `input` that comes out unchanged is a
 * copy), so the caller may change them.
 */
export function expandTokens(input: readonly XToken[], ctx: ExpandContext, only?: AsmOnlyExpansion, ownOutput = false): XToken[] {
  const out = emptyList<XToken>();
  // The work list, reversed: the next token is at the end.
  const stack: XToken[] = [];
  for (let i = input.length - 1; i >= 0; i--) stack.push(input[i]!);
  // `input`'s tokens not yet taken are stack[0, floor): bodies are pushed above them.
  let floor = stack.length;
  const position = only ? new AsmPosition(only) : undefined;
  // Plain code, not closures: this runs once per argument expanded, and closures are allocated per run.
  while (stack.length > 0) {
    const t = stack.pop()!;
    let fromInput = stack.length < floor;
    if (fromInput) floor = stack.length;
    const copying = ownOutput && fromInput;
    if (t.kind !== 'ident') {
      emit(out, position, copying ? copyOf(t) : t);
      continue;
    }
    if (ctx.forCondition && t.text === 'defined') {
      const value = readDefined(t, stack, ctx);
      if (stack.length < floor) floor = stack.length;
      emit(out, position, value);
      continue;
    }
    const macro = ctx.lookup(t.text, t.hash);
    if (!macro || hideSetHas(t.hide, macro.name) || ctx.stopped) {
      emit(out, position, copying ? copyOf(t) : t);
      continue;
    }
    if (only && !position!.inside && !only.holdsAsm(macro)) {
      const end = macro.params === null || !isPunct(stack[stack.length - 1], '(') ? stack.length : inertCallEnd(stack, only);
      // What comes right before an asm keyword tells a statement from an asm label: expand it then.
      const after = end > 0 ? stack[end - 1] : undefined;
      if (end >= 0 && !(after && after.kind === 'ident' && only.mayMakeAsm(after.text, after.hash))) {
        emit(out, position, copying ? copyOf(t) : t);
        while (stack.length > end) {
          const next = stack.pop()!;
          fromInput = stack.length < floor;
          if (fromInput) floor = stack.length;
          emit(out, position, ownOutput && fromInput ? copyOf(next) : next);
        }
        continue;
      }
    }
    if ((t.hide?.size ?? 0) >= ctx.depthLimit) {
      ctx.stopped = 'depth';
      emit(out, position, copying ? copyOf(t) : t);
      continue;
    }
    let body: XToken[];
    if (macro.params === null) {
      body = substitute(macro, NO_ARGUMENTS, t, t, hideSetAdd(t.hide, macro.name), ctx);
    } else {
      if (!isPunct(stack[stack.length - 1], '(')) {
        emit(out, position, copying ? copyOf(t) : t);
        continue;
      }
      const call = readArguments(stack, macro);
      if (!call) {
        emit(out, position, copying ? copyOf(t) : t);
        continue;
      }
      // Name and `)` mostly come from the same place and share their hide set: its intersection with itself is itself.
      const both = t.hide === call.close.hide ? t.hide : hideSetIntersect(t.hide, call.close.hide);
      const hide = hideSetAdd(both, macro.name);
      body = substitute(macro, call.args, t, call.close, hide, ctx);
    }
    if (stack.length < floor) floor = stack.length;
    ctx.made += body.length;
    if (ctx.made > ctx.tokenBudget) ctx.stopped = 'size';
    for (let i = body.length - 1; i >= 0; i--) stack.push(body[i]!);
  }
  return out;
}

function readDefined(op: XToken, stack: XToken[], ctx: ExpandContext): XToken {
  const paren = isPunct(stack[stack.length - 1], '(');
  if (paren) stack.pop();
  const name = stack[stack.length - 1];
  if (!name || name.kind !== 'ident') return made('other', 'defined', 0, op.space, op);
  stack.pop();
  if (paren && isPunct(stack[stack.length - 1], ')')) stack.pop();
  const value = ctx.definedness(name.text);
  return value === 'unknown' ? made('unknown', name.text, 0, op.space, op) : made('number', String(value), 0, op.space, op);
}

interface Call {
  args: readonly XToken[][];
  close: XToken;
}

/**
 * Takes `( args )` from the top of the work list; leaves it as it was and returns null when the
 * call does not close or does not fit. The list is read in place first and cut only once the call
 * is known to fit: no copy of what was taken is kept to put back.
 */
function readArguments(stack: XToken[], macro: CMacro): Call | null {
  const params = macro.params!;
  const args: XToken[][] = [emptyList<XToken>()];
  let depth = 0;
  // stack[top] is the `(`.
  for (let k = stack.length - 2; k >= 0; k--) {
    const t = stack[k]!;
    if (t.kind === 'punct') {
      if (t.text === '(') depth++;
      else if (t.text === ')') {
        if (depth === 0) {
          let call: Call | null = null;
          if (params.length === 0 && args.length === 1 && args[0]!.length === 0) call = { args: NO_ARGUMENTS, close: t };
          else {
            if (macro.variadic && args.length === params.length - 1) args.push(emptyList<XToken>());
            if (args.length === params.length) call = { args, close: t };
          }
          // Popped rather than cut by `length`, which would shrink the list's store for the body pushed next.
          if (call) while (stack.length > k) stack.pop();
          return call;
        }
        depth--;
      } else if (t.text === ',' && depth === 0 && !(macro.variadic && args.length === params.length)) {
        args.push(emptyList<XToken>());
        continue;
      }
    }
    args[args.length - 1]!.push(t);
  }
  return null;
}

const QUOTE_OR_BACKSLASH = /["\\]/g;

/** A string literal token spelling `tokens` (`#x`), with the host offsets of the characters. */
function stringify(tokens: readonly XToken[], like: XToken, space: boolean): XToken {
  const chars = emptyChars();
  let spelling = '';
  let userArg = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    userArg ||= t.userArg;
    if (i > 0 && t.space) {
      pushChar(chars, ' ', -1, -1);
      spelling += ' ';
    }
    const text = t.text;
    pushRun(chars, text, 0, text.length, mappableStart(t));
    spelling += t.kind === 'string' || t.kind === 'char' ? text.replace(QUOTE_OR_BACKSLASH, '\\$&') : text;
  }
  const out = made('string', `"${spelling}"`, 0, space, like);
  out.userArg = userArg;
  out.chars = chars;
  // Spelled by tokens no macro made: the literal belongs to the text that wrote them.
  if (tokens.length > 0 && tokens.every((t) => t.via.length === 0)) out.via = NO_VIA;
  return out;
}

/** `a ## b`: one token when the spellings lex as one, else both. */
function paste(lhs: XToken, rhs: XToken): XToken[] {
  const text = lhs.text + rhs.text;
  const lexer = new CLexer(text);
  lexer.quiet = true;
  const first = lexer.next();
  if (first.end === text.length && first.start === 0) {
    // The lexer's text (the same characters): a punctuator's is the one string all its tokens share.
    const joined = made(first.kind, first.text, first.hash, lhs.space, lhs);
    joined.userArg = lhs.userArg || rhs.userArg;
    if (first.kind === 'ident' && lhs.userArg !== rhs.userArg) joined.chosenByArgument = true;
    return [joined];
  }
  const moved = copyOf(rhs);
  moved.space = false;
  return [lhs, moved];
}

class Substitution {
  private readonly expanded: (readonly XToken[] | undefined)[] = [];
  readonly out: XToken[] = emptyList<XToken>();
  private readonly bodyVia: readonly ViaStep[];

  constructor(
    private readonly macro: CMacro,
    private readonly args: readonly XToken[][],
    name: XToken,
    close: XToken,
    private readonly ctx: ExpandContext,
  ) {
    const step: ViaStep = { macro, file: name.file, start: name.start, end: name.end };
    // One exact-size array, copied by hand: `concat` is a generic builtin, slower for these short lists.
    const outer = name.via;
    const via = new Array<ViaStep>(outer.length + 1);
    for (let k = 0; k < outer.length; k++) via[k] = outer[k]!;
    via[outer.length] = step;
    this.bodyVia = via;
    this.bodyFromArgument = name.chosenByArgument;
    this.anchorStart = name.anchorStart;
    this.anchorEnd = close.anchorEnd >= 0 && name.anchorStart >= 0 && close.anchorEnd >= name.anchorStart ? close.anchorEnd : name.anchorEnd;
  }

  private readonly anchorStart: number;
  private readonly anchorEnd: number;
  /** The macro was chosen by an argument: its body counts as the argument's (reported at the invocation). */
  private readonly bodyFromArgument: boolean;

  private bodyToken(b: MacroBodyToken): XToken {
    return {
      kind: b.kind, text: b.text, space: b.space, hide: null, file: b.file, start: b.start, end: b.end,
      anchorStart: this.anchorStart, anchorEnd: this.anchorEnd, userArg: this.bodyFromArgument, via: this.bodyVia, chars: undefined, chosenByArgument: false, hash: b.hash,
    };
  }

  /**
   * A parameter's expanded argument, put in the output: the first use takes the tokens the
   * expansion made (all new, `ownOutput`), later uses copy them. Nothing in this substitution
   * changes a token before its last use but the first one's `space`, which every use sets.
   */
  private pushExpandedArg(index: number, space: boolean): void {
    const done = this.expanded[index];
    if (done) {
      this.push(done, space);
      return;
    }
    const raw = this.args[index] ?? NO_TOKENS;
    const made = raw.length === 0 ? NO_TOKENS : expandTokens(raw, this.ctx, undefined, true);
    this.expanded[index] = made;
    for (let i = 0; i < made.length; i++) {
      const t = made[i]!;
      if (i === 0) t.space = space;
      this.out.push(t);
    }
  }

  /** Copies of `tokens` into the output (they may be used again, or be someone else's). */
  private push(tokens: readonly XToken[], space: boolean): void {
    for (let i = 0; i < tokens.length; i++) {
      const t = copyOf(tokens[i]!);
      if (i === 0) t.space = space;
      this.out.push(t);
    }
  }

  run(): void {
    const body = this.macro.body;
    const last = this.args.length - 1;
    for (let i = 0; i < body.length; i++) {
      const b = body[i]!;
      const nextIsPaste = i + 1 < body.length && body[i + 1]!.paste;
      if (b.paste) {
        i++;
        if (i < body.length) this.pasteWith(body[i]!);
        continue;
      }
      if (b.stringify && i + 1 < body.length) {
        i++;
        const s = stringify(this.args[body[i]!.param] ?? NO_TOKENS, this.bodyToken(b), b.space);
        this.out.push(s);
        continue;
      }
      // GNU `, ## __VA_ARGS__`: the comma goes when the variable arguments are empty.
      if (b.text === ',' && nextIsPaste && this.macro.variadic && body[i + 2]?.param === last) {
        const rest = this.args[last] ?? NO_TOKENS;
        if (rest.length > 0) {
          this.out.push(this.bodyToken(b));
          this.push(rest, true);
        }
        i += 2;
        continue;
      }
      if (b.param >= 0) {
        if (nextIsPaste) {
          const raw = this.args[b.param] ?? NO_TOKENS;
          if (raw.length === 0) this.out.push(placemarker(this.bodyToken(b)));
          else this.push(raw, b.space);
        } else {
          this.pushExpandedArg(b.param, b.space);
        }
        continue;
      }
      this.out.push(this.bodyToken(b));
    }
  }

  private pasteWith(rhs: MacroBodyToken): void {
    const right: XToken[] = [];
    if (rhs.param >= 0) for (const t of this.args[rhs.param] ?? NO_TOKENS) right.push(copyOf(t));
    else right.push(this.bodyToken(rhs));
    if (right.length === 0) return;
    const lhs = this.out.pop();
    if (!lhs || lhs.kind === 'placemarker') {
      for (const t of right) this.out.push(t);
      return;
    }
    for (const t of paste(lhs, right[0]!)) this.out.push(t);
    for (let k = 1; k < right.length; k++) this.out.push(right[k]!);
  }
}

function placemarker(like: XToken): XToken {
  const marker = copyOf(like);
  marker.kind = 'placemarker';
  marker.text = '';
  return marker;
}

function substitute(macro: CMacro, args: readonly XToken[][], name: XToken, close: XToken, hide: HideSet, ctx: ExpandContext): XToken[] {
  const work = new Substitution(macro, args, name, close, ctx);
  work.run();
  // The substitution's own list, placemarkers dropped in place: it is no one else's.
  const out = work.out;
  // Tokens of one argument mostly share a hide set: each distinct one is joined with `hide` once.
  let lastHide: HideSet | null = null;
  let lastUnion: HideSet | null = null;
  let kept = 0;
  for (let i = 0; i < out.length; i++) {
    const t = out[i]!;
    if (t.kind === 'placemarker') continue;
    if (!t.hide) t.hide = hide;
    else if (t.hide === lastHide) t.hide = lastUnion;
    else {
      lastHide = t.hide;
      lastUnion = hideSetUnion(t.hide, hide);
      t.hide = lastUnion;
    }
    out[kept++] = t;
  }
  out.length = kept;
  if (kept > 0) out[0]!.space = name.space;
  return out;
}
