// The MASM (ml/ml64) preprocessor: `MACRO`/`ENDM` with `:REQ`, `:=default` and `:VARARG`
// parameters, `LOCAL`, `&param&`, `EXITM`, `PURGE`, `REPT`/`REPEAT`, `IRP`/`FOR`, `IRPC`/`FORC`,
// `WHILE`, text macros (`TEXTEQU`, `CATSTR`, text `EQU`), numeric `EQU`/`=`, the IF family and
// `INCLUDE`. Keywords and names are case-insensitive, as ml reads them by default.
import { INITIAL_LEX_STATE, lexLine, type LexState } from '../../syntax/lexer';
import type { ExpandEnv, ExpandedLine, MacroKind, MacroUse, SourceLine } from '../source';
import { evaluateMasm, type SymbolValue } from './expression';
import { OutputLimit } from '../shared/outputLimit';
import { quotedStringEnd } from '../shared/quotedString';
import { identifiers, literalText, replaceIdentifiers, splitTopLevel } from './text';

interface Line {
  /** The code (comment removed). */
  readonly code: string;
  readonly source: ExpandedLine;
  readonly fromInput: boolean;
}

interface Param {
  readonly name: string;
  readonly required: boolean;
  readonly fallback: string | undefined;
  readonly vararg: boolean;
}

interface MacroDef {
  readonly name: string;
  readonly params: Param[];
  readonly body: Line[];
  readonly definedAt: SourceLine;
}

interface Head {
  first: string;
  firstEnd: number;
  label: boolean;
  second: string;
  secondStart: number;
  secondEnd: number;
}

type BranchState = 'active' | 'inactive' | 'done' | 'undecided';

interface Collector {
  readonly header: Line;
  readonly head: Head;
  depth: number;
  readonly body: Line[];
}

interface Expansion {
  readonly name: string;
  readonly kind: MacroKind;
  readonly use: MacroUse;
  readonly invocation: Line;
  readonly direct: boolean;
}

const BLOCK_OPENERS = new Set(['rept', 'repeat', 'irp', 'for', 'irpc', 'forc', 'while']);
const CONDITIONALS = new Set([
  'if', 'ife', 'ifdef', 'ifndef', 'ifb', 'ifnb', 'ifidn', 'ifidni', 'ifdif', 'ifdifi', 'if1', 'if2',
  'elseif', 'elseife', 'elseifdef', 'elseifndef', 'elseifb', 'elseifnb', 'elseifidn', 'elseifidni', 'elseifdif', 'elseifdifi', 'elseif1', 'elseif2',
  'else', 'endif',
]);
const DECLARATIONS = /^\s*([A-Za-z_@$?][\w@$?]*)\s*(?:::?|\s+(?:proc|label|db|dw|dd|dq|df|dt|byte|sbyte|word|sword|dword|sdword|fword|qword|sqword|tbyte|real4|real8|real10|oword|xmmword|ymmword|struct|struc|union|record|typedef|segment|proto)\b)/i;
const EXTERNS = /^\s*(?:extern|extrn|externdef|public)\s+(.*)$/i;
const TEXT_BUDGET = 1_000_000;

export function* preprocessMasm(input: Iterable<ExpandedLine>, env: ExpandEnv): Generator<ExpandedLine> {
  yield* new MasmStage(env).run(input);
}

class MasmStage {
  private readonly macros = new Map<string, MacroDef>();
  private readonly texts = new Map<string, { text: string; at: SourceLine | undefined }>();
  private readonly numbers = new Map<string, number | undefined>();
  private readonly declared = new Set<string>();
  private readonly branches: { state: BranchState; line: Line }[] = [];
  private readonly exits: { exited: boolean }[] = [];
  private collector: Collector | undefined;
  private collectorFinish: ((body: Line[]) => Generator<ExpandedLine>) | undefined;
  private localCount = 0;

  private readonly output: OutputLimit;


  constructor(private readonly env: ExpandEnv) {
    this.output = new OutputLimit(env, 'MASM');
    for (const [name, value] of env.defines) this.texts.set(name.toLowerCase(), { text: value, at: undefined });
  }

  *run(input: Iterable<ExpandedLine>): Generator<ExpandedLine> {
    let lex = INITIAL_LEX_STATE;
    for (const line of input) {
      if (this.output.halted) continue;
      const read = readLine(line, lex);
      lex = read.state;
      yield* this.output.counted(this.processLine(read.line));
    }
    if (this.output.halted) return;
    if (this.collector) this.undecided(this.collector.header, `${this.collector.head.first} block is never closed with ENDM`);
    const open = this.branches[this.branches.length - 1];
    if (open) this.undecided(open.line, 'IF block is never closed with ENDIF');
  }


