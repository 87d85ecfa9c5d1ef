// Reading one preprocessor directive from the lexer, and the includes and macro definitions of
// headers: a header is read once per build (kept in a `CMacroCache` the caller holds across
// files), only for its macros, following its own includes; depth and count are bounded, cycles end.
import type { SourceReader } from '../../project/source';
import { dirname, isAbsolute, joinPath, normalize } from '../../project/paths';
import { ConditionStack } from './conditionals';
import { CLexer, nextDirective, type CToken } from './lexer';
import { decodeStringLiteral } from './literals';
import { MacroTable, readDefine, type BodyNames, type BuildFacts } from './macros';
import { SourceFile, type CMacro } from './source';
import { GNU_ASM_KEYWORDS } from './gnuAsm';
import { NameHashes } from './nameFilter';
import { emptyList } from '../../syntax/emptyList';

/** How many characters of a name's start or end group it for `AsmNames.withAffixes`. */
const AFFIX_KEY = 4;

function groupOf(groups: Map<string, string[]>, key: string): string[] {
  let group = groups.get(key);
  if (!group) groups.set(key, (group = []));
  return group;
}

/**
 * The names of header (and build) macros whose body may make an asm statement: an asm keyword,
 * a name in the set, or a name pasted from an argument (`__loadsegment_ ## seg`), whatever header
 * defines it and whoever includes it. Kept up to date as headers are read. A scan's own macros
 * are not in it: one of them can make a header macro hold asm in that scan alone.
 */
export class AsmNames {
  private readonly names = new Set<string>();
  /** The same names as hashes, for the pre-filter's pass. */
  readonly hashes = new NameHashes();
  /** Name to the macros whose bodies use it, while it is not in the set. */
  private readonly usedBy = new Map<string, string[]>();
  /** The names in the order they came into the set. */
  private readonly marked: string[] = [];
  /** The same, by their first and by their last `AFFIX_KEY` characters (names at least that long). */
  private readonly byStart = new Map<string, string[]>();
  private readonly byEnd = new Map<string, string[]>();
  /** Per prefix and suffix asked: the names so far that have them, and how many of the candidates were looked at. */
  private readonly affixed = new Map<string, { names: string[]; candidates: readonly string[]; seen: number }>();

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** The names in the set that start with `prefix` and end with `suffix`. */
  withAffixes(prefix: string, suffix: string): readonly string[] {
    const key = `${prefix}\n${suffix}`;
    let known = this.affixed.get(key);
    if (!known) this.affixed.set(key, (known = { names: [], candidates: this.candidatesFor(prefix, suffix), seen: 0 }));
    const candidates = known.candidates;
    for (; known.seen < candidates.length; known.seen++) {
      const name = candidates[known.seen]!;
      if (hasAffixes(name, prefix, suffix)) known.names.push(name);
    }
    return known.names;
  }

  /** The list, kept up to date, that holds every name with these affixes: one group of names when an affix is long enough to choose it. */
  private candidatesFor(prefix: string, suffix: string): readonly string[] {
    if (prefix.length < AFFIX_KEY && suffix.length < AFFIX_KEY) return this.marked;
    return prefix.length >= AFFIX_KEY ? groupOf(this.byStart, prefix.slice(0, AFFIX_KEY)) : groupOf(this.byEnd, suffix.slice(-AFFIX_KEY));
  }

  add(macro: CMacro): void {
    if (this.names.has(macro.name)) return;
    const body = macro.body;
    const names: string[] = [];
    let pastesArgument = false;
    for (let i = 0; i < body.length; i++) {
      const b = body[i]!;
      if (b.paste && pastesArgumentToName(body, i)) pastesArgument = true;
      if (b.kind === 'ident' && b.param < 0) names.push(b.text);
    }
    this.addUses(macro.name, { names, pastesArgument });
  }

