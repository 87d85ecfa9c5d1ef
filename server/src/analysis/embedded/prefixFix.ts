// The trap strategy's forced-emulation prefix inside inline assembly: a `.byte` statement written
// into the template just before the sensitive instruction, in the host file's own string literals.
// Offered only where the edit lands exactly where the compiler will read it: an instruction whose
// characters come one for one from a literal of this file, in a GNU C asm statement or a Rust
// asm!/global_asm!/naked_asm! call, or as `_emit` statements in an MSVC `__asm` block or line.
// Intrinsics, cpp macros and C++ raw strings get none, and neither does an instruction a prefix
// statement (`lock;`, `rep;`) applies to.
import type { Finding, Position, Range } from '../types';
import { lineOffsets, offsetAt } from '../text/lineBreaks';
import { ruleById } from '../catalogue';
import { prefixFlavour } from '../fixes/abi';
import type { FixOptions } from '../fixes/context';
import { FORCED_EMULATION_PREFIX, forcedEmulationTitle, prefixNeeds, type PrefixFlavour } from '../fixes/trap';
import type { TextEdit } from '../fixes/layout';
import { PositionIndex } from './positions';
import type { AsmBlock, AsmLine, HostLanguage } from './types';

export interface EmbeddedQuickFix {
  title: string;
  ruleId: string;
  strategy: 'trap';
  kind: 'forced-emulation';
  edit: TextEdit;
  isPreferred?: boolean;
}

/** What the fix needs from an analysis of the host file. */
export interface EmbeddedFixInput {
  readonly language: HostLanguage;
  readonly blocks: readonly AsmBlock[];
  /** The file's findings: another of the same rule on the finding's line stops the fix (see PREFIX_REFUSALS.sameRuleOnLine). */
  readonly findings?: readonly Finding[];
}

/** Statements GNU as and LLVM apply to the statement after them, which a `.byte` must not come between. */
const PREFIX_STATEMENTS = new Set([
  'lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'data16', 'data32', 'addr16', 'addr32', 'notrack', 'bnd', 'xacquire', 'xrelease',
  'cs', 'ds', 'es', 'fs', 'gs', 'ss', 'rex', 'rex.w', 'rex64', 'o16', 'o32', 'a16', 'a32',
]);

/** What stands before a literal that is a template on its own: C's first literal or one joined to the previous; a Rust template argument (not one inside `concat!`). */
const C_TEMPLATE_AFTER = ['(', '"'];
const RUST_TEMPLATE_AFTER = ['(', '[', '{', ','];

/** The prefix in an MSVC `__asm` block or line: `_emit 0x0f __asm _emit 0x0b …` (clang's -fasm-blocks takes it). */
export function msvcEmits(flavour: PrefixFlavour): string {
  return FORCED_EMULATION_PREFIX[flavour].map((b) => `_emit 0x${b.toString(16).padStart(2, '0')}`).join(' __asm ');
}

export function prefixDirective(flavour: PrefixFlavour): string {
  return `.byte ${FORCED_EMULATION_PREFIX[flavour].map((b) => '0x' + b.toString(16).padStart(2, '0')).join(',')}`;
}

/**
 * The forced-emulation prefix for a finding inside an asm template, or undefined where it
 * cannot be written honestly. The instruction's host line gets a `virtlint-fixed:` comment, so a
 * second analysis reports it as fixed, as in assembly files.
 */
export function embeddedPrefixFix(text: string, input: EmbeddedFixInput, finding: Finding, options: FixOptions): EmbeddedQuickFix | undefined {
  return embeddedPrefixFixer(text, input, options)(finding);
}

/** `embeddedPrefixFix` for many findings of one text: the line table is made once (a request's range may hold thousands). */
export function embeddedPrefixFixer(text: string, input: EmbeddedFixInput, options: FixOptions): (finding: Finding) => EmbeddedQuickFix | undefined {
  const decide = embeddedPrefixDecider(text, input, options);
  return (finding) => {
    const decision = decide(finding);
    return 'fix' in decision ? decision.fix : undefined;
  };
}

