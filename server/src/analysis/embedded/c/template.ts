// An extended-asm template as the compiler prints it: `%%`, `%=`, operands `%0`/`%[name]` with
// modifiers, goto labels `%l0`, and `{att|intel}` dialect alternatives; then the text cut into the
// lines the assembler reads, each character mapped back to the host text it came from.
import type { Bits, Range } from '../../types';
import { canonicalMnemonic } from '../../syntax/mnemonics';
import type { AsmLine, SourceMapSegment } from '../types';
import { appendCharRange, emptyChars, pushChar, type Chars } from './literals';
import { modifierWidth, renderOperand, sizeSuffix, type OperandKind, type Width } from './operands';
import type { SourceFile } from './source';

export interface TemplateOperand {
  readonly name: string | undefined;
  readonly kind: OperandKind;
  /** The width of the C expression's type, when it is known. */
  readonly typeWidth: Width | undefined;
}

export interface TemplateOptions {
  readonly syntax: 'att' | 'intel';
  readonly bits: Bits;
  readonly operands: readonly TemplateOperand[];
  /** `asm goto` labels, numbered after the operands. */
  readonly labels: readonly string[];
  /** What `%=` prints: a number unique to the statement. */
  readonly instance: number;
}

const SUFFIX_WIDTH: Record<number, Width> = { 1: 8, 2: 16, 4: 32, 8: 64 };
const PREFIX_WORDS = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'data16', 'data32', 'addr16', 'addr32', 'notrack', 'bnd']);

/** The size the mnemonic of the instruction being written (the text since the last `\n`/`;`) says, in AT&T. */
function suffixWidth(out: string): Width | undefined {
  let from = Math.max(out.lastIndexOf('\n'), out.lastIndexOf(';')) + 1;
  const words = out.slice(from).replace(/^\s*(?:[\w.$]+:\s*)*/, '').split(/[\s,]+/);
  from = 0;
  while (from < words.length && PREFIX_WORDS.has(words[from]!.toLowerCase())) from++;
  const mnemonic = words[from];
  if (!mnemonic || from === words.length - 1) return undefined;
  const size = canonicalMnemonic(mnemonic, 'gas-att')?.size;
  return size === undefined ? undefined : SUFFIX_WIDTH[size];
}

interface OperandRef {
  readonly modifier: string;
  /** Operand number, or -1 with `name` set. */
  readonly number: number;
  readonly name: string | undefined;
  /** Index after the reference in the template. */
  readonly end: number;
}

function isLetter(c: string | undefined): boolean {
  return c !== undefined && /^[a-zA-Z]$/.test(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** `%` at `at` followed by an operand reference (`%0`, `%k1`, `%[name]`, `%l[label]`), or undefined. */
function operandRef(text: string, at: number): OperandRef | undefined {
  let i = at + 1;
  let modifier = '';
  if (isLetter(text[i]) && (isDigit(text[i + 1]) || text[i + 1] === '[')) modifier = text[i++]!;
  if (text[i] === '[') {
    const close = text.indexOf(']', i);
    if (close < 0) return undefined;
    return { modifier, number: -1, name: text.slice(i + 1, close).trim(), end: close + 1 };
  }
  if (!isDigit(text[i])) return undefined;
  let j = i;
  while (isDigit(text[j])) j++;
  return { modifier, number: Number(text.slice(i, j)), name: undefined, end: j };
}

class Printer {
  readonly out: Chars = emptyChars();
  /** Inside `{…}`: the alternative being read, and the one the syntax in force takes. */
  private alternative = -1;
  private readonly wanted: number;

  constructor(private readonly options: TemplateOptions) {
    this.wanted = options.syntax === 'att' ? 0 : 1;
  }

  private get printing(): boolean {
    return this.alternative < 0 || this.alternative === this.wanted;
  }

  emit(text: string, from: number, to: number): void {
    if (!this.printing) return;
    this.out.text += text;
    this.out.pushRepeated(text.length, from, to);
  }

  /** Runs of characters between `%`/`{`/`|`/`}` keep their one-to-one mapping. */
  copy(template: Chars, i: number): void {
    if (this.printing) pushChar(this.out, template.text[i]!, template.fromAt(i), template.toAt(i));
  }

  /** `copy` of each character of `template[from, to)`, at once. */
  copyRun(template: Chars, from: number, to: number): void {
    if (this.printing) appendCharRange(this.out, template, from, to);
  }

  dialect(c: string): void {
    if (c === '{') this.alternative = 0;
    else if (c === '|') this.alternative = this.alternative < 0 ? -1 : this.alternative + 1;
    else this.alternative = -1;
  }

  isDialectChar(c: string): boolean {
    return c === '{' || c === '}' || (c === '|' && this.alternative >= 0);
  }

  operand(ref: OperandRef, from: number, to: number): boolean {
    const ops = this.options.operands;
    let index = ref.number;
    if (ref.name !== undefined) {
      index = ops.findIndex((o) => o.name === ref.name);
      if (index < 0) {
        const label = this.options.labels.indexOf(ref.name);
        if (label < 0) return false;
        index = ops.length + label;
      }
    }
    if (index >= ops.length) {
      const label = this.options.labels[index - ops.length];
      if (label === undefined) return false;
      this.emit(`.L${label}`, from, to);
      return true;
    }
    const op = ops[index];
    if (!op) return false;
    const width = this.widthOf(op, ref.modifier);
    if (ref.modifier === 'z') this.emit(sizeSuffix(width), from, to);
    else if (ref.modifier === 'V' && op.kind.kind === 'reg') this.emit(renderOperand(op.kind, '', width, this.options).replace(/^%/, ''), from, to);
    else this.emit(renderOperand(op.kind, ref.modifier, width, this.options), from, to);
    return true;
  }

  private widthOf(op: TemplateOperand, modifier: string): Width {
    // GCC prints the width of the C type; the mnemonic's suffix only stands in for a type not known here.
    const byModifier = modifierWidth(modifier);
    if (byModifier) return byModifier;
    if (op.typeWidth) return op.typeWidth;
    if (this.options.syntax === 'att') {
      const bySuffix = suffixWidth(this.out.text);
      if (bySuffix) return bySuffix;
    }
    return this.options.bits === 64 ? 64 : 32;
  }
}

/** `%`, `{`, `|`, `}`: where a run of characters copied as they are ends. */
const TEMPLATE_SPECIAL = new Uint8Array(128);
for (const ch of '%{|}') TEMPLATE_SPECIAL[ch.charCodeAt(0)] = 1;

/** The template of an extended asm statement as the compiler hands it to the assembler. */
export function printTemplate(template: Chars, options: TemplateOptions): Chars {
  const p = new Printer(options);
  const text = template.text;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%') {
      const next = text[i + 1];
      const from = template.fromAt(i);
      if (next === '%' || next === '{' || next === '|' || next === '}') {
        p.emit(next, from, template.toAt(i + 1));
        i++;
        continue;
      }
      if (next === '=') {
        p.emit(String(options.instance), from, template.toAt(i + 1));
        i++;
        continue;
      }
      const ref = operandRef(text, i);
      if (ref) {
        const to = template.toAt(ref.end - 1);
        if (p.operand(ref, from, from >= 0 && to >= 0 ? to : -1)) {
          i = ref.end - 1;
          continue;
        }
      }
      p.copy(template, i);
      continue;
    }
    if (p.isDialectChar(c)) {
      p.dialect(c);
      continue;
    }
    // Up to the next character that may mean something (`|` only inside braces, so it ends a run too).
    let end = i + 1;
    while (end < text.length && !TEMPLATE_SPECIAL[text.charCodeAt(end)]) end++;
    p.copyRun(template, i, end);
    i = end - 1;
  }
  return p.out;
}

