// One language-server session: the open documents, what the client can do, the settings and
// workspace trust, the lifecycle, and the work the handlers share (loading settings,
// publishing diagnostics, guarding handlers). server.ts registers the handlers over it.
import * as path from 'node:path';
import { definitionsFolderFor } from '../host/definitionsFolder';
import { ErrorCodes, FileChangeType, ResponseError, type CancellationToken, type FileEvent } from 'vscode-languageserver';
import { COMPILE_COMMANDS_FILE_NAME, CONFIG_FILE_NAME } from '../analysis/project/index';
import type { OpenDocument } from './documents';
import type { ClientGateway } from './gateway';
import type { FileInfoParams } from './protocol';
import { loadWorkspaceConfig, NO_CONFIG, type WorkspaceConfig } from './projectConfig';
import { ProjectService, type ProjectHost } from './projectService';
import { DEFAULT_SETTINGS, type VirtlintSettings, type WorkspaceTrust } from './settings';
import { applyWorkspaceTrust, normalizeSettings, readWorkspaceTrust } from './settingsReader';
import { withTimeout } from './timeout';
import type { EmbeddedEnvironment } from './embeddedDocument';
import { HeaderCache } from './headerReader';
import { documentPath } from './documents';
import type { WorkspaceAccess } from './workspaceAccess';

/** A client that never answers workspace/configuration must not block diagnostics forever. */
const SETTINGS_TIMEOUT_MS = 5000;
/** Setting problems past this many go to the log only, so a hostile settings file cannot flood the user with pop-ups. */
const MAX_SETTING_WARNINGS_SHOWN = 5;
/** Distinct setting problems remembered (each is reported once). */
const MAX_SETTING_PROBLEMS_REMEMBERED = 1000;

/** LSP's lifecycle: `initialize` once, then work, then after `shutdown` only `exit`. */
export type Lifecycle = 'uninitialized' | 'running' | 'shutDown';

export interface ClientFeatures {
  pullDiagnostics: boolean;
  diagnosticRefresh: boolean;
  configuration: boolean;
  dynamicConfigurationRegistration: boolean;
  showDocument: boolean;
  /** The client applies a WorkspaceEdit that creates a file (a hypercall fix's definitions file). */
  createFiles: boolean;
  /** The client resolves a code action's edit (codeAction/resolve), so quick fixes are sent without it. */
  resolveEdits?: boolean;
}

export class ServerSession {
  readonly documents = new Map<string, OpenDocument>();
  readonly lastPublished = new Map<string, string>();
  readonly lastFileInfo = new Map<string, string>();
  readonly pendingPublish = new Set<string>();
  /** Documents whose analysis is slow wait for a pause in the typing before they are published. */
  private readonly delayedPublish = new Map<string, NodeJS.Timeout>();
  features: ClientFeatures = { pullDiagnostics: false, diagnosticRefresh: false, configuration: false, dynamicConfigurationRegistration: false, showDocument: false, createFiles: false };
  workspaceFolders: string[] = [];
  /** Settings pushed through didChangeConfiguration, for clients without workspace/configuration. */
  pushedSettings: unknown = undefined;
  trust: WorkspaceTrust = readWorkspaceTrust(undefined);
  lifecycle: Lifecycle = 'uninitialized';
  /** The settings the whole-program analysis runs with (the first workspace folder's). */
  projectSettings: VirtlintSettings = DEFAULT_SETTINGS;
  readonly project: ProjectService;
  /** virtlint.config.json and compile_commands.json of a trusted workspace. */
  private workspaceConfig: WorkspaceConfig = NO_CONFIG;
  private readonly reportedSettingProblems = new Set<string>();
  private settingWarningsShown = 0;
  private readonly headers = new HeaderCache();
  /** What C, C++ and Rust documents read their build configuration and headers from. */
  readonly embeddedEnvironment: EmbeddedEnvironment = {
    projectOptions: () => this.workspaceConfig.options,
    headers: (maxBytes) => {
      const buffers = { bufferText: (path: string) => this.documentAt(path)?.text };
      const reader = this.headers.reader(buffers, maxBytes);
      return { reader, macros: this.headers.macroCache(buffers), stableDefines: (defines) => this.headers.stableDefines(defines) };
    },
  };

  constructor(
    readonly gateway: ClientGateway,
    readonly workspace: WorkspaceAccess,
  ) {
    this.project = new ProjectService(this.projectHost());
  }

