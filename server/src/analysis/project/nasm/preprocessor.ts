// The NASM/YASM preprocessor stage. Like nasm, it reads lines from a stack of sources (the file,
// included files, multi-line macro expansions, `%rep` iterations); each line has its macro
// parameters substituted, is checked for a directive, has its single-line macros expanded and is
// then either a multi-line macro invocation (a new source on the stack) or a line to hand on.
import { INITIAL_LEX_STATE, lexLine } from '../../syntax/lexer';
import type { Bits } from '../../types';
import { FileLines, type ColumnSpan, type ExpandEnv, type ExpandedLine, type MacroUse, type SourceLine } from '../source';
import { conditional, conditionKind, type Condition } from './conditions';
import { assign, define, fileSpec, quoteString, stringDirective, undef } from './defineDirectives';
import type { Context, DirectiveScope } from './directiveScope';
import { evaluate } from './expr';
import { bindArguments, parseMacroHeader, MultiMacros, substituteParams, type MacroCall, type MultiMacro } from './multis';
import { FileSource, type RawLine } from './rawLines';
import { SingleMacros, type ExpandOutcome, type SingleMacro } from './singles';
import { joinTokens, skipSpaces, splitMacroArgs, tokenize, trimSpaces, type Token } from './tokens';

interface Frame {
  readonly kind: 'file' | 'macro' | 'rep';
  next(): RawLine | undefined;
  conds: Condition[];
  /** The expansion whose parameters lines read from this frame get. */
  readonly call?: MacroCall;
  readonly macro?: MultiMacro<RawLine>;
}

interface Definition {
  readonly kind: 'macro' | 'rep';
  readonly start: RawLine;
  readonly frame: Frame;
  readonly lines: RawLine[];
  nesting: number;
  /** Pass the definition's lines on (`definition: true`) for the macro's own file. */
  readonly passOn: boolean;
  readonly macro?: MultiMacro<RawLine>;
  readonly count?: number;
}

