// Where a fix goes in the source line: the instruction's span, the indentation for the
// lines a fix adds, the line break they end with, and the trailing comment (which ends the
// last line of the replacement, where the original instruction's line ended).
import { PREFIXES } from '../syntax/mnemonics';
import { breakForAddedLines, splitKeepingBreaks } from '../text/lineBreaks';
import type { Dialect, Finding, ParsedInstruction, Range, SourceLines } from '../types';
import type { Line } from './ir';
import { isGas } from '../syntax/dialects';
import { bodyInstructionRefusal, enclosingMacro, type MacroBody } from './macroBody';
import { commentMarker, renderLine } from './render';

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Site {
  instruction: ParsedInstruction;
  line: number;
  lineText: string;
  /** The instruction's text exactly as written (prefixes through last operand). */
  instructionText: string;
  /** Whitespace that lines up added lines with the instruction. */
  indent: string;
  /** The trailing comment from its marker to the end of the line, exactly as written. */
  comment?: string;
  /** What ends the lines the fix adds (see `breakForAddedLines`). */
  lineBreak: string;
  /**
   * GNU as statements after this one on its line (`pushf; popf`), from the first one on: the fix
   * moves them to a line of their own after it, where the next pass fixes them in turn.
   */
  following?: string;
  /** The macro whose body holds the line: the fix edits the body, and so every use. */
  macro?: MacroBody;
}

/** What fixes need to know about the whole text, worked out once per text. */
interface TextFacts {
  source: SourceLines;
  /** Every `vl_...` word already in the text, so generated labels never clash (found on first use). */
  labelWords(): Set<string>;
}

// fixAll asks about the same text once per finding; split and scan it only once.
let lastText: { text: string; facts: TextFacts } | undefined;
const factsByLines = new WeakMap<SourceLines, TextFacts>();

function factsOf(text: string | SourceLines): TextFacts {
  if (typeof text !== 'string') {
    let facts = factsByLines.get(text);
    if (!facts) factsByLines.set(text, (facts = factsFor(text)));
    return facts;
  }
  if (lastText?.text !== text) lastText = { text, facts: factsFor(linesOfText(text)) };
  return lastText.facts;
}

function factsFor(source: SourceLines): TextFacts {
  let words: Set<string> | undefined;
  return {
    source,
    labelWords() {
      if (!words) {
        words = new Set<string>();
        for (let i = 0; i < source.lineCount; i++) {
          const line = source.line(i);
          if (line.includes('vl_')) for (const word of line.match(/vl_\w+/g) ?? []) words.add(word);
        }
      }
      return words;
    },
  };
}

/** The text as lines, split once per text however many fixes ask. */
export function sourceOf(text: string | SourceLines): SourceLines {
  return factsOf(text).source;
}

/** A string seen as lines, split where the analysis splits it (`\r\n`, `\n`, lone `\r`). */
export function linesOfText(text: string): SourceLines {
  const { lines, breaks } = splitKeepingBreaks(text);
  return { lineCount: lines.length, line: (index) => lines[index] ?? '', lineBreak: (index) => breaks[index] ?? '' };
}

export function siteOf(text: string | SourceLines, finding: Finding): Site | undefined {
  const found = siteOrRefusal(text, finding);
  return 'site' in found ? found.site : undefined;
}

/**
 * Why a finding has no fix when that is about macros (a parameterised body line, a line an
 * invocation produced), or undefined. Other reasons (continued lines, shared lines) give none.
 * `dialect` reads a body line that came without its instruction (the result's dialect).
 */
export function macroFixRefusal(text: string | SourceLines, finding: Finding, dialect: Dialect): string | undefined {
  if (finding.macroChain && finding.macroChain.length > 0 && !finding.instruction) {
    const body = finding.macroChain[finding.macroChain.length - 1]!.name;
    return `the instruction comes from the body of ${body}; its fix goes on the body line`;
  }
  const found = finding.instruction ? siteOrRefusal(text, finding) : parameterisedBodyLine(text, finding, dialect);
  return 'refusal' in found ? found.refusal : undefined;
}

type SiteLookup = { site: Site } | { refusal: string } | { none: true };

function siteOrRefusal(text: string | SourceLines, finding: Finding): SiteLookup {
  const ins = finding.instruction;
  if (!ins) return NONE;
  const { start, end } = ins.range;
  if (start.line !== end.line) return NONE; // continued statements: too risky to rewrite
  const source = sourceOf(text);
  if (start.line >= source.lineCount) return NONE;
  // A line after one ending in `\` may be spliced onto it (cpp, NASM): it is not a line of its own.
  if (start.line > 0 && SPLICED_ONTO_NEXT.test(source.line(start.line - 1))) return NONE;
  const lineText = source.line(start.line);
  if (end.character > lineText.length) return NONE;
  const before = lineText.slice(0, start.character);
  if (!standsAlone(before, ins.dialect)) return NONE;
  const rest = lineText.slice(end.character).trimStart();
  const following = followingStatements(rest, ins.dialect);
  if (following === undefined && rest !== '' && !isOnlyComment(rest, ins.dialect)) return NONE;
  const comment = following === undefined ? rest : '';
  const instructionText = lineText.slice(start.character, end.character);
  const site: Site = {
    instruction: ins,
    line: start.line,
    lineText,
    instructionText,
    indent: before.replace(/[^\t]/g, ' '),
    ...(comment !== '' ? { comment } : {}),
    ...(following !== undefined ? { following } : {}),
    lineBreak: breakForAddedLines((index) => source.lineBreak(index), start.line),
  };
  if (!ins.inMacro) return { site };
  const enclosing = enclosingMacro(source, start.line, ins.dialect);
  if ('refusal' in enclosing) return enclosing;
  const refusal = bodyInstructionRefusal(ins, instructionText, enclosing.body);
  return refusal ? { refusal } : { site: { ...site, macro: enclosing.body } };
}