  /** The open document for a path (the project model names files by path). */
  documentAt(path: string): OpenDocument | undefined {
    for (const document of this.documents.values()) if (document.path === path) return document;
    return undefined;
  }

  /**
   * Where a hypercall fix in this document puts the definitions file, relative to the document's
   * folder: `virtlint.fix.hypercallDefinitionsFolder` (relative to the document's workspace
   * folder), else the configuration's; undefined: next to the document. A folder outside the
   * workspace folder, or one an include cannot name, is reported once and not used.
   */
  definitionsFolderFor(document: { path: string; settings: VirtlintSettings }): string | undefined {
    const setting = document.settings.fix.hypercallDefinitionsFolder;
    const root = this.workspaceFolders.find((folder) => isInside(document.path, folder)) ?? this.workspaceFolders[0];
    let folder: string | undefined;
    if (setting !== '' && root !== undefined) {
      folder = path.resolve(root, setting);
      if (!isInside(folder, root)) {
        this.reportSettingProblem(`virtlint.fix.hypercallDefinitionsFolder: ${setting} is outside the workspace folder ${root}; the definitions file goes next to the fixed file`);
        return undefined;
      }
    } else folder = this.workspaceConfig.definitionsFolder;
    if (folder === undefined) return undefined;
    const relative = definitionsFolderFor(document.path, folder);
    if (relative.ok) return relative.folder;
    this.reportSettingProblem(`virtlint.fix.hypercallDefinitionsFolder: ${relative.problem}; the definitions file goes next to the fixed file`);
    return undefined;
  }

  /** Reads the project's settings and (re)indexes the workspace; an untrusted workspace is not listed, only its open files are read together. */
  async startProject(): Promise<void> {
    if (this.lifecycle !== 'running') return;
    let raw: unknown = this.pushedSettings;
    const folder = this.workspaceFolders[0];
    if (this.features.configuration && folder !== undefined) {
      try {
        const answer = await withTimeout(this.gateway.fetchSettings(this.workspace.uriOf(folder)), SETTINGS_TIMEOUT_MS);
        raw = Array.isArray(answer) ? answer[0] : answer;
      } catch (error) {
        this.gateway.log(`virtlint: could not read the workspace settings: ${errorMessage(error)}`);
      }
    }
    this.projectSettings = applyWorkspaceTrust(normalizeSettings(raw, this.reportSettingProblem), this.trust).settings;
    this.workspaceConfig = this.trust.trusted && folder !== undefined ? loadWorkspaceConfig(folder, this.reportSettingProblem) : NO_CONFIG;
    if (this.workspaceConfig.configFile) this.gateway.log(`virtlint: using ${this.workspaceConfig.configFile}`);
    this.hostDocumentsChanged();
    await this.project.start();
  }

  /**
   * Files changed outside the editor (workspace/didChangeWatchedFiles): what the server keeps of
   * them is read again; a changed configuration or compilation database reads the whole project
   * again; otherwise the files that depend on the changed ones are analysed again.
   */
  async filesChangedOutside(events: readonly FileEvent[]): Promise<void> {
    if (this.lifecycle !== 'running') return;
    const changes = events.filter((event) => typeof event?.uri === 'string').map((event) => ({ path: documentPath(event.uri), deleted: event.type === FileChangeType.Deleted }));
    const configuration = changes.some((change) => isConfigurationFile(change.path));
    const headers = changes.filter((change) => this.headers.hasRead(change.path));
    const relevant = changes.filter((change) => isConfigurationFile(change.path) || headers.includes(change) || this.project.dependsOn(change.path));
    if (relevant.length === 0) return;
    await this.workspace.refresh(relevant.map((change) => change.path));
    if (this.lifecycle !== 'running') return;
    if (configuration) {
      await this.startProject();
      return;
    }
    if (headers.length > 0) this.hostDocumentsChanged();
    this.project.filesChanged(relevant);
  }

  private projectHost(): ProjectHost {
    return {
      workspaceFolders: () => (this.trust.trusted ? this.workspaceFolders : []),
      settings: () => this.projectSettings,
      openBuffer: (path) => {
        const document = this.documentAt(path);
        return document ? { text: document.text, version: document.version } : undefined;
      },
      openPaths: () => Array.from(this.documents.values(), (document) => document.path),
      configFolder: () => (this.trust.trusted ? this.workspaceFolders[0] : undefined),
      listFiles: (folders, options) => this.workspace.listFiles(folders, options),
      uriOf: (path) => this.workspace.uriOf(path),
      ignored: (path) => this.workspaceConfig.isIgnored(path),
      extraExtensions: () => this.workspaceConfig.extensions,
      beginProgress: (title) => (this.gateway.beginProgress ? this.gateway.beginProgress(title).catch(() => undefined) : Promise.resolve(undefined)),
      log: (message) => this.gateway.log(message),
      viewsChanged: (paths) => this.projectViewsChanged(paths),
    };
  }

