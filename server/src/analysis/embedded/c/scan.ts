// The C/C++ front end: one pass over the host file with the preprocessor's conditionals and
// macros (its own and its headers'), finding GNU asm statements (written in the code or made by
// a macro invocation whose arguments decide the template), asm statements in the file's own
// `#define`s whose body alone decides them, MSVC `__asm`, and intrinsic calls.
import type { Bits, MacroStep, Range, RelatedLocation } from '../../types';
import type { SourceReader } from '../../project/source';
import { intrinsicNameHashes, intrinsicNamed, type IntrinsicEntry } from '../intrinsics';
import { NameHashes, onIncludeLine, someIdentifier } from './nameFilter';
import { emptyList } from '../../syntax/emptyList';
import type { AsmBlock, EmbeddedScan, FrontEndProblem, HostBuild, HostComment, IntrinsicCall } from '../types';
import { ConditionStack } from './conditionals';
import { CMacroCache, hasAffixes, includeSpecOf, Includes, noteIncludeGuard, pastedNameAffixes, pastesArgumentToName, readDirective, READ_WHEN_SKIPPING } from './directives';
import { expandTokens, type AsmOnlyExpansion, type ExpandContext } from './expand';
import { GNU_ASM_KEYWORDS, GNU_ASM_QUALIFIERS, readGnuAsm, type GnuAsmStatement } from './gnuAsm';
import { CLexer, warmUpLexer, type CToken, type CTokenKind } from './lexer';
import { builtinMacros, MacroTable, parseDefine, type BuildFacts } from './macros';
import { readMsvcAsm, startsMsvcAsm, statementText, type MsvcAsm } from './msvc';
import { operandKind, type OperandKind, type Width } from './operands';
import { SourceFile, fromSource, fromToken, type CMacro, type ViaStep, type XToken } from './source';
import { asmLines, printTemplate, type TemplateOperand } from './template';
import { declaredWidth } from './ctypes';
import {
  checkpointAt, checkpointBefore, PositionShift, sameKey, sameMemo, sameWidthsAs, START, textEdit,
  type Checkpoint, type CIncrementalState, type CScanRecord, type MemoNote, type TextEdit, type WidthNote,
} from './incremental';

export interface CScanOptions {
  language: 'c' | 'cpp';
  build?: HostBuild;
  /** Absolute path of the host file (include resolution, macro locations). */
  path?: string;
  reader?: SourceReader;
  /** `-I` paths, absolute, `/`-separated. */
  includePaths?: readonly string[];
  /** Kept by the caller across files so each header is read once. */
  macros?: CMacroCache;
  /** Kept by the caller across scans of one document: an edited copy is read again only where the edit reaches. */
  incremental?: CIncrementalState;
}

const DEPTH_LIMIT = 64;
const RECENT = 8;
const NO_DEFINES: ReadonlyMap<string, string> = new Map();
const TOKEN_BUDGET = 200_000;
/** Tokens one asm statement or macro invocation may span before it is taken as unterminated. */
const GATHER_LIMIT = 50_000;

const HASH = 35;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const SEMICOLON = 59;
const COMMA = 44;
const EQUALS = 61;
const CLOSE_PAREN = 41;
const OPEN_BRACKET = 91;

/** Words after which `name(` is an expression (a call), not a declaration. */
const EXPRESSION_KEYWORDS = new Set(['return', 'case', 'else', 'do', 'sizeof', 'typeof', '__typeof__', 'co_return', 'co_yield', 'throw', 'defined']);

type Mode = 'code' | 'definition';

/** The words that start GNU or MSVC asm. */
const ASM_WORDS: ReadonlySet<string> = new Set([...GNU_ASM_KEYWORDS, '_asm']);
const ASM_WORD_HASHES = new NameHashes();
for (const word of ASM_WORDS) ASM_WORD_HASHES.add(word);

/** Where a statement stands in the file's conditionals: one shape for every statement (`block` reads `bits` of each). */
class BranchFacts {
  constructor(
    readonly undecided: boolean,
    /** 0: the build's. */
    readonly bits: Bits | 0,
  ) {}

  /** As blocks and calls show them: a property only where it says something. */
  shown(): { undecidedBranch?: boolean; bits?: Bits } {
    const out: { undecidedBranch?: boolean; bits?: Bits } = {};
    if (this.undecided) out.undecidedBranch = true;
    if (this.bits !== 0) out.bits = this.bits;
    return out;
  }
}

interface MacroFacts {
  macroChain: MacroStep[];
  related: RelatedLocation[];
}

/**
 * A block some macro made. Its macro chain and the body's place (positions in headers) are made
 * when first read: only a block with a finding is asked (a class: no closures per block).
 */
class MacroMadeBlock implements AsmBlock {
  declare readonly undecidedBranch?: boolean;
  declare readonly bits?: Bits;
  private made: MacroFacts | undefined;

  constructor(
    readonly form: AsmBlock['form'],
    readonly syntax: AsmBlock['syntax'],
    readonly lines: AsmBlock['lines'],
    readonly range: Range,
    readonly keywordRange: Range,
    facts: { undecidedBranch?: boolean; bits?: Bits },
    private readonly scanner: CScanner,
    private readonly keyword: XToken,
  ) {
    Object.assign(this, facts);
  }

  get macroChain(): MacroStep[] {
    return this.facts().macroChain;
  }

  get related(): RelatedLocation[] {
    return this.facts().related;
  }

  private facts(): MacroFacts {
    return (this.made ??= this.scanner.macroFacts(this.keyword));
  }

