// The Rust front end: finds `asm!`, `global_asm!` and `naked_asm!` calls (under any path,
// `core::arch::asm!`, `std::arch::asm!`, `$crate::…`) and calls of the `core::arch` intrinsics
// that compile to a sensitive instruction, and hands them over with exact source maps.
// A call inside a `macro_rules!` body is reported at the definition when the body alone decides
// its text (string-literal templates, operand classes written out); otherwise it is left alone.
import type { Bits } from '../../types';
import { intrinsicNamed } from '../intrinsics';
import type { AsmBlock, AsmForm, EmbeddedScan, FrontEndProblem, HostBuild, HostComment, IntrinsicCall } from '../types';
import { readArguments, splitArguments } from './asmMacro';
import { ANY_ARCH, CfgRegions, matchDelimiters } from './cfg';
export { MAX_CFG_REGIONS } from './cfg';
import { lexRustFrom, type RustComment, type RustLexResult, type RustToken } from './lexer';
import { decodeString } from './literals';
import { PositionIndex } from '../positions';
import { expandTemplate, type TemplateLiteral } from './template';

export interface RustScanOptions {
  build?: HostBuild;
}

const FORMS: Record<string, AsmForm> = { asm: 'rust-asm', global_asm: 'rust-global-asm', naked_asm: 'rust-naked-asm' };
/** Bounds on garbage: problems reported per file. */
export const MAX_PROBLEMS = 200;

/** Words a file must contain to hold anything this front end reports (checked before lexing). */
const WORTH_LEXING = /asm\s*!|__cpuid|__get_cpuid_max|has_cpuid|_rdtsc|__rdtscp|_xgetbv|eflags/;