  /** The project's analysis of these files changed: open ones take the new view and are re-reported. */
  private projectViewsChanged(paths: ReadonlySet<string>): void {
    if (this.lifecycle !== 'running') return;
    let changed = false;
    for (const document of this.documents.values()) {
      if (!paths.has(document.path)) continue;
      const before = this.features.pullDiagnostics ? document.report().resultId : undefined;
      document.applyProjectView(this.project.viewFor(document.path));
      if (this.features.pullDiagnostics) {
        if (document.report().resultId !== before) changed = true;
        this.announceFileInfo(document);
      } else {
        this.schedulePublish(document.uri);
      }
    }
    if (changed && this.features.diagnosticRefresh) this.gateway.refreshDiagnostics();
  }

  /** An open document changed: when it is a header C files read, they are analysed and reported again. */
  noteHeaderEdited(edited: OpenDocument): void {
    if (this.headers.hasRead(edited.path)) this.hostDocumentsChanged(edited);
  }

  /** The build configuration or a header changed: C, C++ and Rust documents are analysed and reported again. */
  private hostDocumentsChanged(except?: OpenDocument): void {
    if (except === undefined) this.headers.reset();
    let any = false;
    for (const document of this.documents.values()) {
      if (document.hostLanguage === undefined || document === except) continue;
      any = true;
      document.invalidate();
      this.schedulePublish(document.uri);
    }
    if (any && this.features.pullDiagnostics && this.features.diagnosticRefresh) this.gateway.refreshDiagnostics();
  }

  reloadAllSettings(): void {
    const reloads: Array<Promise<void>> = [];
    for (const document of this.documents.values()) reloads.push((document.settingsReady = this.loadSettings(document)));
    void Promise.all(reloads).then(() => {
      if (this.features.pullDiagnostics) {
        if (this.features.diagnosticRefresh) this.gateway.refreshDiagnostics();
      } else {
        for (const uri of this.documents.keys()) this.schedulePublish(uri);
      }
    });
  }

  async loadSettings(document: OpenDocument): Promise<void> {
    let raw: unknown = this.pushedSettings;
    if (this.features.configuration) {
      try {
        const answer = await withTimeout(this.gateway.fetchSettings(document.uri), SETTINGS_TIMEOUT_MS);
        raw = Array.isArray(answer) ? answer[0] : answer;
      } catch (error) {
        this.gateway.log(`virtlint: could not read settings for ${document.uri}: ${errorMessage(error)}`);
      }
    }
    const { settings, ignored } = applyWorkspaceTrust(normalizeSettings(raw, this.reportSettingProblem), this.trust);
    for (const key of ignored) this.reportSettingProblem(`virtlint: this workspace is not trusted, so its value of ${key} is ignored (your user setting applies)`, false);
    document.applySettings(settings);
  }

  /** Logs each distinct problem once, and shows the first few to the user. A bound property: documents and the settings reader call it on its own. */
  readonly reportSettingProblem = (problem: string, show = true): void => {
    if (this.reportedSettingProblems.has(problem)) return;
    if (this.reportedSettingProblems.size >= MAX_SETTING_PROBLEMS_REMEMBERED) this.reportedSettingProblems.clear();
    this.reportedSettingProblems.add(problem);
    this.gateway.log(problem);
    if (show && this.settingWarningsShown < MAX_SETTING_WARNINGS_SHOWN) {
      this.settingWarningsShown++;
      this.gateway.showWarning(problem);
    }
  };


  refuseAfterShutdown(): void {
    if (this.lifecycle === 'shutDown') throw new ResponseError(ErrorCodes.InvalidRequest, 'virtlint: the server has shut down; only exit is accepted');
  }

  /** Tells the client what the file was understood as, when that changed. */
  announceFileInfo(document: OpenDocument): void {
    const info = this.fileInfoOf(document);
    if (!info) return;
    const key = JSON.stringify(info);
    if (this.lastFileInfo.get(document.uri) === key) return;
    this.lastFileInfo.set(document.uri, key);
    this.gateway.sendFileInfo(info);
  }

