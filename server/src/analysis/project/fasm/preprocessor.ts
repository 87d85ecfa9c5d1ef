// The FASM 1.7x preprocessor: `fix`, `include`, `equ`/`define`/`restore`, `macro`/`struc` with
// their `common`/`forward`/`reverse`/`local` blocks, `rept`, `irp`, `irps`, `irpv`, `match`,
// `purge`/`restruc` and `postpone`. It works on lines of symbols, as FASM does (manual 2.3),
// and hands every line the assembler would see to the walk, with the macros that made it.
// Assembler-stage directives (`if`, `repeat`, `virtual`…) pass through untouched.
import type { ColumnSpan, ExpandEnv, ExpandedLine, MacroKind, MacroUse, SourceLine } from '../source';
import { OutputLimit } from '../shared/outputLimit';
import { evaluate } from './expression';
import { matchPattern, splitMatchHeader } from './match';
import {
  codeOf, generated, isChar, isName, keyword, render, splitArguments, splitCommas, tokenize, trimFirstGap, withGap, type Token,
} from './tokens';

/** One line on its way through the preprocessor. */
interface Logical {
  readonly tokens: Token[];
  /** The line as it stands: its text now, where it was written and the macros that made it. */
  readonly source: ExpandedLine;
  /** Read from the input or an include as written (its definition lines are passed on). */
  readonly fromInput: boolean;
  /** Definitions a macro body may still use: a macro's own name means its previous definition. */
  readonly shadow: Shadow | undefined;
  /** The tokens are only part of `source.text` (a block body on its header's line). */
  readonly sliced?: boolean;
}

type Shadow = ReadonlyMap<string, number>;

interface Definition {
  readonly tokens: Token[];
  readonly at: SourceLine;
}

interface Param {
  readonly name: string;
  readonly required: boolean;
  readonly fallback: Token[] | undefined;
}

interface MacroDef {
  readonly name: string;
  readonly kind: 'macro' | 'struc';
  readonly fixed: Param[];
  readonly group: Param[];
  /** The last parameter takes the rest of the line, commas included. */
  readonly greedy: boolean;
  readonly body: Logical[];
  readonly definedAt: SourceLine;
}

interface Block {
  readonly mode: 'forward' | 'reverse' | 'common';
  readonly lines: Logical[];
}

/** One use of a body: a macro, struc, repeat, irp or match block with its argument values. */
interface Expansion {
  readonly use: MacroUse;
  readonly invocation: Logical;
  readonly body: readonly Logical[];
  /** Names with one value for every group. */
  readonly common: Map<string, Token[]>;
  /** Names with a value per group of arguments (or per repetition). */
  readonly groups: Map<string, Token[]>[];
  readonly label: Token | undefined;
  readonly shadow: Shadow | undefined;
  /** A repeat block written in the file: its lines are reported where they are written. */
  readonly direct: boolean;
}

interface Collector {
  readonly header: Logical;
  opened: boolean;
  readonly body: Logical[];
  readonly finish: (body: Logical[]) => Generator<ExpandedLine>;
}

const BLOCK_DIRECTIVES = new Set(['include', 'macro', 'struc', 'rept', 'irp', 'irps', 'irpv', 'match', 'purge', 'restruc', 'restore', 'define', 'postpone']);
const GROUP_DIRECTIVES = new Set(['common', 'forward', 'reverse']);
/** Tokens one symbolic replacement may produce before it is given up. */
const REPLACEMENT_BUDGET = 100_000;

export function* preprocessFasm(input: Iterable<ExpandedLine>, env: ExpandEnv): Generator<ExpandedLine> {
  yield* new FasmStage(env).run(input);
}

class FasmStage {
  private readonly fixes = new Map<string, Definition[]>();
  private readonly symbols = new Map<string, Definition[]>();
  private readonly macros = new Map<string, MacroDef[]>();
  private collector: Collector | undefined;
  private readonly postponed: { header: Logical; body: Logical[] }[] = [];
  private localCount = 0;
  private continued: Logical | undefined;

  private readonly output: OutputLimit;


  constructor(private readonly env: ExpandEnv) {
    this.output = new OutputLimit(env, 'FASM');
  }