/** The prefix fix for a finding, or why none is written (what the CLI says per finding it leaves). */
export type PrefixDecision = { readonly fix: EmbeddedQuickFix } | { readonly refusal: string };

export const PREFIX_REFUSALS = {
  intrinsic: 'an intrinsic call: the compiler chooses the instruction, there is no template to write the prefix into',
  notFixable: 'the catalogue lists no forced-emulation prefix for this rule',
  notExact: "the instruction's text is not copied one for one from a string literal of this statement (a macro argument, #x, concat!, an operand)",
  macroInvocation: 'the statement comes out of a macro invocation: the prefix belongs in the macro body, which is fixed where it is written',
  prefixStatement: 'a prefix statement (lock;, rep;, data16) applies to the instruction: a .byte between them would take the prefix away from it',
  notTemplateLiteral: "the literal is not one of the statement's own template strings",
  cppRaw: 'a C++ raw string: the marker comment and the escapes cannot be written inside it',
  dialectAlternative: 'inside a {att|intel} alternative: a prefix there would reach one dialect only',
  joinedLiteral: 'the literal does not stand on its own as a template piece, so no literal of its own can go before it',
  multiLineLiteral: "a string literal over several lines: the marker comment cannot go on the instruction's line",
  sameRuleOnLine: 'another instruction of the same rule on this line: the virtlint-fixed marker counts per line and rule, so it would hide that one unprefixed',
} as const;

export function embeddedPrefixDecider(text: string, input: EmbeddedFixInput, options: FixOptions): (finding: Finding) => PrefixDecision {
  let offsets: ReturnType<typeof lineOffsets> | undefined;
  return (finding) => {
    const ins = finding.instruction;
    // The catalogue says which rules the prefix fixes (not the meta rules, not the detection idioms).
    if (!ruleById(finding.ruleId)?.fixes.includes('forced-emulation')) return { refusal: PREFIX_REFUSALS.notFixable };
    if (!ins) return { refusal: PREFIX_REFUSALS.intrinsic };
    const place = exactPlace(input.blocks, ins.range.start);
    if (!place) return { refusal: insideSomeBlock(input.blocks, ins.range.start) ? PREFIX_REFUSALS.notExact : PREFIX_REFUSALS.intrinsic };
    if (place.block.macroChain) return { refusal: PREFIX_REFUSALS.macroInvocation };
    if (followsPrefixStatement(place.block.lines, place.lineIndex, place.textIndex)) return { refusal: PREFIX_REFUSALS.prefixStatement };
    if (input.findings && sharesLineAndRule(input.findings, finding)) return { refusal: PREFIX_REFUSALS.sameRuleOnLine };
    offsets ??= lineOffsets(text);
    return prefixFixAt(text, input, finding, ins, place, offsets, options);
  };
}