  private *processLine(line: Line): Generator<ExpandedLine> {
    if (this.output.halted) return;
    if (this.collector) {
      yield* this.collect(line);
      return;
    }
    const head = parseHead(line.code);
    if (CONDITIONALS.has(head.first)) {
      this.conditional(line, head);
      return;
    }
    if (!this.live()) return;
    yield* this.dispatch(line, head);
  }

  private live(): boolean {
    for (const branch of this.branches) if (branch.state === 'inactive' || branch.state === 'done') return false;
    return true;
  }

  private *dispatch(line: Line, head: Head): Generator<ExpandedLine> {
    const rest = line.code.slice(head.firstEnd);
    switch (head.first) {
      case 'include':
        yield* this.include(line, rest);
        return;
      case 'purge':
        for (const name of splitTopLevel(rest)) this.macros.delete(name.toLowerCase());
        return;
      case 'exitm': {
        const top = this.exits[this.exits.length - 1];
        if (top) top.exited = true;
        else this.undecided(line, 'EXITM outside a macro');
        return;
      }
      case 'local':
        return;
    }
    if (BLOCK_OPENERS.has(head.first)) {
      yield* this.openBlock(line, head, (body) => this.repeat(line, head, body));
      return;
    }
    const afterSecond = line.code.slice(head.secondEnd);
    switch (head.second) {
      case 'macro':
        yield* this.openBlock(line, head, (body) => this.defineMacro(line, head, body));
        return;
      case 'textequ':
      case 'catstr':
        this.defineText(line, head.first, this.textItems(line, afterSecond));
        return;
      case 'equ':
        if (this.defineEqu(line, head.first, afterSecond)) yield line.source;
        return;
    }
    if (head.first && !head.label && /^\s*=(?!=)/.test(rest)) {
      // A numeric symbol is the assembler's too: tracked for IF and WHILE, and passed on.
      this.numbers.set(head.first.toLowerCase(), evaluateMasm(rest.replace(/^\s*=/, ''), this.resolver()));
      this.declared.add(head.first.toLowerCase());
      yield line.source;
      return;
    }
    const macro = this.macros.get(head.first);
    if (macro && !head.label) {
      yield* this.invoke(line, macro, rest, head);
      return;
    }
    const labelled = head.label ? this.macros.get(head.second) : undefined;
    if (labelled) {
      const labelText = line.code.slice(0, head.secondStart);
      yield { text: labelText.trimEnd(), at: line.source.at, verbatim: false, body: line.source.body, macros: line.source.macros };
      yield* this.invoke(line, labelled, line.code.slice(head.secondEnd), { ...head, first: head.second, firstEnd: head.secondEnd });
      return;
    }
    yield this.plain(line);
  }

  // ---- text and numeric symbols -------------------------------------------------------------

  private resolver(): (name: string) => SymbolValue {
    return (name) => {
      const lower = name.toLowerCase();
      if (this.numbers.has(lower)) {
        const value = this.numbers.get(lower);
        return value === undefined ? undefined : { number: value };
      }
      const text = this.texts.get(lower);
      return text ? { text: text.text } : undefined;
    };
  }

  private defineText(line: Line, name: string, text: string | undefined): void {
    if (!name || text === undefined) return;
    const at = where(line);
    this.texts.set(name.toLowerCase(), { text, at });
    this.numbers.delete(name.toLowerCase());
    this.env.defined(name, 'define', at);
  }

  /** True for a numeric equate, which the assembler proper sees too. */
  private defineEqu(line: Line, name: string, valueText: string): boolean {
    const trimmed = valueText.trim();
    if (trimmed.startsWith('<')) {
      this.defineText(line, name, literalText(trimmed));
      return false;
    }
    const value = evaluateMasm(trimmed, this.resolver());
    if (value === undefined) {
      this.defineText(line, name, trimmed);
      return false;
    }
    this.numbers.set(name.toLowerCase(), value);
    this.declared.add(name.toLowerCase());
    this.env.defined(name, 'define', where(line));
    return true;
  }