  *run(input: Iterable<ExpandedLine>): Generator<ExpandedLine> {
    for (const line of input) {
      if (this.output.halted) continue;
      const logical = this.joinContinuation(this.readLine(line));
      if (logical) yield* this.output.counted(this.processLine(logical));
    }
    if (this.output.halted) return;
    if (this.continued) yield* this.output.counted(this.processLine(this.continued));
    yield* this.output.counted(this.finish());
  }


  private readLine(line: ExpandedLine): Logical {
    return { tokens: tokenize(codeOf(line.text)), source: line, fromInput: true, shadow: undefined };
  }

  /** A line whose last symbol is a lone `\` goes on on the next line. */
  private joinContinuation(line: Logical): Logical | undefined {
    const previous = this.continued;
    this.continued = undefined;
    let joined = line;
    if (previous) {
      const tokens = previous.tokens.slice(0, -1);
      for (const token of line.tokens) tokens.push(tokens.length > 0 && token === line.tokens[0] ? withGap(token, ' ') : token);
      joined = { ...previous, tokens, source: { ...previous.source, text: render(tokens), verbatim: false } };
    }
    const last = joined.tokens[joined.tokens.length - 1];
    if (last && isChar(last, '\\')) {
      this.continued = joined;
      return undefined;
    }
    return joined;
  }

  private *finish(): Generator<ExpandedLine> {
    const open = this.collector;
    if (open) {
      this.collector = undefined;
      this.env.report({ kind: 'undecided', at: open.header.source.at, message: 'FASM block is never closed with }' });
    }
    for (const { header, body } of this.postponed) {
      const use = this.use('postpone', 'macro', where(header), header, header.tokens[0]);
      yield* this.expand({ use, invocation: header, body, common: new Map(), groups: [new Map()], label: undefined, shadow: header.shadow, direct: false });
    }
  }

  private *processLine(line: Logical): Generator<ExpandedLine> {
    if (this.output.halted) return;
    if (keyword(line.tokens[1]) === 'fix' && isName(line.tokens[0])) {
      this.defineFix(line);
      return;
    }
    const fixed = this.applyFixes(line);
    if (this.collector) yield* this.collect(fixed);
    else yield* this.dispatch(fixed);
  }

  private *dispatch(line: Logical): Generator<ExpandedLine> {
    const tokens = line.tokens;
    if (tokens.length === 0) {
      yield line.source;
      return;
    }
    const first = keyword(tokens[0]);
    if (first !== undefined && BLOCK_DIRECTIVES.has(first)) {
      yield* this.directive(first, line);
      return;
    }
    const macro = this.lookup('macro', tokens[0], line.shadow);
    if (macro) {
      yield* this.invoke(line, macro.def, macro.index, tokens.slice(1), undefined);
      return;
    }
    if (isName(tokens[0]) && keyword(tokens[1]) === 'equ') {
      this.defineSymbol(line, tokens[0].text, this.replaceSymbols(line, tokens.slice(2)).tokens);
      return;
    }
    if (isName(tokens[0]) && isChar(tokens[1], ':') && tokens.length > 2 && this.startsDirectiveOrMacro(tokens.slice(2), line.shadow)) {
      yield* this.splitLabel(line);
      return;
    }
    const struc = this.lookup('struc', tokens[1], line.shadow);
    if (struc && isName(tokens[0])) {
      yield* this.invoke(line, struc.def, struc.index, tokens.slice(2), tokens[0]);
      return;
    }
    yield this.plain(line);
  }

  private startsDirectiveOrMacro(tokens: Token[], shadow: Shadow | undefined): boolean {
    const first = keyword(tokens[0]);
    if (first !== undefined && BLOCK_DIRECTIVES.has(first)) return true;
    if (this.lookup('macro', tokens[0], shadow)) return true;
    return isName(tokens[0]) && this.lookup('struc', tokens[1], shadow) !== undefined;
  }

  /** `label: directive-or-macro`: the label goes on alone, the rest is preprocessed as its own line. */
  private *splitLabel(line: Logical): Generator<ExpandedLine> {
    const label = line.tokens.slice(0, 2);
    yield { text: render(label), at: line.source.at, verbatim: false, body: line.source.body, macros: line.source.macros };
    yield* this.dispatch(this.rest(line, line.tokens.slice(2)));
  }

  private rest(line: Logical, tokens: Token[]): Logical {
    const trimmed = trimFirstGap(tokens.slice());
    return { tokens: trimmed, source: { text: render(trimmed), at: line.source.at, verbatim: false, body: line.source.body, macros: line.source.macros }, fromInput: false, shadow: line.shadow };
  }

