// One cpp run over a file and the files it includes: directives, conditional groups (with a third
// state, unknown, for names the project's configuration does not settle), and macro expansion of
// the text lines. Lines nothing touched go out as the very input objects.
import { macroUse, madeLine, type ColumnSpan, type ExpandEnv, type ExpandedLine, type ExpansionProblem, type FileLines, type IncludedFile, type MacroUse, type SourceLine } from '../source';
import { expandList, type Definedness, type ExpandContext } from './expand';
import { evaluateCondition } from './expression';
import { LineReader, partAt, type LogicalLine } from './lines';
import { configurationMacros, type ConfigurationMacros } from './configuration';
import { parseDefine, type Macro } from './macros';
import {
  InstanceMapper, equivalentMacro, includeMemoEnabled, mergeInto, newRecording, recordingsFor, sameContent, storeRecording,
  type GroupState, type IncludeEvent, type InstanceMap, type NameState, type Recording,
} from './memo';
import { copyToken, endOf, followsAsWritten, lex, link, mentionsMacro, wouldPaste, type LexOptions, type Token } from './tokens';
import { emptyList } from '../../syntax/emptyList';

export interface CppOptions {
  readonly language: 'assembler' | 'c';
}

/** Tokens the expansions of one line may produce before expansion stops there. */
const TOKEN_BUDGET = 1 << 16;
/** Lines one macro invocation's arguments may run on for. */
const ARGUMENT_LINES = 1000;
/** Nested includes, in case the walk's own bound is larger. */
const INCLUDE_DEPTH = 200;
const HASH = 35;

const CONDITIONALS = new Set(['if', 'ifdef', 'ifndef', 'elif', 'elifdef', 'elifndef', 'else', 'endif']);
/** Directives cpp knows that change nothing here. */
const DROPPED = new Set(['line', 'pragma', 'error', 'warning', 'ident', 'sccs', 'assert', 'unassert']);

/** An open conditional group: `parentActive` the enclosing region is read, `active` the current branch is, `taken` a branch was decided true. */
type Group = GroupState;

/** An include directive's outcome, before its file is read. */
interface IncludeRequest {
  readonly spec: string;
  readonly from: SourceLine;
  readonly options: { system?: boolean; columns?: ColumnSpan };
  readonly included: IncludedFile | undefined;
}

/** A file to go on reading from a line with conditional groups open, after a replay stopped matching. */
interface Resume {
  readonly groups: Group[];
}

interface IncludeResult {
  /** The include went as the replayed includer's recording says (always true outside a replay). */
  readonly asRecorded: boolean;
  /** The instances a replay of the file mapped, for the includer's later lines. */
  readonly mapper?: InstanceMapper;
}

/** Names the implementation owns: cpp decides them (not defined means 0), the project does not. */
function isReserved(name: string): boolean {
  const c = name.charCodeAt(1);
  return name.charCodeAt(0) === 95 && (c === 95 || (c >= 65 && c <= 90));
}

