// The server's whole-program view: the last ProjectResult for the workspace, kept up to date one
// piece at a time. A piece is a component of the include graph: the walks' roots and every file
// they reach, closed over shared files (a header two roots include ties them together). An edit
// re-runs the component holding the edited file and replaces exactly that component's part.
import type { ProjectResult, FileAnalysis, IncludeSite, MacroDefinition } from '../analysis/project/index';
import type { FileLocation } from '../analysis/types';

/** How many times one refresh may widen its component after seeing the new include graph. */
const MAX_WIDENINGS = 4;
/** An open file read from more roots than this waits for the full refresh (its own fast analysis shows meanwhile). */
const MAX_QUICK_ROOTS_PER_FILE = 8;

export class ProjectIndex {
  private files = new Map<string, FileAnalysis>();
  private macros = new Map<string, MacroDefinition[]>();
  private invocations = new Map<string, FileLocation[]>();
  private includes: IncludeSite[] = [];
  /** What the assembler reads at each invocation, by `path:line`. */
  private expansions = new Map<string, string[]>();
  /** Files each walk root reached, derived from the files' contexts. */
  private reachedFrom = new Map<string, Set<string>>();
  /** Bumped whenever any part changes. */
  revision = 0;
  /** The names (lower case, no folder) unresolved includes looked for, as of a revision. */
  private unresolvedNames: { revision: number; names: Set<string> } | undefined;

  fileAnalysis(path: string): FileAnalysis | undefined {
    return this.files.get(path);
  }

  get fileCount(): number {
    return this.files.size;
  }

  knows(path: string): boolean {
    return this.files.has(path);
  }

  macroDefinitions(name: string): readonly MacroDefinition[] {
    return this.macros.get(name.toLowerCase()) ?? [];
  }

  macroInvocations(name: string): readonly FileLocation[] {
    return this.invocations.get(name.toLowerCase()) ?? [];
  }

  /** Names of the macros invoked on a line (from the invocation sites the walks recorded). */
  macrosInvokedAt(path: string, line: number, character: number): string[] {
    const names: string[] = [];
    for (const [name, sites] of this.invocations) {
      for (const site of sites) {
        if (site.path !== path || site.line !== line) continue;
        if (site.range && (character < site.range.start.character || character > site.range.end.character)) continue;
        names.push(name);
        break;
      }
    }
    return names;
  }

  /** The lines the assembler reads for the invocation(s) on this line. */
  expansionAt(path: string, line: number): readonly string[] | undefined {
    return this.expansions.get(`${path}:${line}`);
  }

  includeSitesAt(path: string, line: number): IncludeSite[] {
    return this.includes.filter((site) => site.from.path === path && site.from.line === line);
  }

  /** Every include directive that brings in `target`. */
  sitesIncluding(target: string): IncludeSite[] {
    return this.includes.filter((site) => site.target === target);
  }

  /** Files with an include directive that found nothing and names a file called `name` (which may just have been created). */
  unresolvedIncludersOf(name: string): string[] {
    const wanted = name.toLowerCase();
    const files = new Set<string>();
    for (const site of this.includes) if (site.target === undefined && includedName(site.spec) === wanted) files.add(site.from.path);
    return Array.from(files);
  }

  /** Whether an include that found nothing looked for a file of this name; cheap enough for every watcher event. */
  isUnresolvedName(name: string): boolean {
    if (this.unresolvedNames?.revision !== this.revision) {
      const names = new Set<string>();
      for (const site of this.includes) if (site.target === undefined) names.add(includedName(site.spec));
      this.unresolvedNames = { revision: this.revision, names };
    }
    return this.unresolvedNames.names.has(name.toLowerCase());
  }

  /** Whether a file includes anything (then its own diagnostics depend on other files). */
  includesSomething(path: string): boolean {
    return this.includes.some((site) => site.from.path === path);
  }

  /** Replaces everything with a full run's result. */
  replaceAll(result: ProjectResult): void {
    this.files = new Map(result.files);
    this.macros = new Map(result.macros);
    this.invocations = new Map(result.invocations);
    this.includes = result.includes.slice();
    this.expansions = new Map(result.expansions);
    this.rebuildReach();
    this.revision++;
  }

  /**
   * Every file whose analysis may change when `changed` changes: the component of the include
   * graph holding it. A file the index does not know yet stands alone.
   */
  componentOf(changed: Iterable<string>): Set<string> {
    const files = new Set<string>();
    const roots = new Set<string>();
    const pendingFiles: string[] = [];
    for (const path of changed) {
      if (!files.has(path)) {
        files.add(path);
        pendingFiles.push(path);
      }
    }
    while (pendingFiles.length > 0) {
      const file = pendingFiles.pop()!;
      for (const root of this.rootsOf(file)) {
        if (roots.has(root)) continue;
        roots.add(root);
        for (const reached of this.reachedFrom.get(root) ?? [root]) {
          if (files.has(reached)) continue;
          files.add(reached);
          pendingFiles.push(reached);
        }
      }
    }
    return files;
  }

