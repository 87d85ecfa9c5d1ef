// The GNU as macro stage: `.macro`, `.rept`/`.irp`/`.irpc`, the `.if` family and `.include`,
// read the way `as` reads them, one line at a time. Ordinary lines pass through as the same
// objects; lines a macro or a repeat block produced say where the user wrote them and which
// uses produced them.
import { INITIAL_LEX_STATE, lexLine, type LexState, type LexedLine } from '../../syntax/lexer';
import type { Dialect } from '../../types';
import { definitionLine, macroUse, madeLine, type ColumnSpan, type ExpandEnv, type ExpandedLine, type MacroUse, type SourceLine } from '../source';
import { OPENING_CONDITIONALS, decide, type Decision } from './conditions';
import { evaluate } from './expression';
import { bindArguments, parseMacroHeader, type Binding, type Formal } from './formals';
import { Frame, InputFrame, LinesFrame, MacroFrame, RepeatFrame, type FrameContext, type RestOfLine } from './frames';
import { cleanText, splitStatements, trimmedEnd, type Statement } from './statements';
import { substituteBody } from './substitute';
import { isWhite, nameEnd, readArgument, skipComma, skipWhite } from './text';

interface MacroDefinition {
  readonly name: string;
  readonly formals: readonly Formal[];
  readonly body: readonly ExpandedLine[];
  readonly definedAt: SourceLine;
  /** What invocations with these argument texts made, for the next invocation with the same ones. */
  readonly expansions: Map<string, Expansion>;
}

/**
 * Distinct argument texts remembered per macro. A macro is mostly invoked with few (on arch/x86,
 * 20,723 invocations of 413 macros with 1,561 distinct argument texts); past the bound an
 * invocation is bound and substituted on its own.
 */
const MAX_EXPANSIONS_PER_MACRO = 64;

/**
 * One macro's binding for one argument text, and the body lines it made. A line made without
 * `\@` is the same for every invocation with these arguments, so it is made once: the same string
 * goes to the later stages, whose caches then find it without hashing a new string.
 */
class Expansion {
  private readonly texts: (string | undefined)[];

  constructor(
    readonly binding: Binding,
    private readonly body: readonly ExpandedLine[],
  ) {
    this.texts = new Array<string | undefined>(body.length);
  }

  text(bodyIndex: number, expansionCount: number): string {
    const known = this.texts[bodyIndex];
    if (known !== undefined) return known;
    const written = this.body[bodyIndex]!.text;
    const made = substituteBody(written, this.binding.values, expansionCount);
    if (!written.includes('\\@')) this.texts[bodyIndex] = made;
    return made;
  }
}

interface Conditional {
  readonly at: SourceLine;
  readonly columns: ColumnSpan | undefined;
  /** Lines around the block are read (false inside a branch that is skipped). */
  readonly outerActive: boolean;
  reading: boolean;
  /** Whether an earlier branch was taken: surely, perhaps (undecided), or not. */
  taken: 'no' | 'maybe' | 'yes';
  /** The branch is read although it may not be the one `as` takes. */
  uncertain: boolean;
}

interface Collection {
  readonly kind: 'macro' | 'repeat';
  /** `.macro`, `.rept`, `.irp` or `.irpc`. */
  readonly directive: string;
  readonly header: ExpandedLine;
  readonly columns: ColumnSpan | undefined;
  /** What follows the directive on its line, without comments. */
  readonly argument: string;
  readonly frame: Frame;
  readonly body: ExpandedLine[];
  nesting: number;
  /** Pass the block's lines on as definition lines (it is written in a file, not produced by a macro). */
  readonly showDefinition: boolean;
}

type Action =
  | 'keep'
  | 'drop'
  /** The rest of the line is not read here (a block starts, `.exitm`, `.end`). */
  | 'stop'
  /** Read `frame` next, then the rest of the line; `keep` emits this statement first. */
  | { readonly frame: Frame; readonly keep: boolean };