  private *directive(name: string, line: Logical): Generator<ExpandedLine> {
    const args = line.tokens.slice(1);
    switch (name) {
      case 'include':
        yield* this.include(line, args);
        return;
      case 'macro':
      case 'struc':
        yield* this.defineMacro(line, name);
        return;
      case 'rept':
        yield* this.rept(line);
        return;
      case 'irp':
      case 'irps':
      case 'irpv':
        yield* this.irp(line, name);
        return;
      case 'match':
        yield* this.match(line);
        return;
      case 'postpone':
        yield* this.openBlock(line, 1, (body) => this.postpone(line, body));
        return;
      case 'purge':
      case 'restruc':
        for (const part of splitCommas(args)) {
          if (isName(part[0])) this.macros.get(`${name === 'purge' ? 'macro' : 'struc'}:${part[0].text}`)?.pop();
        }
        return;
      case 'restore':
        for (const part of splitCommas(args)) if (isName(part[0])) this.symbols.get(part[0].text)?.pop();
        return;
      case 'define':
        if (isName(args[0])) this.defineSymbol(line, args[0].text, trimFirstGap(args.slice(1)));
        else this.undecided(line, 'define needs a name');
        return;
    }
  }

  // ---- symbolic constants -------------------------------------------------------------------

  private defineSymbol(line: Logical, name: string, value: Token[]): void {
    const at = where(line);
    pushTo(this.symbols, name, { tokens: trimFirstGap(value), at });
    this.env.defined(name, 'define', at);
  }

  private defineFix(line: Logical): void {
    const name = line.tokens[0]!.text;
    const value = this.applyFixes({ ...line, tokens: line.tokens.slice(2) }).tokens;
    const at = where(line);
    pushTo(this.fixes, name, { tokens: trimFirstGap(value.slice()), at });
    this.env.defined(name, 'fix', at);
  }

  private applyFixes(line: Logical): Logical {
    if (this.fixes.size === 0) return line;
    const uses: MacroUse[] = [];
    const tokens: Token[] = [];
    for (const token of line.tokens) {
      const definition = isName(token) ? top(this.fixes, token.text) : undefined;
      if (!definition) {
        tokens.push(token);
        continue;
      }
      pushValue(tokens, definition.tokens, token.gap);
      if (!uses.some((use) => use.name === token.text)) uses.push(this.use(token.text, 'fix', definition.at, line, token));
    }
    if (uses.length === 0) return line;
    return { ...line, tokens, source: this.changedSource(line, tokens, uses) };
  }

  /** Replaces symbolic constants (`equ`, `define`) everywhere in `tokens`, their values too. */
  private replaceSymbols(line: Logical, tokens: readonly Token[]): { tokens: Token[]; uses: MacroUse[] } {
    const uses: MacroUse[] = [];
    if (this.symbols.size === 0) return { tokens: tokens.slice(), uses };
    const budget = { left: REPLACEMENT_BUDGET };
    const out = this.replaceIn(tokens, new Set(), budget, (name, definition, token) => {
      if (!uses.some((use) => use.name === name)) uses.push(this.use(name, 'define', definition.at, line, token));
    });
    if (budget.left < 0) this.undecided(line, 'symbolic constants expand past the size limit');
    return { tokens: out, uses };
  }

  private replaceIn(tokens: readonly Token[], active: Set<string>, budget: { left: number }, onUse?: (name: string, definition: Definition, token: Token) => void): Token[] {
    const out: Token[] = [];
    for (const token of tokens) {
      if (--budget.left < 0) return out;
      const definition = isName(token) && !active.has(token.text) ? top(this.symbols, token.text) : undefined;
      if (!definition) {
        out.push(token);
        continue;
      }
      onUse?.(token.text, definition, token);
      active.add(token.text);
      const value = this.replaceIn(definition.tokens, active, budget);
      active.delete(token.text);
      pushValue(out, value, token.gap);
    }
    return out;
  }

  private plain(line: Logical): ExpandedLine {
    const { tokens, uses } = this.replaceSymbols(line, line.tokens);
    if (uses.length === 0) return line.source;
    return this.changedSource(line, tokens, uses);
  }