  /** What a plain block shows, not the scanner it reads its macro facts from. */
  toJSON(): AsmBlock {
    const { form, syntax, lines, range, keywordRange, macroChain, related, undecidedBranch, bits } = this;
    return { form, syntax, lines, range, keywordRange, macroChain, related, undecidedBranch, bits };
  }
}

export class CScanner {
  private readonly host: SourceFile;
  private readonly lexer: CLexer;
  private readonly build: BuildFacts;
  private readonly table: MacroTable;
  private readonly conditions: ConditionStack;
  private readonly includes: Includes;
  private readonly syntax: 'att' | 'intel';
  // Lists `checkpoint` reads the length of, empty or not: `emptyList`.
  private readonly blocks = emptyList<AsmBlock>();
  private readonly intrinsics = emptyList<IntrinsicCall>();
  private readonly problems = emptyList<FrontEndProblem>();
  private readonly comments: HostComment[];
  private readonly holdsAsmMemo = new Map<CMacro, boolean>();
  /** A `#define` of this file holds asm (`pastedNameMayMakeAsm`). */
  private ownMacroHoldsAsm = false;
  /**
   * The macro each name denotes until the next directive (only directives change the table or
   * the headers the includes reach): the names expansions ask about repeat, and one probe of
   * this small map replaces the file's table and the build's definitions (null: no macro).
   */
  private macrosInForce = new Map<string, CMacro | null>();
  private readonly asmOnly: AsmOnlyExpansion = {
    holdsAsm: (macro) => this.holdsAsm(macro),
    mayMakeAsm: (name, hash) => {
      if (!this.includes.mayName(hash)) return false;
      if (GNU_ASM_KEYWORDS.has(name)) return true;
      const macro = this.macroInForce(name);
      return macro !== undefined && this.holdsAsm(macro);
    },
    keywords: GNU_ASM_KEYWORDS,
    qualifiers: GNU_ASM_QUALIFIERS,
  };
  private readonly typeWidths = new Map<string, Width>();
  private braceDepth = 0;
  /** Where each open `#if` group started (for a group never closed). */
  private readonly openGroups: CToken[] = [];
  private instance = 0;
  /**
   * The last code tokens, a ring of numbers (declarations, call contexts): most tokens are only
   * looked at, and a name's text is cut only when a declaration or a call asks for it.
   */
  private readonly recentKinds: CTokenKind[] = new Array<CTokenKind>(RECENT).fill('eof');
  private readonly recentStarts = new Int32Array(RECENT);
  private readonly recentEnds = new Int32Array(RECENT);
  /** A one-character punctuator's character, else -1 (its text may not be the host's: `msvc`). */
  private readonly recentPunct = new Int32Array(RECENT);
  private recentCount = 0;
  // What the next scan of an edited copy needs (incremental.ts).
  private readonly key: readonly unknown[];
  private readonly checkpoints: Checkpoint[] = [];
  private directiveOffsets: number[] = [];
  private readonly widthNotes: WidthNote[] = [];
  private readonly memoNotes: MemoNote[] = [];
  private directiveDepth = 0;
  private replaying = false;
  private rawText = false;
  /** Set while reading an edited copy: the old scan, the edit, and the checkpoint reading resumed at. */
  private resumed: { record: CScanRecord; edit: TextEdit; from: Checkpoint; widths: ReadonlyMap<string, Width> } | undefined;

  constructor(text: string, private readonly options: CScanOptions) {
    this.host = new SourceFile(options.path ?? '', text, true);
    warmUpLexer();
    this.lexer = new CLexer(text, this.host.lineAndColumn);
    this.comments = this.lexer.comments;
    const build = options.build ?? {};
    const cache = options.macros ?? new CMacroCache();
    const defines = cache.sharedDefines(build.defines ?? NO_DEFINES);
    this.build = { language: options.language, bits: build.bits ?? 64, defines, definesComplete: build.definesComplete === true };
    this.syntax = build.asmSyntax ?? 'att';
    const builtins = builtinMacros(this.build);
    const includes = new Includes(options.reader, options.includePaths ?? [], cache, this.build, builtins, [ASM_WORD_HASHES, intrinsicNameHashes(options.language)]);
    this.includes = includes;
    this.table = new MacroTable(includes);
    this.conditions = new ConditionStack({ table: this.table, definesComplete: this.build.definesComplete, depthLimit: DEPTH_LIMIT });
    this.key = [includes.buildCache, this.syntax, options.language, this.host.path];
  }

  run(): EmbeddedScan {
    if (this.nothingToFind()) {
      this.keep(undefined);
      return { blocks: [], intrinsics: [], comments: [], problems: [] };
    }
    const previous = this.options.incremental?.record;
    if (previous && sameKey(previous.key, this.key) && !previous.rawText) {
      if (previous.host.text === this.host.text) return this.finish(previous);
      this.resume(previous);
    }
    const lexer = this.lexer;
    const text = this.host.text;
    const scanned = lexer.scanned;
    for (;;) {
      if (!this.conditions.active) lexer.skipToDirective();
      lexer.scanNext();
      const kind = scanned.kind;
      if (kind === 'eof') break;
      const start = scanned.start;
      const end = scanned.end;
      // A one-character punctuator's character: the code loop compares no texts.
      const punct = kind === 'punct' && end - start === 1 ? text.charCodeAt(start) : -1;
      if (punct === HASH && scanned.bol) {
        this.directive(lexer.tokenOfScanned());
        continue;
      }
      if (kind === 'punct') {
        this.punctuator(start, end, punct);
        if ((punct === CLOSE_BRACE || punct === SEMICOLON) && this.braceDepth === 0) {
          const converged = this.checkpoint(end);
          if (converged) return this.finish(converged);
        }
      } else if (kind !== 'ident' || !this.includes.mayName(scanned.hash)) {
        // Most names are none the build knows: no set or table need be asked about them.
        this.remember(kind, start, end, -1);
      } else {
        this.name(start, end);
      }
    }
    return this.finish(this.recordNow());
  }

