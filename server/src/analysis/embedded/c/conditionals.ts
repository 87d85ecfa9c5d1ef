// `#if`/`#ifdef`/`#elif`/`#else`/`#endif` in C host files. A condition is true, false, or
// undecided (a name the build does not settle): an undecided branch is read, and its blocks are
// marked. When the undecided condition names the mode (`CONFIG_X86_32`, `__x86_64__`), the branch
// says which bitness its code is for: the branch is tried with each mode's names defined.
import type { Bits } from '../../types';
import { evaluateCondition } from '../../project/cpp/expression';
import { makeToken, type Token } from '../../project/cpp/tokens';
import { expandTokens, type Definedness, type ExpandContext } from './expand';
import { isReserved, type MacroTable } from './macros';
import type { CToken } from './lexer';
import { fromToken, type SourceFile } from './source';

const MODE_NAMES: Record<32 | 64, readonly string[]> = {
  32: ['CONFIG_X86_32', '__i386__', '__i386', 'i386', '_M_IX86', 'CONFIG_X86_32_LAZY_GS'],
  64: ['CONFIG_X86_64', '__x86_64__', '__x86_64', '__amd64__', '__amd64', '_M_X64', '_M_AMD64', '_WIN64', '__LP64__'],
};

export type Truth = boolean | 'unknown';

/** Names assumed defined (true) or not (false) while trying a hypothesis. */
type Hypothesis = ReadonlyMap<string, boolean>;

function hypothesisFor(bits: 32 | 64): Hypothesis {
  const out = new Map<string, boolean>();
  for (const n of MODE_NAMES[32]) out.set(n, bits === 32);
  for (const n of MODE_NAMES[64]) out.set(n, bits === 64);
  return out;
}

const HYPOTHESES: readonly [32 | 64, Hypothesis][] = [[32, hypothesisFor(32)], [64, hypothesisFor(64)]];

export interface ConditionEnv {
  readonly table: MacroTable;
  readonly definesComplete: boolean;
  readonly depthLimit: number;
}

function definedness(env: ConditionEnv, name: string, hypothesis: Hypothesis | undefined): Definedness {
  if (env.table.get(name)) return 1;
  const assumed = hypothesis?.get(name);
  if (assumed !== undefined) return assumed ? 1 : 0;
  if (isReserved(name) || env.table.knownUndefined.has(name) || env.definesComplete) return 0;
  return 'unknown';
}

/** The test a conditional directive makes (`elif` tests as `if` does), without a regex per directive. */
const TEST_OF: ReadonlyMap<string, string> = new Map([
  ['if', 'if'], ['elif', 'if'], ['ifdef', 'ifdef'], ['elifdef', 'ifdef'], ['ifndef', 'ifndef'], ['elifndef', 'ifndef'],
]);

/** The value of a directive's condition (`kind` is `if`, `ifdef`, `ifndef`; an `el` form is read as these), its tokens read from `file`. */
export function conditionValue(kind: string, tokens: readonly CToken[], file: SourceFile, env: ConditionEnv, hypothesis?: Hypothesis): Truth {
  if (kind.endsWith('def')) {
    const name = tokens[0];
    if (!name || name.kind !== 'ident') return 'unknown';
    const d = definedness(env, name.text, hypothesis);
    if (d === 'unknown') return 'unknown';
    return kind.endsWith('ndef') ? d === 0 : d === 1;
  }
  const ctx: ExpandContext = {
    lookup: (name) => env.table.get(name),
    forCondition: true,
    definedness: (name) => definedness(env, name, hypothesis),
    depthLimit: env.depthLimit,
    tokenBudget: 20_000,
    made: 0,
    stopped: undefined,
  };
  const input = [];
  for (const t of tokens) input.push(fromToken(t, file, false));
  const expanded = expandTokens(input, ctx);
  if (ctx.stopped) return 'unknown';
  const converted: Token[] = [];
  for (const t of expanded) {
    const kind = t.kind === 'unknown' || t.kind === 'number' || t.kind === 'char' || t.kind === 'ident' || t.kind === 'punct' ? t.kind : 'other';
    converted.push(makeToken(kind, t.text, t.space));
  }
  const result = evaluateCondition(converted, (name) => {
    if (env.table.get(name)) return 0;
    const assumed = hypothesis?.get(name);
    if (assumed === false) return 0;
    if (assumed === undefined && (isReserved(name) || env.table.knownUndefined.has(name) || env.definesComplete)) return 0;
    return 'unknown';
  });
  return 'value' in result ? result.value : 'unknown';
}

interface Branch {
  readonly kind: string;
  /** The directive's tokens as the lexer made them (not copied: nothing changes them). */
  readonly tokens: readonly CToken[];
  readonly file: SourceFile;
}