/**
 * Cuts `chars` into lines at `\n` (blank lines left out) with their source maps into `host`. A
 * line's map is made when first read: most blocks have no finding, and nothing else reads it
 * on the command line.
 */
export function asmLines(chars: Chars, host: SourceFile, fallback: Range): AsmLine[] {
  const lines: AsmLine[] = [];
  const text = chars.text;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text[i] !== '\n') continue;
    const lineText = text.slice(start, i);
    if (lineText.trim() !== '') lines.push(new MappedLine(lineText, chars, start, i, host, fallback));
    start = i + 1;
  }
  return lines;
}

/** A line whose source map is made when first read (a class: no closure per line). */
class MappedLine implements AsmLine {
  private mapped: readonly SourceMapSegment[] | undefined;

  constructor(
    readonly text: string,
    private readonly chars: Chars,
    private readonly from: number,
    private readonly to: number,
    private readonly host: SourceFile,
    readonly fallback: Range,
  ) {}

  get segments(): readonly SourceMapSegment[] {
    return (this.mapped ??= segmentsOf(this.chars, this.from, this.to, this.host));
  }

  /** What a plain line shows: its text, map and fallback, not the template it reads them from. */
  toJSON(): AsmLine {
    return { text: this.text, segments: this.segments, fallback: this.fallback };
  }
}

function segmentsOf(chars: Chars, from: number, to: number, host: SourceFile): SourceMapSegment[] {
  const out: SourceMapSegment[] = [];
  let open: { textStart: number; textEnd: number; hostStart: number; hostEnd: number; exact: boolean; line: number } | undefined;
  const close = (): void => {
    if (!open) return;
    out.push({
      textStart: open.textStart, textEnd: open.textEnd, exact: open.exact,
      host: { start: host.position(open.hostStart), end: host.position(open.hostEnd) },
    });
    open = undefined;
  };
  for (let i = from; i < to; i++) {
    const s = chars.fromAt(i);
    const e = chars.toAt(i);
    if (s < 0 || e < s) {
      close();
      continue;
    }
    const exact = e === s + 1 && host.text[s] === chars.text[i];
    const line = host.index().line(s);
    const k = i - from;
    if (open && exact && open.exact && s === open.hostEnd && line === open.line) {
      open.textEnd = k + 1;
      open.hostEnd = e;
      continue;
    }
    if (open && !exact && !open.exact && s === open.hostStart && e === open.hostEnd) {
      open.textEnd = k + 1;
      continue;
    }
    close();
    open = { textStart: k, textEnd: k + 1, hostStart: s, hostEnd: e, exact, line };
  }
  close();
  return out;
}
