// Single-line macros (`%define`, `%xdefine`, `%idefine`, `%assign`…): the table and the expansion
// of a line's tokens. Expansion rescans what a macro produced, except for that macro itself (as
// nasm does), and `%+` pastes the tokens on either side once everything is expanded.
import type { SourceLine } from '../source';
import { MacroTable } from './macroTable';
import { skipSpaces, tokenize, trimSpaces, type Token } from './tokens';

export interface SingleMacro {
  readonly name: string;
  readonly caseless: boolean;
  /** Parameter names; undefined for a macro written without parentheses. */
  readonly params: readonly string[] | undefined;
  readonly body: readonly Token[];
  readonly definedAt?: SourceLine;
}

/** The first macro an expansion used, and where its name stood among the tokens. */
export interface SingleUse {
  macro: SingleMacro;
  /** Offset of the name in the joined input tokens. */
  start: number;
  end: number;
}

export interface ExpandOutcome {
  tokens: Token[];
  changed: boolean;
  first?: SingleUse;
  /** Set when a limit stopped the expansion. */
  limited?: string;
}

/** Bounds one line's expansion: nesting depth and tokens produced. */
export interface ExpandBudget {
  depth: number;
  tokens: number;
}

export class SingleMacros extends MacroTable<SingleMacro> {
  /** Replaces the definitions of the name that take as many arguments. */
  define(macro: SingleMacro): void {
    const count = macro.params?.length;
    this.add(macro, (m) => !(m.params?.length === count && (m.name === macro.name || m.caseless || macro.caseless)));
  }

  undefine(name: string): void {
    this.remove(name, () => true);
  }

  isDefined(name: string): boolean {
    return this.named(name).length > 0;
  }

  /** The macro a name stands for with `argCount` arguments (undefined: used without parentheses). */
  find(name: string, argCount: number | undefined): SingleMacro | undefined {
    for (const m of this.named(name)) {
      if (argCount === undefined ? m.params === undefined : m.params?.length === argCount) return m;
    }
    if (argCount !== undefined) return this.find(name, undefined);
    return undefined;
  }

  private takesArguments(name: string): boolean {
    return this.named(name).some((m) => m.params !== undefined);
  }

  /** Expands every single-line macro in `tokens`, then pastes `%+`. */
  expand(tokens: readonly Token[], budget: ExpandBudget): ExpandOutcome {
    const outcome: ExpandOutcome = { tokens: [], changed: false };
    const active = new Set<SingleMacro>();
    outcome.tokens = this.expandTokens(tokens, budget, 0, active, outcome, true);
    if (outcome.tokens.some((t) => t.type === 'percent' && t.text === '%+')) {
      outcome.tokens = paste(outcome.tokens);
      outcome.changed = true;
      // A pasted name may itself be a macro.
      outcome.tokens = this.expandTokens(outcome.tokens, budget, 0, active, outcome, false);
    }
    return outcome;
  }

  private expandTokens(tokens: readonly Token[], budget: ExpandBudget, depth: number, active: Set<SingleMacro>, outcome: ExpandOutcome, top: boolean): Token[] {
    const out: Token[] = [];
    let offset = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      const tokenStart = offset;
      offset += token.text.length;
      if (token.type !== 'id' || !this.mentions(token.text)) {
        out.push(token);
        continue;
      }
      let args: Token[][] | undefined;
      let end = i;
      if (this.takesArguments(token.text)) {
        const open = skipSpaces(tokens, i + 1);
        if (tokens[open]?.text === '(' && tokens[open]!.type === 'other') {
          const call = readCallArguments(tokens, open);
          if (call) {
            args = call.args;
            end = call.end;
          }
        }
      }
      const macro = args ? this.find(token.text, args.length) : this.find(token.text, undefined);
      if (macro && args && macro.params === undefined) end = i;
      if (!macro || active.has(macro)) {
        out.push(token);
        continue;
      }
      if (depth >= budget.depth || budget.tokens <= 0) {
        outcome.limited ??= `single-line macro \`${token.text}\` expands past the limit`;
        out.push(token);
        continue;
      }
      for (let j = i + 1; j <= end; j++) offset += tokens[j]!.text.length;
      const body = macro.params && args ? substitute(macro.body, macro.params, args) : macro.body;
      active.add(macro);
      const expanded = this.expandTokens(body, budget, depth + 1, active, outcome, false);
      active.delete(macro);
      budget.tokens -= expanded.length;
      for (const t of expanded) out.push(t);
      outcome.changed = true;
      if (top && !outcome.first) outcome.first = { macro, start: tokenStart, end: tokenStart + token.text.length };
      i = end;
    }
    return out;
  }
}

/** Arguments of `name(…)` from the `(` at `open`: split at top-level commas, `{…}` grouping. */
function readCallArguments(tokens: readonly Token[], open: number): { args: Token[][]; end: number } | undefined {
  const args: Token[][] = [];
  let current: Token[] = [];
  let parens = 0;
  let braces = 0;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'other') {
      if (t.text === '(' && braces === 0) parens++;
      else if (t.text === ')' && braces === 0) {
        if (parens === 0) {
          const last = trimSpaces(current);
          if (last.length > 0 || args.length > 0) args.push(last);
          return { args, end: i };
        }
        parens--;
      } else if (t.text === '{') {
        braces++;
        if (braces === 1) continue;
      } else if (t.text === '}' && braces > 0) {
        braces--;
        if (braces === 0) continue;
      } else if (t.text === ',' && parens === 0 && braces === 0) {
        args.push(trimSpaces(current));
        current = [];
        continue;
      }
    }
    current.push(t);
  }
  return undefined;
}

function substitute(body: readonly Token[], params: readonly string[], args: readonly Token[][]): Token[] {
  const out: Token[] = [];
  for (const t of body) {
    const index = t.type === 'id' ? params.indexOf(t.text) : -1;
    if (index < 0) out.push(t);
    else for (const a of args[index]!) out.push(a);
  }
  return out;
}

/** Joins the tokens on either side of each `%+`, dropping the spaces around it. */
export function paste(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  let gluing = false;
  for (const t of tokens) {
    if (t.type === 'percent' && t.text === '%+') {
      while (out.length > 0 && out[out.length - 1]!.type === 'space') out.pop();
      gluing = true;
      continue;
    }
    if (gluing && t.type === 'space') continue;
    if (gluing && out.length > 0) {
      const joined = out.pop()!.text + t.text;
      for (const u of tokenize(joined)) out.push(u);
    } else out.push(t);
    gluing = false;
  }
  return out;
}