const NONE: SiteLookup = { none: true };

/** A body line reported without an instruction: its operands are parameters (`push %1`), known only per use. */
function parameterisedBodyLine(text: string | SourceLines, finding: Finding, dialect: Dialect): SiteLookup {
  const source = sourceOf(text);
  const line = finding.range.start.line;
  if (line >= source.lineCount) return NONE;
  const enclosing = enclosingMacro(source, line, dialect);
  if ('refusal' in enclosing) return NONE;
  return { refusal: `the line's operands are parameters of ${enclosing.body.name}: each use assembles a different instruction, so it is fixed nowhere` };
}

const MARKER_PREFIX = 'virtlint-fixed:';
const SPLICED_ONTO_NEXT = /\\[ \t]*$/;
const LABELS = /^[ \t]*(?:(?:[A-Za-z_.$?@][\w.$?@#~]*|\d+)[ \t]*::?[ \t]*)*$/;

/**
 * Whether what stands before the instruction on its line means the same when the fix's
 * first line follows it instead of the instruction: indentation and labels do; so do, in
 * GNU as, complete statements and comments, unless the statement is a lone prefix (`rep;`).
 * `times 3` or a prefix would apply to the fix's first line only, so those get no fix.
 */
function standsAlone(before: string, dialect: Dialect): boolean {
  if (!isGas(dialect)) return LABELS.test(before);
  const statements = withoutBlockComments(before).split(';');
  const last = statements.pop()!;
  const previous = statements[statements.length - 1];
  return LABELS.test(last) && (previous === undefined || !PREFIXES.has(previous.trim().toLowerCase()));
}

/** The text with its block comments blanked, including the tail of one that began on an earlier line. */
function withoutBlockComments(text: string): string {
  const close = text.indexOf('*/');
  const open = text.indexOf('/*');
  const tailClosed = close >= 0 && (open < 0 || close < open) ? ' '.repeat(close + 2) + text.slice(close + 2) : text;
  return tailClosed.replace(/\/\*[\s\S]*?\*\//g, (comment) => ' '.repeat(comment.length));
}

/** GNU as: the statements after a `;` that directly follows the instruction, or undefined when none do. */
function followingStatements(rest: string, dialect: Dialect): string | undefined {
  if (!isGas(dialect) || !rest.startsWith(';')) return undefined;
  const statements = rest.slice(1).trimStart();
  return statements === '' || isOnlyComment(statements, dialect) ? undefined : statements;
}

/** The rest of the line is comment only (GNU as: closed block comments may come before another). */
function isOnlyComment(rest: string, dialect: Dialect): boolean {
  if (!isGas(dialect)) return rest.startsWith(';');
  let at = 0;
  for (;;) {
    while (at < rest.length && /\s/.test(rest[at]!)) at++;
    if (!rest.startsWith('/*', at)) break;
    const close = rest.indexOf('*/', at + 2);
    if (close < 0) return true;
    at = close + 2;
  }
  return at === rest.length || rest.startsWith('#', at) || rest.startsWith('//', at);
}

/**
 * One edit: from the instruction's first character to the end of the line's content. The
 * original trailing comment ends the last line, so whatever followed the instruction's line
 * still follows it: a comment that continues (an unclosed `/*`, a line splice `\`) still
 * continues into the line it did, and `virtlint-disable-next-line` still names that line.
 */
export function editForLines(site: Site, lines: Line[], dialect: Dialect): TextEdit {
  const texts = lines.map((line) => renderLine(line, dialect));
  const last = lines.length - 1;
  if (site.comment !== undefined && last >= 0) texts[last] = withSourceComment(lines[last]!, site.comment, dialect);
  if (site.following !== undefined) texts.push(site.following);
  const newText = texts.map((t, i) => (i === 0 ? t : site.indent + t)).join(site.lineBreak);
  const range: Range = {
    start: { line: site.line, character: site.instruction.range.start.character },
    end: { line: site.line, character: site.lineText.length },
  };
  return { range, newText };
}

/**
 * A line ending with the source line's comment. The comment takes the place of the line's
 * own note, but a `virtlint-fixed` marker stays, in front of it and closed: a block comment
 * in GNU as, else the marker's ids end at `--` and the comment follows as its reason.
 */
function withSourceComment(line: Line, comment: string, dialect: Dialect): string {
  const own = 'comment' in line ? line.comment : undefined;
  const code = renderLine(withoutNote(line), dialect);
  if (!own?.startsWith(MARKER_PREFIX)) return `${code} ${comment}`;
  return isGas(dialect) ? `${code} /* ${own} */ ${comment}` : `${code} ${commentMarker(dialect)} ${own} -- ${comment}`;
}

function withoutNote(line: Line): Line {
  if (!('comment' in line)) return line;
  const copy = { ...line };
  delete copy.comment;
  return copy;
}

export function markerComment(ruleId: string): string {
  return `${MARKER_PREFIX} ${ruleId}`;
}

/**
 * Label bases (`vl_cli_1`) never already present in the text. They are numbered, not named
 * after a line (a line number in a label is wrong as soon as lines move). Fixes planned
 * together share one maker, so two fixes in one run never pick the same name.
 */
export function labelMaker(text: string | SourceLines): (hint: string) => string {
  const next = new Map<string, number>();
  return (hint: string) => {
    for (let n = next.get(hint) ?? 1; ; n++) {
      const name = `vl_${hint}_${n}`;
      if (!factsOf(text).labelWords().has(name)) {
        next.set(hint, n + 1);
        return name;
      }
    }
  };
}

export { commentMarker };