const DIRECTIVES = new Set([
  ...OPENING_CONDITIONALS,
  '.elseif', '.else', '.endif', '.macro', '.endm', '.exitm', '.purgem', '.rept', '.irp', '.irpc', '.endr',
  '.include', '.set', '.equ', '.equiv', '.eqv', '.end', '.altmacro',
]);

/** Pseudo-ops `as` will not let a macro replace (a subset: those a program is likely to try). */
const PSEUDO_OPS = new Set([
  ...DIRECTIVES,
  '.byte', '.word', '.short', '.long', '.int', '.quad', '.octa', '.ascii', '.asciz', '.string', '.align', '.balign',
  '.p2align', '.globl', '.global', '.section', '.text', '.data', '.bss', '.code16', '.code32', '.code64', '.fill',
  '.space', '.skip', '.org', '.type', '.size', '.comm', '.lcomm', '.local', '.weak', '.hidden', '.file', '.loc',
  '.intel_syntax', '.att_syntax', '.arch', '.previous', '.pushsection', '.popsection', '.noaltmacro',
]);

const REPEAT_OPENERS = new Set(['.rept', '.irp', '.irpc']);

export class GasExpander implements Iterator<ExpandedLine> {
  private readonly macros = new Map<string, MacroDefinition>();
  private readonly symbols = new Map<string, bigint | undefined>();
  private readonly conditionals: Conditional[] = [];
  private readonly stack: (Frame | RestOfLine)[] = [];
  /** Lines made by the last step, handed out from `head`. */
  private out: ExpandedLine[] = [];
  private head = 0;
  private done = false;
  private readonly reported = new Set<string>();
  private collection: Collection | undefined;
  /** Macros expanded so far: `\@`. */
  private expansions = 0;
  /** Lines made by expansions so far, against `limits.lines`. */
  private produced = 0;
  private exhausted = false;
  private ended = false;
  private altmacroReported = false;

  constructor(private readonly env: ExpandEnv) {}

  /** Reads `input` lazily: each `next()` reads input lines until one comes out. */
  run(input: Iterable<ExpandedLine>): Iterator<ExpandedLine> {
    this.stack.push(new InputFrame(input));
    return this;
  }

  next(): IteratorResult<ExpandedLine> {
    while (this.head >= this.out.length) {
      if (this.out.length === 1) this.out.pop();
      else if (this.out.length > 1) this.out = [];
      this.head = 0;
      if (this.done) return { done: true, value: undefined };
      if (this.stack.length > 0 && !this.ended) this.step();
      else {
        this.finish();
        this.done = true;
      }
    }
    return { done: false, value: this.out[this.head++]! };
  }

  private step(): void {
    const top = this.stack[this.stack.length - 1]!;
    if (top.kind === 'rest') {
      this.stack.pop();
      this.readStatements(top.line, top.lexed, top.statements, top.from, top.context);
      return;
    }
    const line = top.next();
    if (line === undefined) {
      this.stack.pop();
      this.frameEnded(top);
      return;
    }
    const { lexed, statements } = lexedStatements(line.text, this.env.dialect, top.lex);
    top.lex = lexed.state;
    if (this.collection) this.collect(line, lexed, statements, top);
    else this.readStatements(line, lexed, statements, 0, top);
  }

  // ---- statements ----

  private readStatements(line: ExpandedLine, lexed: LexedLine, statements: readonly Statement[], from: number, context: Frame): void {
    // Undefined while every statement so far is kept (the common case: no array is made).
    let kept: number[] | undefined;
    for (let i = from; i < statements.length; i++) {
      const statement = statements[i]!;
      const action = this.active() ? this.readStatement(line, lexed, statements, i, context) : this.skipStatement(line, lexed, statement);
      if (action === 'keep') {
        kept?.push(i);
        if (this.ended) break;
        continue;
      }
      kept ??= keptBefore(from, i);
      if (action === 'drop') continue;
      if (action !== 'stop' && action.keep) kept.push(i);
      this.emitKept(line, statements, kept, from);
      if (action === 'stop') return;
      if (i + 1 < statements.length) this.stack.push({ kind: 'rest', line, lexed, statements, from: i + 1, context });
      this.stack.push(action.frame);
      return;
    }
    this.emitKept(line, statements, kept, from);
  }