  private changedSource(line: Logical, tokens: readonly Token[], uses: readonly MacroUse[]): ExpandedLine {
    const macros = line.source.macros.slice();
    for (const use of uses) macros.push(use);
    return { text: render(tokens), at: line.source.at, verbatim: false, body: line.source.body, macros };
  }

  // ---- include ------------------------------------------------------------------------------

  private *include(line: Logical, args: Token[]): Generator<ExpandedLine> {
    const quoted = args[0];
    if (!quoted || quoted.kind !== 'string' || quoted.escapes !== 0) {
      this.undecided(line, 'include needs a quoted file name');
      return;
    }
    const spec = this.expandEnvironment(line, quoted.text.slice(1, -1));
    if (spec === undefined) return;
    const columns = quoted.start >= 0 && line.source.verbatim ? { start: quoted.start + quoted.gap.length, end: quoted.start + quoted.gap.length + quoted.text.length } : undefined;
    const included = this.env.include(spec, where(line), columns ? { columns } : undefined);
    if (!included) return;
    for (const includedLine of included.lines) {
      if (this.output.halted) return;
      yield* this.processLine(this.readLine(includedLine));
    }
  }

  /** `%NAME%` parts of an include path come from the environment: known only through the configured defines. */
  private expandEnvironment(line: Logical, spec: string): string | undefined {
    let unknown: string | undefined;
    const expanded = spec.replace(/%([^%]+)%/g, (whole, name: string) => {
      const value = this.env.defines.get(name);
      if (value === undefined) unknown ??= name;
      return value ?? whole;
    });
    if (unknown !== undefined) {
      this.undecided(line, `include path uses environment variable ${unknown}, which is not defined`);
      return undefined;
    }
    return expanded;
  }

  // ---- blocks -------------------------------------------------------------------------------

  /** Starts collecting the `{ … }` block whose header ends before token `headerEnd` (or at its `{`). */
  private *openBlock(line: Logical, headerEnd: number, finish: (body: Logical[]) => Generator<ExpandedLine>): Generator<ExpandedLine> {
    if (line.fromInput) yield definitionOf(line);
    const collector: Collector = { header: line, opened: false, body: [], finish };
    this.collector = collector;
    const brace = braceIndex(line.tokens, headerEnd);
    if (brace < 0) return;
    collector.opened = true;
    yield* this.feed(collector, line, line.tokens.slice(brace + 1), true);
  }

  private *collect(line: Logical): Generator<ExpandedLine> {
    const collector = this.collector!;
    if (!collector.opened) {
      if (line.tokens.length === 0) {
        if (line.fromInput) yield definitionOf(line);
        return;
      }
      if (!isChar(line.tokens[0], '{')) {
        this.collector = undefined;
        this.undecided(collector.header, 'expected { to open the block');
        yield* this.dispatch(line);
        return;
      }
      collector.opened = true;
      if (line.fromInput) yield definitionOf(line);
      yield* this.feed(collector, line, line.tokens.slice(1), true);
      return;
    }
    if (line.fromInput) yield definitionOf(line);
    yield* this.feed(collector, line, line.tokens, line.sliced ?? false);
  }

  private *feed(collector: Collector, line: Logical, tokens: Token[], sliced: boolean): Generator<ExpandedLine> {
    const close = tokens.findIndex((token) => isChar(token, '}'));
    if (close < 0) {
      if (tokens.length > 0 || !sliced) collector.body.push({ ...line, tokens, sliced });
      return;
    }
    if (close > 0) collector.body.push({ ...line, tokens: tokens.slice(0, close), sliced: true });
    this.collector = undefined;
    yield* collector.finish(collector.body);
    if (close + 1 < tokens.length) yield* this.processLine(this.rest(line, tokens.slice(close + 1)));
  }

  // ---- macro and struc ----------------------------------------------------------------------

  private *defineMacro(line: Logical, kind: 'macro' | 'struc'): Generator<ExpandedLine> {
    const nameToken = line.tokens[1];
    if (!isName(nameToken)) {
      this.undecided(line, `${kind} needs a name`);
      yield* this.openBlock(line, 1, function* () {});
      return;
    }
    const brace = braceIndex(line.tokens, 2);
    const params = parseParams(line.tokens.slice(2, brace < 0 ? line.tokens.length : brace));
    yield* this.openBlock(line, 2, (body) => {
      const definedAt = where(line);
      pushTo(this.macros, `${kind}:${nameToken.text}`, { name: nameToken.text, kind, ...params, body, definedAt });
      this.env.defined(nameToken.text, kind, definedAt);
      return nothing();
    });
  }