  /** The results of a record, kept for the next scan when the caller asked for that. */
  private finish(record: CScanRecord): EmbeddedScan {
    this.keep(record);
    const host = record.host;
    const problems: FrontEndProblem[] = record.problems.slice();
    const range = (start: number, end: number): Range => ({ start: host.position(start), end: host.position(end) });
    for (const p of record.lexProblems) problems.push({ range: range(p.start, p.end), message: p.message });
    for (const hash of record.openGroups) problems.push({ range: range(hash.start, hash.end), message: 'conditional directive without #endif' });
    return { blocks: record.blocks, intrinsics: record.intrinsics, comments: record.comments, problems };
  }

  private keep(record: CScanRecord | undefined): void {
    const state = this.options.incremental;
    if (!state) return;
    if (record) state.record = record;
    else delete state.record;
  }

  private recordNow(): CScanRecord {
    const openGroups: { start: number; end: number }[] = [];
    for (const hash of this.openGroups) openGroups.push({ start: hash.start, end: hash.end });
    return {
      key: this.key, host: this.host, checkpoints: this.checkpoints, directiveOffsets: this.directiveOffsets, widths: this.widthNotes, memo: this.memoNotes,
      blocks: this.blocks, intrinsics: this.intrinsics, comments: this.comments, problems: this.problems, lexProblems: this.lexer.problems, openGroups, rawText: this.rawText,
    };
  }

  // ---- reading an edited copy (incremental.ts) -----------------------------------------------

  /** Restores the state the old scan had at its last checkpoint before the edit, and reads on from there. */
  private resume(record: CScanRecord): void {
    const edit = textEdit(record.host.text, this.host.text);
    this.host.seedFromEdit(record.host, edit.start, edit.oldEnd, edit.newEnd);
    const { checkpoint: from, index } = checkpointBefore(record.checkpoints, edit.start);
    this.replaying = true;
    const memo = record.memo;
    let m = 0;
    for (let k = 0; k <= from.directives; k++) {
      for (; m < from.memo && memo[m]!.directives === k; m++) {
        const macro = this.table.get(memo[m]!.name);
        if (macro) this.holdsAsm(macro);
      }
      if (k === from.directives) break;
      this.lexer.seek(record.directiveOffsets[k]!, true);
      this.directive(this.lexer.next());
    }
    this.replaying = false;
    this.directiveOffsets = record.directiveOffsets.slice(0, from.directives);
    for (let k = 0; k < from.widths; k++) {
      const note = record.widths[k]!;
      this.noteWidth(note.name, note.width);
    }
    for (let k = 0; k < from.memo; k++) this.memoNotes.push(memo[k]!);
    for (let k = 0; k <= index; k++) this.checkpoints.push(record.checkpoints[k]!);
    replaceWith(this.blocks, record.blocks, from.blocks);
    replaceWith(this.intrinsics, record.intrinsics, from.intrinsics);
    replaceWith(this.problems, record.problems, from.problems);
    replaceWith(this.comments, record.comments, from.comments);
    replaceWith(this.lexer.problems, record.lexProblems, from.lexProblems);
    this.instance = from.instance;
    this.braceDepth = 0;
    this.recentCount = 0;
    if (from !== START) this.remember('punct', from.offset - 1, from.offset, CLOSE_BRACE);
    this.lexer.seek(from.offset, from === START);
    this.lexer.quiet = !this.conditions.active;
    this.resumed = { record, edit, from, widths: new Map(this.typeWidths) };
  }

  /**
   * Notes a checkpoint after a top-level `}` or `;` ending at `offset`. Past the edit, when the
   * old scan had one at the same place with the same state, the scan is over: the old record's
   * rest, moved by the edit, completes this one (returned).
   */
  private checkpoint(offset: number): CScanRecord | undefined {
    const here: Checkpoint = {
      offset, blocks: this.blocks.length, intrinsics: this.intrinsics.length, problems: this.problems.length, comments: this.comments.length,
      lexProblems: this.lexer.problems.length, instance: this.instance, directives: this.directiveOffsets.length, widths: this.widthNotes.length, memo: this.memoNotes.length,
    };
    this.checkpoints.push(here);
    const resumed = this.resumed;
    if (!resumed || offset < resumed.edit.newEnd) return undefined;
    const { record, edit, from, widths } = resumed;
    const delta = edit.newEnd - edit.oldEnd;
    const at = checkpointAt(record.checkpoints, offset - delta);
    if (at < 0) return undefined;
    const old = record.checkpoints[at]!;
    if (here.directives !== from.directives || old.directives !== from.directives || here.instance - from.instance !== old.instance - from.instance) return undefined;
    if (!sameWidthsAs(this.typeWidths, widths, this.widthNotes, from.widths, record.widths, from.widths, old.widths)) return undefined;
    // Which macros were asked about matters only if a later directive can change the answers.
    const directivesFollow = old.directives < record.directiveOffsets.length;
    if (directivesFollow && !sameMemo(this.memoNotes, from.memo, here.memo, record.memo, from.memo, old.memo)) return undefined;
    return this.spliced(record, at, edit);
  }

