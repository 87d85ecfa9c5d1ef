// NASM's conditional directives: which one a name is (`%if`, `%elifnidni`, `%ifndef`, `%else`,
// `%endif`…), and how each is decided — true, false, or not known here (reported, and the branch read).
import type { SourceLine } from '../source';
import type { DirectiveScope } from './directiveScope';
import { evaluate } from './expr';
import { parseMacroHeader } from './multis';
import type { RawLine } from './rawLines';
import { joinTokens, nonSpace, skipSpaces, trimSpaces, type Token } from './tokens';

/** One open `%if` block of a source. */
export interface Condition {
  /** Lines of the current branch are read. */
  emitting: boolean;
  /** A branch was surely taken: later branches are skipped. */
  settled: boolean;
  readonly at: SourceLine;
}

export interface ConditionKind {
  readonly role: 'if' | 'elif' | 'else' | 'endif';
  /** '' for an expression; otherwise `def`, `macro`, `idn`, `idni`, `num`, `str`, `id`, `empty`, `token`, `ctx`, `env`. */
  readonly test: string;
  readonly negated: boolean;
  /** Its arguments are read (with macro parameters substituted) when the branch matters. */
  readonly evaluates: boolean;
}

const TESTS = new Set(['', 'def', 'macro', 'idn', 'idni', 'num', 'str', 'id', 'empty', 'token', 'ctx', 'env']);

/** The kind of a lower-case directive name, or undefined when it is not a conditional. */
export function conditionKind(name: string): ConditionKind | undefined {
  if (name === 'else') return { role: 'else', test: '', negated: false, evaluates: false };
  if (name === 'endif') return { role: 'endif', test: '', negated: false, evaluates: false };
  const role = name.startsWith('if') ? 'if' : name.startsWith('elif') ? 'elif' : undefined;
  if (!role) return undefined;
  const rest = name.slice(role.length);
  if (TESTS.has(rest)) return { role, test: rest, negated: false, evaluates: true };
  if (rest.startsWith('n') && TESTS.has(rest.slice(1))) return { role, test: rest.slice(1), negated: true, evaluates: true };
  return undefined;
}

const STANDARD_MACRO = /^__\??[A-Za-z0-9_]+\??__$/;

/** Opens, switches or closes a branch of `conds` (the conditions open in the line's source). */
export function conditional(scope: DirectiveScope, kind: ConditionKind, tokens: Token[], raw: RawLine, conds: Condition[]): void {
  const top = conds[conds.length - 1];
  const args = tokens.slice(skipSpaces(tokens, 0) + 1);
  if (kind.role === 'endif') {
    if (!conds.pop()) scope.undecided(raw, '%endif without %if');
    return;
  }
  if (kind.role === 'if') {
    const parentEmitting = !top || top.emitting;
    if (!parentEmitting) {
      conds.push({ emitting: false, settled: true, at: raw.at });
      return;
    }
    const truth = decide(scope, kind, args, raw);
    conds.push({ emitting: truth !== false, settled: truth === true, at: raw.at });
    return;
  }
  if (!top) {
    scope.undecided(raw, `%${kind.role} without %if`);
    return;
  }
  if (top.settled) {
    top.emitting = false;
    return;
  }
  if (kind.role === 'else') {
    top.emitting = true;
    top.settled = true;
    return;
  }
  const truth = decide(scope, kind, args, raw);
  top.emitting = truth !== false;
  top.settled = truth === true;
}

/** true, false, or undefined when it cannot be known here (reported). */
function decide(scope: DirectiveScope, kind: ConditionKind, args: Token[], raw: RawLine): boolean | undefined {
  const truth = test(scope, kind.test, trimSpaces(args), raw);
  if (typeof truth === 'string') {
    scope.undecided(raw, truth);
    return undefined;
  }
  return kind.negated ? !truth : truth;
}

/** The condition's value, or why it cannot be known. */
function test(scope: DirectiveScope, test: string, args: Token[], raw: RawLine): boolean | string {
  switch (test) {
    case '':
      return testExpression(scope, args, raw);
    case 'def':
      return testDefined(scope, args);
    case 'macro':
      return testMacro(scope, args);
    case 'ctx': {
      const top = scope.contexts[scope.contexts.length - 1];
      const names = nonSpace(args).map((t) => t.text);
      return top !== undefined && names.includes(top.name);
    }
    case 'env':
      return 'an environment variable is not known here';
    default:
      return testTokens(scope, test, scope.expandSingles(args, raw).tokens);
  }
}

function testExpression(scope: DirectiveScope, args: Token[], raw: RawLine): boolean | string {
  const result = evaluate(scope.expandSingles(args, raw).tokens);
  if ('value' in result) return result.value !== 0n;
  if ('unknown' in result) return `condition depends on \`${result.unknown}\`, which is not known here`;
  return `condition not understood: ${result.error}`;
}

function testDefined(scope: DirectiveScope, args: Token[]): boolean | string {
  const names = nonSpace(args);
  if (names.length === 0) return '%ifdef needs a name';
  let unknown: string | undefined;
  for (const t of names) {
    if (scope.singles.isDefined(t.text)) return true;
    if (!scope.known.has(t.text.toLowerCase())) unknown ??= t.text;
  }
  return unknown !== undefined && scope.env.definesComplete !== true ? `\`${unknown}\` is not defined anywhere nasm reads here` : false;
}

function testMacro(scope: DirectiveScope, args: Token[]): boolean | string {
  const parts = nonSpace(args);
  const name = parts[0]?.text;
  if (name === undefined) return '%ifmacro needs a name';
  const macros = scope.multis.named(name);
  if (macros.length === 0) return scope.known.has(name.toLowerCase()) || scope.env.definesComplete === true ? false : `macro \`${name}\` is not defined anywhere nasm reads here`;
  const header = parseMacroHeader(joinTokens(args));
  if (!header || parts.length === 1) return true;
  return macros.some((m) => header.min <= m.max && m.min <= header.max);
}

function testTokens(scope: DirectiveScope, test: string, expanded: Token[]): boolean | string {
  const standard = expanded.find((t) => t.type === 'id' && STANDARD_MACRO.test(t.text) && !scope.singles.isDefined(t.text));
  if (standard) return `condition depends on \`${standard.text}\`, which only nasm knows`;
  const tokens = nonSpace(expanded);
  switch (test) {
    case 'idn':
    case 'idni': {
      const sides = splitAtComma(expanded);
      if (!sides) return `%if${test} needs two comma-separated texts`;
      const fold = (t: Token): string => (test === 'idni' ? t.text.toLowerCase() : t.text);
      const left = nonSpace(sides[0]).map(fold);
      const right = nonSpace(sides[1]).map(fold);
      return left.length === right.length && left.every((t, i) => t === right[i]);
    }
    case 'num':
      return tokens.length > 0 && tokens.every((t, i) => t.type === 'number' || (i === 0 && tokens.length > 1 && (t.text === '-' || t.text === '+')));
    case 'id':
      return tokens.length === 1 && tokens[0]!.type === 'id';
    case 'str':
      return tokens.length === 1 && tokens[0]!.type === 'string';
    case 'empty':
      return tokens.length === 0;
    case 'token':
      return tokens.length === 1;
    default:
      return `%if${test} is not understood`;
  }
}

/** Splits at the first top-level comma. */
function splitAtComma(tokens: readonly Token[]): [Token[], Token[]] | undefined {
  const comma = tokens.findIndex((t) => t.type === 'other' && t.text === ',');
  if (comma < 0) return undefined;
  return [trimSpaces(tokens.slice(0, comma)), trimSpaces(tokens.slice(comma + 1))];
}