  /** `add` for a macro whose body is read as `BodyNames` (its identifiers that are no parameter, in order). */
  addUses(name: string, body: BodyNames): void {
    if (this.names.has(name)) return;
    const names = body.names;
    if (body.pastesArgument) return this.mark(name);
    for (let i = 0; i < names.length; i++) {
      if (GNU_ASM_KEYWORDS.has(names[i]!) || this.names.has(names[i]!)) return this.mark(name);
    }
    for (let i = 0; i < names.length; i++) {
      const used = names[i]!;
      if (used === name) continue;
      const users = this.usedBy.get(used);
      // A name used again in the same body: one entry is enough (`mark` skips the repeats, and they come together).
      if (users === undefined) this.usedBy.set(used, [name]);
      else if (users[users.length - 1] !== name) users.push(name);
    }
  }

  private mark(name: string): void {
    const work = [name];
    while (work.length > 0) {
      const next = work.pop()!;
      if (this.names.has(next)) continue;
      this.names.add(next);
      this.marked.push(next);
      if (next.length >= AFFIX_KEY) {
        groupOf(this.byStart, next.slice(0, AFFIX_KEY)).push(next);
        groupOf(this.byEnd, next.slice(-AFFIX_KEY)).push(next);
      }
      this.hashes.add(next);
      const users = this.usedBy.get(next);
      if (!users) continue;
      this.usedBy.delete(next);
      for (const user of users) if (!this.names.has(user)) work.push(user);
    }
  }
}

/** `name ## param` or `param ## name`: an argument completes a name (the rule `holdsAsm` follows). */
export function pastesArgumentToName(body: CMacro['body'], paste: number): boolean {
  const left = body[paste - 1];
  const right = body[paste + 1];
  return left !== undefined && left.kind === 'ident' && (left.param >= 0) !== (right !== undefined && right.param >= 0);
}

/**
 * For a paste `pastesArgumentToName` accepts: what the name it makes must start and end with,
 * from the words written around the arguments in its chain (`__ARG_PLACEHOLDER_ ## x` starts with
 * `__ARG_PLACEHOLDER_`, `a ## b ## _t` ends with `_t`). Undefined when the chain holds anything
 * but words, numbers and parameters, or no words at either end: then any name may come out.
 */
export function pastedNameAffixes(body: CMacro['body'], paste: number): { prefix: string; suffix: string } | undefined {
  let first = paste - 1;
  while (first >= 2 && body[first - 1]!.paste) first -= 2;
  let last = paste + 1;
  while (last + 2 < body.length && body[last + 1]!.paste) last += 2;
  for (let k = first; k <= last; k += 2) {
    const t = body[k];
    if (t === undefined || (t.kind !== 'ident' && t.kind !== 'number')) return undefined;
  }
  let prefix = '';
  for (let k = first; k <= last && body[k]!.param < 0; k += 2) prefix += body[k]!.text;
  let suffix = '';
  for (let k = last; k >= first && body[k]!.param < 0; k -= 2) suffix = body[k]!.text + suffix;
  return prefix === '' && suffix === '' ? undefined : { prefix, suffix };
}

/** Whether `name` starts with `prefix` and ends with `suffix`, the two not overlapping. */
export function hasAffixes(name: string, prefix: string, suffix: string): boolean {
  return name.length >= prefix.length + suffix.length && name.startsWith(prefix) && name.endsWith(suffix);
}

/** A directive's name and the tokens after it. */
export interface HeaderDirective {
  /** `define`, `if`…; '' for a null directive. */
  readonly name: string;
  /** The tokens after the name (none for the directives read as raw text). */
  readonly tokens: CToken[];
}

export interface Directive extends HeaderDirective {
  readonly hash: CToken;
}

/** Directives whose text is not C tokens (a `'` in `#error don't` is no character constant). */
const RAW = new Set(['error', 'warning', 'pragma', 'line', 'ident', 'sccs', 'assert', 'unassert']);
const KNOWN = new Set(['define', 'undef', 'include', 'include_next', 'import', 'if', 'ifdef', 'ifndef', 'elif', 'elifdef', 'elifndef', 'else', 'endif']);

