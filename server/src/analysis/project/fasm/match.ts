// FASM `match pattern, value`: symbol characters, strings and `=name` match literally, a bare
// name matches the shortest run of at least one symbol that lets the rest match.
import { isChar, isName, trimFirstGap, type Token } from './tokens';

type PatternItem = { literal: Token } | { wildcard: string };

const MAX_STEPS = 100_000;

/** The wildcard bindings when `value` matches `pattern`, undefined when it does not (or is too costly to decide). */
export function matchPattern(pattern: readonly Token[], value: readonly Token[]): Map<string, Token[]> | undefined {
  const items = compile(pattern);
  const bounds: number[] = new Array(items.length).fill(0);
  let steps = 0;
  const match = (item: number, at: number): boolean => {
    if (++steps > MAX_STEPS) return false;
    if (item === items.length) return at === value.length;
    const current = items[item]!;
    if ('literal' in current) {
      const token = value[at];
      if (!token || !sameSymbol(token, current.literal)) return false;
      bounds[item] = at + 1;
      return match(item + 1, at + 1);
    }
    for (let end = at + 1; end <= value.length; end++) {
      bounds[item] = end;
      if (match(item + 1, end)) return true;
    }
    return false;
  };
  if (!match(0, 0)) return undefined;
  const bindings = new Map<string, Token[]>();
  let start = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if ('wildcard' in item) bindings.set(item.wildcard, trimFirstGap(value.slice(start, bounds[i])));
    start = bounds[i]!;
  }
  return bindings;
}

function compile(pattern: readonly Token[]): PatternItem[] {
  const items: PatternItem[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const token = pattern[i]!;
    if (isChar(token, '=') && i + 1 < pattern.length) {
      items.push({ literal: pattern[++i]! });
    } else if (isName(token)) items.push({ wildcard: token.text });
    else items.push({ literal: token });
  }
  return items;
}

function sameSymbol(a: Token, b: Token): boolean {
  return a.kind === b.kind && a.text === b.text && a.escapes === b.escapes;
}

/** Splits `pattern, value` at the first comma that is not written `=,`. */
export function splitMatchHeader(tokens: readonly Token[]): { pattern: Token[]; value: Token[] } | undefined {
  for (let i = 0; i < tokens.length; i++) {
    if (isChar(tokens[i], '=')) {
      i++;
      continue;
    }
    if (isChar(tokens[i], ',')) return { pattern: tokens.slice(0, i), value: tokens.slice(i + 1) };
  }
  return undefined;
}