  /** In a branch not read, only the conditionals count (for nesting). */
  private skipStatement(line: ExpandedLine, lexed: LexedLine, statement: Statement): Action {
    if (!startsWithDot(statement.word)) return 'drop';
    const word = statement.word.toLowerCase();
    if (OPENING_CONDITIONALS.has(word) || word === '.elseif' || word === '.else' || word === '.endif') this.conditional(word, line, lexed, statement);
    return 'drop';
  }

  private readStatement(line: ExpandedLine, lexed: LexedLine, statements: readonly Statement[], index: number, context: Frame): Action {
    const statement = statements[index]!;
    // Indexed, as on the other per-line paths: until the function is optimized, `for…of` makes an
    // iterator and a result object per step (this loop over mostly empty label lists was 24 MB a run).
    const labels = statement.labels;
    for (let k = 0; k < labels.length; k++) this.defineLabel(labels[k]!);
    if (statement.word === '') return 'keep';
    if (statement.assignment) {
      const equals = lexed.masked.indexOf('=', statement.wordEnd);
      const valueStart = lexed.masked[equals + 1] === '=' ? equals + 2 : equals + 1;
      this.assign(statement.word, cleanText(line.text, lexed.masked, valueStart, statement.end));
      return 'keep';
    }
    const dot = startsWithDot(statement.word);
    if (!dot && this.macros.size === 0) return 'keep';
    const word = statement.word.toLowerCase();
    if (dot && DIRECTIVES.has(word)) return this.directive(word, line, lexed, statements, index, context);
    const macro = this.macros.get(word);
    return macro ? this.invoke(macro, line, lexed, statement, context) : 'keep';
  }

  /** The kept statements of a line (`undefined`: all from `from`): the line itself when all were kept, else the line with the others blanked. */
  private emitKept(line: ExpandedLine, statements: readonly Statement[], kept: readonly number[] | undefined, from: number): void {
    if (from === 0 && (kept === undefined || kept.length === statements.length)) {
      this.out.push(line);
      return;
    }
    kept ??= keptBefore(from, statements.length);
    let text = '';
    let visible = false;
    for (const index of kept) {
      const statement = statements[index]!;
      // Kept statements stay apart: the `;` before each but the first is kept too.
      text = text === '' ? ' '.repeat(statement.start) : text.padEnd(statement.start - 1, ' ') + ';';
      text += line.text.slice(statement.start, statement.end);
      visible ||= statement.word !== '' || statement.labels.length > 0;
    }
    if (visible) this.out.push(derived(line, text, false));
  }

  private directive(word: string, line: ExpandedLine, lexed: LexedLine, statements: readonly Statement[], index: number, context: Frame): Action {
    const statement = statements[index]!;
    const argument = (): string => cleanText(line.text, lexed.masked, statement.wordEnd, statement.end);
    if (OPENING_CONDITIONALS.has(word) || word === '.elseif' || word === '.else' || word === '.endif') {
      this.conditional(word, line, lexed, statement);
      return 'drop';
    }
    switch (word) {
      case '.macro':
      case '.rept':
      case '.irp':
      case '.irpc':
        this.startCollection(word, argument(), line, lexed, statements, index, context);
        return 'stop';
      case '.endm':
      case '.endr':
        this.report(line, columnsOf(line, lexed, statement), `\`${word}\` without an open block`);
        return 'drop';
      case '.exitm':
        if (!context.insideMacro) {
          this.report(line, columnsOf(line, lexed, statement), '`.exitm` outside a macro');
          return 'drop';
        }
        this.exitMacro();
        return 'stop';
      case '.purgem':
        this.purge(argument(), line, lexed, statement);
        return 'drop';
      case '.include':
        return this.include(argument(), line, lexed, statement, context);
      case '.set':
      case '.equ':
      case '.equiv':
      case '.eqv':
        this.assignFromDirective(argument());
        return 'keep';
      case '.end':
        this.ended = true;
        return 'keep';
      case '.altmacro':
        if (!this.altmacroReported) this.report(line, columnsOf(line, lexed, statement), '`.altmacro` is not expanded by virtlint: macros after it are read in the standard mode');
        this.altmacroReported = true;
        return 'keep';
      default:
        return 'keep';
    }
  }