  private lookup(kind: 'macro' | 'struc', token: Token | undefined, shadow: Shadow | undefined): { def: MacroDef; index: number } | undefined {
    if (!isName(token)) return undefined;
    const key = `${kind}:${token.text}`;
    const defs = this.macros.get(key);
    if (!defs || defs.length === 0) return undefined;
    const index = Math.min(defs.length, shadow?.get(key) ?? defs.length) - 1;
    return index >= 0 ? { def: defs[index]!, index } : undefined;
  }

  private *invoke(line: Logical, def: MacroDef, index: number, argTokens: Token[], label: Token | undefined): Generator<ExpandedLine> {
    if (this.tooDeep(line, def.name)) return;
    const args = def.greedy && def.group.length === 0 ? splitGreedy(argTokens, def.fixed.length) : splitArguments(argTokens);
    const common = new Map<string, Token[]>();
    for (let i = 0; i < def.fixed.length; i++) {
      const value = this.argument(line, def.fixed[i]!, args[i]);
      if (!value) return;
      common.set(def.fixed[i]!.name, value);
    }
    const groups: Map<string, Token[]>[] = [];
    if (def.group.length > 0) {
      const rest = args.slice(def.fixed.length);
      const count = Math.max(1, Math.ceil(rest.length / def.group.length));
      for (let g = 0; g < count; g++) {
        const values = new Map<string, Token[]>();
        for (let k = 0; k < def.group.length; k++) {
          const value = this.argument(line, def.group[k]!, rest[g * def.group.length + k]);
          if (!value) return;
          values.set(def.group[k]!.name, value);
        }
        groups.push(values);
      }
    } else groups.push(new Map());
    const nameToken = label ? line.tokens[1] : line.tokens[0];
    const use = this.use(def.name, def.kind, def.definedAt, line, nameToken);
    const shadow = new Map(line.shadow);
    shadow.set(`${def.kind}:${def.name}`, index);
    const expansion: Expansion = { use, invocation: line, body: def.body, common, groups, label, shadow, direct: false };
    if (label && !def.body.some((bodyLine) => bodyLine.tokens.some((token) => isName(token) && token.text === '.'))) {
      yield* this.processLine(this.generatedLine(expansion, undefined, [withGap(label, ''), generated('char', ':', '')], true));
    }
    yield* this.expand(expansion);
  }

  private argument(line: Logical, param: Param, given: Token[] | undefined): Token[] | undefined {
    if (given && given.length > 0) return given;
    if (param.fallback) return param.fallback;
    if (param.required) {
      this.undecided(line, `macro argument ${param.name} is required`);
      return undefined;
    }
    return [];
  }

  // ---- rept, irp, irps, irpv, match, postpone --------------------------------------------------

  private *rept(line: Logical): Generator<ExpandedLine> {
    const brace = braceIndex(line.tokens, 1);
    const header = line.tokens.slice(1, brace < 0 ? line.tokens.length : brace);
    const lookup = (name: string) => top(this.symbols, name)?.tokens;
    const count = evaluate(header, 0, lookup);
    const counters: { name: string; base: number }[] = [];
    let decided = count.value !== undefined;
    for (const part of splitCommas(header.slice(count.end))) {
      if (!isName(part[0])) {
        decided = false;
        continue;
      }
      let base = 1;
      if (isChar(part[1], ':')) {
        const value = evaluate(part, 2, lookup).value;
        if (value === undefined) decided = false;
        else base = value;
      }
      counters.push({ name: part[0].text, base });
    }
    const times = count.value ?? 0;
    if (!decided) this.undecided(line, 'rept count or counter base cannot be computed by the preprocessor');
    else if (times < 0 || times > this.env.limits.repeat) {
      this.undecided(line, `rept count ${times} is outside 0..${this.env.limits.repeat}`);
      decided = false;
    }
    yield* this.openBlock(line, 1, (body) => {
      if (!decided || times === 0) return nothing();
      const groups: Map<string, Token[]>[] = [];
      for (let i = 0; i < times; i++) {
        const values = new Map<string, Token[]>();
        for (const counter of counters) values.set(counter.name, [generated('name', String(counter.base + i), '')]);
        groups.push(values);
      }
      return this.expandBlock(line, 'rept', body, new Map(), groups);
    });
  }