function prefixFixAt(text: string, input: EmbeddedFixInput, finding: Finding, ins: NonNullable<Finding['instruction']>, place: ExactPlace, offsets: ReturnType<typeof lineOffsets>, options: FixOptions): PrefixDecision {
  const at = offsetAt(offsets, ins.range.start, text.length);
  const flavour = prefixFlavour(options);
  const marker = `/* virtlint-fixed: ${finding.ruleId} -- ${flavour === 'xen' ? 'Xen' : 'KVM'} forced-emulation prefix, ${prefixNeeds(finding.ruleId, flavour)} */`;
  const title = forcedEmulationTitle(ins.mnemonic, finding.ruleId, flavour);
  const macro = definingMacro(text, offsets, place.block.range.start.line);
  const quickFix = (start: number, end: number, newText: string): PrefixDecision => ({
    fix: {
      title: macro === undefined ? title : `${title} in the body of ${macro} (changes every use)`,
      ruleId: finding.ruleId,
      strategy: 'trap',
      kind: 'forced-emulation',
      edit: { range: new PositionIndex(text, offsets.starts).range(start, end), newText },
      ...(finding.ruleId === 'cpuid' && flavour === 'xen' ? { isPreferred: true } : {}),
    },
  });
  if (place.block.form === 'msvc-block' || place.block.form === 'msvc-line') {
    // One `_emit` per byte, each its own statement (`__asm` separates statements on one line); cpp removes the comment.
    return quickFix(at, at, `${msvcEmits(flavour)} ${marker} __asm `);
  }
  const blockStart = offsetAt(offsets, place.block.range.start, text.length);
  const blockEnd = offsetAt(offsets, place.block.range.end, text.length);
  const literals = literalSpans(text, blockStart, blockEnd, input.language);
  const literal = literals.find((l) => l.contentStart <= at && at < l.contentEnd);
  if (!literal || literal.depth !== 1) return { refusal: PREFIX_REFUSALS.notTemplateLiteral };
  if (literal.cppRaw) return { refusal: PREFIX_REFUSALS.cppRaw };
  if (input.language !== 'rust' && insideDialectAlternative(text, literals, at)) return { refusal: PREFIX_REFUSALS.dialectAlternative };

  const directive = prefixDirective(flavour);
  const indentStart = indentationStart(text, literal, at);
  let edit: { start: number; end: number; newText: string };
  if (indentStart === literal.contentStart) {
    // The instruction opens its literal: the prefix is a literal (C) or a template argument (Rust) of its own.
    if (!(input.language === 'rust' ? RUST_TEMPLATE_AFTER : C_TEMPLATE_AFTER).includes(literal.before)) return { refusal: PREFIX_REFUSALS.joinedLiteral };
    const own = input.language === 'rust' ? `"${directive}",` : `"${directive}\\n\\t"`;
    edit = { start: literal.start, end: literal.start, newText: `${own} ${marker} ` };
  } else {
    if (/[\r\n]/.test(text.slice(literal.start, literal.end))) return { refusal: PREFIX_REFUSALS.multiLineLiteral }; // the marker must share the instruction's line
    const afterNewline = !literal.raw && text.slice(indentStart - 2, indentStart) === '\\n' && startsEscape(text, indentStart - 2, literal.contentStart);
    const separator = afterNewline ? `\\n${text.slice(indentStart, at)}` : '; ';
    edit = { start: at, end: literal.end, newText: `${directive}${separator}${text.slice(at, literal.end)} ${marker}` };
  }
  return quickFix(edit.start, edit.end, edit.newText);
}

/** Another finding of the rule on the finding's line, at another instruction. */
function sharesLineAndRule(findings: readonly Finding[], finding: Finding): boolean {
  const at = finding.instruction!.range.start;
  return findings.some((other) => {
    const start = other.instruction?.range.start;
    return other.ruleId === finding.ruleId && other.range.start.line === finding.range.start.line && start !== undefined && (start.line !== at.line || start.character !== at.character);
  });
}

/** True when `position` is inside some asm statement (a finding there that has no exact place came through a substitution). */
function insideSomeBlock(blocks: readonly AsmBlock[], position: Position): boolean {
  return blocks.some((block) => contains(block.range, position));
}

/** The cpp macro whose `#define` (continued by `\` lines) holds `line`, if any: a fix there changes every use. */
function definingMacro(text: string, offsets: ReturnType<typeof lineOffsets>, line: number): string | undefined {
  const lineText = (n: number): string => text.slice(offsets.starts[n], offsets.ends[n] ?? text.length);
  let first = line;
  while (first > 0 && /\\[ \t]*$/.test(lineText(first - 1))) first--;
  return /^[ \t]*#[ \t]*define[ \t]+(\w+)/.exec(lineText(first))?.[1];
}

interface ExactPlace {
  readonly block: AsmBlock;
  readonly lineIndex: number;
  readonly textIndex: number;
}