  /**
   * Macros the old scan asked about between the two checkpoints and this one did not: this scan
   * asks first somewhere after here, where no directive follows, so with the macros in force here.
   */
  private noteMemoOnlyOldAsked(record: CScanRecord, from: Checkpoint, old: Checkpoint): void {
    const here = this.checkpoints[this.checkpoints.length - 1]!;
    const asked = new Set<string>();
    for (let k = from.memo; k < here.memo; k++) asked.add(this.memoNotes[k]!.name);
    for (let k = from.memo; k < old.memo; k++) {
      const name = record.memo[k]!.name;
      if (!asked.has(name)) this.memoNotes.push({ directives: here.directives, name });
    }
  }

  /** This scan up to its last checkpoint, then the old record's rest from its checkpoint `at`, moved by the edit. */
  private spliced(record: CScanRecord, at: number, edit: TextEdit): CScanRecord {
    const old = record.checkpoints[at]!;
    const here = this.checkpoints[this.checkpoints.length - 1]!;
    const delta = edit.newEnd - edit.oldEnd;
    const shift = new PositionShift(record.host.position(edit.oldEnd), this.host.position(edit.newEnd), this.host.path);
    const still = shift.isIdentityFrom(record.host.position(old.offset));
    for (let k = old.blocks; k < record.blocks.length; k++) this.blocks.push(still ? record.blocks[k]! : shift.block(record.blocks[k]!));
    for (let k = old.intrinsics; k < record.intrinsics.length; k++) this.intrinsics.push(still ? record.intrinsics[k]! : shift.intrinsic(record.intrinsics[k]!));
    for (let k = old.problems; k < record.problems.length; k++) {
      const p = record.problems[k]!;
      this.problems.push(still ? p : { range: shift.range(p.range), message: p.message });
    }
    for (let k = old.comments; k < record.comments.length; k++) this.comments.push(still ? record.comments[k]! : shift.comment(record.comments[k]!));
    const lexProblems = this.lexer.problems;
    for (let k = old.lexProblems; k < record.lexProblems.length; k++) {
      const p = record.lexProblems[k]!;
      lexProblems.push({ start: p.start + delta, end: p.end + delta, message: p.message });
    }
    for (let k = old.widths; k < record.widths.length; k++) this.widthNotes.push(record.widths[k]!);
    this.noteMemoOnlyOldAsked(record, this.resumed!.from, old);
    const memoBase = this.memoNotes.length;
    for (let k = old.memo; k < record.memo.length; k++) this.memoNotes.push(record.memo[k]!);
    for (const offset of record.directiveOffsets.slice(old.directives)) this.directiveOffsets.push(offset + delta);
    for (let k = at + 1; k < record.checkpoints.length; k++) {
      const c = record.checkpoints[k]!;
      this.checkpoints.push({
        offset: c.offset + delta,
        blocks: c.blocks - old.blocks + here.blocks,
        intrinsics: c.intrinsics - old.intrinsics + here.intrinsics,
        problems: c.problems - old.problems + here.problems,
        comments: c.comments - old.comments + here.comments,
        lexProblems: c.lexProblems - old.lexProblems + here.lexProblems,
        instance: c.instance - old.instance + here.instance,
        directives: c.directives - old.directives + here.directives,
        widths: c.widths - old.widths + here.widths,
        memo: c.memo - old.memo + memoBase,
      });
    }
    const openGroups: { start: number; end: number }[] = [];
    for (const hash of record.openGroups) openGroups.push(hash.start < old.offset ? hash : { start: hash.start + delta, end: hash.end + delta });
    return { ...this.recordNow(), openGroups, rawText: record.rawText };
  }

  /**
   * The pre-filter: a file that names no asm keyword (outside its `#include` lines), no
   * intrinsic, no header macro that may make asm, pastes no names and has no `virtlint-`
   * comment cannot hold anything to report, so it is not lexed (an unterminated comment or `#if` in it goes unreported). Only when
   * every header it includes has been read: the names of unread ones are not known yet.
   */
  private nothingToFind(): boolean {
    const text = this.host.text;
    if (text.includes('virtlint-') || text.includes('##') || text.includes('%:%:')) return false;
    const asmNames = this.includes.asmNames;
    const language = this.options.language;
    const wanted = (name: string, start: number): boolean => {
      if (ASM_WORDS.has(name)) return !onIncludeLine(text, start);
      return asmNames.has(name) || intrinsicNamed(name, language) !== undefined;
    };
    const unknownInclude = (hash: number): boolean => !this.includes.knownInclude(text, hash, this.options.path);
    return !someIdentifier(text, [ASM_WORD_HASHES, asmNames.hashes, intrinsicNameHashes(language)], wanted, unknownInclude);
  }

  private range(start: number, end: number): Range {
    return { start: this.host.position(start), end: this.host.position(end) };
  }

  private problem(start: number, end: number, message: string): void {
    this.problems.push({ range: this.range(start, end), message });
  }

  // ---- directives ---------------------------------------------------------------------------

  private directive(hash: CToken): void {
    this.directiveOffsets.push(hash.start);
    this.directiveDepth++;
    this.forgetMacrosInForce();
    try {
      this.runDirective(hash);
    } finally {
      this.directiveDepth--;
      this.forgetMacrosInForce();
    }
  }

