// The workspace as one program: lists the workspace's assembly files, runs the project model over
// them (open buffers win over the disk), keeps the result, and re-runs the part of the include
// graph an edit can affect a moment after the typing stops. What each open document should show
// (its findings in its contexts, the mode its own fast analysis starts in) is handed to it as a
// ProjectView; the session publishes.
import type { ProjectResult } from '../analysis/project/index';
import type { Finding } from '../analysis/types';
import { contextInfos, contextKey, findingsInContext, seedOf, type ProjectView } from './projectView';
import { ProjectIndex } from './projectIndex';
import { fingerprint } from './projectReader';
import { createProjectRunner, type ProjectRunner } from './projectRunner';
import type { VirtlintSettings } from './settings';
import { hasIndexedExtension, isListedPath, type ListOptions, type WorkspaceListing } from './workspaceAccess';

/** Quiet time after the last edit before the open dependents are re-analysed. */
export const PROJECT_DEBOUNCE_MS = 20;
/** Quiet time before the edited file's whole include component is re-analysed (navigation, closed files). */
export const FULL_REFRESH_DEBOUNCE_MS = 600;
/** Most files the workspace listing takes. */
const MAX_WORKSPACE_FILES = 20_000;

export interface ProgressHandle {
  report(message: string, percentage?: number): void;
  done(): void;
}

/** What the service needs from the session. */
export interface ProjectHost {
  workspaceFolders(): readonly string[];
  /** The settings the whole project is analysed with (rules, profile, overrides, maxFileSize). */
  settings(): VirtlintSettings;
  /** The open buffer for a path, with its version. */
  openBuffer(path: string): { text: string; version: number } | undefined;
  openPaths(): Iterable<string>;
  /** The folder whose virtlint.config.json and compile_commands.json apply (undefined: none are read). */
  configFolder(): string | undefined;
  /** Paths the configuration tells the listing to leave out. */
  ignored?(path: string): boolean;
  /** Extensions the configuration adds to the listing. */
  extraExtensions?(): readonly string[];
  /** The workspace's assembly files (the desktop walks the disk, the web worker asks its client). */
  listFiles(folders: readonly string[], options: ListOptions): Promise<WorkspaceListing>;
  /** The URI the client knows a path by. */
  uriOf(path: string): string;
  beginProgress(title: string): Promise<ProgressHandle | undefined>;
  log(message: string): void;
  /** The project's view of these files changed (open ones should be re-reported). */
  viewsChanged(paths: ReadonlySet<string>): void;
}

export class ProjectService {
  readonly index = new ProjectIndex();
  private workspaceFiles = new Set<string>();
  /** Fingerprint of each file's text as the last run that read it saw it. */
  private readonly fingerprints = new Map<string, string>();
  /** Version of each open buffer as the last run that read it saw it. */
  private readonly versionsRead = new Map<string, number>();
  /** The context each file is shown in, by its key (a re-run may list the contexts in another order). */
  private readonly selectedContexts = new Map<string, string>();
  private readonly pending = new Set<string>();
  /** Edited files whose whole component still waits for its refresh. */
  private readonly pendingFull = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private indexed = false;
  private stopped = false;
  private runner: ProjectRunner | undefined;
  /** Runs happen one after the other: each refresh reads and replaces part of the index. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The next run reads the configuration again. */
  private configChanged = true;
  /** Resolves when the first full index is done. */
  ready: Promise<void> = Promise.resolve();

  constructor(private readonly host: ProjectHost) {}