function directiveSummary(line: LogicalLine): string {
  const text = line.code.slice(line.first).replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export class CppRun {
  /**
   * Every name this run has asked about, with its macro (null: none): the files' own defines and
   * `#undef`s, and for other names what `configuration` answered the first time (it never changes
   * its answer), so a look-up is one map look-up, not two.
   */
  private readonly macros = new Map<string, Macro | null>();
  private readonly configuration: ConfigurationMacros;
  /** Names the text itself says are not defined (`#undef`, an include guard about to be defined). */
  private readonly knownUndefined = new Set<string>();
  private readonly lexOptions: LexOptions;
  private emitted = 0;
  private full = false;
  private includeDepth = 0;
  /** Files that said `#pragma once`. */
  private readonly once = new Set<string>();
  /** Lines made from the current input line, waiting to be yielded (a generator per line costs too much). */
  private readonly ready: ExpandedLine[] = emptyList();
  /** The recording of the innermost inclusion being read, when the memo is on. */
  private recording: Recording | undefined;
  /** The lines of the inclusion `recording` records: an output line that is one of them is recorded as its index. */
  private recordedLines: FileLines | undefined;
  /** Names the inclusion `recording` records (or one it made) defined or undefined: its later look-ups of them are not reads. */
  private written: Set<string> | undefined;
  private readonly memo = includeMemoEnabled();
  /**
   * gcc's cpp hands the assembler comments as spaces: a line left blank by that carries nothing
   * the later stages need (a comment that runs on stays, and so does a `virtlint-` comment, which
   * the line's own reading still needs), so it is not passed on at all.
   */
  private readonly dropsBlankLines: boolean;
  private readonly lookups = { get: (name: string): Macro | undefined => this.lookup(name) };
  private readonly isMacroName = (name: string): boolean => this.lookup(name) !== undefined || name === '__LINE__' || name === '__FILE__';

  constructor(
    private readonly options: CppOptions,
    private readonly env: ExpandEnv,
  ) {
    this.lexOptions = { dollars: options.language === 'c' };
    this.dropsBlankLines = options.language === 'assembler';
    this.configuration = configurationMacros(env.defines, options.language, this.lexOptions);
  }

  private current(name: string): Macro | undefined {
    let known = this.macros.get(name);
    if (known === undefined) this.macros.set(name, (known = this.configuration.get(name) ?? null));
    return known ?? undefined;
  }

  *run(input: Iterable<ExpandedLine>): Generator<ExpandedLine> {
    yield* this.file(input[Symbol.iterator]());
  }

  // ---- the macro table: every look-up and change goes into the current recording ----------

  private lookup(name: string): Macro | undefined {
    const macro = this.current(name);
    const recording = this.recording;
    if (recording && !this.written!.has(name) && !recording.reads.has(name)) {
      recording.reads.set(name, { macro, undefinedByText: this.knownUndefined.has(name) });
    }
    return macro;
  }

  private undefinedByText(name: string): boolean {
    this.lookup(name);
    return this.knownUndefined.has(name);
  }

  private peek(name: string): NameState {
    return { macro: this.current(name), undefinedByText: this.knownUndefined.has(name) };
  }

  /** A `#define`'s macro goes in the table; the recording's one event for it also stands for the notice (`notifyDefined`) that always follows. */
  private defineMacro(macro: Macro): void {
    this.macros.set(macro.name, macro);
    this.knownUndefined.delete(macro.name);
    this.written?.add(macro.name);
    this.recording?.events.push({ kind: 'define', macro });
  }

  private removeMacro(name: string): void {
    this.macros.set(name, null);
    this.knownUndefined.add(name);
    this.written?.add(name);
    this.recording?.events.push({ kind: 'undefine', name });
  }

  private markUndefined(name: string): void {
    this.knownUndefined.add(name);
    this.written?.add(name);
    this.recording?.events.push({ kind: 'markUndefined', name });
  }

  private addOnce(path: string): void {
    this.once.add(path);
    this.recording?.events.push({ kind: 'once', path });
  }

  private notifyDefined(name: string, at: SourceLine): void {
    this.env.defined(name, 'cpp', at);
  }

  private problem(problem: ExpansionProblem): void {
    this.env.report(problem);
    this.recording?.events.push({ kind: 'report', problem });
  }

  /** Callers look at `ready` first: most input lines leave nothing in it, and a generator made per line for nothing was 30 MB a run. */
  private *flush(): Generator<ExpandedLine> {
    for (let k = 0; k < this.ready.length; k++) yield this.ready[k]!;
    this.ready.length = 0;
  }

  // ---- files and includes ------------------------------------------------------------------

  private *file(input: Iterator<ExpandedLine>, resume?: Resume): Generator<ExpandedLine> {
    const reader = new LineReader(input);
    const groups: Group[] = resume ? resume.groups : [];
    let last: LogicalLine | undefined;
    for (;;) {
      if (this.full) return;
      const line = reader.next();
      if (!line) break;
      last = line;
      const active = groups.length === 0 || groups[groups.length - 1]!.active;
      if (line.first >= 0 && line.code.charCodeAt(line.first) === HASH) {
        const outcome = this.directive(line, groups, active, reader);
        if (outcome === 'text') this.text(line, reader);
        else if (outcome) yield* this.includeFile(outcome, line, groups);
      } else if (active) {
        this.text(line, reader);
      }
      // flush() written out: this runs for every line, and a generator for one or two lines costs.
      const ready = this.ready;
      if (ready.length > 0) {
        for (let k = 0; k < ready.length; k++) yield ready[k]!;
        ready.length = 0;
      }
    }
    if (reader.unterminatedComment) {
      this.report(reader.unterminatedComment.at, 'unterminated comment: it runs to the end of the file');
    }
    if (groups.length > 0 && (last || resume)) {
      const open = groups[0]!.at;
      this.report(open, `unterminated conditional: ${groups.length} #if group${groups.length > 1 ? 's' : ''} still open at the end of the file`);
    }
  }

  private *includeFile(request: IncludeRequest, line: LogicalLine, groups: readonly Group[]): Generator<ExpandedLine> {
    let event: IncludeEvent | undefined;
    if (this.recording) {
      const snapshot: Group[] = [];
      for (const g of groups) snapshot.push({ ...g });
      const resumeAt = line.parts[line.parts.length - 1]!.at.line + 1;
      event = { kind: 'include', spec: request.spec, from: request.from, options: request.options, child: undefined, resumeAt, groups: snapshot };
      this.recording.events.push(event);
    }
    yield* this.readIncluded(request, event, undefined);
  }

  /**
   * Reads an included file, replaying a recording of it when one matches the macro table. With
   * `recorded` (a replayed includer's record of this include) it says whether it went as recorded.
   */
  private *readIncluded(request: IncludeRequest, event: IncludeEvent | undefined, recorded: IncludeEvent | undefined): Generator<ExpandedLine, IncludeResult> {
    const included = request.included && !this.once.has(request.included.file.path) ? request.included : undefined;
    if (!included) return { asRecorded: recorded === undefined || recorded.child === undefined };
    if (this.includeDepth >= INCLUDE_DEPTH) {
      this.report(request.from, `includes nested more than ${INCLUDE_DEPTH} deep; this one is not read`);
      if (this.recording) this.recording.poisoned = true;
      return { asRecorded: false };
    }
    this.includeDepth++;
    try {
      return yield* this.enter(included, event, recorded);
    } finally {
      this.includeDepth--;
    }
  }

  private *enter(included: IncludedFile, event: IncludeEvent | undefined, recorded: IncludeEvent | undefined): Generator<ExpandedLine, IncludeResult> {
    const parent = this.recording;
    let candidates: readonly Recording[] = [];
    if (recorded) candidates = recorded.child ? [recorded.child] : [];
    else if (this.memo) candidates = recordingsFor(this.env.defines, this.options.language, included.file.path);
    let replayed: Recording | undefined;
    let instances: InstanceMap | undefined;
    for (const candidate of candidates) {
      if (candidate.poisoned || !sameContent(candidate, included)) continue;
      instances = this.matches(candidate);
      if (instances) {
        replayed = candidate;
        break;
      }
    }
    // A replay outside any recording is kept nowhere: it records nothing.
    const recording = this.memo && (parent || !replayed) ? newRecording(included, this.env.limits.depth, this.env.definesComplete === true) : undefined;
    const parentLines = this.recordedLines;
    const parentWritten = this.written;
    const written = recording ? new Set<string>() : undefined;
    this.recording = recording;
    this.recordedLines = included.lines;
    this.written = written;
    let result: IncludeResult;
    if (replayed && instances) {
      if (recording) for (const name of replayed.reads.keys()) recording.reads.set(name, this.peek(name));
      instances.set(replayed.file, included.file);
      const mapper = new InstanceMapper(instances, [[replayed.file, included.file]]);
      result = { asRecorded: yield* this.replay(replayed, included, mapper), mapper };
    } else {
      yield* this.file(included.lines[Symbol.iterator]());
      result = { asRecorded: recorded === undefined };
    }
    this.recording = parent;
    this.recordedLines = parentLines;
    this.written = parentWritten;
    if (recording) {
      if (event) event.child = recording;
      if (parent) mergeInto(parent, parentWritten!, recording, written!);
      if (!replayed && !recording.poisoned) storeRecording(this.env.defines, this.options.language, recording);
    }
    return result;
  }

  /** The instances a recording's look-ups name, mapped to the current ones, when the macro table answers them all as recorded. */
  private matches(recording: Recording): InstanceMap | undefined {
    if (recording.depthLimit !== this.env.limits.depth || recording.definesComplete !== (this.env.definesComplete === true)) return undefined;
    const instances: InstanceMap = new Map();
    // forEach, not `for…of`: no entry array and no iterator result per name (a recording reads hundreds).
    let same = true;
    recording.reads.forEach((state, name) => {
      if (same && (this.knownUndefined.has(name) !== state.undefinedByText || !equivalentMacro(state.macro, this.current(name), instances))) same = false;
    });
    return same ? instances : undefined;
  }

  /** Does again what `recording` did, for the new inclusion; false when an include went otherwise and the rest was read afresh. */
  private *replay(recording: Recording, included: IncludedFile, mapper: InstanceMapper): Generator<ExpandedLine, boolean> {
    const events = recording.events;
    for (let k = 0; k < events.length; k++) {
      const event = events[k]!;
      if (typeof event === 'number') {
        this.emit(included.lines.at(event)!);
        if (this.full) {
          if (this.ready.length > 0) yield* this.flush();
          return true;
        }
        continue;
      }
      switch (event.kind) {
        case 'line':
          this.emit(mapper.expanded(event.line));
          if (this.full) {
            if (this.ready.length > 0) yield* this.flush();
            return true;
          }
          break;
        case 'report':
          if (this.ready.length > 0) yield* this.flush();
          this.problem(mapper.problem(event.problem));
          break;
        case 'define': {
          const macro = mapper.macro(event.macro);
          this.defineMacro(macro);
          if (this.ready.length > 0) yield* this.flush();
          this.notifyDefined(macro.name, macro.definedAt!);
          break;
        }
        case 'undefine':
          this.removeMacro(event.name);
          break;
        case 'markUndefined':
          this.markUndefined(event.name);
          break;
        case 'once':
          this.addOnce(event.path);
          break;
        case 'include': {
          if (this.ready.length > 0) yield* this.flush();
          if (!(yield* this.replayInclude(event, mapper))) {
            if (this.recording) this.recording.poisoned = true;
            if (this.full) return false;
            yield* this.file(included.lines.from(event.resumeAt), { groups: mapper.groups(event.groups) });
            return false;
          }
          if (this.full) return true;
          break;
        }
      }
    }
    if (this.ready.length > 0) yield* this.flush();
    return true;
  }

  private *replayInclude(recorded: IncludeEvent, mapper: InstanceMapper): Generator<ExpandedLine, boolean> {
    const from = mapper.line(recorded.from);
    const request: IncludeRequest = { spec: recorded.spec, from, options: recorded.options, included: this.env.include(recorded.spec, from, recorded.options) };
    let event: IncludeEvent | undefined;
    if (this.recording) {
      // Spelled out as where it is first made: a spread copy would get another hidden class.
      event = { kind: 'include', spec: recorded.spec, from, options: recorded.options, child: undefined, resumeAt: recorded.resumeAt, groups: mapper.groups(recorded.groups) };
      this.recording.events.push(event);
    }
    const result = yield* this.readIncluded(request, event, recorded);
    if (result.asRecorded && result.mapper) mapper.adopt(result.mapper);
    return result.asRecorded;
  }

  private report(at: SourceLine, message: string, columns?: ColumnSpan): void {
    this.problem({ kind: 'undecided', at, message, ...(columns ? { columns } : {}) });
  }

  /** Columns of `[start, end)` of `line` on its first physical line, when that line is as written. */
  private columnsOnFirst(line: LogicalLine, start: number, end: number): ColumnSpan | undefined {
    const first = line.parts[0]!;
    if (!first.verbatim) return undefined;
    const limit = line.parts.length > 1 ? line.starts[1]! : line.code.length;
    const trimmedEnd = Math.min(end, limit);
    return { start, end: Math.max(start, trimmedEnd) };
  }

  // ---- directives -------------------------------------------------------------------------

  /** Handles a directive line; returns an included file's lines, 'text' for a line that is text after all, or undefined. */
  private directive(line: LogicalLine, groups: Group[], active: boolean, reader: LineReader): IncludeRequest | 'text' | undefined {
    // In a branch not read, a directive counts only by its name (most are `#define`s of a C half).
    const tokens = lex(line.code, this.lexOptions, line.first + 1, line.code.length, line, active ? Infinity : 1);
    const name = tokens.length > 0 ? tokens[0] : undefined; // a read past the end would deopt
    const assembler = this.options.language === 'assembler';
    if (!name) return undefined;
    // `# 33 "file"` is a line marker for C; GNU as reads it as a comment.
    if (name.kind !== 'ident') return active && assembler ? 'text' : undefined;
    if (CONDITIONALS.has(name.text)) {
      // `#elif` ends a branch not read and may be the one that is: its condition is read whole.
      const whole = !active && name.text.startsWith('elif') ? lex(line.code, this.lexOptions, line.first + 1, line.code.length, line) : tokens;
      this.conditional(name.text, whole, line, groups, active, reader);
      return undefined;
    }
    if (!active) return undefined;
    switch (name.text) {
      case 'define':
        this.define(tokens, line);
        return undefined;
      case 'undef':
        this.undefine(tokens);
        return undefined;
      case 'include':
      case 'import':
        return this.include(tokens, line, false);
      case 'include_next':
        return this.include(tokens, line, true);
    }
    if (name.text === 'pragma' && tokens[1]?.text === 'once' && tokens.length === 2) this.addOnce(line.parts[0]!.at.file.path);
    if (DROPPED.has(name.text)) return undefined;
    // GNU as reads `#` as a comment: gcc in assembler mode passes unknown directives on.
    return assembler ? 'text' : undefined;
  }

  private define(tokens: Token[], line: LogicalLine): void {
    const at = line.parts[0]!.at;
    const macro = parseDefine(tokens.slice(1), at);
    if (!macro) {
      this.report(at, `#define is malformed; nothing is defined`, this.columnsOnFirst(line, line.first, line.code.length));
      return;
    }
    this.defineMacro(macro);
    this.notifyDefined(macro.name, at);
  }

  private undefine(tokens: Token[]): void {
    const name = tokens[1];
    if (!name || name.kind !== 'ident') return;
    this.removeMacro(name.text);
  }

  private include(tokens: Token[], line: LogicalLine, next: boolean): IncludeRequest | undefined {
    const at = line.parts[0]!.at;
    const target = this.includeTarget(tokens, line);
    if (!target) {
      this.report(at, `${directiveSummary(line)}: the file name cannot be read`, this.columnsOnFirst(line, line.first, line.code.length));
      return undefined;
    }
    const columns = target.start >= 0 ? this.columnsOnFirst(line, target.start, target.end) : undefined;
    const options: { system?: boolean; columns?: ColumnSpan } = { system: next || target.system };
    if (columns) options.columns = columns;
    return { spec: target.spec, from: at, options, included: this.env.include(target.spec, at, options) };
  }

  private includeTarget(tokens: Token[], line: LogicalLine): { spec: string; system: boolean; start: number; end: number } | undefined {
    const first = tokens[1];
    if (!first) return undefined;
    const code = line.code;
    if (first.kind === 'string' && first.text.startsWith('"')) {
      return { spec: first.text.slice(1, -1), system: false, start: first.start!, end: endOf(first) };
    }
    if (first.text === '<') {
      const close = code.indexOf('>', first.start! + 1);
      if (close < 0) return undefined;
      return { spec: code.slice(first.start! + 1, close), system: true, start: first.start!, end: close + 1 };
    }
    // `#include MACRO`: the expansion names the file.
    const ctx = this.context(line, true, false);
    const out = expandList(link(copiesOf(tokens, 1)), ctx, false);
    const head = out[0];
    if (!head) return undefined;
    if (head.kind === 'string' && head.text.startsWith('"')) return { spec: head.text.slice(1, -1), system: false, start: -1, end: -1 };
    if (head.text !== '<') return undefined;
    let spec = '';
    for (let k = 1; k < out.length; k++) {
      const t = out[k]!;
      if (t.text === '>') return { spec, system: true, start: -1, end: -1 };
      spec += (k > 1 && t.space ? ' ' : '') + t.text;
    }
    return undefined;
  }

  private conditional(kind: string, tokens: Token[], line: LogicalLine, groups: Group[], active: boolean, reader: LineReader): void {
    const at = line.parts[0]!.at;
    const top = groups[groups.length - 1];
    if (kind === 'if' || kind === 'ifdef' || kind === 'ifndef') {
      if (!active) {
        groups.push({ at, parentActive: false, active: false, taken: true, sawElse: false });
        return;
      }
      this.noteIncludeGuard(reader);
      const value = this.condition(kind, tokens, line, 'both branches are read');
      groups.push({ at, parentActive: true, active: value !== false, taken: value === true, sawElse: false });
      return;
    }
    if (!top) {
      this.report(at, `#${kind} without #if`, this.columnsOnFirst(line, line.first, line.code.length));
      return;
    }
    if (kind === 'endif') {
      groups.pop();
      return;
    }
    if (kind === 'else') {
      top.active = top.parentActive && !top.taken && !top.sawElse;
      top.taken = true;
      top.sawElse = true;
      return;
    }
    // #elif, #elifdef, #elifndef
    if (!top.parentActive || top.taken || top.sawElse) {
      top.active = false;
      return;
    }
    const value = this.condition(kind.slice(2), tokens, line, 'this branch is read too');
    top.active = value !== false;
    if (value === true) top.taken = true;
  }

  /** `#ifndef X` / `#if !defined X` right before `#define X`: X is the include guard, known not to be defined yet. */
  private noteIncludeGuard(reader: LineReader): void {
    const next = reader.next();
    if (!next) return;
    reader.unread(next);
    if (next.first < 0 || next.code.charCodeAt(next.first) !== HASH) return;
    const tokens = lex(next.code, this.lexOptions, next.first + 1, next.code.length, null, 2);
    const name = tokens[1];
    if (tokens[0]?.text === 'define' && name?.kind === 'ident' && this.lookup(name.text) === undefined) this.markUndefined(name.text);
  }

  /** The value of a condition: true, false, or 'unknown' (reported). */
  private condition(kind: string, tokens: Token[], line: LogicalLine, consequence: string): boolean | 'unknown' {
    const at = line.parts[0]!.at;
    const columns = line.parts[0]!.verbatim ? this.columnsOnFirst(line, line.first, line.code.length) : undefined;
    const summary = (): string => directiveSummary(line);
    if (kind === 'ifdef' || kind === 'ifndef' || kind === 'def' || kind === 'ndef') {
      const name = tokens[1];
      if (!name || name.kind !== 'ident') {
        this.report(at, `${summary()}: no macro name; ${consequence}`, columns);
        return 'unknown';
      }
      const defined = this.definedness(name.text);
      if (defined === 'unknown') {
        this.report(at, `${summary()}: ${name.text} is not defined by the project's configuration; ${consequence}`, columns);
        return 'unknown';
      }
      const negate = kind === 'ifndef' || kind === 'ndef';
      return negate ? defined === 0 : defined === 1;
    }
    const ctx = this.context(line, true, true);
    const expanded = expandList(link(copiesOf(tokens, 1)), ctx, false);
    if (ctx.stopped) this.reportLimit(ctx, at);
    const result = evaluateCondition(expanded, (name) => this.identifierValue(name));
    if ('value' in result) return result.value;
    if ('error' in result) {
      this.report(at, `${summary()}: cannot be evaluated (${result.error}); ${consequence}`, columns);
      return 'unknown';
    }
    const names = result.unknown;
    const verb = names.length > 1 ? 'are' : 'is';
    this.report(at, `${summary()}: ${names.join(', ')} ${verb} not defined by the project's configuration; ${consequence}`, columns);
    return 'unknown';
  }

  private definedness(name: string): Definedness {
    if (this.lookup(name) !== undefined || name === '__LINE__' || name === '__FILE__' || name === '__has_include') return 1;
    if (isReserved(name) || this.undefinedByText(name) || this.env.definesComplete === true) return 0;
    return 'unknown';
  }

  /** An identifier left in a `#if` after expansion. */
  private identifierValue(name: string): 0 | 'unknown' {
    // A function-like macro's name without arguments is left alone and counts as 0, as in cpp.
    return this.lookup(name) !== undefined || isReserved(name) || this.undefinedByText(name) || this.env.definesComplete === true ? 0 : 'unknown';
  }

  // ---- text lines -------------------------------------------------------------------------

  private context(line: LogicalLine, forCondition: boolean, trackUses: boolean, reader?: LineReader, uses?: MacroUse[]): ExpandContext & { replaced: boolean } {
    const first = line.parts[0]!;
    const taken: { line: LogicalLine; eof: Token }[] = [];
    const lexOptions = this.lexOptions;
    const run = this;
    const ctx: ExpandContext & { replaced: boolean } = {
      macros: this.lookups,
      lexOptions,
      forCondition,
      depthLimit: this.env.limits.depth,
      tokenBudget: TOKEN_BUDGET,
      tokensMade: 0,
      stopped: undefined,
      replaced: false,
      fileName: first.at.file.path,
      definedness: (name) => run.definedness(name),
      lineNumber(token: Token): number {
        if (!token.line) return first.at.line + 1;
        return token.line.parts[partAt(token.line, token.start!)]!.at.line + 1;
      },
    };
    if (trackUses && uses) {
      ctx.used = (macro, name, last) => {
        ctx.replaced = true;
        uses.push(useOf(macro, name, last));
      };
    }
    if (reader) {
      ctx.moreLines = (needParen, eof) => {
        if (taken.length >= ARGUMENT_LINES) return false;
        const next = nextTextLine(reader, needParen);
        if (!next) return false;
        next.tokens ??= lex(next.code, lexOptions, 0, next.code.length, next);
        eof.kind = 'join';
        eof.next = link(next.tokens);
        taken.push({ line: next, eof });
        return true;
      };
      ctx.linesTaken = () => taken.length;
      ctx.rollback = (mark) => {
        while (taken.length > mark) {
          const back = taken.pop()!;
          back.eof.kind = 'eof';
          back.eof.next = null;
          reader.unread(back.line);
        }
      };
    }
    return ctx;
  }

  private reportLimit(ctx: ExpandContext, at: SourceLine): void {
    const why = ctx.stopped === 'depth' ? `macros nest more than ${ctx.depthLimit} deep` : `the expansion grows past ${ctx.tokenBudget} tokens`;
    this.report(at, `macro expansion stopped: ${why}; the rest of the line is read unexpanded`);
  }

  private text(line: LogicalLine, reader: LineReader): void {
    if (line.first < 0 && this.dropsBlankLines && !line.openComment && !mentionsVirtlint(line)) return;
    if (!mentionsMacro(line.code, this.lexOptions.dollars, this.isMacroName)) {
      this.unchanged(line);
      return;
    }
    line.tokens ??= lex(line.code, this.lexOptions, 0, line.code.length, line);
    const uses: MacroUse[] = [];
    const ctx = this.context(line, false, true, reader, uses);
    const out = expandList(link(line.tokens), ctx, true);
    const first = line.parts[0]!;
    if (ctx.stopped) this.reportLimit(ctx, first.at);
    if (!ctx.replaced && !out.some((t) => t.line === undefined)) {
      this.unchanged(line);
      return;
    }
    let macros: readonly MacroUse[] = first.macros;
    if (uses.length > 0) {
      const all: MacroUse[] = [];
      for (let k = 0; k < first.macros.length; k++) all.push(first.macros[k]!);
      for (let k = 0; k < uses.length; k++) all.push(uses[k]!);
      macros = all;
    }
    const body = uses.length > 0 ? uses[0]!.definedAt : first.body;
    this.emit(madeLine(textOf(line, out, this.lexOptions.dollars), first.at, false, body, macros));
  }

  private unchanged(line: LogicalLine): void {
    if (!line.spliced) {
      // Indexed: every unchanged line comes here, and `for…of` makes an iterator until this is optimized.
      for (let k = 0; k < line.parts.length; k++) this.emit(line.parts[k]!);
      return;
    }
    const first = line.parts[0]!;
    const text = line.code.trimEnd();
    this.emit(madeLine(text, first.at, false, first.body, first.macros));
  }

  private emit(line: ExpandedLine): void {
    if (this.emitted >= this.env.limits.lines) {
      if (!this.full) this.report(line.at, `more than ${this.env.limits.lines} lines; the rest is not read`);
      this.full = true;
      if (this.recording) this.recording.poisoned = true;
      return;
    }
    this.emitted++;
    this.ready.push(line);
    const recording = this.recording;
    if (recording) {
      const index = line.at.line;
      recording.events.push(line.at.file === recording.file && this.recordedLines!.madeAt(index) === line ? index : { kind: 'line', line });
    }
  }
}

function mentionsVirtlint(line: LogicalLine): boolean {
  return line.raw.includes('virtlint');
}

function copiesOf(tokens: readonly Token[], from: number): Token[] {
  const out: Token[] = [];
  for (let i = from; i < tokens.length; i++) out.push(copyToken(tokens[i]!));
  return out;
}

/** The next logical line if it is text: a directive or the end of the file ends a macro's arguments. */
function nextTextLine(reader: LineReader, needParen: boolean): LogicalLine | undefined {
  const skipped: LogicalLine[] = [];
  for (;;) {
    const next = reader.next();
    if (!next) break;
    const isDirective = next.first >= 0 && next.code.charCodeAt(next.first) === HASH;
    if (isDirective) {
      reader.unread(next);
      break;
    }
    if (!needParen) return next;
    if (next.first < 0 && skipped.length < 16) {
      skipped.push(next);
      continue;
    }
    if (next.code.charCodeAt(next.first) === 40 /* ( */ && skipped.length === 0) return next;
    reader.unread(next);
    break;
  }
  for (let k = skipped.length - 1; k >= 0; k--) reader.unread(skipped[k]!);
  return undefined;
}

function useOf(macro: Macro, name: Token, last: Token): MacroUse {
  const line = name.line!;
  const k = partAt(line, name.start!);
  const part = line.parts[k]!;
  const partEnd = k + 1 < line.starts.length ? line.starts[k + 1]! : line.code.length;
  const sameLine = last.line === line && endOf(last) <= partEnd;
  let columns: ColumnSpan | undefined;
  if (part.verbatim) {
    const start = name.start! - line.starts[k]!;
    const end = (sameLine ? endOf(last) : partEnd) - line.starts[k]!;
    columns = { start, end: Math.min(end, part.text.length) };
  }
  return macroUse(macro.name, 'cpp', macro.definedAt, part.at, columns);
}

/**
 * The expanded line's text: the written text where tokens are as written, single spaces elsewhere.
 * A run of tokens that follow each other as written goes in as one slice of the line.
 */
function textOf(line: LogicalLine, out: readonly Token[], dollars: boolean): string {
  let text = line.code.slice(0, Math.max(0, line.first));
  let prev: Token | undefined;
  /** Where the run of written tokens that `prev` ends starts, -1 when `prev` is not written. */
  let runStart = -1;
  for (let k = 0; k < out.length; k++) {
    const t = out[k]!;
    const written = t.line !== undefined;
    if (prev && runStart >= 0 && followsAsWritten(prev, t)) {
      prev = t;
      continue;
    }
    if (prev) {
      if (runStart >= 0) text += prev.line!.code.slice(runStart, endOf(prev));
      if (t.space || wouldPaste(prev, t, dollars)) text += ' ';
    }
    if (written) runStart = t.start!;
    else {
      runStart = -1;
      text += t.text;
    }
    prev = t;
  }
  if (prev && runStart >= 0) text += prev.line!.code.slice(runStart, endOf(prev));
  return text.trimEnd();
}