  // ---- conditionals ----

  private active(): boolean {
    const count = this.conditionals.length;
    return count === 0 || this.conditionals[count - 1]!.reading;
  }

  private conditional(word: string, line: ExpandedLine, lexed: LexedLine, statement: Statement): void {
    const columns = columnsOf(line, lexed, statement);
    const argument = (): string => cleanText(line.text, lexed.masked, statement.wordEnd, statement.end);
    const top = this.conditionals[this.conditionals.length - 1];
    if (OPENING_CONDITIONALS.has(word)) {
      const outerActive = this.active();
      const opened: Conditional = { at: line.at, columns, outerActive, reading: false, taken: outerActive ? 'no' : 'yes', uncertain: false };
      if (outerActive) this.enterBranch(opened, this.decide(word, argument(), line, columns));
      this.conditionals.push(opened);
      return;
    }
    if (top === undefined) {
      this.report(line, columns, `\`${word}\` without \`.if\``);
      return;
    }
    if (word === '.endif') {
      this.conditionals.pop();
      return;
    }
    if (!top.outerActive) return;
    if (top.taken === 'yes') {
      top.reading = false;
      return;
    }
    this.enterBranch(top, word === '.else' ? true : this.decide('.elseif', argument(), line, columns));
  }

  /** Reads the branch unless it is decided false; an undecided one is read too. */
  private enterBranch(conditional: Conditional, decision: Decision): void {
    const earlierMaybe = conditional.taken === 'maybe';
    if (decision === false) {
      conditional.reading = false;
      return;
    }
    conditional.reading = true;
    if (decision === true) {
      conditional.uncertain = earlierMaybe;
      conditional.taken = 'yes';
    } else {
      conditional.uncertain = true;
      conditional.taken = 'maybe';
    }
  }

  private decide(word: string, argument: string, line: ExpandedLine, columns: ColumnSpan | undefined): Decision {
    const decision = decide(word, argument, this.symbols, (name) => this.symbols.has(name));
    if (typeof decision !== 'boolean') this.report(line, columns, `\`${word}\` cannot be decided here: ${decision.undecided}; every branch is read`);
    return decision;
  }

  /** Inside a branch read only because its condition was not decided, values set are not known. */
  private uncertain(): boolean {
    const conditionals = this.conditionals;
    for (let k = 0; k < conditionals.length; k++) if (conditionals[k]!.uncertain) return true;
    return false;
  }

  // ---- symbols ----

  private defineLabel(label: string): void {
    const first = label.charCodeAt(0);
    if (first >= 48 && first <= 57) return;
    if (!this.symbols.has(label)) this.symbols.set(label, undefined);
  }

  private assign(name: string, expression: string): void {
    if (this.uncertain()) {
      this.symbols.set(name, undefined);
      return;
    }
    const result = evaluate(expression, this.symbols);
    this.symbols.set(name, result.kind === 'value' ? result.value : undefined);
  }

  private assignFromDirective(argument: string): void {
    const end = nameEnd(argument, 0);
    const comma = skipWhite(argument, end);
    if (end === 0 || argument[comma] !== ',') return;
    this.assign(argument.slice(0, end), argument.slice(comma + 1));
  }

  // ---- blocks: .macro and .rept/.irp/.irpc ----

  private startCollection(directive: string, argument: string, line: ExpandedLine, lexed: LexedLine, statements: readonly Statement[], index: number, context: Frame): void {
    const showDefinition = context.kind === 'input' || context.kind === 'include';
    const body: ExpandedLine[] = [];
    // `as` reads what follows the directive on its line as the block's first line.
    const tail = statements[index + 1];
    if (tail !== undefined && line.text.slice(tail.start).trim() !== '') body.push(derived(line, ' '.repeat(tail.start) + line.text.slice(tail.start), false));
    const kind = directive === '.macro' ? 'macro' : 'repeat';
    this.collection = { kind, directive, header: line, columns: columnsOf(line, lexed, statements[index]!), argument, frame: context, body, nesting: 0, showDefinition };
    if (showDefinition) this.out.push(definitionLine(line));
  }