  private runDirective(hash: CToken): void {
    const d = readDirective(this.lexer, hash, this.conditions.active ? undefined : READ_WHEN_SKIPPING);
    if (this.conditions.active && (d.name === 'ifndef' || d.name === 'if')) noteIncludeGuard(this.lexer, this.table, d);
    if (d.name === 'if' || d.name === 'ifdef' || d.name === 'ifndef') this.openGroups.push(hash);
    else if (d.name === 'endif') this.openGroups.pop();
    if (ConditionStack.takes(d.name) && this.conditions.handle(d.name, d.tokens, this.host)) {
      this.lexer.quiet = !this.conditions.active;
      return;
    }
    if (!this.conditions.active) return;
    if (d.name === 'define') {
      const macro = parseDefine(d.tokens, this.host);
      if (!macro) return;
      this.includes.noteDefined(d.tokens[0]!.hash);
      this.table.define(macro);
      this.definitionIntrinsics(macro);
      if (this.holdsAsm(macro)) {
        this.ownMacroHoldsAsm = true;
        this.definitionBlocks(macro);
      }
    } else if (d.name === 'undef' && d.tokens[0]?.kind === 'ident') {
      this.table.undef(d.tokens[0].text);
    } else if (d.name === 'include' || d.name === 'include_next' || d.name === 'import') {
      const spec = includeSpecOf(d, this.host.text);
      if (spec) this.includes.include(spec, this.options.path);
    }
  }

  /** The next token the preprocessor reads: in a branch it does not take, only the next directive's `#`. */
  private nextToken(): CToken {
    if (!this.conditions.active) this.lexer.skipToDirective();
    return this.lexer.next();
  }

  /** Whether expanding the macro can make an asm statement. `seen`: the macros whose bodies are being read, outermost first (none when asked from outside). */
  private holdsAsm(macro: CMacro, seen?: Set<CMacro>): boolean {
    const known = this.holdsAsmMemo.get(macro);
    if (known !== undefined) return known;
    if (seen === undefined) {
      // The answer depends on the macros in force when first asked: a resumed scan asks again at the same point.
      if (this.directiveDepth === 0 && !this.replaying) this.memoNotes.push({ directives: this.directiveOffsets.length, name: macro.name });
      seen = new Set();
    }
    if (seen.has(macro) || seen.size > DEPTH_LIMIT) return false;
    seen.add(macro);
    let holds = false;
    const body = macro.body;
    for (let i = 0; i < body.length; i++) {
      const b = body[i]!;
      // `__loadsegment_ ## seg`: the argument chooses the name, among those the words around it allow.
      if (b.paste && pastesArgumentToName(body, i)) holds = this.pastedNameMayMakeAsm(macro, i, seen);
      if (holds) break;
      // A name the build knows nothing under is no asm keyword and no macro.
      if (b.kind !== 'ident' || b.param >= 0 || !this.includes.mayName(b.hash)) continue;
      if (GNU_ASM_KEYWORDS.has(b.text)) holds = true;
      else {
        const inner = this.table.get(b.text);
        if (inner && inner !== macro && this.holdsAsm(inner, seen)) holds = true;
      }
      if (holds) break;
    }
    seen.delete(macro);
    this.holdsAsmMemo.set(macro, holds);
    return holds;
  }

  /**
   * Whether the name the paste at `paste` in the macro's body makes may be an asm keyword or a
   * macro in force that holds asm. Only names that start and end with the words around the
   * argument are asked (`____is_defined(__ARG_PLACEHOLDER_ ## val)` in every `IS_ENABLED` makes
   * none), among the build's `asmNames`: once one of this file's own macros holds asm, a header
   * macro outside them may too, and the paste is taken to make asm.
   */
  private pastedNameMayMakeAsm(macro: CMacro, paste: number, seen: Set<CMacro>): boolean {
    const affixes = pastedNameAffixes(macro.body, paste);
    if (!affixes || this.ownMacroHoldsAsm) return true;
    const { prefix, suffix } = affixes;
    for (const keyword of GNU_ASM_KEYWORDS) if (hasAffixes(keyword, prefix, suffix)) return true;
    for (const name of this.includes.asmNames.withAffixes(prefix, suffix)) {
      const inner = this.table.get(name);
      if (inner !== undefined && inner !== macro && this.holdsAsm(inner, seen)) return true;
    }
    return false;
  }

  /** Asm statements a `#define` of this file holds whose template its body alone decides: reported at the body. */
  private definitionBlocks(macro: CMacro): void {
    const tokens: XToken[] = [];
    for (const b of macro.body) {
      const x = fromSource(b, b.param >= 0);
      if (b.param >= 0) x.hide = { name: b.text, rest: null, size: 1 };
      tokens.push(x);
    }
    this.statementsIn(tokens, 'definition', false);
  }

  private definitionIntrinsics(macro: CMacro): void {
    const body = macro.body;
    for (let i = 0; i < body.length; i++) {
      const b = body[i]!;
      if (b.kind !== 'ident' || body[i + 1]?.text !== '(') continue;
      const before = body[i - 1];
      if (before && before.kind === 'ident' && !EXPRESSION_KEYWORDS.has(before.text)) continue;
      this.intrinsic(b.text, b.start, b.end);
    }
  }

  // ---- code ---------------------------------------------------------------------------------

  /** `punct`: a one-character punctuator's character, else -1. */
  private remember(kind: CTokenKind, start: number, end: number, punct: number): void {
    const slot = this.recentCount++ % RECENT;
    this.recentKinds[slot] = kind;
    this.recentStarts[slot] = start;
    this.recentEnds[slot] = end;
    this.recentPunct[slot] = punct;
  }

  private rememberToken(t: CToken): void {
    this.remember(t.kind, t.start, t.end, t.kind === 'punct' && t.text.length === 1 ? t.text.charCodeAt(0) : -1);
  }