function isPunct(token: RustToken | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

export function scanRust(text: string, options: RustScanOptions = {}): EmbeddedScan {
  if (!WORTH_LEXING.test(text)) return EMPTY_SCAN;
  return scanRustWindow(text, new PositionIndex(text), options.build, 0, text.length).scan;
}

const EMPTY_SCAN: EmbeddedScan = { blocks: [], intrinsics: [], comments: [], problems: [] };

/** True when a file holds nothing the front end could report (checked before lexing). */
export function worthLexing(text: string): boolean {
  return WORTH_LEXING.test(text);
}

/** One scan of `[from, limit)`, which starts at a checkpoint (or the file's start). */
export interface RustWindowScan {
  /** Problems sorted by position (so windows put side by side keep the order of one scan). */
  readonly scan: EmbeddedScan;
  /**
   * Offsets just after each top-level `}` or `;` that no `#[cfg]` region runs across (an inner
   * `#![cfg]` outside every block, which covers the rest of the file, is not in the way), with the
   * regions read before it and what the file's inner attributes allow from there on.
   */
  readonly checkpoints: readonly { readonly offset: number; readonly regions: number; readonly arches: number }[];
  readonly regions: number;
  /** The window ends at `limit` on a top-level `}` or `;` (or is empty), with nothing left open: a scan may stop there. */
  readonly closedAtEnd: boolean;
  /** What the file's inner attributes allow at the window's end: a scan stops only where this is what it was. */
  readonly archesAtEnd: number;
}

/** `inherited`: what the file's inner `#![cfg]` attributes before `from` allow. */
export function scanRustWindow(text: string, positions: PositionIndex, build: HostBuild | undefined, from: number, limit: number, inherited = ANY_ARCH): RustWindowScan {
  const lexed = lexRustFrom(text, from, limit);
  const scanner = new RustScanner(text, build, positions, lexed, inherited);
  const scan = scanner.run();
  const tokens = lexed.tokens;
  const regions = scanner.regions();
  const checkpoints: { offset: number; regions: number; arches: number }[] = [];
  // Regions are in the order of their attributes, so those begun before a point are a prefix.
  let regionIndex = 0;
  let furthestEnd = -1;
  let arches = inherited;
  const readRegionsBefore = (limit: number): void => {
    for (; regionIndex < regions.length && regions[regionIndex]!.start < limit; regionIndex++) {
      const region = regions[regionIndex]!;
      if (region.wholeRest) arches &= region.arches;
      else furthestEnd = Math.max(furthestEnd, region.end);
    }
  };
  for (const index of scanner.topLevelEnds) {
    const after = index + 1;
    readRegionsBefore(after);
    if (furthestEnd > after) continue;
    checkpoints.push({ offset: tokens[index]!.end, regions: regionIndex, arches });
  }
  readRegionsBefore(Infinity);
  const last = tokens[tokens.length - 1];
  const endsTopLevel = last === undefined || (scanner.topLevelEnds.length > 0 && scanner.topLevelEnds[scanner.topLevelEnds.length - 1] === tokens.length - 1);
  const closedAtEnd = lexed.end === limit && endsTopLevel && !scanner.cfgOpenAtEnd;
  return { scan: { ...scan, problems: byStart(scan.problems) }, checkpoints, regions: regions.length, closedAtEnd, archesAtEnd: arches };
}

function byStart(problems: readonly FrontEndProblem[]): FrontEndProblem[] {
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((a, b) => a.problem.range.start.line - b.problem.range.start.line || a.problem.range.start.character - b.problem.range.start.character || a.order - b.order)
    .map((x) => x.problem);
}

class RustScanner {
  private readonly positions: PositionIndex;
  private readonly tokens: RustToken[];
  private readonly closeOf: Int32Array;
  private readonly cfg: CfgRegions;
  private readonly lexComments: RustComment[];
  private readonly blocks: AsmBlock[] = [];
  private readonly intrinsics: IntrinsicCall[] = [];
  private readonly problems: FrontEndProblem[] = [];

  /** The `}` and `;` after which no group is open (its last one, when it is the last token, leaves nothing open). */
  readonly topLevelEnds: readonly number[];

  constructor(
    private readonly text: string,
    private readonly build: HostBuild | undefined,
    positions: PositionIndex,
    lexed: RustLexResult,
    inherited: number,
  ) {
    this.positions = positions;
    this.tokens = lexed.tokens;
    this.lexComments = lexed.comments;
    for (const problem of lexed.problems) this.problem(problem.start, problem.end, problem.message);
    const { closeOf, unbalanced, topLevelEnds } = matchDelimiters(this.tokens);
    this.closeOf = closeOf;
    this.topLevelEnds = topLevelEnds;
    for (const index of unbalanced) this.problem(this.tokens[index]!.start, this.tokens[index]!.end, `unbalanced \`${this.tokens[index]!.text}\``);
    this.cfg = new CfgRegions(text, this.tokens, closeOf, inherited);
  }

  regions(): readonly { readonly start: number; readonly end: number; readonly arches: number; readonly wholeRest: boolean }[] {
    return this.cfg.list;
  }

  get cfgOpenAtEnd(): boolean {
    return this.cfg.openAtEnd;
  }

  run(): EmbeddedScan {
    const tokens = this.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.kind !== 'ident') continue;
      const form = FORMS[token.text];
      if (form && isPunct(tokens[i + 1], '!') && this.closeOf[i + 2]! >= -1 && !this.isDefinitionName(i)) this.readMacro(i, form);
      else if (isPunct(tokens[i + 1], '(') && !this.isDefinitionName(i)) this.readIntrinsic(i);
    }
    return { blocks: this.blocks, intrinsics: this.intrinsics, comments: this.comments(), problems: this.problems };
  }

  /** `fn __cpuid(`, `x.__cpuid(`, `macro_rules! asm`: a name being defined or a method, not a call of ours. */
  private isDefinitionName(i: number): boolean {
    const before = this.tokens[i - 1];
    if (!before) return false;
    if (before.kind === 'ident' && (before.text === 'fn' || before.text === 'macro_rules')) return true;
    if (isPunct(before, '.')) return true;
    return isPunct(before, '!') && this.tokens[i - 2]?.kind === 'ident' && this.tokens[i - 2]!.text === 'macro_rules';
  }

  /** The first token of the path ending at `i` (`core::arch::asm`, `::std::arch::asm`, `$crate::arch::asm`). */
  private pathStart(i: number): number {
    const tokens = this.tokens;
    let start = i;
    while (isPunct(tokens[start - 1], '::')) {
      const segment = tokens[start - 2];
      if (segment?.kind === 'ident') {
        start -= 2;
        if (isPunct(tokens[start - 1], '$')) start--;
        continue;
      }
      start--; // a leading `::`
      break;
    }
    return start;
  }

  private bitsFor(verdictBits: Bits | undefined): Bits {
    const bits = verdictBits ?? this.build?.bits ?? 64;
    return bits === 16 ? 32 : bits; // no 16-bit Rust target: rustc would reject the block
  }

  private readMacro(nameIndex: number, form: AsmForm): void {
    const tokens = this.tokens;
    const open = nameIndex + 2;
    const close = this.closeOf[open]! >= 0 ? this.closeOf[open]! : tokens.length;
    const verdict = this.cfg.verdictAt(nameIndex);
    if (verdict.kind === 'not-x86') return;
    const start = this.pathStart(nameIndex);
    const endOffset = close < tokens.length ? tokens[close]!.end : this.text.length;
    const args = readArguments(this.text, tokens, splitArguments(tokens, this.closeOf, open, close));
    const range = this.positions.range(tokens[start]!.start, endOffset);
    for (const message of args.problems) this.problem(tokens[start]!.start, endOffset, message);
    if (args.opaqueTemplate || args.opaqueOptions || args.templates.length === 0) return;
    const literals: TemplateLiteral[] = [];
    const literalProblems: Array<{ start: number; end: number; message: string }> = [];
    for (const index of args.templates) {
      const token = tokens[index]!;
      literals.push({ start: token.start, end: token.end, pieces: decodeString(this.text, token, literalProblems) });
    }
    for (const problem of literalProblems) this.problem(problem.start, problem.end, problem.message);
    const att = args.options.has('att_syntax');
    const bits = this.bitsFor(verdict.bits);
    const expanded = expandTemplate({ literals, operands: args.operands, raw: args.options.has('raw'), att, bits, positions: this.positions });
    if (expanded.undecidable) return;
    for (const problem of expanded.problems) this.problem(problem.start, problem.end, problem.message);
    this.blocks.push({
      form,
      syntax: att ? 'att' : 'intel',
      lines: expanded.lines,
      range,
      keywordRange: this.positions.range(tokens[nameIndex]!.start, tokens[nameIndex + 1]!.end),
      ...(verdict.bits !== undefined ? { bits: verdict.bits } : {}),
    });
  }

  private readIntrinsic(nameIndex: number): void {
    const tokens = this.tokens;
    const entry = intrinsicNamed(tokens[nameIndex]!.text, 'rust');
    if (!entry) return;
    const verdict = this.cfg.verdictAt(nameIndex);
    if (verdict.kind === 'not-x86') return;
    if (entry.bits && !entry.bits.includes(this.bitsFor(verdict.bits))) return; // `has_cpuid` on x86_64 runs nothing
    const start = this.pathStart(nameIndex);
    let name = '';
    for (let k = start; k <= nameIndex; k++) name += tokens[k]!.text;
    this.intrinsics.push({
      name,
      range: this.positions.range(tokens[start]!.start, tokens[nameIndex]!.end),
      instruction: (bits) => entry.instruction(bits),
      ...(entry.alsoEmits ? { alsoEmits: (bits: Bits) => entry.alsoEmits!(bits) } : {}),
      ...(verdict.bits !== undefined ? { bits: verdict.bits } : {}),
    });
  }

  /** Comments cut at line breaks, one `HostComment` per line, `//` and `/*` included. */
  private comments(): HostComment[] {
    const comments: HostComment[] = [];
    const text = this.text;
    for (const comment of this.lexComments) {
      let from = comment.start;
      while (from < comment.end) {
        let to = from;
        while (to < comment.end && text.charCodeAt(to) !== 10 && text.charCodeAt(to) !== 13) to++;
        const at = this.positions.position(from);
        comments.push({ line: at.line, start: at.character, text: text.slice(from, to) });
        if (to >= comment.end) break;
        from = text.charCodeAt(to) === 13 && text.charCodeAt(to + 1) === 10 ? to + 2 : to + 1;
      }
    }
    return comments;
  }

  private problem(start: number, end: number, message: string): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    this.problems.push({ range: this.positions.range(start, end), message });
  }
}