  private collect(line: ExpandedLine, lexed: LexedLine, statements: readonly Statement[], frame: Frame): void {
    const collection = this.collection!;
    const word = statements[0]!.word.toLowerCase();
    const opens = collection.kind === 'macro' ? word === '.macro' : REPEAT_OPENERS.has(word);
    const closes = word === (collection.kind === 'macro' ? '.endm' : '.endr');
    const ends = closes && collection.nesting === 0;
    // A repeat block's body reaches the assembler through its iterations; a macro's only as a definition.
    if (collection.showDefinition && (collection.kind === 'macro' || ends)) this.out.push(definitionLine(line));
    if (opens) collection.nesting++;
    if (closes) collection.nesting--;
    if (ends) {
      this.collection = undefined;
      if (collection.kind === 'macro') {
        this.define(collection);
        if (statements.length > 1) this.readStatements(line, lexed, statements, 1, frame);
      } else {
        const repeat = this.repeat(collection);
        if (repeat === undefined) {
          if (statements.length > 1) this.readStatements(line, lexed, statements, 1, frame);
          return;
        }
        if (statements.length > 1) this.stack.push({ kind: 'rest', line, lexed, statements, from: 1, context: frame });
        this.stack.push(repeat);
      }
      return;
    }
    collection.body.push(line);
  }

  private define(collection: Collection): void {
    const header = parseMacroHeader(collection.argument);
    const { header: line, columns } = collection;
    for (const problem of header.problems) this.report(line, columns, problem);
    if (header.name === '') {
      this.report(line, columns, '`.macro` without a name');
      return;
    }
    const key = header.name.toLowerCase();
    if (PSEUDO_OPS.has(key)) {
      this.report(line, columns, `\`${header.name}\` is a directive: \`as\` does not let a macro replace it`);
      return;
    }
    if (this.macros.has(key)) {
      this.report(line, columns, `macro \`${header.name}\` is already defined: \`as\` keeps the first definition`);
      return;
    }
    const definedAt = line.body ?? line.at;
    this.macros.set(key, { name: header.name, formals: header.formals, body: collection.body, definedAt, expansions: new Map() });
    this.env.defined(header.name, 'macro', definedAt);
  }

  private purge(argument: string, line: ExpandedLine, lexed: LexedLine, statement: Statement): void {
    const name = argument.trim();
    if (!this.macros.delete(name.toLowerCase())) this.report(line, columnsOf(line, lexed, statement), `\`.purgem\`: no macro \`${name}\``);
  }

  private invoke(macro: MacroDefinition, line: ExpandedLine, lexed: LexedLine, statement: Statement, context: Frame): Action {
    const columns = columnsOf(line, lexed, statement);
    if (context.macroDepth >= this.env.limits.depth) {
      this.report(line, columns, `macro \`${macro.name}\` is nested more than ${this.env.limits.depth} deep: not expanded`);
      return 'drop';
    }
    const expansion = expansionOf(macro, cleanText(line.text, lexed.masked, statement.wordEnd, statement.end));
    const { binding } = expansion;
    for (let k = 0; k < binding.problems.length; k++) this.report(line, columns, binding.problems[k]!);
    if (binding.refused || !this.reserve(macro.body.length, line, columns)) return 'drop';
    const count = this.expansions++;
    const use = macroUse(macro.name, 'macro', macro.definedAt, line.at, columns);
    const macros = withUse(line.macros, use);
    const { body } = macro;
    const at = line.at;
    const make = (i: number): ExpandedLine => {
      const bodyLine = body[i]!;
      return madeLine(expansion.text(i, count), at, false, bodyLine.body ?? bodyLine.at, macros);
    };
    const inner: FrameContext = { insideMacro: true, macroDepth: context.macroDepth + 1, includeDepth: context.includeDepth };
    return { frame: new MacroFrame(body.length, make, inner, this.conditionals.length), keep: false };
  }

