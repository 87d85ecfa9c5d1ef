// Matches `virtlint.overrides[].files` against a document's path. The globs may come from a
// workspace's own settings, so a bad one must neither fail requests nor hang the server:
// picomatch compiles them (and says when one is invalid), and every match is costed before it
// runs, because picomatch compiles to a backtracking regular expression whose worst case grows
// like (path length)^(number of wildcards): `*a*a*a*a*a*a*a*ab` against a 60-letter name
// takes picomatch's regex close to a minute.
import picomatch from 'picomatch';

/** Longer globs are refused: no path glob needs more, and parsing cost grows with length. */
export const MAX_GLOB_LENGTH = 1024;

/**
 * How many ways of splitting a path among wildcards the matches for one file may explore.
 * The slowest glob-and-path pair within this budget measured about 30 ms.
 */
export const MATCH_BUDGET = 10_000_000;

const OPTIONS: picomatch.PicomatchOptions = {
  // A setting should reach files in `.config/` and the like, as the old matcher did.
  dot: true,
  // `+(...)`, `!(...)`, a leading `!` and regex quantifiers such as `(a|aa)+` would put
  // quantifiers inside quantified groups (exponential backtracking); all stay literal.
  noextglob: true,
  nonegate: true,
  regex: false,
  maxLength: MAX_GLOB_LENGTH,
};

interface CompiledGlob {
  regex: RegExp;
  /** Whether the glob has a `/` (then it is matched against the path, else the base name). */
  hasSlash: boolean;
  /** Variable-width pieces (`*`, `**`) of the regex. */
  wildcards: number;
  /** Binary choices (`{a,b}` alternatives, `(a|b)`, optional slashes) of the regex. */
  choices: number;
}

export class InvalidGlobError extends Error {}

/** Compiled globs by source text; bounded, since every settings change may bring new ones. */
const cache = new Map<string, CompiledGlob>();
const CACHE_LIMIT = 512;

function compiled(glob: string): CompiledGlob {
  const known = cache.get(glob);
  if (known) return known;
  const result = compile(glob);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(glob, result);
  return result;
}

function compile(glob: string): CompiledGlob {
  if (glob.trim() === '') throw new InvalidGlobError('it is empty');
  if (glob.length > MAX_GLOB_LENGTH) throw new InvalidGlobError(`it is longer than ${MAX_GLOB_LENGTH} characters`);
  const relative = glob.replace(/^\.\//, '');
  const hasSlash = relative.includes('/');
  // A glob that is not rooted matches anywhere below the folder, like a .gitignore line.
  const anchored = hasSlash && !relative.startsWith('/') && !relative.startsWith('**/') ? `**/${relative}` : relative;
  try {
    const state = picomatch.parse(anchored, OPTIONS);
    const regex = picomatch.compileRe(state, { ...OPTIONS, debug: true });
    let wildcards = 0;
    let choices = 0;
    for (const token of state.tokens) {
      if (token.type === 'star' || token.type === 'globstar') wildcards++;
      else if (token.type === 'comma' || token.type === 'maybe_slash') choices++;
      else if (token.type === 'text') choices += countOf('|', token.value);
    }
    return { regex, hasSlash, wildcards, choices };
  } catch (error) {
    throw new InvalidGlobError(error instanceof Error ? error.message : String(error));
  }
}

function countOf(character: string, text: string): number {
  let count = 0;
  for (let at = text.indexOf(character); at >= 0; at = text.indexOf(character, at + 1)) count++;
  return count;
}

/** Why `glob` cannot be used, or undefined when it can. */
export function globProblem(glob: string): string | undefined {
  try {
    compiled(glob);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Upper estimate of the paths a backtracking match explores: the ways to place `wildcards`
 * boundaries among `length` characters, times every combination of the binary choices.
 */
function matchCost(glob: CompiledGlob, length: number): number {
  let cost = 2 ** glob.choices;
  for (let i = 1; i <= glob.wildcards && cost <= MATCH_BUDGET; i++) cost = (cost * (length + i)) / i;
  return cost;
}

/** What the matches for one file may still spend (see MATCH_BUDGET). */
export class MatchBudget {
  constructor(private remaining: number = MATCH_BUDGET) {}

  /** Takes `cost` from the budget; false (taking nothing) when it does not fit. */
  spend(cost: number): boolean {
    if (cost > this.remaining) return false;
    this.remaining -= cost;
    return true;
  }
}

export type GlobMatch = 'match' | 'no-match' | 'over-budget';

/**
 * Whether `path` (any separators) matches `glob`. A glob without `/` matches the base name.
 * An invalid glob matches nothing; a match the budget cannot pay for is not tried.
 */
export function matchGlob(glob: string, path: string, budget: MatchBudget = new MatchBudget()): GlobMatch {
  let pattern: CompiledGlob;
  try {
    pattern = compiled(glob);
  } catch {
    return 'no-match';
  }
  const normalizedPath = path.replace(/\\/g, '/');
  const subject = pattern.hasSlash ? normalizedPath : normalizedPath.slice(normalizedPath.lastIndexOf('/') + 1);
  if (!budget.spend(matchCost(pattern, subject.length))) return 'over-budget';
  return pattern.regex.test(subject) ? 'match' : 'no-match';
}