/** In a branch the preprocessor does not take, the directives whose tokens still matter: an `#elif` may be the branch taken, and decides the bitness of the others. */
export const READ_WHEN_SKIPPING: ReadonlySet<string> = new Set(['elif', 'elifdef', 'elifndef', 'else', 'endif']);
/** A header notes include guards in skipped branches too (`noteIncludeGuard`). */
const HEADER_READS_WHEN_SKIPPING: ReadonlySet<string> = new Set([...READ_WHEN_SKIPPING, 'if', 'ifndef']);

/** Shared by the directives that have no tokens: never added to. */
const NO_TOKENS = emptyList<CToken>();

/**
 * Reads the directive starting at `hash` (a `#` first on its line) to the end of its logical line.
 * `skipping`, in a branch the preprocessor does not take: the directives whose tokens are still
 * read; the others are passed over (their comments still kept).
 */
export function readDirective(lexer: CLexer, hash: CToken, skipping?: ReadonlySet<string>): Directive {
  const { name, tokens } = readAfterHash(lexer, skipping, false);
  return { hash, name, tokens };
}

/**
 * `readDirective` for a header's directive at `at` (a `#` first on its line), making no token for
 * the `#` (a header is read for its directives alone: there are some 75,000 in arch/x86's). A
 * `#define`'s line is left for `readDefine`.
 */
export function readHeaderDirective(lexer: CLexer, at: number, skipping?: ReadonlySet<string>): HeaderDirective {
  // Where the lexer stands after the `#` token (`##` is one: `readDirective` reads on after it too).
  lexer.seek(lexer.text.charCodeAt(at + 1) === 35 ? at + 2 : at + 1, false);
  return readAfterHash(lexer, skipping, true);
}

/** A directive's name (no token made for it) and tokens, the lexer just past its `#`. `leaveDefine`: a `#define`'s tokens are not read. */
function readAfterHash(lexer: CLexer, skipping: ReadonlySet<string> | undefined, leaveDefine: boolean): HeaderDirective {
  if (!lexer.scanOnLine()) return { name: '', tokens: NO_TOKENS };
  const scanned = lexer.scanned;
  const name = scanned.kind === 'ident' ? lexer.text.slice(scanned.start, scanned.end) : '';
  if (name === '' || RAW.has(name) || !KNOWN.has(name)) {
    lexer.seek(lexer.endOfLogicalLine(scanned.end), false);
    return { name, tokens: NO_TOKENS };
  }
  if (skipping !== undefined && !skipping.has(name)) {
    lexer.skipRestOfLine();
    return { name, tokens: NO_TOKENS };
  }
  if (leaveDefine && name === 'define') return { name, tokens: NO_TOKENS };
  const tokens: CToken[] = [];
  for (let t = lexer.nextOnLine(); t; t = lexer.nextOnLine()) tokens.push(t);
  return { name, tokens };
}

export interface IncludeSpec {
  readonly spec: string;
  readonly system: boolean;
}

export function includeSpecOf(directive: Pick<Directive, 'tokens'>, text: string): IncludeSpec | undefined {
  const first = directive.tokens[0];
  if (!first) return undefined;
  if (first.kind === 'string') return { spec: decodeStringLiteral(first.text, -1).text, system: false };
  if (first.text === '<') {
    const close = directive.tokens.find((t) => t.text === '>' || t.text === '>>' || t.text === '>=');
    if (!close) return undefined;
    return { spec: text.slice(first.end, close.start), system: true };
  }
  return undefined;
}

/** A header read, and the headers it includes (its definitions are in `BuildCache.definitions`). */
class HeaderInfo {
  /** `includes` as the build's nodes, made on the first walk through it. */
  includeNodes: HeaderNode[] | undefined = undefined;

  constructor(
    readonly file: SourceFile,
    readonly includes: readonly string[],
  ) {}
}

/**
 * A path some include resolved to, as the walks of one build's scans meet it: each scan that
 * reaches it stamps it with its number, so a walk asks no set whether it was here.
 */