  private *irp(line: Logical, kind: 'irp' | 'irps' | 'irpv'): Generator<ExpandedLine> {
    const brace = braceIndex(line.tokens, 1);
    const header = line.tokens.slice(1, brace < 0 ? line.tokens.length : brace);
    const comma = header.findIndex((token) => isChar(token, ','));
    const name = header[0];
    if (!isName(name) || comma < 0) {
      this.undecided(line, `${kind} needs a name, a comma and a list`);
      yield* this.openBlock(line, 1, nothing);
      return;
    }
    const required = isChar(header[1], '*');
    const list = header.slice(comma + 1);
    let values: Token[][];
    if (kind === 'irp') values = splitArguments(list);
    else if (kind === 'irps') values = list.map((token) => [withGap(token, '')]);
    else values = isName(list[0]) ? (this.symbols.get(list[0].text) ?? []).map((definition) => definition.tokens) : [];
    if (values.length > this.env.limits.repeat) {
      this.undecided(line, `${kind} list is longer than ${this.env.limits.repeat}`);
      yield* this.openBlock(line, 1, nothing);
      return;
    }
    if (required && values.some((value) => value.length === 0)) {
      this.undecided(line, `${kind} argument ${name.text} is required`);
      yield* this.openBlock(line, 1, nothing);
      return;
    }
    const groups = values.map((value) => new Map([[name.text, value]]));
    yield* this.openBlock(line, 1, (body) => this.expandBlock(line, kind, body, new Map(), groups));
  }

  private *match(line: Logical): Generator<ExpandedLine> {
    const brace = braceIndex(line.tokens, 1);
    const header = splitMatchHeader(line.tokens.slice(1, brace < 0 ? line.tokens.length : brace));
    if (!header) {
      this.undecided(line, 'match needs a pattern, a comma and a value');
      yield* this.openBlock(line, 1, nothing);
      return;
    }
    const value = trimFirstGap(this.replaceSymbols(line, header.value).tokens);
    const bindings = matchPattern(header.pattern, value);
    yield* this.openBlock(line, 1, (body) => (bindings ? this.expandBlock(line, 'match', body, bindings, [new Map()]) : nothing()));
  }

  private postpone(line: Logical, body: Logical[]): Generator<ExpandedLine> {
    this.postponed.push({ header: line, body });
    return nothing();
  }

  /** A block that is defined and used in one place (`rept`, `irp`, `match`). */
  private *expandBlock(line: Logical, name: string, body: Logical[], common: Map<string, Token[]>, groups: Map<string, Token[]>[]): Generator<ExpandedLine> {
    if (groups.length === 0 || this.tooDeep(line, name)) return;
    const use = this.use(name, 'repeat', where(line), line, line.tokens[0]);
    yield* this.expand({ use, invocation: line, body, common, groups, label: undefined, shadow: line.shadow, direct: line.source.macros.length === 0 });
  }

  // ---- expansion ----------------------------------------------------------------------------

  private *expand(expansion: Expansion): Generator<ExpandedLine> {
    const groupLocals = expansion.groups.map(() => new Map<string, Token[]>());
    const commonLocals = new Map<string, Token[]>();
    const count = expansion.groups.length;
    for (const block of splitBlocks(expansion.body)) {
      if (block.mode === 'common') {
        yield* this.expandLines(expansion, block.lines, -1, groupLocals, commonLocals);
        continue;
      }
      for (let i = 0; i < count; i++) {
        if (this.output.halted) return;
        const group = block.mode === 'forward' ? i : count - 1 - i;
        yield* this.expandLines(expansion, block.lines, group, groupLocals, commonLocals);
      }
    }
  }