  /** TEXTEQU/CATSTR operands: `<text>`, `%expression`, or a text macro's name; joined. */
  private textItems(line: Line, operands: string): string | undefined {
    let out = '';
    for (const item of splitTopLevel(operands)) {
      if (item.startsWith('<')) out += literalText(item);
      else if (item.startsWith('%')) {
        const value = evaluateMasm(item.slice(1), this.resolver());
        if (value === undefined) {
          this.undecided(line, `%${item.slice(1).trim()} cannot be computed here`);
          return undefined;
        }
        out += String(value);
      } else out += this.texts.get(item.toLowerCase())?.text ?? item;
    }
    return out;
  }

  /** Replaces text macros in `code` (their values too, each name once per chain). */
  private expandTexts(line: Line, code: string): { text: string; uses: MacroUse[] } {
    const uses: MacroUse[] = [];
    if (this.texts.size === 0) return { text: code, uses };
    const budget = { left: TEXT_BUDGET };
    const text = this.expandIn(code, new Set(), budget, (name, at, start, end) => {
      if (uses.some((use) => use.name === name) || !at) return;
      const columns = line.source.verbatim && start >= 0 ? { start, end } : undefined;
      uses.push(columns ? { name, kind: 'define', definedAt: at, invokedAt: where(line), columns } : { name, kind: 'define', definedAt: at, invokedAt: where(line) });
    });
    if (budget.left < 0) this.undecided(line, 'text macros expand past the size limit');
    return { text, uses };
  }

  private expandIn(code: string, active: Set<string>, budget: { left: number }, onUse?: (name: string, at: SourceLine | undefined, start: number, end: number) => void): string {
    return replaceIdentifiers(code, (word) => {
      const lower = word.text.toLowerCase();
      const definition = active.has(lower) ? undefined : this.texts.get(lower);
      if (!definition || (budget.left -= definition.text.length) < 0) return undefined;
      onUse?.(word.text, definition.at, word.start, word.end);
      active.add(lower);
      const value = this.expandIn(definition.text, active, budget);
      active.delete(lower);
      return value;
    }).text;
  }

  private plain(line: Line): ExpandedLine {
    this.noteDeclarations(line.code);
    let code = line.code;
    const percent = /^\s*%/.exec(code);
    if (percent) code = code.slice(percent[0].length);
    const { text, uses } = this.expandTexts(line, code);
    if (uses.length === 0 && !percent) return line.source;
    const macros = line.source.macros.slice();
    for (const use of uses) macros.push(use);
    return { text, at: line.source.at, verbatim: false, body: line.source.body, macros };
  }

  private noteDeclarations(code: string): void {
    const declared = DECLARATIONS.exec(code);
    if (declared) this.declared.add(declared[1]!.toLowerCase());
    const externs = EXTERNS.exec(code);
    if (externs) for (const part of splitTopLevel(externs[1]!)) this.declared.add(part.split(':')[0]!.trim().toLowerCase());
  }

  // ---- conditionals -------------------------------------------------------------------------

  private conditional(line: Line, head: Head): void {
    const directive = head.first;
    const operands = line.code.slice(head.firstEnd);
    if (directive === 'endif') {
      if (!this.branches.pop()) this.undecided(line, 'ENDIF without IF');
      return;
    }
    if (directive === 'else' || directive.startsWith('elseif')) {
      const branch = this.branches[this.branches.length - 1];
      if (!branch) {
        this.undecided(line, `${directive.toUpperCase()} without IF`);
        return;
      }
      if (branch.state === 'active' || branch.state === 'done') branch.state = 'done';
      else if (branch.state === 'inactive' && this.parentLive()) {
        if (directive === 'else') branch.state = 'active';
        else branch.state = this.decide(line, directive.slice(4), operands);
      }
      return;
    }
    const state: BranchState = this.live() ? this.decide(line, directive, operands) : 'done';
    this.branches.push({ state, line });
  }

  private parentLive(): boolean {
    for (let i = 0; i < this.branches.length - 1; i++) {
      const state = this.branches[i]!.state;
      if (state === 'inactive' || state === 'done') return false;
    }
    return true;
  }

  private decide(line: Line, directive: string, operands: string): BranchState {
    const truth = this.condition(directive, operands);
    if (truth === undefined) {
      this.undecided(line, `${directive.toUpperCase()} ${operands.trim()} cannot be decided here`);
      return 'undecided';
    }
    return truth ? 'active' : 'inactive';
  }