interface HeaderNode {
  readonly path: string;
  /** The header once read (an unreadable one stays undefined and is asked about again). */
  info: HeaderInfo | undefined;
  reachedIn: number;
}

/** A name's definitions in the headers read so far (in reading order) and the build's: one shape whether the build defines it or not. */
class NameDefinitions {
  constructor(
    public headers: CMacro[],
    readonly builtin: CMacro | undefined,
  ) {}
}

/** The lists of `NameDefinitions.headers` have one map, empty or not (`emptyList`). */
const NO_HEADER_DEFINITIONS = emptyList<CMacro>();

function definitionsWith(builtins: ReadonlyMap<string, CMacro>): Map<string, NameDefinitions> {
  const out = new Map<string, NameDefinitions>();
  for (const [name, builtin] of builtins) out.set(name, new NameDefinitions(NO_HEADER_DEFINITIONS, builtin));
  return out;
}

/** What one build (language, bitness, defines, include paths) has learnt about headers. */
interface BuildCache {
  /** Path to what the header holds; null while it is being read (an include cycle) or when it cannot be read. */
  readonly headers: Map<string, HeaderInfo | null>;
  /**
   * Per name: every definition in the headers read so far, in reading order, and the build's
   * (`-D`, predefined). A scan sees the latest one whose header its includes reach, else the
   * build's; a header's own conditionals are evaluated with the latest of all, so a header is read
   * once, whoever includes it. One entry per name: a name no one defines costs one lookup.
   */
  readonly definitions: Map<string, NameDefinitions>;
  /** Include (kind, includer folder, spec) to the path it resolved to (null: not found). */
  readonly resolved: Map<string, string | null>;
  /** Path to its node in the include walks. */
  readonly nodes: Map<string, HeaderNode>;
  /** Names some header defines as a macro that may make an asm statement (a superset of what any scan sees), for the pre-filter. */
  readonly asmNames: AsmNames;
  /**
   * Every name a scan's code may find something under, as hashes: each name `definitions` holds,
   * each name a scan of the build defined itself (`Includes.noteDefined`), and the words the
   * scanner asks about (`Includes`' `lookedUp`). A name whose hash is not here is, in every scan
   * of the build, no macro and none of those words, so a scan's code need not look it up. Added
   * to before the name can be looked up: a header's names as it is read, a scan's own at its `#define`.
   * Made when a scan first needs it (`Includes.buildNames`), from the names `definitions` holds
   * then: a caller with no cache of its own makes a build per file, and a file the pre-filter
   * passes over would pay for a table it never reads.
   */
  names: NameHashes | undefined;
  /** What `names` starts from besides the definitions (`Includes`' `lookedUp`). */
  readonly lookedUp: readonly NameHashes[];
}

/** Defines maps compared against each new one (a project has a few builds, not hundreds). */
const MAX_DISTINCT_DEFINES = 16;

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of b) if (a.get(name) !== value) return false;
  return true;
}

/** Kept by the caller across files: each header is found and read once per build. */
export class CMacroCache {
  private readonly builds = new WeakMap<ReadonlyMap<string, string>, Map<string, BuildCache>>();
  private readonly sameDefines = new WeakMap<ReadonlyMap<string, string>, ReadonlyMap<string, string>>();
  private readonly distinctDefines: ReadonlyMap<string, string>[] = [];

  /**
   * The first defines map seen with the same names and values: a caller that makes a new map per
   * file (from the same configuration) still shares one build's headers and parsed `-D`s.
   */
  sharedDefines(defines: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
    const known = this.sameDefines.get(defines);
    if (known) return known;
    let shared = defines;
    for (const other of this.distinctDefines) {
      if (sameEntries(other, defines)) {
        shared = other;
        break;
      }
    }
    if (shared === defines && this.distinctDefines.length < MAX_DISTINCT_DEFINES) this.distinctDefines.push(defines);
    this.sameDefines.set(defines, shared);
    return shared;
  }