/** The block line and character whose text is, one for one, the host character at `position`. */
function exactPlace(blocks: readonly AsmBlock[], position: Position): ExactPlace | undefined {
  for (const block of blocks) {
    if (!contains(block.range, position)) continue;
    for (let lineIndex = 0; lineIndex < block.lines.length; lineIndex++) {
      for (const segment of block.lines[lineIndex]!.segments) {
        const { start, end } = segment.host;
        if (!segment.exact || start.line !== position.line || end.line !== position.line) continue;
        if (position.character < start.character || position.character >= end.character) continue;
        return { block, lineIndex, textIndex: segment.textStart + position.character - start.character };
      }
    }
  }
  return undefined;
}

/** True when the statement before the instruction (on its line, or ending the line above) is a prefix the assembler would attach to it. */
function followsPrefixStatement(lines: readonly AsmLine[], lineIndex: number, textIndex: number): boolean {
  let before = lines[lineIndex]!.text.slice(0, textIndex);
  let index = lineIndex;
  while (before.trim() === '' && index > 0) before = lines[--index]!.text;
  const statements = before.split(';');
  let last = statements.pop()!.trim();
  if (last === '' && statements.length > 0) last = statements.pop()!.trim();
  const word = last.replace(/^(?:[\w.$]+:\s*)+/, '').toLowerCase();
  return PREFIX_STATEMENTS.has(word) || /^\{\w+\}$/.test(word);
}

function contains(range: Range, position: Position): boolean {
  const afterStart = position.line > range.start.line || (position.line === range.start.line && position.character >= range.start.character);
  const beforeEnd = position.line < range.end.line || (position.line === range.end.line && position.character < range.end.character);
  return afterStart && beforeEnd;
}

interface LiteralSpan {
  /** The literal's first character, its prefix (`r#`, `L`) included. */
  readonly start: number;
  readonly contentStart: number;
  /** The closing quote. */
  readonly contentEnd: number;
  /** After the closing quote (and a raw string's hashes). */
  readonly end: number;
  readonly raw: boolean;
  /** A C++ raw string (`R"(...)"`). */
  readonly cppRaw: boolean;
  /** Bracket depth counted from the statement's keyword: 1 is the statement's own argument list. */
  readonly depth: number;
  /** The last character outside comments and whitespace before the literal (`"` after another literal). */
  readonly before: string;
}

/** The string literals of a statement, read from its keyword (a point known to be in code). */
function literalSpans(text: string, from: number, to: number, language: HostLanguage): LiteralSpan[] {
  const spans: LiteralSpan[] = [];
  let depth = 0;
  let before = '';
  let i = from;
  while (i < to) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      while (i < to && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      i = blockCommentEnd(text, i, to, language === 'rust');
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < to && /\w/.test(text[j]!)) j++;
      const word = text.slice(i, j);
      const literal = language === 'rust' ? rustRawAt(text, i, j, word, depth, before) : cppPrefixedAt(text, i, j, word, depth, before);
      if (literal) {
        spans.push(literal);
        i = literal.end;
        before = '"';
        continue;
      }
      before = text[j - 1]!;
      i = j;
      continue;
    }
    if (c === '"') {
      const end = quotedEnd(text, i + 1, to);
      spans.push({ start: i, contentStart: i + 1, contentEnd: end - 1, end, raw: false, cppRaw: false, depth, before });
      before = '"';
      i = end;
      continue;
    }
    if (c === "'") {
      i = charLiteralEnd(text, i, to, language);
      before = "'";
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (!/\s/.test(c)) before = c;
    i++;
  }
  return spans;
}

function blockCommentEnd(text: string, at: number, to: number, nests: boolean): number {
  let depth = 0;
  let i = at;
  while (i < to) {
    if (text[i] === '/' && text[i + 1] === '*' && (nests || depth === 0)) {
      depth++;
      i += 2;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      i += 2;
      if (--depth === 0) return i;
    } else i++;
  }
  return to;
}

/** After the closing quote of a literal whose body starts at `from` (backslash escapes). */
function quotedEnd(text: string, from: number, to: number): number {
  let i = from;
  while (i < to) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return to;
}

