// Reading the arguments of one `asm!` / `global_asm!` / `naked_asm!` call: the template strings
// first, then operands (`in(reg) x`, `name = out("eax") y`, `inout(reg) a => b`, `const N`,
// `sym f`), `options(...)` and `clobber_abi(...)`. Expressions are skipped, not read.
import type { RustToken } from './lexer';
import { REGISTER_CLASSES, type RegisterClass } from './registers';

export type OperandKind = 'register' | 'explicit' | 'const' | 'sym' | 'unknown';

export interface AsmOperand {
  readonly kind: OperandKind;
  readonly name?: string;
  /** `register`: the class; undefined when the class is a macro metavariable (`in($cls) x`). */
  readonly registerClass?: RegisterClass;
  /** `const`: the literal's value when it is an integer literal (`const 0x10`, `const -1`). */
  readonly constValue?: string;
  /** `sym`: the path's last segment. */
  readonly symbol?: string;
}

export interface AsmArguments {
  /** Token indices of the template string literals, in order. */
  readonly templates: number[];
  /** A template argument that is not a string literal (`$tmpl`, `concat!(…)`): the template cannot be read. */
  opaqueTemplate: boolean;
  readonly operands: AsmOperand[];
  readonly options: Set<string>;
  /** `options($x)`: the options are not known. */
  opaqueOptions: boolean;
  readonly problems: string[];
}

const DIRECTIONS = new Set(['in', 'out', 'lateout', 'inout', 'inlateout']);

/** Token index ranges `[start, end)` of the comma-separated arguments between `open` and `close`. */
export function splitArguments(tokens: readonly RustToken[], closeOf: Int32Array, open: number, close: number): Array<[number, number]> {
  const args: Array<[number, number]> = [];
  let start = open + 1;
  let i = open + 1;
  while (i < close) {
    const token = tokens[i]!;
    if (token.kind === 'punct' && token.text === ',') {
      if (i > start) args.push([start, i]);
      start = i + 1;
      i++;
      continue;
    }
    const matching = closeOf[i]!;
    i = matching > i ? Math.min(matching, close) + 1 : i + 1;
  }
  if (close > start) args.push([start, close]);
  return args;
}

function isPunct(token: RustToken | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

function isPlainString(token: RustToken | undefined): boolean {
  return token !== undefined && token.kind === 'string' && (token.prefix === '' || token.prefix === 'r');
}

export function readArguments(text: string, tokens: readonly RustToken[], args: ReadonlyArray<[number, number]>): AsmArguments {
  const result: AsmArguments = { templates: [], opaqueTemplate: false, operands: [], options: new Set(), opaqueOptions: false, problems: [] };
  let inTemplates = true;
  for (const [start, end] of args) {
    if (inTemplates && end - start === 1 && isPlainString(tokens[start])) {
      result.templates.push(start);
      continue;
    }
    const first = tokens[start]!;
    const isOperandStart =
      first.kind === 'ident' &&
      (DIRECTIONS.has(first.text) || first.text === 'const' || first.text === 'sym' || first.text === 'options' || first.text === 'clobber_abi' || isPunct(tokens[start + 1], '='));
    if (inTemplates && !isOperandStart) {
      result.opaqueTemplate = true;
      continue;
    }
    inTemplates = false;
    readOperandArgument(text, tokens, start, end, result);
  }
  return result;
}

function readOperandArgument(text: string, tokens: readonly RustToken[], start: number, end: number, out: AsmArguments): void {
  let at = start;
  let name: string | undefined;
  if (tokens[at]!.kind === 'ident' && isPunct(tokens[at + 1], '=') && at + 2 < end) {
    name = tokens[at]!.text;
    at += 2;
  }
  const head = tokens[at]!;
  if (head.kind !== 'ident') {
    out.problems.push('an asm! operand that is not `in`, `out`, `inout`, `const`, `sym` or `options`');
    out.operands.push({ kind: 'unknown', name });
    return;
  }
  if (head.text === 'options' && !name) return readOptions(tokens, at + 1, end, out);
  if (head.text === 'clobber_abi' && !name) return;
  if (head.text === 'const') {
    out.operands.push({ kind: 'const', name, constValue: integerValue(text, tokens, at + 1, end) });
    return;
  }
  if (head.text === 'sym') {
    const last = lastIdent(tokens, at + 1, end);
    out.operands.push({ kind: 'sym', name, symbol: last });
    return;
  }
  if (DIRECTIONS.has(head.text) && isPunct(tokens[at + 1], '(')) {
    const spec = tokens[at + 2];
    if (spec && spec.kind === 'string') {
      out.operands.push({ kind: 'explicit', name });
      return;
    }
    if (spec && spec.kind === 'ident' && REGISTER_CLASSES.has(spec.text)) {
      out.operands.push({ kind: 'register', name, registerClass: spec.text as RegisterClass });
      return;
    }
    if (spec && spec.kind === 'ident' && isPunct(tokens[at + 3], ')')) {
      // a class rustc has but whose registers a template never names here (mmx_reg, x87_reg…)
      out.operands.push({ kind: 'unknown', name });
      return;
    }
    out.operands.push({ kind: 'register', name }); // `in($class) x`: the class comes from the macro's caller
    return;
  }
  out.problems.push(`unknown asm! operand \`${head.text}\``);
  out.operands.push({ kind: 'unknown', name });
}

function readOptions(tokens: readonly RustToken[], open: number, end: number, out: AsmArguments): void {
  if (!isPunct(tokens[open], '(')) return;
  for (let i = open + 1; i < end; i++) {
    const token = tokens[i]!;
    if (token.kind === 'ident') out.options.add(token.text);
    else if (isPunct(token, '$')) out.opaqueOptions = true;
  }
}

function lastIdent(tokens: readonly RustToken[], start: number, end: number): string | undefined {
  let last: string | undefined;
  for (let i = start; i < end; i++) {
    const token = tokens[i]!;
    if (token.kind === 'ident') last = token.text;
    else if (isPunct(token, '<')) break; // generic arguments: the path's name came before them
  }
  return last;
}

/** The decimal value of `N`, `-N`, `0x…`, `0o…`, `0b…` (with `_` and a type suffix), else undefined. */
function integerValue(text: string, tokens: readonly RustToken[], start: number, end: number): string | undefined {
  let negative = false;
  let at = start;
  if (isPunct(tokens[at], '-')) {
    negative = true;
    at++;
  }
  const token = tokens[at];
  if (!token || token.kind !== 'number' || at + 1 !== end) return undefined;
  const spelled = text.slice(token.start, token.end).replace(/_/g, '').replace(/(?:[iu](?:8|16|32|64|128|size))$/, '');
  let value: bigint;
  try {
    if (/^0[xX][0-9a-fA-F]+$/.test(spelled) || /^0[oO][0-7]+$/.test(spelled) || /^0[bB][01]+$/.test(spelled) || /^[0-9]+$/.test(spelled)) value = BigInt(spelled.replace(/^0[XOB]/, (p) => p.toLowerCase()));
    else return undefined;
  } catch {
    return undefined;
  }
  return (negative ? -value : value).toString();
}