  private *expandLines(expansion: Expansion, lines: readonly Logical[], group: number, groupLocals: Map<string, Token[]>[], commonLocals: Map<string, Token[]>): Generator<ExpandedLine> {
    const lookup = (name: string): Token[] | undefined => {
      if (group >= 0) return groupLocals[group]!.get(name) ?? commonLocals.get(name) ?? expansion.groups[group]!.get(name) ?? expansion.common.get(name);
      return commonLocals.get(name) ?? joinGroups(groupLocals, name) ?? joinGroups(expansion.groups, name) ?? expansion.common.get(name);
    };
    for (const bodyLine of lines) {
      if (this.output.halted) return;
      if (keyword(bodyLine.tokens[0]) === 'local') {
        const locals = group >= 0 ? groupLocals[group]! : commonLocals;
        for (const part of splitCommas(bodyLine.tokens.slice(1))) {
          if (isName(part[0])) locals.set(part[0].text, [generated('name', `${part[0].text}?${(++this.localCount).toString(36)}`, '')]);
        }
        continue;
      }
      if (bodyLine.tokens.length === 0) continue;
      const substituted = substitute(bodyLine.tokens, lookup, expansion.label);
      const operated = applyOperators(substituted.tokens);
      yield* this.processLine(this.generatedLine(expansion, bodyLine, operated.tokens, substituted.changed || operated.changed));
    }
  }

  private generatedLine(expansion: Expansion, bodyLine: Logical | undefined, tokens: Token[], changed: boolean): Logical {
    this.output.countGenerated(expansion.invocation.source.at);
    const invocation = expansion.invocation.source;
    const unchanged = bodyLine !== undefined && !changed && !bodyLine.sliced;
    const at = expansion.direct && bodyLine ? bodyLine.source.at : invocation.at;
    const macros = invocation.macros.slice();
    macros.push(expansion.use);
    const source: ExpandedLine = {
      text: unchanged ? bodyLine.source.text : render(tokens),
      at,
      verbatim: expansion.direct && unchanged && bodyLine.source.verbatim,
      body: bodyLine ? (bodyLine.source.body ?? bodyLine.source.at) : expansion.use.definedAt,
      macros,
    };
    return { tokens, source, fromInput: false, shadow: expansion.shadow };
  }

  // ---- helpers ------------------------------------------------------------------------------

  private tooDeep(line: Logical, name: string): boolean {
    if (line.source.macros.length < this.env.limits.depth) return false;
    this.undecided(line, `${name} is nested more than ${this.env.limits.depth} macros deep`);
    return true;
  }

  private use(name: string, kind: MacroKind, definedAt: SourceLine, line: Logical, token: Token | undefined): MacroUse {
    const columns = token && token.start >= 0 && line.source.verbatim ? tokenColumns(token) : undefined;
    return columns ? { name, kind, definedAt, invokedAt: where(line), columns } : { name, kind, definedAt, invokedAt: where(line) };
  }

  private undecided(line: Logical, message: string): void {
    this.env.report({ kind: 'undecided', at: line.source.at, message });
  }
}

function* nothing(): Generator<ExpandedLine> {}

function where(line: Logical): SourceLine {
  return line.source.body ?? line.source.at;
}

function definitionOf(line: Logical): ExpandedLine {
  return { ...line.source, definition: true };
}

function tokenColumns(token: Token): ColumnSpan {
  const start = token.start + token.escapes;
  return { start, end: start + token.text.length };
}

function top<T>(map: Map<string, T[]>, name: string): T | undefined {
  const stack = map.get(name);
  return stack && stack.length > 0 ? stack[stack.length - 1] : undefined;
}

function pushTo<T>(map: Map<string, T[]>, name: string, value: T): void {
  const stack = map.get(name);
  if (stack) stack.push(value);
  else map.set(name, [value]);
}

function pushValue(out: Token[], value: readonly Token[], gap: string): void {
  for (let i = 0; i < value.length; i++) out.push(i === 0 ? withGap(value[i]!, gap) : value[i]!);
}

/** Index of the block's `{` at or after `from`, or -1. */
function braceIndex(tokens: readonly Token[], from: number): number {
  for (let i = from; i < tokens.length; i++) if (isChar(tokens[i], '{')) return i;
  return -1;
}

function parseParams(tokens: readonly Token[]): { fixed: Param[]; group: Param[]; greedy: boolean } {
  const fixed: Param[] = [];
  const group: Param[] = [];
  let greedy = false;
  let inGroup = false;
  for (const part of splitCommas(tokens)) {
    let i = 0;
    if (isChar(part[i], '[')) {
      inGroup = true;
      i++;
    }
    const name = part[i];
    if (!isName(name)) continue;
    i++;
    let required = false;
    let fallback: Token[] | undefined;
    let closes = false;
    for (; i < part.length; i++) {
      const token = part[i]!;
      if (isChar(token, '*')) required = true;
      else if (isChar(token, '&')) greedy = true;
      else if (isChar(token, ']')) closes = true;
      else if (isChar(token, '=') || isChar(token, ':')) {
        const end = part.findIndex((t, k) => k > i && isChar(t, ']'));
        fallback = trimFirstGap(part.slice(i + 1, end < 0 ? part.length : end));
        closes = end >= 0;
        break;
      }
    }
    (inGroup ? group : fixed).push({ name: name.text, required, fallback });
    if (closes) inGroup = false;
  }
  return { fixed, group, greedy };
}