function charLiteralEnd(text: string, at: number, to: number, language: HostLanguage): number {
  // A Rust lifetime (`'a`) is not a literal: only `'x'` and `'\…'` are.
  if (language === 'rust' && text[at + 1] !== '\\' && text[at + 2] !== "'") return at + 1;
  let i = at + 1;
  while (i < to && text[i] !== "'" && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** `r"…"`, `r#"…"#` (and `b`/`br` forms) in Rust. */
function rustRawAt(text: string, start: number, wordEnd: number, word: string, depth: number, before: string): LiteralSpan | undefined {
  if (word === 'b' && text[wordEnd] === '"') {
    const end = quotedEnd(text, wordEnd + 1, text.length);
    return { start, contentStart: wordEnd + 1, contentEnd: end - 1, end, raw: false, cppRaw: false, depth, before };
  }
  if (word !== 'r' && word !== 'br') return undefined;
  let quote = wordEnd;
  while (text[quote] === '#') quote++;
  if (text[quote] !== '"') return undefined;
  const closing = '"' + '#'.repeat(quote - wordEnd);
  const close = text.indexOf(closing, quote + 1);
  const contentEnd = close < 0 ? text.length : close;
  return { start, contentStart: quote + 1, contentEnd, end: Math.min(text.length, contentEnd + closing.length), raw: true, cppRaw: false, depth, before };
}

/** `L"…"`, `u8"…"` and the C++ raw strings `R"d(…)d"`. */
function cppPrefixedAt(text: string, start: number, wordEnd: number, word: string, depth: number, before: string): LiteralSpan | undefined {
  if (text[wordEnd] !== '"' || !/^(?:L|u8|u|U)?R?$/.test(word)) return undefined;
  if (!word.endsWith('R')) {
    const end = quotedEnd(text, wordEnd + 1, text.length);
    return { start, contentStart: wordEnd + 1, contentEnd: end - 1, end, raw: false, cppRaw: false, depth, before };
  }
  const open = text.indexOf('(', wordEnd);
  const delimiter = open < 0 ? '' : text.slice(wordEnd + 1, open);
  const close = open < 0 ? -1 : text.indexOf(`)${delimiter}"`, open);
  const contentEnd = close < 0 ? text.length : close;
  return { start, contentStart: open + 1, contentEnd, end: Math.min(text.length, contentEnd + delimiter.length + 2), raw: true, cppRaw: true, depth, before };
}

/** Where the spaces and tabs (and `\t` escapes) in front of `at` in its literal begin. */
function indentationStart(text: string, literal: LiteralSpan, at: number): number {
  let i = at;
  while (i > literal.contentStart) {
    const c = text[i - 1]!;
    if ((c === ' ' || c === '\t') && !(i - 2 >= literal.contentStart && !literal.raw && text[i - 2] === '\\' && startsEscape(text, i - 2, literal.contentStart))) i--;
    else if (!literal.raw && c === 't' && i - 2 >= literal.contentStart && text[i - 2] === '\\' && startsEscape(text, i - 2, literal.contentStart)) i -= 2;
    else break;
  }
  return i;
}

/** True when the backslash at `at` starts an escape (an even number of backslashes stand before it). */
function startsEscape(text: string, at: number, contentStart: number): boolean {
  let count = 0;
  for (let i = at - 1; i >= contentStart && text[i] === '\\'; i--) count++;
  return text[at] === '\\' && count % 2 === 0;
}

/** In a GNU C template, `at` is inside a `{att|intel}` alternative: a prefix there would reach one dialect only. */
function insideDialectAlternative(text: string, literals: readonly LiteralSpan[], at: number): boolean {
  let open = 0;
  for (const literal of literals) {
    if (literal.depth !== 1 || literal.contentStart > at) break;
    const end = Math.min(literal.contentEnd, at);
    for (let i = literal.contentStart; i < end; i++) {
      const c = text[i]!;
      if (c === '%') i++;
      else if (c === '{') open++;
      else if (c === '}') open = Math.max(0, open - 1);
    }
  }
  return open > 0;
}