  /** Lists the workspace and indexes it. Call again after settings or trust change. */
  start(): Promise<void> {
    this.configChanged = true;
    this.ready = this.serially(() => this.indexWorkspace()).catch((error) => this.host.log(`virtlint: indexing the workspace failed: ${messageOf(error)}`));
    return this.ready;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.fullTimer) clearTimeout(this.fullTimer);
    this.timer = undefined;
    this.fullTimer = undefined;
    this.runner?.dispose();
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** An open buffer changed (or opened): its dependents are re-analysed after the debounce. */
  noteChanged(path: string): void {
    if (this.stopped) return;
    this.pending.add(path);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), PROJECT_DEBOUNCE_MS);
  }

  /** A document was opened: it gets the index's view at once when its text is what the index read. */
  noteOpened(path: string, text: string, version: number): void {
    if (this.fingerprints.get(path) === fingerprint(text)) {
      this.versionsRead.set(path, version);
      return;
    }
    this.versionsRead.delete(path);
    this.noteChanged(path);
  }

  noteClosed(path: string): void {
    this.versionsRead.delete(path);
    // The disk's text replaces the buffer's in the next run that reads the file.
    if (this.index.knows(path)) this.noteChanged(path);
  }

  /**
   * Whether the project reads `path`: a listed or analysed file, one the listing would now take (a
   * new file), or one an include looked for and did not find, whatever its extension (a new `.h`).
   */
  dependsOn(path: string): boolean {
    return this.workspaceFiles.has(path) || this.index.knows(path) || this.wouldList(path) || this.index.isUnresolvedName(fileName(path));
  }

  /**
   * Files changed outside the editor: a new file the listing would take joins the workspace's, a
   * deleted one leaves it, and each is re-analysed with the files that depend on it (a new file
   * also with those whose include of its name found nothing).
   */
  filesChanged(changes: readonly { path: string; deleted: boolean }[]): void {
    for (const { path, deleted } of changes) {
      if (deleted) this.workspaceFiles.delete(path);
      else if (this.wouldList(path)) this.workspaceFiles.add(path);
      if (deleted || this.workspaceFiles.has(path) || this.index.knows(path)) this.noteChanged(path);
      // An include that found nothing may find this file now, listed or not.
      if (!deleted) for (const includer of this.index.unresolvedIncludersOf(fileName(path))) this.noteChanged(includer);
    }
  }

  /** A file the listing would take now (the limit not reached, the configuration not ignoring it). */
  private wouldList(path: string): boolean {
    if (!this.indexed || this.workspaceFiles.size >= MAX_WORKSPACE_FILES || this.host.ignored?.(path)) return false;
    return isListedPath(path, this.host.workspaceFolders(), this.host.extraExtensions?.());
  }

  /** The context whose diagnostics `path` shows (undefined: all merged). */
  selectContext(path: string, context: number | undefined): void {
    const chosen = context === undefined ? undefined : this.index.fileAnalysis(path)?.contexts[context];
    if (chosen) this.selectedContexts.set(path, contextKey(chosen));
    else this.selectedContexts.delete(path);
    this.host.viewsChanged(new Set([path]));
  }

  /** What an open document should show, given the last analysis of its file. */
  viewFor(path: string): ProjectView | undefined {
    const analysis = this.index.fileAnalysis(path);
    if (!analysis) return undefined;
    const contexts = analysis.contexts;
    const selectedKey = this.selectedContexts.get(path);
    const found = selectedKey === undefined ? -1 : contexts.findIndex((context) => contextKey(context) === selectedKey);
    const selected = found < 0 ? undefined : found;
    const involved = analysis.includers.length > 0 || this.index.includesSomething(path) || analysis.result.findings.some(isFromMacro);
    const findings = involved ? findingsInContext(analysis.result.findings, contexts, selected) : undefined;
    const version = this.versionsRead.get(path);
    return {
      findings,
      version,
      seed: seedOf(contexts, selected),
      contexts: contextInfos(contexts, (file) => this.host.uriOf(file)),
      selectedContext: selected,
    };
  }

  /**
   * Right after the typing stops: the open files the edit affects, from their own roots. When that
   * is not much less than the whole component, or after a longer pause, the whole component.
   */
  private flush(): Promise<void> {
    this.timer = undefined;
    return this.serially(async () => {
      if (this.stopped || !this.indexed || this.pending.size === 0) return;
      const changed = Array.from(this.pending);
      this.pending.clear();
      try {
        const quick = await this.index.refreshOpen(changed, this.host.openPaths(), (files) => this.run(files), (path) => this.isCandidate(path));
        if (quick === undefined) {
          await this.refreshComponent(changed);
          return;
        }
        if (!this.stopped && quick.size > 0) this.host.viewsChanged(quick);
        for (const path of changed) this.pendingFull.add(path);
        if (this.fullTimer) clearTimeout(this.fullTimer);
        this.fullTimer = setTimeout(() => void this.flushFull(), FULL_REFRESH_DEBOUNCE_MS);
      } catch (error) {
        this.host.log(`virtlint: re-analysing the files that include ${changed.join(', ')} failed: ${messageOf(error)}`);
      }
    });
  }

  private flushFull(): Promise<void> {
    this.fullTimer = undefined;
    return this.serially(async () => {
      if (this.stopped || this.pendingFull.size === 0) return;
      const changed = Array.from(this.pendingFull);
      this.pendingFull.clear();
      try {
        await this.refreshComponent(changed);
      } catch (error) {
        this.host.log(`virtlint: re-analysing the files that include ${changed.join(', ')} failed: ${messageOf(error)}`);
      }
    });
  }

  private async refreshComponent(changed: readonly string[]): Promise<void> {
    const touched = await this.index.refresh(changed, (files) => this.run(files), (path) => this.isCandidate(path));
    if (!this.stopped) this.host.viewsChanged(touched);
  }

  private async indexWorkspace(): Promise<void> {
    const progress = await this.host.beginProgress('virtlint: indexing assembly');
    try {
      const folders = this.host.workspaceFolders();
      const listing = await this.host.listFiles(folders, {
        maxFiles: MAX_WORKSPACE_FILES,
        extensions: this.host.extraExtensions?.(),
        ignored: this.host.ignored ? (path) => this.host.ignored!(path) : undefined,
        onProgress: (count) => progress?.report(`${count} files found`),
        isCancelled: () => this.stopped,
      });
      if (listing.truncated) this.host.log(`virtlint: the workspace has more assembly files than the ${listing.files.length} listed; only those are indexed`);
      this.workspaceFiles = new Set(listing.files);
      const files = new Set(listing.files);
      for (const path of this.host.openPaths()) if (this.isCandidate(path)) files.add(path);
      progress?.report(`analysing ${files.size} files`, 50);
      const started = Date.now();
      // An empty workspace (a lone file opened before any folder) starts no worker thread: its
      // start-up would compete with the first diagnostics for the machine's cores.
      const result = files.size > 0 ? await this.run(Array.from(files).sort()) : emptyProjectResult();
      this.index.replaceAll(result);
      this.indexed = true;
      this.host.log(`virtlint: indexed ${result.files.size} files (${files.size} listed) in ${Date.now() - started} ms`);
      this.host.viewsChanged(new Set(result.files.keys()));
    } finally {
      progress?.done();
      // Should the full run fail, edits and opens still analyse their own parts of the graph.
      this.indexed = true;
      if (this.pending.size > 0) this.noteChanged(this.pending.values().next().value!);
    }
  }

  /** One run of the project model over `files` (on the worker), remembering which buffer versions it read. */
  private async run(files: string[]): Promise<ProjectResult> {
    const settings: VirtlintSettings = this.host.settings();
    const buffers: Array<[string, string]> = [];
    const versions = new Map<string, number>();
    for (const path of this.host.openPaths()) {
      const buffer = this.host.openBuffer(path);
      if (!buffer) continue;
      buffers.push([path, buffer.text]);
      versions.set(path, buffer.version);
    }
    const reloadConfig = this.configChanged;
    this.configChanged = false;
    this.runner ??= createProjectRunner((message) => this.host.log(message));
    const folders = Array.from(this.host.workspaceFolders());
    const configFolder = this.host.configFolder();
    const output = await this.runner.run({ files, buffers, settings, folders, ...(configFolder !== undefined ? { configFolder } : {}) }, reloadConfig);
    for (const [path, print] of output.fingerprints) {
      this.fingerprints.set(path, print);
      const version = versions.get(path);
      if (version !== undefined) this.versionsRead.set(path, version);
      else this.versionsRead.delete(path);
    }
    return output.result;
  }

  /** A file the project model may start a walk from: listed in the workspace, or open as assembly. */
  private isCandidate(path: string): boolean {
    return this.workspaceFiles.has(path) || (this.host.openBuffer(path) !== undefined && (hasIndexedExtension(path) || this.index.knows(path)));
  }
}

function emptyProjectResult(): ProjectResult {
  return { files: new Map(), macros: new Map(), invocations: new Map(), includes: [], expansions: new Map() };
}

function isFromMacro(finding: Finding): boolean {
  return (finding.macroChain?.length ?? 0) > 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The last segment of a `/`-separated path. */
function fileName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
