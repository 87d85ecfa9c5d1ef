// A GNU as macro's parameter list (`.macro name a, b=1, c:req, d:vararg`) and the binding of an
// invocation's arguments to it (positional, then `name=value` keywords; vararg takes the rest).
import { isWhite, nameEnd, readArgument, skipComma, skipWhite } from './text';

export interface Formal {
  readonly name: string;
  readonly defaultValue: string;
  readonly required: boolean;
  readonly vararg: boolean;
}

export interface MacroHeader {
  readonly name: string;
  readonly formals: readonly Formal[];
  readonly problems: readonly string[];
}

/** `text` is what follows `.macro`. */
export function parseMacroHeader(text: string): MacroHeader {
  const problems: string[] = [];
  let index = skipWhite(text, 0);
  const end = nameEnd(text, index);
  const name = text.slice(index, end);
  index = end;
  const formals: Formal[] = [];
  const afterName = skipWhite(text, index);
  index = skipComma(text, afterName);
  while (index < text.length) {
    const formalEnd = nameEnd(text, index);
    if (formalEnd === index) {
      problems.push(`parameter list not understood at \`${text.slice(index)}\``);
      break;
    }
    const formalName = text.slice(index, formalEnd);
    index = skipWhite(text, formalEnd);
    let required = false;
    let vararg = false;
    if (text[index] === ':') {
      const qualifierStart = skipWhite(text, index + 1);
      const qualifierEnd = nameEnd(text, qualifierStart);
      const qualifier = text.slice(qualifierStart, qualifierEnd);
      if (qualifier === 'req') required = true;
      else if (qualifier === 'vararg') vararg = true;
      else problems.push(`\`${qualifier}\` is not a qualifier for parameter \`${formalName}\``);
      index = skipWhite(text, qualifierEnd);
    }
    let defaultValue = '';
    if (text[index] === '=') {
      const piece = readArgument(text, index + 1);
      defaultValue = required ? '' : piece.value;
      index = skipWhite(text, piece.end);
    }
    if (formals.some((formal) => formal.name === formalName)) problems.push(`parameter \`${formalName}\` is given twice`);
    else formals.push({ name: formalName, defaultValue, required, vararg });
    if (vararg) break;
    index = skipComma(text, index);
  }
  return { name, formals, problems };
}

export interface Binding {
  readonly values: Map<string, string>;
  readonly problems: string[];
  /** GNU as refuses the invocation (it is not expanded). */
  readonly refused: boolean;
}

const SEPARATORS = new Set([' ', '\t', ',', '"', ';', '(', ')']);

/** `text` is what follows the macro name at the invocation. */
export function bindArguments(macroName: string, formals: readonly Formal[], text: string): Binding {
  /** What each formal was given, by its position (an array: an invocation made two maps before). */
  const actual: (string | undefined)[] = new Array(formals.length);
  const problems: string[] = [];
  let positional = 0;
  let sawKeyword = false;
  let index = skipWhite(text, 0);
  while (index < text.length) {
    let scan = index;
    while (scan < text.length && !SEPARATORS.has(text[scan]!) && text[scan] !== '=') scan++;
    if (text[scan] === '=') {
      sawKeyword = true;
      const name = text.slice(index, scan);
      const piece = readArgument(text, scan + 1);
      const at = formalIndex(formals, name);
      if (at < 0) problems.push(`macro \`${macroName}\` has no parameter \`${name}\``);
      else actual[at] = piece.value;
      index = skipComma(text, piece.end);
      continue;
    }
    if (sawKeyword) return refuse(formals, actual, problems, `positional argument after keyword arguments in \`${macroName}\``);
    const formal = formals[positional];
    if (formal === undefined) return refuse(formals, actual, problems, `too many arguments for macro \`${macroName}\``);
    if (formal.vararg) {
      actual[positional] = trimEndWhite(text.slice(index));
      break;
    }
    const piece = readArgument(text, index);
    actual[positional++] = piece.value;
    index = skipComma(text, piece.end);
  }
  const values = new Map<string, string>();
  for (let k = 0; k < formals.length; k++) {
    const formal = formals[k]!;
    const given = actual[k] ?? '';
    if (formal.required && given === '') problems.push(`macro \`${macroName}\` needs a value for \`${formal.name}\``);
    values.set(formal.name, given === '' ? formal.defaultValue : given);
  }
  return { values, problems, refused: false };
}

/** A refused invocation's binding: its values are those given so far. */
function refuse(formals: readonly Formal[], actual: readonly (string | undefined)[], problems: string[], problem: string): Binding {
  problems.push(problem);
  const values = new Map<string, string>();
  for (let k = 0; k < formals.length; k++) if (actual[k] !== undefined) values.set(formals[k]!.name, actual[k]!);
  return { values, problems, refused: true };
}

function formalIndex(formals: readonly Formal[], name: string): number {
  for (let k = 0; k < formals.length; k++) if (formals[k]!.name === name) return k;
  return -1;
}

function trimEndWhite(text: string): string {
  let end = text.length;
  while (end > 0 && isWhite(text[end - 1])) end--;
  return text.slice(0, end);
}