interface Group {
  readonly parentActive: boolean;
  /** This branch is read. */
  active: boolean;
  /** This branch is read though its condition is undecided. */
  undecided: boolean;
  /** An earlier branch's condition certainly holds: the later ones are not read. */
  taken: boolean;
  sawElse: boolean;
  /** An earlier branch was read undecided: no later branch is certain. */
  sawUndecided: boolean;
  /** The conditions of this group's branches so far (for the mode hypotheses). */
  readonly branches: Branch[];
  bits: Bits | undefined;
}

/** The open conditional groups of one file. */
const CONDITIONAL_KINDS: ReadonlySet<string> = new Set(['if', 'ifdef', 'ifndef', 'elif', 'elifdef', 'elifndef', 'else', 'endif']);

export class ConditionStack {
  private readonly groups: Group[] = [];
  private activeCache = true;

  constructor(private readonly env: ConditionEnv) {}

  get depth(): number {
    return this.groups.length;
  }

  /** The text here is read. */
  get active(): boolean {
    return this.activeCache;
  }

  /** Some enclosing branch is read without its condition being decided. */
  get undecided(): boolean {
    for (const g of this.groups) if (g.undecided) return true;
    return false;
  }

  /** The bitness the innermost branch that names the mode says. */
  get bits(): Bits | undefined {
    for (let i = this.groups.length - 1; i >= 0; i--) if (this.groups[i]!.bits) return this.groups[i]!.bits;
    return undefined;
  }

  /** Handles a conditional directive; returns false for any other directive name. */
  /** Whether `handle` takes a directive of this kind (its tokens need be made only then). */
  static takes(kind: string): boolean {
    return CONDITIONAL_KINDS.has(kind);
  }

  /** `tokens`: the directive's, read from `file`. */
  handle(kind: string, tokens: readonly CToken[], file: SourceFile): boolean {
    switch (kind) {
      case 'if':
      case 'ifdef':
      case 'ifndef':
        this.open(kind, tokens, file);
        return true;
      case 'elif':
      case 'elifdef':
      case 'elifndef':
        this.alternative(kind, tokens, file);
        return true;
      case 'else':
        this.alternative('else', tokens, file);
        return true;
      case 'endif':
        this.groups.pop();
        this.refresh();
        return true;
    }
    return false;
  }

  private open(kind: string, tokens: readonly CToken[], file: SourceFile): void {
    const parentActive = this.activeCache;
    const group: Group = { parentActive, active: false, undecided: false, taken: false, sawElse: false, sawUndecided: false, branches: [], bits: undefined };
    this.groups.push(group);
    this.enter(group, kind, tokens, file);
    this.refresh();
  }

  private alternative(kind: string, tokens: readonly CToken[], file: SourceFile): void {
    const group = this.groups[this.groups.length - 1];
    if (!group || group.sawElse) return;
    if (kind === 'else') group.sawElse = true;
    this.enter(group, kind, tokens, file);
    this.refresh();
  }

  private enter(group: Group, kind: string, tokens: readonly CToken[], file: SourceFile): void {
    group.branches.push({ kind, tokens, file });
    group.bits = undefined;
    if (!group.parentActive || group.taken) {
      group.active = false;
      group.undecided = false;
      return;
    }
    const value: Truth = kind === 'else' ? true : conditionValue(TEST_OF.get(kind) ?? kind, tokens, file, this.env);
    group.active = value !== false;
    group.undecided = value === 'unknown' || (group.active && group.sawUndecided);
    // A branch whose condition holds ends the group, whatever the undecided ones before it did.
    if (value === true) group.taken = true;
    if (value === 'unknown') group.sawUndecided = true;
    if (group.active && group.undecided) group.bits = this.modeOf(group);
  }

  /** The bitness under which exactly this branch is taken, trying each mode's names as defined. */
  private modeOf(group: Group): Bits | undefined {
    let found: Bits | undefined;
    for (const [bits, hypothesis] of HYPOTHESES) {
      const taken = this.takenUnder(group, hypothesis);
      if (taken === 'unknown') return undefined;
      if (taken) {
        if (found) return undefined;
        found = bits;
      }
    }
    return found;
  }

  private takenUnder(group: Group, hypothesis: Hypothesis): Truth {
    const branches = group.branches;
    for (let i = 0; i < branches.length; i++) {
      const b = branches[i]!;
      const value: Truth = b.kind === 'else' ? true : conditionValue(TEST_OF.get(b.kind) ?? b.kind, b.tokens, b.file, this.env, hypothesis);
      const last = i === branches.length - 1;
      if (value === 'unknown') return 'unknown';
      if (value) return last;
    }
    return false;
  }

  private refresh(): void {
    const top = this.groups[this.groups.length - 1];
    this.activeCache = top ? top.parentActive && top.active : true;
  }
}
