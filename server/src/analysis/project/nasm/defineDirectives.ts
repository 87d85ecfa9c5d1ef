// NASM's directives that define single-line macros (`%define` and its kinds, `%undef`, `%assign`,
// `%strlen`, `%substr`, `%strcat`, `%defstr`) and the file name `%include`/`%pathsearch` read.
import type { DirectiveScope } from './directiveScope';
import { evaluate } from './expr';
import type { RawLine } from './rawLines';
import { joinTokens, nonSpace, skipSpaces, splitMacroArgs, stringContents, tokenize, trimSpaces, type Token } from './tokens';

/** Quotes `text` with a quote it does not hold. */
export function quoteString(text: string): string {
  return text.includes("'") && !text.includes('"') ? `"${text}"` : `'${text}'`;
}

/** The name a directive defines and the tokens after it; undefined (reported) when there is none. */
function nameAndRest(scope: DirectiveScope, directive: string, args: Token[], raw: RawLine): { name: Token; rest: Token[] } | undefined {
  const start = skipSpaces(args, 0);
  const name = args[start];
  if (!name) {
    scope.undecided(raw, `%${directive} needs a name`);
    return undefined;
  }
  return { name, rest: args.slice(start + 1) };
}

export function define(scope: DirectiveScope, directive: string, args: Token[], raw: RawLine): void {
  const start = skipSpaces(args, 0);
  const nameToken = args[start];
  if (!nameToken || (nameToken.type !== 'id' && nameToken.type !== 'percent')) {
    scope.undecided(raw, `%${directive} needs a macro name`);
    return;
  }
  let i = start + 1;
  let params: string[] | undefined;
  if (args[i]?.type === 'other' && args[i]!.text === '(') {
    params = [];
    for (i++; i < args.length && args[i]!.text !== ')'; i++) if (args[i]!.type === 'id') params.push(args[i]!.text);
    i++;
  }
  let body = trimSpaces(args.slice(i));
  if (directive.includes('x')) body = scope.expandSingles(body, raw).tokens;
  scope.defineSingle(nameToken.text, directive.startsWith('i'), params, body, raw);
}

export function undef(scope: DirectiveScope, args: Token[], raw: RawLine): void {
  const nameToken = args[skipSpaces(args, 0)];
  if (!nameToken) {
    scope.undecided(raw, '%undef needs a macro name');
    return;
  }
  scope.singles.undefine(nameToken.text);
  scope.known.add(nameToken.text.toLowerCase());
}

export function assign(scope: DirectiveScope, directive: string, args: Token[], raw: RawLine): void {
  const named = nameAndRest(scope, directive, args, raw);
  if (!named) return;
  const nameToken = named.name;
  const expr = trimSpaces(named.rest);
  const result = evaluate(scope.expandSingles(expr, raw).tokens);
  if ('value' in result) {
    scope.defineSingle(nameToken.text, directive.startsWith('i'), undefined, [{ type: 'number', text: String(result.value) }], raw);
    return;
  }
  // Keep the name defined (for %ifdef) with its expression, so a later %if still sees what it cannot know.
  scope.undecided(raw, 'unknown' in result ? `%${directive} ${nameToken.text}: \`${result.unknown}\` is not known here` : `%${directive} ${nameToken.text}: ${result.error}`);
  scope.defineSingle(nameToken.text, directive.startsWith('i'), undefined, expr, raw);
}

export function stringDirective(scope: DirectiveScope, directive: string, args: Token[], raw: RawLine): void {
  const named = nameAndRest(scope, directive, args, raw);
  if (!named) return;
  const nameToken = named.name;
  const rest = trimSpaces(scope.expandSingles(named.rest, raw).tokens);
  const value = stringValueOf(directive, rest);
  if (value === undefined) {
    scope.undecided(raw, `%${directive} ${nameToken.text}: the arguments are not understood`);
    return;
  }
  scope.defineSingle(nameToken.text, directive === 'idefstr', undefined, tokenize(value), raw);
}

function stringValueOf(directive: string, rest: Token[]): string | undefined {
  if (directive === 'defstr' || directive === 'idefstr') return quoteString(joinTokens(rest));
  if (directive === 'strlen') {
    const s = stringContents(nonSpace(rest)[0]);
    return s === undefined ? undefined : String(s.length);
  }
  if (directive === 'strcat') {
    let joined = '';
    for (const arg of splitMacroArgs(rest)) {
      const s = stringContents(nonSpace(arg)[0]);
      if (s === undefined) return undefined;
      joined += s;
    }
    return quoteString(joined);
  }
  const parts = splitMacroArgs(rest);
  const s = stringContents(nonSpace(parts[0] ?? [])[0]);
  const from = parts[1] ? evaluate(parts[1]) : undefined;
  const length = parts[2] ? evaluate(parts[2]) : { value: 1n };
  if (s === undefined || !from || !('value' in from) || !('value' in length)) return undefined;
  const begin = Number(from.value) - 1;
  const count = length.value < 0n ? s.length - begin + Number(length.value) + 1 : Number(length.value);
  return quoteString(s.slice(Math.max(0, begin), Math.max(0, begin) + Math.max(0, count)));
}


/** `"file"`, `'file'` or `<file>` after expansion. */
export function fileSpec(scope: DirectiveScope, args: Token[], raw: RawLine): string | undefined {
  const tokens = trimSpaces(scope.expandSingles(args, raw).tokens);
  const text = joinTokens(tokens);
  const first = tokens[0];
  const quoted = stringContents(first);
  if (quoted !== undefined && tokens.length === 1) return quoted;
  if (text.startsWith('<') && text.endsWith('>')) return text.slice(1, -1);
  if (text.length === 0) {
    scope.undecided(raw, 'the file name is missing');
    return undefined;
  }
  return text;
}