  /** The ring's slot of the code token `back` places before the current one (1: the last one), or -1. */
  private before(back: number): number {
    return back <= RECENT && back <= this.recentCount ? (this.recentCount - back) % RECENT : -1;
  }

  private recentText(slot: number): string {
    const punct = this.recentPunct[slot]!;
    return punct >= 0 ? String.fromCharCode(punct) : this.host.text.slice(this.recentStarts[slot], this.recentEnds[slot]);
  }

  /** The code token `back` places before the current one, as statements compare it. */
  private recentToken(back: number): { kind: CTokenKind; text: string } | undefined {
    const slot = this.before(back);
    return slot < 0 ? undefined : { kind: this.recentKinds[slot]!, text: this.recentText(slot) };
  }

  /** `punct`: its character when it is one, else -1. */
  private punctuator(start: number, end: number, punct: number): void {
    if (punct === OPEN_BRACE) this.braceDepth++;
    else if (punct === CLOSE_BRACE) this.braceDepth = Math.max(0, this.braceDepth - 1);
    else this.noteDeclaration(punct);
    this.remember('punct', start, end, punct);
  }

  /**
   * A name the build may know (`mayName`), the lexer's `scanned` token: its object is made only
   * for an asm statement, and the token after it is peeked only after an intrinsic's name.
   */
  private name(start: number, end: number): void {
    const name = this.host.text.slice(start, end);
    if ((name === '__asm' || name === '_asm') && startsMsvcAsm(this.host.text, end)) {
      this.msvc(this.lexer.tokenOfScanned());
      return;
    }
    if (GNU_ASM_KEYWORDS.has(name)) {
      this.gnuStatement(this.lexer.tokenOfScanned(), undefined);
      return;
    }
    const macro = this.table.get(name);
    // Neither the table nor `holdsAsm` reads this lexer: `scanned` is still the name.
    if (macro && !macro.builtin && this.holdsAsm(macro)) {
      this.gnuStatement(this.lexer.tokenOfScanned(), macro);
      return;
    }
    if (intrinsicNamed(name, this.options.language) !== undefined) {
      const next = this.lexer.peek();
      if (next.text === '(' && !next.bol && this.isCall()) this.intrinsic(name, start, end);
    }
    this.remember('ident', start, end, -1);
  }

  private isCall(): boolean {
    const before = this.before(1);
    if (before >= 0 && this.recentKinds[before] === 'ident' && !EXPRESSION_KEYWORDS.has(this.recentText(before))) return false;
    return this.braceDepth > 0;
  }

  private intrinsic(name: string, start: number, end: number): void {
    const entry = intrinsicNamed(name, this.options.language);
    if (!entry) return;
    const call: IntrinsicCall = {
      name, range: this.range(start, end), instruction: (bits: Bits) => entry.instruction(bits), ...intrinsicFacts(entry), ...this.branchFacts().shown(),
    };
    this.intrinsics.push(call);
  }

  private branchFacts(): BranchFacts {
    return new BranchFacts(this.conditions.undecided, this.conditions.bits ?? 0);
  }

  /** `u16 sel;`, `unsigned long flags =`, `(unsigned short seg)`: the width of the name just declared. */
  private noteDeclaration(punct: number): void {
    if (punct !== SEMICOLON && punct !== COMMA && punct !== EQUALS && punct !== CLOSE_PAREN && punct !== OPEN_BRACKET) return;
    const name = this.before(1);
    if (name < 0 || this.recentKinds[name] !== 'ident') return;
    const words: string[] = [];
    for (let back = 2, w = this.before(back); w >= 0 && this.recentKinds[w] === 'ident'; w = this.before(++back)) words.push(this.recentText(w));
    const width = declaredWidth(words, this.build.bits);
    if (width) this.noteWidth(this.recentText(name), width);
  }

  private noteWidth(name: string, width: Width): void {
    this.typeWidths.set(name, width);
    this.widthNotes.push({ name, width });
  }

  /** The tokens of a statement from `first` through its parenthesised group, directives handled on the way. */
  private gather(first: CToken, macro: CMacro | undefined): CToken[] | undefined {
    const tokens: CToken[] = [first];
    if (macro?.params) {
      if (!isOpenParenthesis(this.lexer.peek())) return undefined;
    } else {
      // Qualifiers (or more macros) up to the `(`.
      for (let k = 0; k < 8; k++) {
        const next = this.lexer.peek();
        if (next.kind !== 'ident' || (next.bol && macro)) break;
        tokens.push(this.lexer.next());
      }
      if (!isOpenParenthesis(this.lexer.peek())) return macro ? tokens : undefined;
    }
    let depth = 0;
    for (;;) {
      const t = this.nextToken();
      if (t.kind === 'eof' || tokens.length > GATHER_LIMIT) {
        this.problem(first.start, tokens[tokens.length - 1]!.end, `${first.text}: no closing parenthesis`);
        return undefined;
      }
      if (t.bol && t.text === '#') {
        this.directive(t);
        continue;
      }
      tokens.push(t);
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return tokens;
    }
  }

  private gnuStatement(first: CToken, macro: CMacro | undefined): void {
    const facts = this.branchFacts();
    const topLevel = this.braceDepth === 0;
    const before = this.recentToken(1);
    const tokens = this.gather(first, macro);
    this.rememberToken(first);
    if (!tokens) return;
    const xs: XToken[] = [];
    for (const t of tokens) xs.push(fromToken(t, this.host, true));
    this.statementsIn(xs, 'code', topLevel, facts, before);
  }

