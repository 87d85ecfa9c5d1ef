// The assembly text an `asm!` template becomes: the template strings joined by newlines, `{{`/`}}`
// unescaped, each `{}`/`{0}`/`{name}`/`{0:x}` replaced by what rustc substitutes (a register of
// the operand's class and width, a `const` operand's value, a `sym` operand's name), cut into
// lines, every character mapped back to the host text.
import type { Bits } from '../../types';
import type { AsmLine, SourceMapSegment } from '../types';
import type { AsmOperand } from './asmMacro';
import type { LiteralPiece } from './literals';
import type { PositionIndex } from '../positions';
import { registerName, type RegisterClass } from './registers';

export interface TemplateLiteral {
  /** The literal's host offsets, quotes included (the lines' fallback). */
  readonly start: number;
  readonly end: number;
  readonly pieces: readonly LiteralPiece[];
}

export interface TemplateInput {
  readonly literals: readonly TemplateLiteral[];
  readonly operands: readonly AsmOperand[];
  /** `options(raw)`: the template is used as written, no placeholders. */
  readonly raw: boolean;
  readonly att: boolean;
  readonly bits: Bits;
  readonly positions: PositionIndex;
}

export interface TemplateProblem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

export interface TemplateResult {
  readonly lines: AsmLine[];
  readonly problems: TemplateProblem[];
  /** A placeholder needs something only the macro's caller knows (a `$class` operand). */
  readonly undecidable: boolean;
}

/** A run of output text and where it came from (`start < 0`: the newline that joins two template strings). */
interface Unit {
  text: string;
  start: number;
  end: number;
  exact: boolean;
  literal: number;
}

/** The template as characters, each with its host offsets. */
function characters(literals: readonly TemplateLiteral[]): Unit[] {
  const units: Unit[] = [];
  for (let literal = 0; literal < literals.length; literal++) {
    if (literal > 0) units.push({ text: '\n', start: -1, end: -1, exact: false, literal: literal - 1 });
    for (const piece of literals[literal]!.pieces) {
      if (!piece.exact) {
        units.push({ text: piece.text, start: piece.start, end: piece.end, exact: false, literal });
        continue;
      }
      for (let k = 0; k < piece.text.length; k++) {
        const text = piece.text[k]!;
        // a bare CR is a host line break: it cannot sit inside a one-line exact segment
        units.push({ text, start: piece.start + k, end: piece.start + k + 1, exact: text !== '\r', literal });
      }
    }
  }
  return units;
}

class Substituter {
  readonly problems: TemplateProblem[] = [];
  undecidable = false;
  private nextImplicit = 0;
  private readonly slots: number[] = [];

  constructor(private readonly input: TemplateInput) {
    let general = 0;
    let vector = 0;
    let mask = 0;
    for (const operand of input.operands) {
      const cls = operand.registerClass;
      if (cls === 'xmm_reg' || cls === 'ymm_reg' || cls === 'zmm_reg') this.slots.push(vector++);
      else if (cls === 'kreg') this.slots.push(mask++);
      else this.slots.push(general++);
    }
  }

  /** The text for placeholder `spec` (what is between the braces). */
  substitute(spec: string, start: number, end: number): string {
    const colon = spec.indexOf(':');
    const argument = (colon < 0 ? spec : spec.slice(0, colon)).trim();
    const modifier = colon < 0 ? undefined : spec.slice(colon + 1).trim() || undefined;
    const index = this.operandIndex(argument, start, end);
    const operand = index === undefined ? undefined : this.input.operands[index];
    if (!operand || index === undefined) return this.fallbackRegister(modifier);
    switch (operand.kind) {
      case 'const':
        return operand.constValue ?? '0';
      case 'sym':
        return operand.symbol ?? 'sym';
      case 'explicit':
        this.problems.push({ start, end, message: 'an explicit-register operand cannot be used in the template' });
        return this.fallbackRegister(modifier);
      case 'unknown':
        return this.fallbackRegister(modifier);
      case 'register':
        return this.register(operand.registerClass, modifier, this.slots[index]!, start, end);
    }
  }

  private operandIndex(argument: string, start: number, end: number): number | undefined {
    const operands = this.input.operands;
    let index: number;
    if (argument === '') index = this.nextImplicit++;
    else if (/^[0-9]+$/.test(argument)) index = Number(argument);
    else {
      index = operands.findIndex((o) => o.name === argument);
      if (index < 0) {
        this.problems.push({ start, end, message: `no asm! operand named \`${argument}\`` });
        return undefined;
      }
    }
    if (index >= operands.length) {
      this.problems.push({ start, end, message: `no asm! operand ${index}` });
      return undefined;
    }
    return index;
  }