  /** `builtins` are the build's own macros: the same for every call with the same defines and key. */
  forBuild(defines: ReadonlyMap<string, string>, key: string, builtins: ReadonlyMap<string, CMacro>, lookedUp: readonly NameHashes[]): BuildCache {
    let byKey = this.builds.get(defines);
    if (!byKey) this.builds.set(defines, (byKey = new Map()));
    let build = byKey.get(key);
    if (!build) {
      // The build's own macros count too: a `-D` value may name a header macro that makes asm.
      const asmNames = new AsmNames();
      for (const macro of builtins.values()) asmNames.add(macro);
      build = { headers: new Map(), definitions: definitionsWith(builtins), resolved: new Map(), nodes: new Map(), asmNames, names: undefined, lookedUp };
      byKey.set(key, build);
    }
    return build;
  }
}

export interface IncludeLimits {
  /** Nested includes. */
  readonly depth: number;
  /** Headers one scan may read (those in the cache are free). */
  readonly headers: number;
  /** Headers one scan's includes may reach. */
  readonly visible: number;
}

/** `#include <a/b.h>` or `#include "c.h"` (`include_next`, `import` too) at a directive's `#`. */
const INCLUDE_LINE = /#[ \t]*(?:include_next|include|import)[ \t]*(?:<([^>\r\n]*)>|"([^"\r\n]*)")/y;

/** Any include directive, whatever follows the word (`#include MACRO`). */
const INCLUDE_WORD = /#\s*(?:include|import)/y;

export const INCLUDE_LIMITS: IncludeLimits = { depth: 40, headers: 4000, visible: 20_000 };

/** Scans run one at a time (they are synchronous): a header's stamp says which last reached it. */
let lastScanNumber = 0;

export class Includes {
  private readCount = 0;
  /** This scan's stamp on the headers (`SourceFile.reachedIn`) and paths (`HeaderNode.reachedIn`) its includes reach. */
  private readonly scanNumber = ++lastScanNumber;
  private reachedCount = 0;
  private readonly cache: BuildCache;
  private readonly definitions: Map<string, NameDefinitions>;
  /** The text `resolve` just read, so the header is not read twice. */
  private justRead: { path: string; text: string } | undefined;

  constructor(
    private readonly reader: SourceReader | undefined,
    private readonly includePaths: readonly string[],
    cache: CMacroCache,
    private readonly build: BuildFacts,
    builtins: ReadonlyMap<string, CMacro>,
    /** The names besides macros the scanner looks up (asm keywords, intrinsics), for the build's `names`: the same for every scan of a build. */
    lookedUp: readonly NameHashes[],
    private readonly limits: IncludeLimits = INCLUDE_LIMITS,
  ) {
    // The key names everything `builtinMacros` makes the builtins from besides the defines.
    this.cache = cache.forBuild(build.defines, `${build.language}|${build.bits}|${build.definesComplete}|${includePaths.join('\n')}`, builtins, lookedUp);
    this.definitions = this.cache.definitions;
  }

  /** The build's `names`, made now if no scan has needed them yet. */
  private buildNames(): NameHashes {
    const names = new NameHashes();
    for (const name of this.definitions.keys()) names.add(name);
    for (const words of this.cache.lookedUp) names.addAll(words);
    this.cache.names = names;
    return names;
  }

  /**
   * Whether a name of this hash may be a macro in force, or one of the words the scanner looks up:
   * false is certain (no lookup needed), true only says the lookup may find something.
   */
  mayName(hash: number): boolean {
    return (this.cache.names ?? this.buildNames()).mayHold(hash);
  }

  /** A `#define` of the scan's own (before anything looks its name up). */
  noteDefined(nameHash: number): void {
    (this.cache.names ?? this.buildNames()).addHash(nameHash);
  }