  private macroInForce(name: string): CMacro | undefined {
    const known = this.macrosInForce.get(name);
    if (known !== undefined) return known ?? undefined;
    const macro = this.table.get(name);
    this.macrosInForce.set(name, macro ?? null);
    return macro;
  }

  private forgetMacrosInForce(): void {
    if (this.macrosInForce.size > 0) this.macrosInForce = new Map();
  }

  private expandContext(): ExpandContext {
    return {
      // A name the build knows nothing under is no macro: neither map need be asked.
      lookup: (name, hash) => (this.includes.mayName(hash) ? this.macroInForce(name) : undefined),
      forCondition: false,
      definedness: () => 'unknown',
      depthLimit: DEPTH_LIMIT,
      tokenBudget: TOKEN_BUDGET,
      made: 0,
      stopped: undefined,
    };
  }

  /** `before`: the code token before `tokens` (for an asm label right after a declarator). */
  private statementsIn(tokens: XToken[], mode: Mode, topLevel: boolean, facts = this.branchFacts(), before?: { kind: string; text: string }): void {
    const ctx = this.expandContext();
    const expanded = expandTokens(tokens, ctx, this.asmOnly);
    if (ctx.stopped) {
      const first = tokens[0]!;
      const last = tokens[tokens.length - 1]!;
      this.problem(first.start, last.end, ctx.stopped === 'depth' ? 'macro expansion nested too deeply' : 'macro expansion too large');
    }
    let depth = 0;
    for (let i = 0; i < expanded.length; i++) {
      const t = expanded[i]!;
      if (t.kind === 'punct') {
        if (t.text === '{') depth++;
        else if (t.text === '}') depth = Math.max(0, depth - 1);
        continue;
      }
      if (t.kind !== 'ident' || !GNU_ASM_KEYWORDS.has(t.text)) continue;
      const atTop = topLevel && depth === 0;
      const read = readGnuAsm(expanded, i, atTop);
      if (!read) continue;
      const previous = i > 0 ? expanded[i - 1] : before;
      if (!isAsmLabel(read.statement, previous, atTop) && this.reportedHere(read.statement, mode)) this.block(read.statement, facts);
      i = read.end - 1;
    }
  }

  /**
   * Code: the statement is reported here when the code wrote it or its template (an argument
   * made part of it), or when header macros alone make it (the compiler credits each invocation,
   * and the header may not be linted at all: `<cpuid.h>`); a statement the body of one of this
   * file's own macros decides is reported at that body.
   * Definition: when the body decides it (no parameter in the template or constraints), itself
   * or through header macros only.
   */
  private reportedHere(s: GnuAsmStatement, mode: Mode): boolean {
    const decided: XToken[] = [];
    for (const t of s.templateTokens) decided.push(t);
    for (const op of s.operands) for (const t of op.constraintTokens) decided.push(t);
    if (decided.some((t) => t.userArg)) return mode === 'code';
    if (mode === 'code') return s.keyword.userArg || madeByHeadersOnly(s.keyword, decided);
    const isRoot = (t: XToken): boolean => t.via.length === 0 && !t.userArg;
    return isRoot(s.keyword) || decided.some(isRoot) || madeByHeadersOnly(s.keyword, decided);
  }

  private operandsOf(s: GnuAsmStatement): TemplateOperand[] {
    const out: TemplateOperand[] = [];
    const kinds: OperandKind[] = [];
    for (let i = 0; i < s.operands.length; i++) {
      const op = s.operands[i]!;
      let exprText = '';
      for (const t of op.expr) exprText += (t.space && exprText ? ' ' : '') + t.text;
      const kind = operandKind(op.constraint, exprText, i, (n) => kinds[n]);
      kinds.push(kind);
      const single = op.expr.length === 1 && op.expr[0]!.kind === 'ident' ? op.expr[0]!.text : undefined;
      out.push({ name: op.name, kind, typeWidth: single === undefined ? undefined : this.typeWidths.get(single) });
    }
    return out;
  }

  private block(s: GnuAsmStatement, facts: BranchFacts): void {
    const bits = facts.bits === 0 ? this.build.bits : facts.bits;
    const extended = s.form === 'gnu-extended' || s.form === 'gnu-goto';
    const chars = extended
      ? printTemplate(s.template, { syntax: this.syntax, bits, operands: this.operandsOf(s), labels: s.labels, instance: this.instance++ })
      : s.template;
    const k = s.keyword;
    const start = k.anchorStart;
    const end = s.close.anchorEnd >= start ? s.close.anchorEnd : k.anchorEnd;
    const range = this.range(start, end);
    let fallbackStart = -1;
    let fallbackEnd = -1;
    for (const t of s.templateTokens) {
      if (t.anchorStart < 0) continue;
      if (fallbackStart < 0 || t.anchorStart < fallbackStart) fallbackStart = t.anchorStart;
      if (t.anchorEnd > fallbackEnd) fallbackEnd = t.anchorEnd;
    }
    const fallback = fallbackStart >= 0 ? this.range(fallbackStart, fallbackEnd) : range;
    const lines = asmLines(chars, this.host, fallback);
    const keywordRange = this.keywordRange(k);
    if (k.via.length === 0) {
      this.blocks.push({ form: s.form, syntax: this.syntax, lines, range, keywordRange, ...facts.shown() });
      return;
    }
    this.blocks.push(new MacroMadeBlock(s.form, this.syntax, lines, range, keywordRange, facts.shown(), this, k));
  }