  private register(cls: RegisterClass | undefined, modifier: string | undefined, slot: number, start: number, end: number): string {
    if (!cls) {
      this.undecidable = true;
      return this.fallbackRegister(modifier);
    }
    const name = registerName(cls, modifier, slot, this.input.bits);
    if (name === undefined) {
      this.problems.push({ start, end, message: `modifier \`${modifier ?? ''}\` does not apply to a \`${cls}\` operand in ${this.input.bits}-bit code` });
      return this.prefixed(registerName(cls, undefined, slot, this.input.bits) ?? 'eax');
    }
    return this.prefixed(name);
  }

  private fallbackRegister(modifier: string | undefined): string {
    return this.prefixed(registerName('reg', modifier, 0, this.input.bits) ?? registerName('reg', undefined, 0, this.input.bits)!);
  }

  private prefixed(name: string): string {
    return this.input.att ? `%${name}` : name;
  }
}

/** Unescapes `{{`/`}}` and replaces placeholders. */
function format(units: Unit[], substituter: Substituter): Unit[] {
  const out: Unit[] = [];
  let i = 0;
  while (i < units.length) {
    const unit = units[i]!;
    const next = units[i + 1];
    if ((unit.text === '{' || unit.text === '}') && next?.text === unit.text) {
      out.push({ text: unit.text, start: unit.start, end: next.end, exact: false, literal: unit.literal });
      i += 2;
      continue;
    }
    if (unit.text === '}') {
      substituter.problems.push({ start: unit.start, end: unit.end, message: 'unmatched `}` in asm! template (write `}}`)' });
      out.push(unit);
      i++;
      continue;
    }
    if (unit.text !== '{') {
      out.push(unit);
      i++;
      continue;
    }
    let close = i + 1;
    let spec = '';
    while (close < units.length && units[close]!.text !== '}' && units[close]!.text !== '{' && units[close]!.text !== '\n') spec += units[close++]!.text;
    const closing = units[close];
    if (!closing || closing.text !== '}') {
      substituter.problems.push({ start: unit.start, end: unit.end, message: 'unterminated `{` in asm! template (write `{{`)' });
      out.push(unit);
      i++;
      continue;
    }
    const text = substituter.substitute(spec, unit.start, closing.end);
    out.push({ text, start: unit.start, end: closing.end, exact: false, literal: unit.literal });
    i = close + 1;
  }
  return out;
}

function toLines(units: readonly Unit[], input: TemplateInput): AsmLine[] {
  const lines: AsmLine[] = [];
  let text = '';
  let segments: SourceMapSegment[] = [];
  let literal = 0;
  let pending: { textStart: number; textEnd: number; start: number; end: number; exact: boolean } | undefined;
  const positions = input.positions;
  const closeSegment = (): void => {
    if (!pending) return;
    segments.push({ textStart: pending.textStart, textEnd: pending.textEnd, host: positions.range(pending.start, pending.end), exact: pending.exact });
    pending = undefined;
  };
  const endLine = (): void => {
    closeSegment();
    const source = input.literals[literal]!;
    lines.push({ text, segments, fallback: positions.range(source.start, source.end) });
    text = '';
    segments = [];
  };
  let lineOpen = false;
  for (const unit of units) {
    if (!lineOpen) {
      literal = unit.literal;
      lineOpen = true;
    }
    if (unit.text === '\n') {
      endLine();
      lineOpen = false;
      continue;
    }
    if (unit.text === '') continue;
    const textStart = text.length;
    text += unit.text;
    if (unit.start < 0) continue;
    if (unit.exact && pending?.exact && pending.end === unit.start && pending.textEnd === textStart) {
      pending.end = unit.end;
      pending.textEnd = text.length;
      continue;
    }
    closeSegment();
    pending = { textStart, textEnd: text.length, start: unit.start, end: unit.end, exact: unit.exact };
  }
  if (lineOpen || lines.length === 0) {
    if (!lineOpen) literal = Math.max(0, input.literals.length - 1);
    endLine();
  }
  return lines;
}

export function expandTemplate(input: TemplateInput): TemplateResult {
  const substituter = new Substituter(input);
  const units = characters(input.literals);
  const formatted = input.raw ? units : format(units, substituter);
  return { lines: toLines(formatted, input), problems: substituter.problems, undecidable: substituter.undecidable };
}
