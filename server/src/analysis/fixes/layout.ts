// Where a fix goes in the source line: the instruction's span, the indentation for the
// lines a fix adds, and the trailing comment (which moves to the first line so the last
// line can end with a `virtlint-fixed:` marker).
import type { Dialect, Finding, ParsedInstruction, Range, SourceLines } from '../types';
import type { Line } from './ir';
import { commentMarker, isGas, renderLine } from './render';

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
  /** The trailing comment including its marker, when the line has one. */
  comment?: string;
  eol: string;
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

/**
 * A string seen as lines, split at `\r\n` and `\n` only. The analysis (and LSP) also ends a
 * line at a lone `\r`, so in a file with classic Mac line ends no fix is found for the CLI.
 */
export function linesOfText(text: string): SourceLines {
  const lines = text.split(/\r?\n/);
  return { lineCount: lines.length, line: (index) => lines[index] ?? '', eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

export function siteOf(text: string | SourceLines, finding: Finding): Site | undefined {
  const ins = finding.instruction;
  if (!ins || ins.inMacro) return undefined;
  const { start, end } = ins.range;
  if (start.line !== end.line) return undefined; // continued statements: too risky to rewrite
  const source = factsOf(text).source;
  if (start.line >= source.lineCount) return undefined;
  const lineText = source.line(start.line);
  if (end.character > lineText.length) return undefined;
  const rest = lineText.slice(end.character);
  const trimmed = rest.trim();
  let comment: string | undefined;
  if (trimmed !== '') {
    if (!startsComment(trimmed, ins.dialect)) return undefined; // another statement follows (GNU as `;`)
    comment = trimmed;
  }
  const before = lineText.slice(0, start.character);
  return {
    instruction: ins,
    line: start.line,
    lineText,
    instructionText: lineText.slice(start.character, end.character),
    indent: before.replace(/[^\t]/g, ' '),
    ...(comment !== undefined ? { comment } : {}),
    eol: source.eol,
  };
}

function startsComment(rest: string, dialect: Dialect): boolean {
  if (isGas(dialect)) return rest.startsWith('#') || rest.startsWith('/*') || rest.startsWith('//');
  return rest.startsWith(';');
}

/**
 * One edit: from the instruction's first character to the end of the line's content.
 * The original trailing comment is put back on the first line (or on a line of its own
 * when the first line carries a `virtlint-fixed` marker).
 */
export function editForLines(site: Site, lines: Line[], dialect: Dialect): TextEdit {
  const rendered = lines.map((l) => ({ text: renderLine(l, dialect), line: l }));
  const texts: string[] = [];
  const first = rendered[0];
  if (site.comment !== undefined && first) {
    const firstComment = 'comment' in first.line ? first.line.comment : undefined;
    if (firstComment?.startsWith('virtlint-fixed:')) {
      texts.push(site.comment);
    } else {
      const copy = { ...first.line } as Line;
      if ('comment' in copy) delete copy.comment;
      texts.push(`${renderLine(copy, dialect)} ${site.comment}`);
      rendered.shift();
    }
  }
  for (const r of rendered) texts.push(r.text);
  const newText = texts.map((t, i) => (i === 0 ? t : site.indent + t)).join(site.eol);
  const range: Range = {
    start: { line: site.line, character: site.instruction.range.start.character },
    end: { line: site.line, character: site.lineText.length },
  };
  return { range, newText };
}

export function markerComment(ruleId: string): string {
  return `virtlint-fixed: ${ruleId}`;
}

/** Unique label bases for one fix (`vl_12_a`), never already present in the text. */
export function labelMaker(text: string | SourceLines, line: number): (hint: string) => string {
  const used = new Set<string>();
  return (hint: string) => {
    let n = 0;
    for (;;) {
      const name = `vl_${hint}_${line + 1}${n ? `_${n}` : ''}`;
      if (!used.has(name) && !factsOf(text).labelWords().has(name)) {
        used.add(name);
        return name;
      }
      n++;
    }
  };
}

export { commentMarker };
