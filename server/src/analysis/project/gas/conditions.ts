// The conditions of GNU as's `.if` family, decided from the symbols known so far, or not decided
// (with the reason) when they depend on something this stage cannot know.
import { evaluate, type SymbolValues } from './expression';
import { collapseWhite, nameEnd } from './text';

export type Decision = boolean | { readonly undecided: string };

/** Directives that open a conditional block, lower case, without `.elseif`. */
export const OPENING_CONDITIONALS = new Set([
  '.if', '.ifdef', '.ifndef', '.ifnotdef', '.ifc', '.ifnc', '.ifeqs', '.ifnes', '.ifb', '.ifnb',
  '.ifeq', '.ifne', '.ifge', '.ifgt', '.ifle', '.iflt',
]);

const COMPARISONS_WITH_ZERO: Readonly<Record<string, (value: bigint) => boolean>> = {
  '.if': (value) => value !== 0n,
  '.elseif': (value) => value !== 0n,
  '.ifne': (value) => value !== 0n,
  '.ifeq': (value) => value === 0n,
  '.ifge': (value) => value >= 0n,
  '.ifgt': (value) => value > 0n,
  '.ifle': (value) => value <= 0n,
  '.iflt': (value) => value < 0n,
};

/**
 * `directive` is lower case (`.if`, `.elseif`, `.ifdef`…); `argument` the rest of the statement
 * without comments. `isDefined` answers `.ifdef`.
 */
export function decide(directive: string, argument: string, symbols: SymbolValues, isDefined: (name: string) => boolean): Decision {
  const compare = COMPARISONS_WITH_ZERO[directive];
  if (compare) {
    const result = evaluate(argument, symbols);
    if (result.kind === 'value') return compare(result.value);
    if (result.kind === 'unknown') return { undecided: `\`${result.name}\` has no value known here` };
    return { undecided: result.message };
  }
  switch (directive) {
    case '.ifdef':
    case '.ifndef':
    case '.ifnotdef': {
      const name = argument.trim();
      if (name === '' || nameEnd(name, 0) !== name.length) return { undecided: `\`${name}\` is not a symbol name` };
      return isDefined(name) === (directive === '.ifdef');
    }
    case '.ifb':
    case '.ifnb':
      return (argument.trim() === '') === (directive === '.ifb');
    case '.ifc':
    case '.ifnc':
      return compareText(argument, directive === '.ifc');
    case '.ifeqs':
    case '.ifnes':
      return compareStrings(argument, directive === '.ifeqs');
    default:
      return { undecided: `\`${directive}\` is not understood` };
  }
}

/** `.ifc a, b`: the two texts as written (whitespace runs count as one space). */
function compareText(argument: string, same: boolean): Decision {
  const comma = argument.indexOf(',');
  if (comma < 0) return { undecided: '`.ifc` needs two operands separated by a comma' };
  const left = collapseWhite(argument.slice(0, comma).trim());
  const right = collapseWhite(argument.slice(comma + 1).trim());
  if (left.startsWith("'") || right.startsWith("'")) return { undecided: '`.ifc` with a quoted operand is not understood' };
  return (left === right) === same;
}

/** `.ifeqs "a", "b"`: two double-quoted strings. */
function compareStrings(argument: string, same: boolean): Decision {
  const first = readCString(argument, 0);
  if (!first) return { undecided: '`.ifeqs` needs double-quoted strings' };
  let index = first.end;
  while (argument[index] === ' ' || argument[index] === '\t') index++;
  if (argument[index] !== ',') return { undecided: '`.ifeqs` needs two strings separated by a comma' };
  const second = readCString(argument, index + 1);
  if (!second || argument.slice(second.end).trim() !== '') return { undecided: '`.ifeqs` needs double-quoted strings' };
  return (first.value === second.value) === same;
}

function readCString(text: string, index: number): { value: string; end: number } | undefined {
  while (text[index] === ' ' || text[index] === '\t') index++;
  if (text[index] !== '"') return undefined;
  let value = '';
  for (let i = index + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      value += c + text[i + 1];
      i++;
      continue;
    }
    if (c === '"') return { value, end: i + 1 };
    value += c;
  }
  return undefined;
}