  private condition(directive: string, operands: string): boolean | undefined {
    switch (directive) {
      case 'if':
      case 'ife': {
        const value = evaluateMasm(operands, this.resolver());
        return value === undefined ? undefined : (value !== 0) === (directive === 'if');
      }
      case 'ifdef':
      case 'ifndef':
        return this.isDefined(operands.trim()) === (directive === 'ifdef');
      case 'ifb':
      case 'ifnb':
        return (literalText(operands).trim() === '') === (directive === 'ifb');
      case 'ifidn':
      case 'ifidni':
      case 'ifdif':
      case 'ifdifi': {
        const parts = splitTopLevel(operands);
        if (parts.length !== 2) return undefined;
        let a = literalText(parts[0]!);
        let b = literalText(parts[1]!);
        if (directive.endsWith('i')) {
          a = a.toLowerCase();
          b = b.toLowerCase();
        }
        return (a === b) === directive.startsWith('ifidn');
      }
      default:
        return undefined;
    }
  }

  private isDefined(name: string): boolean {
    const lower = name.toLowerCase();
    return this.texts.has(lower) || this.numbers.has(lower) || this.macros.has(lower) || this.declared.has(lower);
  }

  // ---- include ------------------------------------------------------------------------------

  private *include(line: Line, operands: string): Generator<ExpandedLine> {
    let spec = operands.trim();
    if (spec.startsWith('<')) spec = literalText(spec);
    else if (spec.startsWith('"') || spec.startsWith("'")) spec = spec.slice(1, quotedStringEnd(spec, 0) - 1);
    if (!spec) {
      this.undecided(line, 'INCLUDE needs a file name');
      return;
    }
    const included = this.env.include(spec, where(line));
    if (!included) return;
    let lex = INITIAL_LEX_STATE;
    for (const includedLine of included.lines) {
      if (this.output.halted) return;
      const read = readLine(includedLine, lex);
      lex = read.state;
      yield* this.processLine(read.line);
    }
  }

  // ---- blocks -------------------------------------------------------------------------------

  private *openBlock(line: Line, head: Head, finish: (body: Line[]) => Generator<ExpandedLine>): Generator<ExpandedLine> {
    if (line.fromInput) yield { ...line.source, definition: true };
    this.collector = { header: line, head, depth: 1, body: [] };
    this.collectorFinish = finish;
  }

  private *collect(line: Line): Generator<ExpandedLine> {
    const collector = this.collector!;
    if (line.fromInput) yield { ...line.source, definition: true };
    const head = parseHead(line.code);
    if (head.second === 'macro' || BLOCK_OPENERS.has(head.first)) collector.depth++;
    else if (head.first === 'endm' && --collector.depth === 0) {
      const finish = this.collectorFinish!;
      this.collector = undefined;
      this.collectorFinish = undefined;
      yield* finish(collector.body);
      return;
    }
    collector.body.push(line);
  }

  private defineMacro(line: Line, head: Head, body: Line[]): Generator<ExpandedLine> {
    const params = splitTopLevel(line.code.slice(head.secondEnd)).map(parseParam);
    const definedAt = where(line);
    this.macros.set(head.first, { name: originalName(line.code, head), params, body, definedAt });
    this.env.defined(originalName(line.code, head), 'macro', definedAt);
    return nothing();
  }

  private *invoke(line: Line, macro: MacroDef, argText: string, head: Head): Generator<ExpandedLine> {
    if (this.tooDeep(line, macro.name)) return;
    const args = splitTopLevel(argText);
    const bindings = new Map<string, string>();
    for (let i = 0; i < macro.params.length; i++) {
      const param = macro.params[i]!;
      let value: string;
      if (param.vararg) {
        const rest: string[] = [];
        for (let k = i; k < args.length; k++) rest.push(args[k]!);
        value = rest.join(',');
      } else value = this.argument(line, args[i]);
      if (value === '' && param.fallback !== undefined) value = param.fallback;
      if (value === '' && param.required) {
        this.undecided(line, `macro argument ${param.name} is required`);
        return;
      }
      bindings.set(param.name.toLowerCase(), value);
    }
    const columns = line.source.verbatim ? { start: head.firstEnd - head.first.length, end: head.firstEnd } : undefined;
    const use: MacroUse = columns
      ? { name: macro.name, kind: 'macro', definedAt: macro.definedAt, invokedAt: where(line), columns }
      : { name: macro.name, kind: 'macro', definedAt: macro.definedAt, invokedAt: where(line) };
    yield* this.runBody({ name: macro.name, kind: 'macro', use, invocation: line, direct: false }, macro.body, bindings);
  }