const DIRECTIVE = /^\s*%([A-Za-z]+)/;
const OUTPUT_BATCH = 256;
const BITS_DIRECTIVE = /^\s*(?:[A-Za-z_.$?@][\w.$?@]*:\s*)?\[?\s*(?:bits\s+(16|32|64)|use(16|32|64))\b/i;
const NAME = /[A-Za-z_.?@$][A-Za-z0-9_.?@$#~]*/g;
const KNOWN_NAME = /^\s*%(?:i?x?define|i?assign|i?defstr|i?deftok|strlen|substr|strcat|pathsearch|i?r?macro|undef)\s+([^\s(]+)/i;
/** Tokens one line's single-line macro expansion may produce: far beyond real code, small enough to stop a runaway. */
const EXPANSION_TOKENS = 200_000;

function startsWithPercent(code: string): boolean {
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c !== 32 && c !== 9) return c === 37;
  }
  return false;
}

export class NasmPreprocessor implements DirectiveScope {
  readonly singles = new SingleMacros();
  readonly multis = new MultiMacros<RawLine>();
  private readonly frames: Frame[] = [];
  private out: ExpandedLine[] = [];
  readonly known = new Set<string>();
  readonly contexts: Context[] = [];
  private defining: Definition | undefined;
  private uniqueId = 0;
  private macroDepth = 0;
  private emitted = 0;
  private stopped = false;

  constructor(readonly env: ExpandEnv) {
    if (env.bits) this.setBits(env.bits);
    for (const [name, value] of env.defines) {
      this.singles.define({ name, caseless: false, params: undefined, body: tokenize(value) });
      this.known.add(name.toLowerCase());
    }
  }

  *run(input: Iterable<ExpandedLine>): Generator<ExpandedLine> {
    this.pushFile(Array.isArray(input) || input instanceof FileLines ? (input as readonly ExpandedLine[] | FileLines) : Array.from(input));
    while (this.frames.length > 0 && !this.stopped) {
      this.step();
      // Handed on in batches: a generator resumed per line costs more than the line itself.
      if (this.out.length >= OUTPUT_BATCH || this.frames.length === 0 || this.stopped) {
        const batch = this.out;
        this.out = [];
        for (const line of batch) yield line;
      }
    }
  }

  private step(): void {
    const frame = this.frames[this.frames.length - 1]!;
    const raw = frame.next();
    if (!raw) this.endFrame(frame);
    else if (this.defining) this.collect(raw);
    else if (!this.passesUnread(raw, frame)) this.process(raw, frame);
  }

  /** The cheap test for an ordinary line: no `%` and no macro name anywhere in it (comments included) means nothing to do. */
  private passesUnread(raw: RawLine, frame: Frame): boolean {
    if (frame.call || raw.text.includes('%')) return false;
    if (frame.conds.length > 0 && !frame.conds[frame.conds.length - 1]!.emitting) return true;
    if ((this.singles.size > 0 || this.multis.size > 0) && this.namesMacro(raw.text)) return false;
    this.emitRaw(raw);
    return true;
  }

  // ---- sources ----

  private pushFile(lines: readonly ExpandedLine[] | FileLines): void {
    for (const line of lines) {
      if (!line.text.includes('%')) continue;
      const m = KNOWN_NAME.exec(line.text);
      if (m) this.known.add(m[1]!.toLowerCase());
    }
    const source = new FileSource(lines);
    this.frames.push({ kind: 'file', next: () => source.next(), conds: [] });
  }

  private pushMacro(macro: MultiMacro<RawLine>, call: MacroCall, invocation: RawLine, use: MacroUse): void {
    const macros: MacroUse[] = [];
    for (const m of invocation.macros) macros.push(m);
    macros.push(use);
    let index = 0;
    const next = (): RawLine | undefined => {
      const line = macro.body[index++];
      if (!line) return undefined;
      return { text: line.text, at: invocation.at, macros, body: line.body ?? line.at, verbatim: false, written: false };
    };
    macro.active++;
    this.macroDepth++;
    this.frames.push({ kind: 'macro', next, conds: [], call, macro });
  }

  private pushRep(lines: readonly RawLine[], count: number, call: MacroCall | undefined): void {
    let index = 0;
    let left = count;
    const frame: Frame = {
      kind: 'rep',
      conds: [],
      call,
      next: () => {
        if (index >= lines.length) {
          left--;
          if (left <= 0 || lines.length === 0) return undefined;
          this.closeConditions(frame);
          index = 0;
        }
        const line = lines[index++]!;
        return line.written ? { ...line, written: false } : line;
      },
    };
    if (count > 0) this.frames.push(frame);
  }

  private endFrame(frame: Frame): void {
    this.frames.pop();
    this.closeConditions(frame);
    if (this.defining && this.defining.frame === frame) {
      const what = this.defining.kind === 'macro' ? '%macro' : '%rep';
      this.undecided(this.defining.start, `${what} has no ${what === '%macro' ? '%endmacro' : '%endrep'} before the end of its source`);
      this.defining = undefined;
    }
    if (frame.kind === 'macro') {
      frame.macro!.active--;
      this.macroDepth--;
    }
  }

  private closeConditions(frame: Frame): void {
    for (const cond of frame.conds) this.report(cond.at, 'this conditional has no %endif before the end of its source');
    frame.conds = [];
  }

  // ---- output ----

  private emit(line: ExpandedLine): void {
    if (++this.emitted > this.env.limits.lines) {
      this.report(line.at, `the preprocessor stopped after ${this.env.limits.lines} lines`);
      this.stopped = true;
      return;
    }
    if (!line.definition) {
      const bits = BITS_DIRECTIVE.exec(line.text);
      if (bits) this.setBits(Number(bits[1] ?? bits[2]) as Bits);
    }
    this.out.push(line);
  }

  /** nasm's `__?BITS?__` follows the `bits` directives the preprocessor hands on. */
  private setBits(bits: Bits): void {
    for (const name of ['__?BITS?__', '__BITS__']) {
      this.singles.define({ name, caseless: false, params: undefined, body: tokenize(String(bits)) });
      this.known.add(name.toLowerCase());
    }
  }

  private emitRaw(raw: RawLine, definition?: boolean): void {
    if (raw.source && !definition && raw.source.definition !== true) {
      this.emit(raw.source);
      return;
    }
    const line: ExpandedLine = { text: raw.text, at: raw.at, verbatim: raw.verbatim, macros: raw.macros };
    if (raw.body) (line as { body?: SourceLine }).body = raw.body;
    if (definition) (line as { definition?: boolean }).definition = true;
    this.emit(line);
  }

  private report(at: SourceLine, message: string, columns?: ColumnSpan): void {
    this.env.report(columns ? { kind: 'undecided', at, columns, message } : { kind: 'undecided', at, message });
  }

  undecided(raw: RawLine, message: string): void {
    this.report(raw.at, message);
  }

  // ---- definitions being collected ----

  private collect(raw: RawLine): void {
    const def = this.defining!;
    const name = DIRECTIVE.exec(raw.text)?.[1]?.toLowerCase();
    if (name) {
      if (def.kind === 'macro' ? /^i?r?macro$/.test(name) : name === 'rep') def.nesting++;
      else if (def.kind === 'macro' ? name === 'endmacro' || name === 'endm' : name === 'endrep' || name === 'endr') def.nesting--;
    }
    if (def.passOn) this.emitRaw(raw, true);
    if (def.nesting > 0) {
      def.lines.push(raw);
      return;
    }
    this.defining = undefined;
    if (def.macro) {
      def.macro.body = def.lines;
      this.multis.define(def.macro);
    } else this.pushRep(def.lines, def.count!, this.frames[this.frames.length - 1]!.call);
  }

  // ---- one line ----

  private process(raw: RawLine, frame: Frame): void {
    const lexed = lexLine(raw.text, 'nasm', INITIAL_LEX_STATE);
    const codeEnd = lexed.comments[0]?.start ?? raw.text.length;
    const code = raw.text.slice(0, codeEnd);
    const directive = startsWithPercent(code) ? DIRECTIVE.exec(code)?.[1]?.toLowerCase() : undefined;
    const condition = directive !== undefined ? conditionKind(directive) : undefined;
    const emitting = frame.conds.length === 0 || frame.conds[frame.conds.length - 1]!.emitting;
    if (condition === undefined && !emitting) return;
    if (condition === undefined && directive === undefined && !frame.call && !this.mayExpand(lexed.masked)) {
      this.emitRaw(raw);
      return;
    }
    let tokens = tokenize(code);
    let changed = false;
    if (frame.call && (emitting || condition?.evaluates)) {
      const substituted = substituteParams(tokens, frame.call, (message) => this.undecided(raw, message));
      tokens = substituted.tokens;
      changed = substituted.changed;
    }
    if (this.contexts.length > 0 || code.includes('%$')) {
      const local = this.contextLocals(tokens, raw);
      tokens = local.tokens;
      changed ||= local.changed;
    }
    if (condition !== undefined) {
      conditional(this, condition, tokens, raw, frame.conds);
      return;
    }
    if (directive !== undefined) {
      const start = skipSpaces(tokens, 0);
      this.directive(directive, tokens.slice(start + 1), raw, frame);
      return;
    }
    const expanded = this.expandSingles(tokens, raw);
    if (this.invokeMacro(expanded.tokens, raw, changed || expanded.changed)) return;
    if (!changed && !expanded.changed) {
      this.emitRaw(raw);
      return;
    }
    const macros: MacroUse[] = [];
    for (const m of raw.macros) macros.push(m);
    if (expanded.first) macros.push(this.defineUse(expanded.first.macro, raw, !changed ? { start: expanded.first.start, end: expanded.first.end } : undefined));
    const line: ExpandedLine = { text: joinTokens(expanded.tokens) + raw.text.slice(codeEnd), at: raw.at, verbatim: false, macros };
    if (raw.body) (line as { body?: SourceLine }).body = raw.body;
    this.emit(line);
  }

  /** Cheap test of an ordinary line: does it name any macro at all? */
  private mayExpand(masked: string): boolean {
    // Comments are blanked in `masked`, so a `%` there is in the code.
    if (masked.includes('%')) return true;
    if (this.singles.size === 0 && this.multis.size === 0) return false;
    return this.namesMacro(masked);
  }

  private namesMacro(text: string): boolean {
    const names = NAME;
    names.lastIndex = 0;
    for (let m = names.exec(text); m; m = names.exec(text)) {
      if (this.singles.mentions(m[0]) || this.multis.mentions(m[0])) return true;
    }
    return false;
  }

  private defineUse(macro: SingleMacro, raw: RawLine, columns: ColumnSpan | undefined): MacroUse {
    const use: { -readonly [K in keyof MacroUse]: MacroUse[K] } = { name: macro.name, kind: 'define', invokedAt: raw.body ?? raw.at };
    if (macro.definedAt) use.definedAt = macro.definedAt;
    if (columns && raw.verbatim) use.columns = columns;
    return use;
  }

  expandSingles(tokens: readonly Token[], raw: RawLine): ExpandOutcome {
    if (this.singles.size === 0 && !tokens.some((t) => t.text === '%+')) return { tokens: tokens as Token[], changed: false };
    const outcome = this.singles.expand(tokens, { depth: this.env.limits.depth, tokens: EXPANSION_TOKENS });
    if (outcome.limited) this.undecided(raw, outcome.limited);
    return outcome;
  }

  /** `%$name` → `..@<context>.name`. */
  private contextLocals(tokens: readonly Token[], raw: RawLine): { tokens: Token[]; changed: boolean } {
    const out: Token[] = [];
    let changed = false;
    for (const t of tokens) {
      if (t.type !== 'percent' || !t.text.startsWith('%$')) {
        out.push(t);
        continue;
      }
      let dollars = 0;
      while (t.text[1 + dollars] === '$') dollars++;
      const context = this.contexts[this.contexts.length - dollars];
      if (!context) {
        this.undecided(raw, `\`${t.text}\` is used outside a %push context`);
        out.push(t);
        continue;
      }
      out.push({ type: 'id', text: `..@${context.id}.${t.text.slice(1 + dollars)}` });
      changed = true;
    }
    return { tokens: out, changed };
  }

  // ---- multi-line macros ----

  /** Expands a multi-line macro invocation (possibly after a label); false when the line is not one. */
  private invokeMacro(tokens: Token[], raw: RawLine, changed: boolean): boolean {
    if (this.multis.size === 0) return false;
    let at = skipSpaces(tokens, 0);
    const first = tokens[at];
    if (!first || first.type !== 'id') return false;
    let label: string | undefined;
    if (this.multis.named(first.text).length === 0) {
      let next = skipSpaces(tokens, at + 1);
      if (tokens[next]?.type === 'other' && tokens[next]!.text === ':') next = skipSpaces(tokens, next + 1);
      const second = tokens[next];
      if (!second || second.type !== 'id' || this.multis.named(second.text).length === 0) return false;
      label = first.text;
      at = next;
    }
    const nameToken = tokens[at]!;
    const argTokens = tokens.slice(at + 1);
    const count = splitMacroArgs(argTokens).length;
    const macro = this.multis.find(nameToken.text, count);
    if (!macro) {
      this.undecided(raw, `macro \`${nameToken.text}\` exists, but not taking ${count} parameter${count === 1 ? '' : 's'}`);
      return false;
    }
    if (macro.active > 0 && !macro.recursive) {
      this.undecided(raw, `macro \`${macro.name}\` invokes itself (only %rmacro may)`);
      return false;
    }
    if (this.macroDepth >= this.env.limits.depth) {
      this.undecided(raw, `macro \`${macro.name}\` nested past the limit of ${this.env.limits.depth}`);
      return true;
    }
    if (label !== undefined) {
      const line: ExpandedLine = { text: `${label}:`, at: raw.at, verbatim: false, macros: raw.macros };
      if (raw.body) (line as { body?: SourceLine }).body = raw.body;
      this.emit(line);
    }
    let offset = 0;
    for (let i = 0; i < at; i++) offset += tokens[i]!.text.length;
    const use: { -readonly [K in keyof MacroUse]: MacroUse[K] } = { name: macro.name, kind: 'macro', definedAt: macro.definedAt, invokedAt: raw.body ?? raw.at };
    if (raw.verbatim && !changed) use.columns = { start: offset, end: offset + nameToken.text.length };
    const call: MacroCall = { invokedName: nameToken.text, definedName: macro.name, params: bindArguments(macro, argTokens), rotation: 0, localId: ++this.uniqueId };
    this.pushMacro(macro, call, raw, use);
    return true;
  }

  private startMacro(directive: string, args: Token[], raw: RawLine): void {
    const header = parseMacroHeader(joinTokens(args));
    const definedAt = raw.body ?? raw.at;
    const passOn = raw.written;
    if (passOn) this.emitRaw(raw, true);
    if (!header) {
      this.undecided(raw, `%${directive} needs a macro name`);
      this.defining = { kind: 'macro', start: raw, frame: this.top(), lines: [], nesting: 1, passOn };
      return;
    }
    const macro: MultiMacro<RawLine> = {
      name: header.name,
      caseless: directive.startsWith('i'),
      min: header.min,
      max: header.max,
      greedy: header.greedy,
      defaults: header.defaults,
      recursive: directive.endsWith('rmacro'),
      definedAt,
      body: [],
      active: 0,
    };
    this.env.defined(header.name, 'macro', definedAt);
    this.defining = { kind: 'macro', start: raw, frame: this.top(), lines: [], nesting: 1, passOn, macro };
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  // ---- directives ----

  private directive(name: string, args: Token[], raw: RawLine, frame: Frame): void {
    switch (name) {
      case 'define':
      case 'idefine':
      case 'xdefine':
      case 'ixdefine':
        return define(this, name, args, raw);
      case 'undef':
        return undef(this, args, raw);
      case 'assign':
      case 'iassign':
        return assign(this, name, args, raw);
      case 'strlen':
      case 'substr':
      case 'strcat':
      case 'defstr':
      case 'idefstr':
        return stringDirective(this, name, args, raw);
      case 'macro':
      case 'imacro':
      case 'rmacro':
      case 'irmacro':
        return this.startMacro(name, args, raw);
      case 'unmacro':
      case 'unimacro': {
        const header = parseMacroHeader(joinTokens(args));
        if (header) this.multis.undefine(header.name, header.min, header.max);
        return;
      }
      case 'rep':
        return this.startRep(args, raw);
      case 'exitrep':
        return this.exitFrame('rep', raw);
      case 'exitmacro':
        return this.exitFrame('macro', raw);
      case 'rotate':
        return this.rotate(args, raw, frame);
      case 'include':
        return this.include(args, raw);
      case 'push':
        this.contexts.push({ name: joinTokens(trimSpaces(args)), id: ++this.uniqueId });
        return;
      case 'pop':
        if (!this.contexts.pop()) this.undecided(raw, '%pop with no context');
        return;
      case 'repl': {
        const top = this.contexts[this.contexts.length - 1];
        if (top) top.name = joinTokens(trimSpaces(args));
        else this.undecided(raw, '%repl with no context');
        return;
      }
      case 'pathsearch': {
        const rest = trimSpaces(args);
        const nameToken = rest[0];
        const spec = fileSpec(this, rest.slice(1), raw);
        if (nameToken && spec !== undefined) this.defineSingle(nameToken.text, false, undefined, tokenize(quoteString(spec)), raw);
        return;
      }
      case 'endmacro':
      case 'endm':
      case 'endrep':
      case 'endr':
        this.undecided(raw, `%${name} without a matching opening directive`);
        return;
      case 'depend':
      case 'use':
      case 'line':
      case 'pragma':
      case 'error':
      case 'warning':
      case 'fatal':
      case 'note':
      case 'clear':
      case 'arg':
      case 'local':
      case 'stacksize':
      case 'aliases':
        return;
      default:
        this.undecided(raw, `unknown preprocessor directive %${name}`);
    }
  }

  defineSingle(name: string, caseless: boolean, params: string[] | undefined, body: Token[], raw: RawLine): void {
    const definedAt = raw.body ?? raw.at;
    this.singles.define({ name, caseless, params, body, definedAt });
    this.known.add(name.toLowerCase());
    this.env.defined(name, 'define', definedAt);
  }

  private startRep(args: Token[], raw: RawLine): void {
    const expr = trimSpaces(this.expandSingles(args, raw).tokens).filter((t) => !(t.type === 'id' && t.text.toLowerCase() === '.nolist'));
    const result = evaluate(expr);
    let count: number;
    if (!('value' in result)) {
      this.undecided(raw, 'unknown' in result ? `%rep count: \`${result.unknown}\` is not known here; the body is read once` : `%rep count: ${result.error}; the body is read once`);
      count = 1;
    } else if (result.value > BigInt(this.env.limits.repeat)) {
      this.undecided(raw, `%rep ${result.value} is past the limit of ${this.env.limits.repeat}; the body is read once`);
      count = 1;
    } else count = Math.max(0, Number(result.value));
    this.defining = { kind: 'rep', start: raw, frame: this.top(), lines: [], nesting: 1, passOn: false, count };
  }

  private exitFrame(kind: 'rep' | 'macro', raw: RawLine): void {
    const index = this.frames.map((f) => f.kind).lastIndexOf(kind);
    const blocker = this.frames.findIndex((f, i) => i > index && f.kind !== 'rep');
    if (index < 0 || (kind === 'rep' && blocker >= 0)) {
      this.undecided(raw, `%exit${kind} outside a %${kind === 'rep' ? 'rep' : 'macro'}`);
      return;
    }
    while (this.frames.length > index) this.endFrame(this.top());
  }

  private rotate(args: Token[], raw: RawLine, frame: Frame): void {
    const call = frame.call;
    if (!call) {
      this.undecided(raw, '%rotate outside a macro');
      return;
    }
    const result = evaluate(this.expandSingles(args, raw).tokens);
    if (!('value' in result)) {
      this.undecided(raw, '%rotate count not known');
      return;
    }
    const count = call.params.length;
    if (count === 0) return;
    call.rotation = (((call.rotation + Number(result.value % BigInt(count))) % count) + count) % count;
  }

  private include(args: Token[], raw: RawLine): void {
    const spec = fileSpec(this, args, raw);
    if (spec === undefined) return;
    const opened = this.env.include(spec, raw.at);
    if (opened) this.pushFile(opened.lines);
  }


}