  private keywordRange(k: XToken): Range {
    if (k.via.length === 0) return this.range(k.start, k.end);
    const outer = k.via[0]!;
    if (outer.file?.isHost) return this.range(outer.start, outer.end);
    return this.range(k.anchorStart, k.anchorEnd);
  }

  /** For a keyword some macro made (`k.via` not empty). */
  macroFacts(k: XToken): MacroFacts {
    const chain: MacroStep[] = [];
    for (const step of k.via) chain.push(this.stepOf(step));
    const related: RelatedLocation[] = [];
    if (k.file) {
      const last = k.via[k.via.length - 1]!.macro;
      related.push({ path: k.file.path, range: { start: k.file.position(k.start), end: k.file.position(k.end) }, message: `asm statement in the body of ${last.name}` });
    }
    return { macroChain: chain, related };
  }

  private stepOf(step: ViaStep): MacroStep {
    const macro = step.macro;
    const out: MacroStep = {
      name: macro.name,
      kind: 'cpp',
      invokedAt: step.file
        ? { path: step.file.path, line: step.file.position(step.start).line, range: { start: step.file.position(step.start), end: step.file.position(step.end) } }
        : { path: this.host.path, line: 0 },
    };
    if (!macro.builtin) out.definedAt = { path: macro.file.path, line: macro.file.position(macro.nameStart).line };
    return out;
  }

  // ---- MSVC ---------------------------------------------------------------------------------

  private msvc(keyword: CToken): void {
    this.rawText = true;
    const asm: MsvcAsm = readMsvcAsm(this.host.text, keyword.start, keyword.end);
    const facts = this.branchFacts();
    for (const c of asm.comments) {
      const at = this.host.position(c.start);
      for (const [k, text] of this.host.text.slice(c.start, c.end).split(/\r\n|\r|\n/).entries()) {
        this.comments.push({ line: at.line + k, start: k === 0 ? at.character : 0, text });
      }
    }
    if (asm.unterminated) this.problem(keyword.start, asm.end, `${keyword.text} block: no closing brace`);
    const range = this.range(asm.start, asm.end);
    const lines = [];
    for (const span of asm.lines) {
      const host = this.range(span.start, span.end);
      const text = statementText(this.host.text, span, asm.comments);
      if (/^_emit\b/i.test(text)) {
        // MSVC's `_emit b` puts one byte in the code: MASM's `db`, padded to the same length so the operand keeps its place.
        const keyword = { textStart: 0, textEnd: 5, host: this.range(span.start, span.start + 5), exact: false };
        const rest = text.length > 5 ? [{ textStart: 5, textEnd: text.length, host: this.range(span.start + 5, span.end), exact: true }] : [];
        lines.push({ text: 'db   ' + text.slice(5), segments: [keyword, ...rest], fallback: host });
        continue;
      }
      lines.push({ text, segments: [{ textStart: 0, textEnd: span.end - span.start, host, exact: true }], fallback: host });
    }
    this.blocks.push({ form: asm.form, syntax: 'masm', lines, range, keywordRange: this.range(keyword.start, keyword.end), ...facts.shown() });
    this.lexer.seek(asm.end, false);
    // What follows starts a new statement, as after a `}` or `;`.
    this.remember('punct', asm.end, asm.end, asm.form === 'msvc-block' ? CLOSE_BRACE : SEMICOLON);
  }
}

/** Texts are compared only among punctuators, all internalized (`CLexer`'s `punctuatorText`). */
function isOpenParenthesis(t: CToken): boolean {
  return t.kind === 'punct' && t.text === '(';
}

function replaceWith<T>(target: T[], source: readonly T[], count: number): void {
  target.length = 0;
  for (let k = 0; k < count; k++) target.push(source[k]!);
}

export function scanC(text: string, options: CScanOptions): EmbeddedScan {
  return new CScanner(text, options).run();
}

/** Words after which an asm statement can start. */
const STATEMENT_WORDS = new Set(['else', 'do', '__extension__']);

/**
 * `register void *tos asm("r11")`, `int f(void) __asm__("g")`: an asm label names a register or
 * symbol after a declarator; it is no assembly. It has no `:`, and follows a name or, at file
 * scope, anything but the end of a declaration.
 */
function isAsmLabel(s: GnuAsmStatement, previous: { kind: string; text: string } | undefined, topLevel: boolean): boolean {
  if (s.form !== 'gnu-basic' && s.form !== 'gnu-toplevel') return false;
  if (!previous) return false;
  if (previous.kind === 'ident') return !STATEMENT_WORDS.has(previous.text);
  return topLevel && previous.text !== ';' && previous.text !== '}' && previous.text !== '{';
}

/**
 * No token of the statement was written in the host file, nor made by one of its own macros
 * (whose definition is reported at its body): header macros alone made it.
 */
function madeByHeadersOnly(keyword: XToken, decided: readonly XToken[]): boolean {
  if (touchesHost(keyword)) return false;
  for (const t of decided) if (touchesHost(t)) return false;
  return true;
}

function touchesHost(t: XToken): boolean {
  if (t.file?.isHost) return true;
  for (const step of t.via) if (step.macro.file.isHost) return true;
  return false;
}

/** What an intrinsic call carries from its table entry besides its main instruction. */
function intrinsicFacts(entry: IntrinsicEntry): Pick<IntrinsicCall, 'alsoEmits' | 'validBits'> {
  const facts: { alsoEmits?: (bits: Bits) => readonly string[]; validBits?: readonly Bits[] } = {};
  if (entry.alsoEmits) facts.alsoEmits = (bits) => entry.alsoEmits!(bits);
  if (entry.bits) facts.validBits = entry.bits;
  return facts;
}