  /** A macro argument: `<text>` literal, `%expression` computed, or the text as written. */
  private argument(line: Line, arg: string | undefined): string {
    if (arg === undefined) return '';
    if (arg.startsWith('%')) {
      const value = evaluateMasm(arg.slice(1), this.resolver());
      if (value !== undefined) return String(value);
      this.undecided(line, `%${arg.slice(1).trim()} cannot be computed here`);
      return arg.slice(1).trim();
    }
    return literalText(arg);
  }

  private *repeat(line: Line, head: Head, body: Line[]): Generator<ExpandedLine> {
    const operands = line.code.slice(head.firstEnd);
    const name = head.first;
    if (this.tooDeep(line, name.toUpperCase())) return;
    const use: MacroUse = { name: name.toUpperCase(), kind: 'repeat', definedAt: where(line), invokedAt: where(line) };
    const expansion: Expansion = { name, kind: 'repeat', use, invocation: line, direct: line.source.macros.length === 0 };
    const limit = this.env.limits.repeat;
    if (name === 'while') {
      const exit = { exited: false };
      for (let i = 0; !exit.exited; i++) {
        const value = evaluateMasm(operands, this.resolver());
        if (value === undefined) {
          this.undecided(line, `WHILE ${operands.trim()} cannot be decided here`);
          return;
        }
        if (value === 0) return;
        if (i >= limit) {
          this.undecided(line, `WHILE ran ${limit} times without ending`);
          return;
        }
        yield* this.runBody(expansion, body, new Map(), exit);
        if (this.output.halted) return;
      }
      return;
    }
    const iterations = this.iterations(line, name, operands);
    if (!iterations) return;
    if (iterations.length > limit) {
      this.undecided(line, `${name.toUpperCase()} repeats ${iterations.length} times, more than ${limit}`);
      return;
    }
    const exit = { exited: false };
    for (const bindings of iterations) {
      if (exit.exited || this.output.halted) return;
      yield* this.runBody(expansion, body, bindings, exit);
    }
  }

  /** The bindings of each iteration of REPT, IRP/FOR or IRPC/FORC; undefined after a report. */
  private iterations(line: Line, name: string, operands: string): Map<string, string>[] | undefined {
    if (name === 'rept' || name === 'repeat') {
      const count = evaluateMasm(operands, this.resolver());
      if (count === undefined || count < 0 || count > this.env.limits.repeat) {
        this.undecided(line, count === undefined ? `${name.toUpperCase()} ${operands.trim()} cannot be computed here` : `${name.toUpperCase()} count ${count} is outside 0..${this.env.limits.repeat}`);
        return undefined;
      }
      const out: Map<string, string>[] = [];
      for (let i = 0; i < count; i++) out.push(new Map());
      return out;
    }
    const comma = splitTopLevel(operands);
    const param = parseParam(comma[0] ?? '');
    if (!param.name || comma.length < 2) {
      this.undecided(line, `${name.toUpperCase()} needs a parameter and a list`);
      return undefined;
    }
    const listText = operands.slice(operands.indexOf(',') + 1).trim();
    const key = param.name.toLowerCase();
    const values: string[] = [];
    if (name === 'irpc' || name === 'forc') {
      const chars = listText.startsWith('<') ? literalText(listText) : listText;
      for (const ch of chars) values.push(ch);
    } else {
      const list = listText.startsWith('<') && listText.endsWith('>') ? listText.slice(1, -1) : listText;
      for (const item of splitTopLevel(list)) values.push(this.argument(line, item) || param.fallback || '');
      if (values.length === 0) values.push(param.fallback ?? '');
    }
    if (param.required && values.some((value) => value === '')) {
      this.undecided(line, `${name.toUpperCase()} argument ${param.name} is required`);
      return undefined;
    }
    return values.map((value) => new Map([[key, value]]));
  }

  private *runBody(expansion: Expansion, body: readonly Line[], bindings: Map<string, string>, exit = { exited: false }): Generator<ExpandedLine> {
    this.exits.push(exit);
    const depth = this.branches.length;
    const locals = new Map(bindings);
    try {
      for (const bodyLine of body) {
        if (exit.exited || this.output.halted) break;
        if (!this.collector && parseHead(bodyLine.code).first === 'local') {
          for (const name of splitTopLevel(bodyLine.code.replace(/^\s*local\b/i, ''))) {
            locals.set(name.toLowerCase(), `??${(this.localCount++).toString(16).toUpperCase().padStart(4, '0')}`);
          }
          continue;
        }
        const text = locals.size > 0 ? substitute(bodyLine.code, locals) : bodyLine.code;
        if (text.trim() === '') continue;
        yield* this.processLine(this.generatedLine(expansion, bodyLine, text));
      }
    } finally {
      this.exits.pop();
      if (this.branches.length > depth) this.branches.length = depth;
    }
  }