  /** `.exitm`: the innermost macro's expansion ends here, with the conditionals it opened. */
  private exitMacro(): void {
    while (this.stack.length > 0) {
      const frame = this.stack.pop()!;
      if (frame.kind === 'macro') {
        this.conditionals.length = Math.min(this.conditionals.length, frame.conditionalDepth);
        return;
      }
    }
  }

  private repeat(collection: Collection): Frame | undefined {
    const { header, columns, directive, body } = collection;
    const plan = directive === '.rept' ? this.repeatCount(collection) : this.iterationValues(collection);
    if (plan === undefined) return undefined;
    let iterations = plan.iterations;
    if (iterations > this.env.limits.repeat) {
      this.report(header, columns, `\`${directive}\` repeats ${iterations} times, more than the limit of ${this.env.limits.repeat}: only the first ${this.env.limits.repeat} are read`);
      iterations = this.env.limits.repeat;
    }
    if (iterations <= 0 || body.length === 0) return undefined;
    iterations = this.reserveIterations(iterations, body.length, header, columns);
    if (iterations === 0) return undefined;
    const context = collection.frame;
    const use = macroUse(directive, 'repeat', header.body ?? header.at, header.at, columns);
    const expansionCount = this.expansions;
    const substitute = plan.parameter === undefined ? (_iteration: number, text: string): string => text : iterationSubstitution(plan.parameter, plan.values, expansionCount);
    let make: (iteration: number, bodyIndex: number) => ExpandedLine;
    if (context.insideMacro) {
      const macros = withUse(header.macros, use);
      make = (iteration, bodyIndex) => {
        const bodyLine = body[bodyIndex]!;
        return madeLine(substitute(iteration, bodyLine.text), header.at, false, bodyLine.body ?? bodyLine.at, macros);
      };
    } else {
      // A block written in the file: each line is where the user wrote it, as its own use.
      const macrosOf = body.map((bodyLine) => withUse(bodyLine.macros, use));
      make = (iteration, bodyIndex) => {
        const bodyLine = body[bodyIndex]!;
        const text = substitute(iteration, bodyLine.text);
        return madeLine(text, bodyLine.at, bodyLine.verbatim && text === bodyLine.text, bodyLine.body ?? bodyLine.at, macrosOf[bodyIndex]!);
      };
    }
    return new RepeatFrame(body.length, iterations, make, context, this.conditionals.length);
  }