  /**
   * Re-analyses the component holding `changed` and puts the new result in its place. `exists`
   * says whether a file that the new result no longer reaches should still be analysed on its
   * own (it is in the workspace or open). Returns the files whose analysis was replaced or dropped.
   */
  async refresh(changed: Iterable<string>, analyze: (files: string[]) => Promise<ProjectResult>, exists: (path: string) => boolean): Promise<Set<string>> {
    let component = this.componentOf(changed);
    let result = await analyze(candidates(component, exists));
    for (let widening = 0; widening < MAX_WIDENINGS; widening++) {
      // A file the new walks reach that other walks reached too ties their components together.
      const wider = this.componentOf(result.files.keys());
      for (const file of component) wider.add(file);
      if (wider.size === component.size) break;
      component = wider;
      result = await analyze(candidates(component, exists));
    }
    this.replaceComponent(component, result);
    const touched = new Set(component);
    for (const file of result.files.keys()) touched.add(file);
    return touched;
  }

  /**
   * The quick part of a refresh: the open files an edit affects, re-analysed from their own roots
   * only. A header many files include ties a whole tree into one component, but an open includer
   * needs just the walks that reach it. Only files every one of whose roots was in the run are
   * replaced; the full refresh of the component follows when typing pauses. Returns the files
   * replaced, or undefined when the quick run would not be much smaller than the full one.
   */
  async refreshOpen(
    changed: Iterable<string>,
    open: Iterable<string>,
    analyze: (files: string[]) => Promise<ProjectResult>,
    exists: (path: string) => boolean,
  ): Promise<Set<string> | undefined> {
    const edited = new Set(changed);
    const component = this.componentOf(edited);
    const wanted: string[] = [];
    const roots = new Set<string>();
    for (const file of open) {
      // An edited file others include shows its own fast analysis at once; its contexts come with the full refresh.
      if ((edited.has(file) && this.rootsOf(file).length > 1) || !component.has(file) || !this.files.has(file)) continue;
      const fileRoots = this.rootsOf(file);
      if (fileRoots.length > MAX_QUICK_ROOTS_PER_FILE) continue;
      wanted.push(file);
      for (const root of fileRoots) roots.add(root);
    }
    const full = candidates(component, exists).length;
    if (wanted.length === 0 || roots.size * 2 > full) return undefined;
    const result = await analyze(Array.from(roots).filter(exists).sort());
    const replaced = new Set<string>();
    for (const file of wanted) {
      const analysis = result.files.get(file);
      if (!analysis || !this.rootsOf(file).every((root) => roots.has(root))) continue;
      this.files.set(file, analysis);
      replaced.add(file);
    }
    if (replaced.size > 0) this.revision++;
    return replaced;
  }

  private replaceComponent(component: ReadonlySet<string>, result: ProjectResult): void {
    for (const file of component) this.files.delete(file);
    for (const [file, analysis] of result.files) this.files.set(file, analysis);
    replaceLocated(this.macros, result.macros, component, (definition) => definition.definedAt.path);
    replaceLocated(this.invocations, result.invocations, component, (site) => site.path);
    this.includes = this.includes.filter((site) => !component.has(site.from.path));
    for (const site of result.includes) this.includes.push(site);
    for (const key of this.expansions.keys()) if (component.has(key.slice(0, key.lastIndexOf(':')))) this.expansions.delete(key);
    for (const [key, lines] of result.expansions) this.expansions.set(key, lines);
    this.rebuildReach();
    this.revision++;
  }

  private rootsOf(file: string): string[] {
    const analysis = this.files.get(file);
    if (!analysis || analysis.contexts.length === 0) return [file];
    const roots: string[] = [];
    for (const context of analysis.contexts) if (!roots.includes(context.root)) roots.push(context.root);
    return roots;
  }

  private rebuildReach(): void {
    this.reachedFrom.clear();
    for (const file of this.files.keys()) {
      for (const root of this.rootsOf(file)) {
        let reached = this.reachedFrom.get(root);
        if (!reached) this.reachedFrom.set(root, (reached = new Set()));
        reached.add(file);
      }
    }
  }
}

/** The component's files that can still be read as a walk's start (the project model decides which are roots). */
function candidates(component: ReadonlySet<string>, exists: (path: string) => boolean): string[] {
  const files: string[] = [];
  for (const file of component) if (exists(file)) files.push(file);
  return files.sort();
}

/** Drops the entries located in `component` and adds the new ones, name by name. */
function replaceLocated<T>(target: Map<string, T[]>, fresh: ReadonlyMap<string, T[]>, component: ReadonlySet<string>, pathOf: (entry: T) => string): void {
  for (const [name, entries] of target) {
    const kept = entries.filter((entry) => !component.has(pathOf(entry)));
    if (kept.length === 0) target.delete(name);
    else if (kept.length !== entries.length) target.set(name, kept);
  }
  for (const [name, entries] of fresh) {
    const list = target.get(name) ?? [];
    for (const entry of entries) list.push(entry);
    target.set(name, list);
  }
}

/** The file name an include asks for, without its folders, in lower case. */
function includedName(spec: string): string {
  const path = spec.replace(/\\/g, '/');
  return path.slice(path.lastIndexOf('/') + 1).toLowerCase();
}