  private generatedLine(expansion: Expansion, bodyLine: Line, code: string): Line {
    this.output.countGenerated(expansion.invocation.source.at);
    const invocation = expansion.invocation.source;
    const unchanged = code === bodyLine.code;
    const macros = invocation.macros.slice();
    macros.push(expansion.use);
    const source: ExpandedLine = {
      text: unchanged ? bodyLine.source.text : code,
      at: expansion.direct ? bodyLine.source.at : invocation.at,
      verbatim: expansion.direct && unchanged && bodyLine.source.verbatim,
      body: bodyLine.source.body ?? bodyLine.source.at,
      macros,
    };
    return { code, source, fromInput: false };
  }

  private tooDeep(line: Line, name: string): boolean {
    if (line.source.macros.length < this.env.limits.depth) return false;
    this.undecided(line, `${name} is nested more than ${this.env.limits.depth} macros deep`);
    return true;
  }

  private undecided(line: Line, message: string): void {
    this.env.report({ kind: 'undecided', at: line.source.at, message });
  }
}

function* nothing(): Generator<ExpandedLine> {}

function readLine(line: ExpandedLine, state: LexState): { line: Line; state: LexState } {
  const lexed = lexLine(line.text, 'masm', state);
  const comment = lexed.comments[0];
  return { line: { code: comment ? line.text.slice(0, comment.start) : line.text, source: line, fromInput: true }, state: lexed.state };
}

function where(line: Line): SourceLine {
  return line.source.body ?? line.source.at;
}

/** The first two words of a line, lower case, and whether the first is a `label:`. */
function parseHead(code: string): Head {
  const match = /^\s*([A-Za-z_@$?.%][\w@$?]*)(\s*::?)?\s*([A-Za-z_@$?.][\w@$?]*)?/.exec(code);
  if (!match) return { first: '', firstEnd: 0, label: false, second: '', secondStart: 0, secondEnd: 0 };
  const firstEnd = match.index + match[0].indexOf(match[1]!) + match[1]!.length;
  const second = match[3] ?? '';
  const secondEnd = match[0].length;
  return { first: match[1]!.toLowerCase(), firstEnd, label: (match[2] ?? '').includes(':'), second: second.toLowerCase(), secondStart: secondEnd - second.length, secondEnd };
}

function originalName(code: string, head: Head): string {
  return code.slice(head.firstEnd - head.first.length, head.firstEnd);
}

function parseParam(text: string): Param {
  const match = /^\s*([A-Za-z_@$?][\w@$?]*)\s*(?::\s*(req|vararg|=\s*(.*)))?\s*$/is.exec(text);
  if (!match) return { name: '', required: false, fallback: undefined, vararg: false };
  const qualifier = (match[2] ?? '').toLowerCase();
  return {
    name: match[1]!,
    required: qualifier === 'req',
    vararg: qualifier === 'vararg',
    fallback: match[3] !== undefined ? literalText(match[3]) : undefined,
  };
}

/**
 * Replaces parameters and locals in a body line: whole identifiers outside strings (an `&` next
 * to one is the concatenation operator and goes), and `&name&`/`&name` inside strings.
 */
function substitute(code: string, bindings: ReadonlyMap<string, string>): string {
  let out = '';
  let copied = 0;
  const words = Array.from(identifiers(code));
  for (const word of words) {
    const value = bindings.get(word.text.toLowerCase());
    if (value === undefined) continue;
    const start = code[word.start - 1] === '&' ? Math.max(copied, word.start - 1) : word.start;
    const end = code[word.end] === '&' ? word.end + 1 : word.end;
    out += code.slice(copied, start) + value;
    copied = end;
  }
  out += code.slice(copied);
  return substituteInStrings(out, bindings);
}

function substituteInStrings(code: string, bindings: ReadonlyMap<string, string>): string {
  if (!code.includes('&')) return code;
  let out = '';
  let i = 0;
  while (i < code.length) {
    const ch = code[i]!;
    if (ch !== '"' && ch !== "'") {
      out += ch;
      i++;
      continue;
    }
    const end = quotedStringEnd(code, i);
    out += code.slice(i, end).replace(/&([A-Za-z_@$?][\w@$?]*)&?/g, (whole, name: string) => bindings.get(name.toLowerCase()) ?? whole);
    i = end;
  }
  return out;
}