  private repeatCount(collection: Collection): { iterations: number; parameter?: undefined; values: readonly string[] } | undefined {
    const result = evaluate(collection.argument, this.symbols);
    if (result.kind !== 'value') {
      const why = result.kind === 'unknown' ? `\`${result.name}\` has no value known here` : result.message;
      this.report(collection.header, collection.columns, `\`.rept\` count cannot be decided here: ${why}; the block is read once`);
      return { iterations: 1, values: [] };
    }
    const count = result.value;
    return { iterations: count <= 0n ? 0 : count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count), values: [] };
  }

  private iterationValues(collection: Collection): { iterations: number; parameter: string; values: readonly string[] } | undefined {
    const { argument, directive } = collection;
    const end = nameEnd(argument, 0);
    if (end === 0) {
      this.report(collection.header, collection.columns, `\`${directive}\` needs a parameter name`);
      return undefined;
    }
    const parameter = argument.slice(0, end);
    let index = skipComma(argument, end);
    const values: string[] = [];
    if (index >= argument.length) values.push('');
    else if (directive === '.irp') {
      while (index < argument.length && values.length <= this.env.limits.repeat) {
        const piece = readArgument(argument, index);
        values.push(piece.value);
        index = skipComma(argument, Math.max(piece.end, index + 1));
      }
    } else {
      let inQuotes = false;
      while (index < argument.length && values.length <= this.env.limits.repeat) {
        const c = argument[index]!;
        if (c === '"') {
          inQuotes = !inQuotes;
          index++;
          continue;
        }
        if (!inQuotes && isWhite(c)) {
          index++;
          continue;
        }
        values.push(c);
        index++;
      }
    }
    return { iterations: values.length, parameter, values };
  }

  /** Like `reserve` for a repeat block: as many whole iterations as the limit still allows. */
  private reserveIterations(iterations: number, bodyLength: number, line: ExpandedLine, columns: ColumnSpan | undefined): number {
    if (this.exhausted) return 0;
    const allowed = Math.min(iterations, Math.floor((this.env.limits.lines - this.produced) / bodyLength));
    if (allowed < iterations) {
      this.exhausted = true;
      this.report(line, columns, `macro expansion stopped: more than ${this.env.limits.lines} lines`);
    }
    this.produced += allowed * bodyLength;
    return allowed;
  }

  /** Counts lines an expansion will make; false (reported once) past `limits.lines`. */
  private reserve(count: number, line: ExpandedLine, columns: ColumnSpan | undefined): boolean {
    if (this.exhausted) return false;
    if (this.produced + count <= this.env.limits.lines) {
      this.produced += count;
      return true;
    }
    this.exhausted = true;
    this.report(line, columns, `macro expansion stopped: more than ${this.env.limits.lines} lines`);
    return false;
  }

  // ---- includes ----

  private include(argument: string, line: ExpandedLine, lexed: LexedLine, statement: Statement, context: Frame): Action {
    const columns = columnsOf(line, lexed, statement);
    const spec = argument.startsWith('"') ? readArgument(argument, 0).value : argument.trim();
    if (spec === '') {
      this.report(line, columns, '`.include` without a file name');
      return 'keep';
    }
    if (context.includeDepth >= this.env.limits.depth) {
      this.report(line, columns, `\`.include\` nested more than ${this.env.limits.depth} deep: not read`);
      return 'keep';
    }
    const specColumns = line.verbatim ? specColumnsOf(lexed.masked, statement) : undefined;
    const included = this.env.include(spec, line.at, specColumns ? { columns: specColumns } : undefined);
    if (!included) return 'keep';
    const inner: FrameContext = { insideMacro: false, macroDepth: context.macroDepth, includeDepth: context.includeDepth + 1 };
    return { frame: new LinesFrame('include', included.lines, inner, this.conditionals.length), keep: true };
  }

  // ---- ends ----

  private frameEnded(frame: Frame): void {
    const collection = this.collection;
    if (collection && collection.frame === frame) {
      this.collection = undefined;
      const end = collection.kind === 'macro' ? '.endm' : '.endr';
      this.report(collection.header, collection.columns, `\`${collection.directive}\` without \`${end}\`: the block is not read`);
    }
  }

  private finish(): void {
    if (this.collection) this.frameEnded(this.collection.frame);
    for (const conditional of this.conditionals) {
      if (conditional.outerActive) this.reportAt(conditional.at, conditional.columns, '`.if` without `.endif`');
    }
    this.conditionals.length = 0;
  }

  private report(line: ExpandedLine, columns: ColumnSpan | undefined, message: string): void {
    this.reportAt(line.at, columns, message);
  }

  private reportAt(at: SourceLine, columns: ColumnSpan | undefined, message: string): void {
    const key = `${at.file.id}:${at.line}:${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.env.report({ kind: 'undecided', at, message, ...(columns && { columns }) });
  }
}

interface LexedStatements {
  readonly lexed: LexedLine;
  readonly statements: readonly Statement[];
}

/**
 * Lines read outside a comment, by dialect and text: every root reads the same headers and macro
 * bodies again. A text read once maps to null: its lexing is kept only when it is read a second
 * time, as most texts never are (on arch/x86, 13.7k of the 22.2k distinct texts kept), and what the
 * cache keeps lives to the end of the run, copied and promoted by the collector on the way.
 */
const LEXED = new Map<Dialect, Map<string, LexedStatements | null>>();
let lexedCount = 0;
/** Distinct lines kept or seen; past it the cache starts again. */
const MAX_LEXED = 200_000;

/**
 * Lines longer than this are not kept: they are what a cpp macro of many statements made on one
 * line of a file (on arch/x86, 822 distinct ones of 2.6k characters on average, 64 of 886 look-ups hit),
 * and keeping them only gives the collector more to copy.
 */
const MAX_LEXED_LENGTH = 256;

/** The line lexed and split into statements; neither is ever modified, so a line read before in the same state is shared. */
function lexedStatements(text: string, dialect: Dialect, state: LexState): LexedStatements {
  if (state !== INITIAL_LEX_STATE || text.length > MAX_LEXED_LENGTH) return lexedNow(text, dialect, state);
  let texts = LEXED.get(dialect);
  if (!texts) LEXED.set(dialect, (texts = new Map()));
  const known = texts.get(text);
  if (known) return known;
  const lexed = lexedNow(text, dialect, state);
  if (known === null) {
    texts.set(text, lexed);
  } else {
    if (++lexedCount > MAX_LEXED) {
      for (const map of LEXED.values()) map.clear();
      lexedCount = 1;
    }
    texts.set(text, null);
  }
  return lexed;
}

function lexedNow(text: string, dialect: Dialect, state: LexState): LexedStatements {
  const lexed = lexLine(text, dialect, state);
  return { lexed, statements: splitStatements(lexed.masked) };
}

/** The macro's expansion for `argumentText`: the one an earlier invocation with the same text made, or a new one. */
function expansionOf(macro: MacroDefinition, argumentText: string): Expansion {
  const known = macro.expansions.get(argumentText);
  if (known) return known;
  const expansion = new Expansion(bindArguments(macro.name, macro.formals, argumentText), macro.body);
  if (macro.expansions.size < MAX_EXPANSIONS_PER_MACRO) macro.expansions.set(argumentText, expansion);
  return expansion;
}

/** `.irp`/`.irpc` substitution of one parameter, one value per iteration. */
function iterationSubstitution(parameter: string, values: readonly string[], expansionCount: number): (iteration: number, text: string) => string {
  let iterationOfValues = -1;
  const bound = new Map<string, string>();
  return (iteration, text) => {
    if (iteration !== iterationOfValues) {
      bound.set(parameter, values[iteration]!);
      iterationOfValues = iteration;
    }
    return substituteBody(text, bound, expansionCount);
  };
}

function keptBefore(from: number, end: number): number[] {
  const kept: number[] = [];
  for (let i = from; i < end; i++) kept.push(i);
  return kept;
}

function derived(line: ExpandedLine, text: string, verbatim: boolean): ExpandedLine {
  return madeLine(text, line.at, verbatim, line.body, line.macros);
}

/** A read past a string's end (`''.charCodeAt(0)`) throws away the code V8 optimized without one. */
function startsWithDot(word: string): boolean {
  return word.length > 0 && word.charCodeAt(0) === 46;
}

function withUse(macros: readonly MacroUse[], use: MacroUse): readonly MacroUse[] {
  // Pushed, not `new Array(n)` filled in: a holey array is another hidden class to the readers of `macros`.
  const chain: MacroUse[] = [];
  for (let i = 0; i < macros.length; i++) chain.push(macros[i]!);
  chain.push(use);
  return chain;
}

/** The statement's columns, when the line's columns are the user's. */
function columnsOf(line: ExpandedLine, lexed: LexedLine, statement: Statement): ColumnSpan | undefined {
  if (!line.verbatim) return undefined;
  return { start: statement.wordStart, end: trimmedEnd(lexed.masked, statement.wordStart, statement.end) };
}

/** The quoted file name of an `.include` (quotes excluded), or the word after the directive. */
function specColumnsOf(masked: string, statement: Statement): ColumnSpan | undefined {
  const start = skipWhite(masked, statement.wordEnd);
  if (start >= statement.end) return undefined;
  if (masked[start] === '"') {
    const close = masked.indexOf('"', start + 1);
    return { start: start + 1, end: close < 0 || close > statement.end ? statement.end : close };
  }
  return { start, end: trimmedEnd(masked, start, statement.end) };
}