  /** What the file is understood as: dialect, bits and profile, and its contexts in the workspace. */
  fileInfoOf(document: OpenDocument): FileInfoParams | undefined {
    const result = document.result();
    if (!result) return undefined;
    const info: FileInfoParams = {
      uri: document.uri,
      dialect: result.dialect,
      bits: result.bits,
      profile: document.settings.profile,
      dialectSource: result.dialectSource,
      bitsSource: result.bitsSource,
    };
    if (result.bitsRegions.length > 1) info.bitsRegions = result.bitsRegions.map(({ startLine, bits }) => ({ startLine, bits }));
    if (result.modeRegions) info.modeRegions = result.modeRegions.map(({ startLine, mode }) => ({ startLine, mode }));
    if (result.architecture) info.architecture = result.architecture;
    const view = document.projectView;
    // The own analysis was told the includer's mode: say where it came from.
    if (view?.seed) {
      if (info.dialectSource === 'override') info.dialectSource = 'includer';
      if (info.bitsSource === 'override') info.bitsSource = 'includer';
    }
    if (view && view.contexts.length > 0 && (view.contexts.length > 1 || view.contexts[0]!.includedFrom)) {
      info.contexts = view.contexts;
      if (view.selectedContext !== undefined) info.selectedContext = view.selectedContext;
    }
    return info;
  }

  schedulePublish(uri: string): void {
    if (this.features.pullDiagnostics) return;
    const delay = this.documents.get(uri)?.analysisDelayMs() ?? 0;
    const waiting = this.delayedPublish.get(uri);
    if (waiting) clearTimeout(waiting);
    if (delay > 0) {
      this.delayedPublish.set(uri, setTimeout(() => {
        this.delayedPublish.delete(uri);
        if (this.lifecycle === 'running') this.publishSoon(uri);
      }, delay));
      return;
    }
    this.delayedPublish.delete(uri);
    this.publishSoon(uri);
  }

  private publishSoon(uri: string): void {
    const first = this.pendingPublish.size === 0;
    this.pendingPublish.add(uri);
    // Coalesce: all changes already read from the stream are applied before analysing once.
    // No timer debounce: one edit to the next published diagnostics measured a 3-9 ms median
    // (p95 under 55 ms) on 500- and 5,000-line files (test/lsp/storm.bench.ts), well below
    // the time between keystrokes.
    if (first) setImmediate(() => void this.flushPublish());
  }

  async flushPublish(): Promise<void> {
    const uris = Array.from(this.pendingPublish);
    this.pendingPublish.clear();
    for (const uri of uris) {
      const document = this.documents.get(uri);
      if (!document) continue;
      try {
        await document.settingsReady;
        if (this.documents.get(uri) !== document) continue;
        const report = document.report();
        this.announceFileInfo(document);
        if (this.lastPublished.get(uri) === report.resultId) continue;
        this.lastPublished.set(uri, report.resultId);
        this.gateway.publishDiagnostics({ uri, version: document.version, diagnostics: report.diagnostics });
      } catch (error) {
        this.gateway.log(`virtlint: diagnostics for ${uri} failed: ${errorMessage(error)}`);
      }
    }
  }

  guardedRequest<P, R>(name: string, handler: (params: P, token: CancellationToken) => R | Promise<R>) {
    return async (params: P, token: CancellationToken): Promise<R> => {
      this.refuseAfterShutdown();
      try {
        return await handler(params, token);
      } catch (error) {
        if (error instanceof ResponseError) throw error;
        this.gateway.log(`virtlint: ${name} failed: ${errorMessage(error)}`);
        throw new ResponseError(ErrorCodes.InternalError, `virtlint: ${name} failed: ${errorMessage(error)}`);
      }
    };
  }

  guardedNotification<P>(name: string, handler: (params: P) => void) {
    return (params: P): void => {
      // After shutdown the server does no more work; only `exit` (handled by the library) counts.
      if (this.lifecycle === 'shutDown') return;
      try {
        handler(params);
      } catch (error) {
        this.gateway.log(`virtlint: ${name} failed: ${errorMessage(error)}`);
      }
    };
  }
}

function isConfigurationFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name === CONFIG_FILE_NAME || name === COMPILE_COMMANDS_FILE_NAME;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `file` is `folder` or below it. */
function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