  /** The latest definition of `name` in a header this scan's includes reach, else the build's. */
  get(name: string): CMacro | undefined {
    const entry = this.definitions.get(name);
    if (entry === undefined) return undefined;
    const list = entry.headers;
    const scan = this.scanNumber;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.file.reachedIn === scan) return list[i];
    return entry.builtin;
  }

  /** The header a directive names, found as cpp would (quoted: the includer's folder first). */
  private resolve(include: IncludeSpec, fromPath: string | undefined): string | undefined {
    if (!this.reader || include.spec === '') return undefined;
    const from = include.system || !fromPath ? '' : dirname(fromPath);
    const key = `${include.system ? '<' : '"'}${from}|${include.spec}`;
    const known = this.cache.resolved.get(key);
    if (known !== undefined) return known ?? undefined;
    const candidates: string[] = [];
    if (isAbsolute(include.spec)) candidates.push(normalize(include.spec));
    else {
      if (from) candidates.push(joinPath(from, include.spec));
      for (const dir of this.includePaths) candidates.push(joinPath(dir, include.spec));
    }
    let found: string | null = null;
    for (const path of candidates) {
      if (this.cache.headers.get(path)) {
        found = path;
        break;
      }
      const read = this.reader.read(path);
      if ('text' in read) {
        this.justRead = { path, text: read.text };
        found = path;
        break;
      }
    }
    this.cache.resolved.set(key, found);
    return found ?? undefined;
  }

  /** The build's asm-making header macro names. */
  /** What this scan shares with every other of its build (its identity names the build). */
  get buildCache(): BuildCache {
    return this.cache;
  }

  get asmNames(): AsmNames {
    return this.cache.asmNames;
  }

  /**
   * The directive whose `#` is at `at` is no `#include`, or names a header already read for this
   * build, or none: the build's `asmNames` then cover the macros it brings.
   */
  knownInclude(text: string, at: number, fromPath: string | undefined): boolean {
    INCLUDE_LINE.lastIndex = at;
    const m = INCLUDE_LINE.exec(text);
    if (!m) {
      INCLUDE_WORD.lastIndex = at;
      return !INCLUDE_WORD.test(text);
    }
    const system = m[1] !== undefined;
    const path = this.resolve({ spec: system ? m[1]! : m[2]!, system }, fromPath);
    return path === undefined || this.cache.headers.get(path) !== undefined;
  }

  /** Makes the macros of `include` (and of what it includes) visible to the scan. */
  include(include: IncludeSpec, fromPath: string | undefined): void {
    const path = this.resolve(include, fromPath);
    if (path) this.reach(this.nodeOf(path), 0);
  }

  private nodeOf(path: string): HeaderNode {
    const nodes = this.cache.nodes;
    let node = nodes.get(path);
    if (!node) nodes.set(path, (node = { path, info: undefined, reachedIn: 0 }));
    return node;
  }

  /** Not an arrow in `reach`: one there makes V8 allocate a context on every call, and `reach` runs some 300k times a run. */
  private nodesOf(paths: readonly string[]): HeaderNode[] {
    const out: HeaderNode[] = [];
    for (const path of paths) out.push(this.nodeOf(path));
    return out;
  }

  private reach(node: HeaderNode, depth: number): void {
    if (node.reachedIn === this.scanNumber || this.reachedCount >= this.limits.visible || depth > this.limits.depth) return;
    node.reachedIn = this.scanNumber;
    this.reachedCount++;
    const info = node.info ?? this.infoOf(node.path, depth);
    if (!info) return;
    node.info = info;
    info.file.reachedIn = this.scanNumber;
    const inner = (info.includeNodes ??= this.nodesOf(info.includes));
    const scan = this.scanNumber;
    // Most of a header's includes were reached already (every header includes the same few): no call for those.
    for (let k = 0; k < inner.length; k++) if (inner[k]!.reachedIn !== scan) this.reach(inner[k]!, depth + 1);
  }

  private infoOf(path: string, depth: number): HeaderInfo | null {
    const key = path;
    const known = this.cache.headers.get(key);
    if (known !== undefined) return known;
    if (depth > this.limits.depth || ++this.readCount > this.limits.headers || !this.reader) return null;
    const read = this.justRead?.path === path ? this.justRead : this.reader.read(path);
    this.justRead = undefined;
    if (!('text' in read)) return null;
    this.cache.headers.set(key, null);
    const info = this.read(path, read.text, depth);
    this.cache.headers.set(key, info);
    return info;
  }

  /** A header's macro definitions, with its conditionals evaluated on its own macros and the latest of every header read. */
  private read(path: string, text: string, depth: number): HeaderInfo {
    const file = new SourceFile(path, text, false);
    const lexer = new CLexer(text);
    lexer.quiet = true;
    const definitions = this.definitions;
    const latest = (name: string): CMacro | undefined => {
      const entry = definitions.get(name);
      if (entry === undefined) return undefined;
      const list = entry.headers;
      return list.length > 0 ? list[list.length - 1] : entry.builtin;
    };
    const table = new MacroTable({ get: latest });
    const conditions = new ConditionStack({ table, definesComplete: this.build.definesComplete, depthLimit: 64 });
    // Made outside `read`, as what `addDefinition` keeps: V8 decides late where to allocate what a
    // function's literals make and is kept, and a function that makes them is deoptimized then.
    const includes = emptyList<string>();
    // The same for every header: `namesOfBody` pushes names to it.
    const bodyNames = { names: emptyList<string>(), pastesArgument: false };
    for (let at = nextDirective(text, 0); at >= 0; at = nextDirective(text, lexer.offset)) {
      const d = readHeaderDirective(lexer, at, conditions.active ? undefined : HEADER_READS_WHEN_SKIPPING);
      if (d.name === 'ifndef' || d.name === 'if') noteIncludeGuard(lexer, table, d);
      if (ConditionStack.takes(d.name) && conditions.handle(d.name, d.tokens, file)) continue;
      if (!conditions.active) continue;
      if (d.name === 'define') {
        const macro = readDefine(lexer, file, bodyNames);
        if (!macro) continue;
        table.define(macro);
        this.cache.asmNames.addUses(macro.name, bodyNames);
        this.addDefinition(macro);
      } else if (d.name === 'undef' && d.tokens[0]?.kind === 'ident') {
        table.undef(d.tokens[0].text);
      } else if (d.name === 'include' || d.name === 'include_next' || d.name === 'import') {
        const spec = includeSpecOf(d, text);
        const found = spec && this.resolve(spec, path);
        if (!found) continue;
        this.infoOf(found, depth + 1);
        includes.push(found);
      }
    }
    return new HeaderInfo(file, includes);
  }

  /** A header's definition, the latest of its name (its allocations out of `read`: see there). */
  private addDefinition(macro: CMacro): void {
    const entry = this.definitions.get(macro.name);
    if (entry === undefined) {
      this.definitions.set(macro.name, new NameDefinitions([macro], undefined));
      this.cache.names?.add(macro.name);
    } else if (entry.headers === NO_HEADER_DEFINITIONS) entry.headers = [macro];
    else entry.headers.push(macro);
  }
}

/** `#ifndef X` / `#if !defined X` right before `#define X`: X is an include guard, known not to be defined yet. */
export function noteIncludeGuard(lexer: CLexer, table: MacroTable, directive: Pick<Directive, 'name' | 'tokens'>): void {
  const guard = directive.name === 'ifndef' ? directive.tokens[0] : directive.tokens.find((t) => t.kind === 'ident' && t.text !== 'defined');
  if (!guard || guard.kind !== 'ident' || table.get(guard.text)) return;
  const text = lexer.text;
  const after = lexer.offset;
  // Most often code follows: a printable character other than `#` (no `\s`) there settles it without cutting the text.
  const c = text.charCodeAt(after);
  if (c > 32 && c < 127 && c !== 35) return;
  const m = /^\s*#\s*define\s+([A-Za-z_$][\w$]*)/.exec(text.slice(after, after + 300));
  if (m && m[1] === guard.text) table.knownUndefined.add(guard.text);
}