/** Arguments of a macro whose last parameter takes the rest of the line. */
function splitGreedy(tokens: Token[], count: number): Token[][] {
  const args = splitArguments(tokens);
  if (count === 0 || args.length <= count) return args;
  let commas = 0;
  let i = 0;
  for (; i < tokens.length && commas < count - 1; i++) if (isChar(tokens[i], ',')) commas++;
  const head = args.slice(0, count - 1);
  head.push(trimFirstGap(tokens.slice(i)));
  return head;
}

function splitBlocks(body: readonly Logical[]): Block[] {
  const blocks: Block[] = [];
  let current: Block = { mode: 'forward', lines: [] };
  blocks.push(current);
  for (const line of body) {
    const mode = keyword(line.tokens[0]);
    if (mode !== undefined && GROUP_DIRECTIVES.has(mode)) {
      current = { mode: mode as Block['mode'], lines: [] };
      blocks.push(current);
      if (line.tokens.length > 1) current.lines.push({ ...line, tokens: trimFirstGap(line.tokens.slice(1)), sliced: true });
      continue;
    }
    current.lines.push(line);
  }
  return blocks;
}

/** A multi-valued name used in a `common` block: all its values, separated by commas. */
function joinGroups(groups: readonly Map<string, Token[]>[], name: string): Token[] | undefined {
  if (groups.length === 0 || !groups[0]!.has(name)) return undefined;
  const out: Token[] = [];
  for (let g = 0; g < groups.length; g++) {
    if (g > 0) out.push(generated('char', ',', ''));
    const value = groups[g]!.get(name);
    if (value) for (const token of value) out.push(token);
  }
  return out;
}

function substitute(tokens: readonly Token[], lookup: (name: string) => Token[] | undefined, label: Token | undefined): { tokens: Token[]; changed: boolean } {
  const out: Token[] = [];
  let changed = false;
  for (const token of tokens) {
    if (isName(token)) {
      const value = lookup(token.text);
      if (value) {
        pushValue(out, value, token.gap);
        changed = true;
        continue;
      }
      if (label && token.text.startsWith('.')) {
        out.push({ ...token, text: token.text === '.' ? label.text : label.text + token.text, start: -1 });
        changed = true;
        continue;
      }
    }
    out.push(token);
  }
  return { tokens: out, changed };
}

/** The `` ` `` (name to string) and `#` (concatenation) operators, then one level of escaping removed. */
function applyOperators(tokens: readonly Token[]): { tokens: Token[]; changed: boolean } {
  let changed = false;
  const quoted: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (isChar(token, '`') && next) {
      quoted.push(next.kind === 'string' ? withGap(next, token.gap) : generated('string', `'${next.text}'`, token.gap));
      i++;
      changed = true;
    } else quoted.push(token);
  }
  const joined: Token[] = [];
  for (let i = 0; i < quoted.length; i++) {
    const token = quoted[i]!;
    if (!isChar(token, '#')) {
      joined.push(token);
      continue;
    }
    changed = true;
    const left = joined.pop();
    const right = quoted[i + 1];
    if (left && right) {
      joined.push(concatenate(left, right));
      i++;
    } else if (left) joined.push(left);
  }
  const out: Token[] = [];
  for (const token of joined) {
    if (token.escapes > 0) {
      out.push({ ...token, escapes: token.escapes - 1, start: -1 });
      changed = true;
    } else out.push(token);
  }
  return { tokens: out, changed };
}

function concatenate(left: Token, right: Token): Token {
  if (left.kind === 'string' && right.kind === 'string') {
    const quote = left.text[0]!;
    return generated('string', quote + left.text.slice(1, -1) + right.text.slice(1, -1) + quote, left.gap);
  }
  return generated(left.kind === 'string' ? 'string' : right.kind === 'string' ? 'string' : 'name', left.text + right.text, left.gap);
}
