// The language server: thin handlers over the analysis core. Every handler is guarded so a
// bad request gets an error response or an empty result and the server keeps serving.
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DocumentDiagnosticReportKind,
  ErrorCodes,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  type CancellationToken,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type DocumentDiagnosticReport,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  type Location,
  type Position,
  type Range,
} from 'vscode-languageserver';
import { hoverAt } from '../analysis/hover/index';
import { docsPath } from '../analysis/catalogue/index';
import { hypercallDefinitions, type HypercallAbi } from '../analysis/fixes/index';
import { DIALECTS, HYPERCALL_ABIS, type Dialect } from '../analysis/types';
import { codeActionsFor, FIX_ALL_KIND, fixOptionsFrom, isFixActionData, resolveFixAction } from './codeActions';
import { numbersGoInline } from './fixEdits';
import { embeddedCodeActions } from './embeddedActions';
import { embeddedHoverAt } from './embeddedHover';
import { docsUri, type UriOf } from './conversions';
import { packageInfo } from '../host/packageInfo';
import { OpenDocument } from './documents';
import { ServerSession, type ClientFeatures } from './session';
import { connectionGateway, type ClientGateway } from './gateway';
import { SELECT_CONTEXT_COMMAND, SHOW_DOCUMENTATION_COMMAND, WORKSPACE_TRUST_NOTIFICATION, WRITE_HYPERCALL_DEFINITIONS_COMMAND, type FileInfoParams } from './protocol';
import { definitionAt, macroHoverAt, referencesAt } from './projectNavigation';
import { readWorkspaceTrust } from './settingsReader';
import type { WorkspaceAccess } from './workspaceAccess';
import { diskWorkspace } from './workspaceFiles';

export interface RunningServer {
  /** True once `shutdown` has been answered (the `exit` that follows then means success). */
  readonly shutDown: boolean;
  /** Files beyond the open documents changed (the web worker received some it had missed): read the configuration and the project again. */
  workspaceFilesChanged(): void;
}

/** `workspace`: how the server reaches files beyond the open documents (the disk, unless the web worker gives its client's). */
export function startServer(connection: Connection, gateway: ClientGateway = connectionGateway(connection), workspace: WorkspaceAccess = diskWorkspace): RunningServer {
  const session = new ServerSession(gateway, workspace);
  registerLifecycle(connection, session);
  registerDocumentSync(connection, session);
  registerFeatures(connection, session);
  connection.listen();
  return {
    get shutDown() {
      return session.lifecycle === 'shutDown';
    },
    workspaceFilesChanged: () => void session.startProject(),
  };
}

/** initialize, initialized, shutdown, and the refusal of anything unknown or late. */
function registerLifecycle(connection: Connection, session: ServerSession): void {
  connection.onInitialize(
    session.guardedRequest('initialize', (params: InitializeParams): InitializeResult => {
      if (session.lifecycle !== 'uninitialized') throw new ResponseError(ErrorCodes.InvalidRequest, 'virtlint: the server is already initialized');
      session.features = clientFeatures(params);
      session.trust = readWorkspaceTrust(isRecord(params?.initializationOptions) ? params.initializationOptions.workspaceTrust : undefined);
      session.workspaceFolders = folderPaths(params, session.workspace);
      session.lifecycle = 'running';
      return {
        capabilities: {
          textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
          hoverProvider: true,
          definitionProvider: true,
          referencesProvider: true,
          // A client that resolves edits gets quick fixes without them (codeAction/resolve computes them); others get them inline.
          codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.SourceFixAll, FIX_ALL_KIND], resolveProvider: true },
          executeCommandProvider: { commands: [WRITE_HYPERCALL_DEFINITIONS_COMMAND, SELECT_CONTEXT_COMMAND] },
          ...(session.features.pullDiagnostics ? { diagnosticProvider: { identifier: 'virtlint', interFileDependencies: true, workspaceDiagnostics: false } } : {}),
        },
        serverInfo: { name: 'virtlint', version: packageInfo()?.version ?? 'unknown' },
      };
    }),
  );

  connection.onShutdown(() => {
    if (session.lifecycle === 'shutDown') throw new ResponseError(ErrorCodes.InvalidRequest, 'virtlint: the server is already shut down');
    session.lifecycle = 'shutDown';
    session.pendingPublish.clear();
    session.project.stop();
  });

  // Methods nobody handles: MethodNotFound as before, InvalidRequest once shut down.
  connection.onRequest((method: string) => {
    session.refuseAfterShutdown();
    throw new ResponseError(ErrorCodes.MethodNotFound, `virtlint: unhandled method ${method}`);
  });

  connection.onInitialized(
    session.guardedNotification('initialized', () => {
      if (session.features.configuration && session.features.dynamicConfigurationRegistration) {
        void connection.client.register(DidChangeConfigurationNotification.type, { section: 'virtlint' }).catch(() => undefined);
      }
      void session.startProject();
    }),
  );
}

/** Documents opening, changing, saving and closing, and settings or trust changing under them. */
function registerDocumentSync(connection: Connection, session: ServerSession): void {
  connection.onDidOpenTextDocument(
    session.guardedNotification('didOpen', (params) => {
      const { uri, languageId, version, text } = params.textDocument;
      if (typeof uri !== 'string' || typeof text !== 'string') return;
      const document = new OpenDocument(
        uri,
        String(languageId ?? ''),
        Number(version) || 0,
        text,
        () => session.workspaceFolders,
        (message) => session.gateway.log(message),
        session.reportSettingProblem,
        session.embeddedEnvironment,
        (path) => session.workspace.uriOf(path),
      );
      session.documents.set(uri, document);
      document.settingsReady = session.loadSettings(document);
      // A C, C++ or Rust file matters to the assembly project only as a header it includes.
      if (document.hostLanguage === undefined || session.project.index.knows(document.path)) session.project.noteOpened(document.path, text, document.version);
      document.applyProjectView(session.project.viewFor(document.path));
      session.schedulePublish(uri);
      session.noteHeaderEdited(document);
    }),
  );

  connection.onDidChangeTextDocument(
    session.guardedNotification('didChange', (params) => {
      const document = session.documents.get(params.textDocument.uri);
      if (!document || !Array.isArray(params.contentChanges) || !params.contentChanges.every(isContentChange)) return;
      document.applyChanges(params.contentChanges, Number(params.textDocument.version) || document.version + 1);
      session.schedulePublish(document.uri);
      session.noteHeaderEdited(document);
      if (document.hostLanguage === undefined || session.project.index.knows(document.path)) session.project.noteChanged(document.path);
    }),
  );

  connection.onDidSaveTextDocument(
    session.guardedNotification('didSave', (params) => {
      const document = session.documents.get(params.textDocument.uri);
      if (!document) return;
      document.markSaved();
      // A pull client does not pull on save by itself; with run: onSave the save is the news.
      if (session.features.pullDiagnostics && session.features.diagnosticRefresh && document.settings.run === 'onSave') session.gateway.refreshDiagnostics();
      session.schedulePublish(document.uri);
    }),
  );

  connection.onDidCloseTextDocument(
    session.guardedNotification('didClose', (params) => {
      const uri = params.textDocument.uri;
      const document = session.documents.get(uri);
      if (!document || !session.documents.delete(uri)) return;
      session.project.noteClosed(document.path);
      session.noteHeaderEdited(document);
      session.pendingPublish.delete(uri);
      session.lastFileInfo.delete(uri);
      if (!session.features.pullDiagnostics && session.lastPublished.has(uri)) session.gateway.publishDiagnostics({ uri, diagnostics: [] });
      session.lastPublished.delete(uri);
    }),
  );

  connection.onDidChangeConfiguration(
    session.guardedNotification('didChangeConfiguration', (params) => {
      if (!session.features.configuration) {
        const settings = (params as { settings?: unknown }).settings;
        session.pushedSettings = isRecord(settings) && 'virtlint' in settings ? settings.virtlint : settings;
      }
      session.reloadAllSettings();
      void session.startProject();
    }),
  );

  // Sent by a client that watches the workspace (the web extension does): files that are not open changed.
  connection.onDidChangeWatchedFiles(
    session.guardedNotification('didChangeWatchedFiles', (params) => {
      if (!Array.isArray(params?.changes)) return;
      session.filesChangedOutside(params.changes).catch((error: unknown) => session.gateway.log(`virtlint: reading the changed files failed: ${error instanceof Error ? error.message : String(error)}`));
    }),
  );

  connection.onNotification(
    WORKSPACE_TRUST_NOTIFICATION,
    session.guardedNotification(WORKSPACE_TRUST_NOTIFICATION, (params: unknown) => {
      session.trust = readWorkspaceTrust(params ?? {});
      session.reloadAllSettings();
      void session.startProject();
    }),
  );
}

/** Pulled diagnostics, hovers, code actions and commands. */
function registerFeatures(connection: Connection, session: ServerSession): void {
  connection.languages.diagnostics.on(
    session.guardedRequest('textDocument/diagnostic', async (params, token): Promise<DocumentDiagnosticReport> => {
      const document = session.documents.get(requireUri(params));
      if (!document) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
      await document.settingsReady;
      await yieldToEventLoop();
      throwIfCancelled(token);
      // A slow C file: an edit that follows within this time cancels the request before the analysis runs.
      const delay = document.analysisDelayMs();
      if (delay > 0) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        throwIfCancelled(token);
      }
      const report = document.report();
      session.announceFileInfo(document);
      if (params.previousResultId === report.resultId) return { kind: DocumentDiagnosticReportKind.Unchanged, resultId: report.resultId };
      return { kind: DocumentDiagnosticReportKind.Full, resultId: report.resultId, items: report.diagnostics };
    }),
  );

  connection.onHover(
    session.guardedRequest('textDocument/hover', async (params, token): Promise<Hover | null> => {
      const document = session.documents.get(requireUri(params));
      if (!document) return null;
      await document.settingsReady;
      throwIfCancelled(token);
      if (!validPosition(params.position, document)) return null;
      if (document.hostLanguage !== undefined) return embeddedHover(document, params.position);
      const macro = macroHoverAt(session.project.index, document.path, document.lineText(params.position.line), params.position);
      if (macro) return { contents: { kind: 'markdown', value: macro.markdown }, range: macro.range };
      const result = document.result();
      if (!result) return null;
      const hover = hoverAt(document.lines(), result, params.position, {
        fixes: fixOptionsFrom(document.settings, session.definitionsFolderFor(document)),
        numbersInline: (file) => numbersGoInline(document.uri, file, session.features.createFiles),
        previews: true,
        docsLink: (ruleId) => docsUri(ruleId) ?? docsPath(ruleId),
        // The diagnostics' findings: in the merged view a line speaks for its loudest context, not for the one the file's own analysis starts in.
        findings: document.visibleFindings(),
      });
      if (!hover) return null;
      return { contents: { kind: 'markdown', value: hover.markdown }, range: hover.range };
    }),
  );

  connection.onDefinition(
    session.guardedRequest('textDocument/definition', async (params, token): Promise<Location[]> => {
      const document = session.documents.get(requireUri(params));
      // C, C++ and Rust symbols are their language server's.
      if (!document || document.hostLanguage !== undefined || !validPosition(params.position, document)) return [];
      await session.project.ready;
      throwIfCancelled(token);
      return definitionAt(session.project.index, session.workspace, document.path, document.lineText(params.position.line), params.position);
    }),
  );

  connection.onReferences(
    session.guardedRequest('textDocument/references', async (params, token): Promise<Location[]> => {
      const document = session.documents.get(requireUri(params));
      // C, C++ and Rust symbols are their language server's.
      if (!document || document.hostLanguage !== undefined || !validPosition(params.position, document)) return [];
      await session.project.ready;
      throwIfCancelled(token);
      const includeDeclaration = params.context?.includeDeclaration === true;
      return referencesAt(session.project.index, session.workspace, document.path, document.lineText(params.position.line), params.position, includeDeclaration);
    }),
  );

  connection.onCodeAction(
    session.guardedRequest('textDocument/codeAction', async (params, token): Promise<CodeAction[]> => {
      const document = session.documents.get(requireUri(params));
      if (!document) return [];
      await document.settingsReady;
      await yieldToEventLoop();
      throwIfCancelled(token);
      if (document.hostLanguage !== undefined) return validRange(params.range, document) ? embeddedActions(document, params, (path) => session.workspace.uriOf(path)) : [];
      const result = document.result();
      if (!result || !validRange(params.range, document)) return [];
      return codeActionsFor({
        uri: document.uri,
        source: document.lines(),
        result,
        findings: document.visibleFindings(),
        settings: document.settings,
        range: params.range,
        contextDiagnostics: Array.isArray(params.context?.diagnostics) ? params.context.diagnostics : [],
        only: Array.isArray(params.context?.only) ? params.context.only : undefined,
        analysisOptions: () => document.analysisOptions(),
        createFiles: session.features.createFiles,
        lazyEdits: session.features.resolveEdits === true,
        version: document.version,
        definitionsFolder: session.definitionsFolderFor(document),
        uriOf: (path) => session.workspace.uriOf(path),
      });
    }),
  );

  connection.onCodeActionResolve(
    session.guardedRequest('codeAction/resolve', async (action: CodeAction, token): Promise<CodeAction> => {
      if (!isFixActionData(action.data)) return action;
      const document = session.documents.get(action.data.uri);
      if (!document || document.hostLanguage !== undefined) return action;
      await document.settingsReady;
      throwIfCancelled(token);
      const result = document.result();
      if (!result) return action;
      return resolveFixAction(action, action.data, {
        source: document.lines(),
        result,
        findings: document.visibleFindings(),
        settings: document.settings,
        createFiles: session.features.createFiles,
        version: document.version,
        definitionsFolder: session.definitionsFolderFor(document),
      });
    }),
  );

  connection.onExecuteCommand(
    session.guardedRequest('workspace/executeCommand', async (params): Promise<unknown> => {
      const args = Array.isArray(params.arguments) ? params.arguments : [];
      switch (params.command) {
        case WRITE_HYPERCALL_DEFINITIONS_COMMAND: {
          const { dialect, abi } = hypercallArguments(args);
          return { dialect, abi, text: hypercallDefinitions(dialect, abi) };
        }
        case SELECT_CONTEXT_COMMAND: {
          const { uri, context } = contextArguments(args);
          const document = session.documents.get(uri);
          if (!document) throw new ResponseError(ErrorCodes.InvalidParams, `virtlint: ${uri} is not open`);
          session.project.selectContext(document.path, context);
          await document.settingsReady;
          const info: FileInfoParams | undefined = session.fileInfoOf(document);
          return info ?? null;
        }
        case SHOW_DOCUMENTATION_COMMAND: {
          // Clients other than VS Code (which handles this command itself) land here.
          const ruleId = typeof args[0] === 'string' ? args[0] : '';
          const uri = docsUri(ruleId);
          if (!uri) throw new ResponseError(ErrorCodes.InvalidParams, `virtlint has no documentation page for "${ruleId}"`);
          if (session.features.showDocument) await session.gateway.showDocument(uri).catch(() => false);
          return { uri };
        }
        default:
          throw new ResponseError(ErrorCodes.InvalidParams, `virtlint does not know the command "${String(params.command)}"`);
      }
    }),
  );
}

/** A hover in a C, C++ or Rust document: only on an instruction in an asm statement or an intrinsic's name. */
function embeddedHover(document: OpenDocument, position: Position): Hover | null {
  const analysis = document.embeddedAnalysis();
  if (!analysis) return null;
  const hover = embeddedHoverAt(analysis.result, analysis.shown, analysis.bits, position);
  return hover ? { contents: { kind: 'markdown', value: hover.markdown }, range: hover.range } : null;
}

function embeddedActions(document: OpenDocument, params: CodeActionParams, uriOf: UriOf): CodeAction[] {
  const analysis = document.embeddedAnalysis();
  if (!analysis) return [];
  return embeddedCodeActions({
    uri: document.uri,
    text: document.text,
    lineText: (line) => document.lineText(line),
    result: analysis.result,
    findings: analysis.shown,
    range: params.range,
    contextDiagnostics: Array.isArray(params.context?.diagnostics) ? params.context.diagnostics : [],
    only: Array.isArray(params.context?.only) ? params.context.only : undefined,
    fixes: fixOptionsFrom(document.settings),
    uriOf,
  });
}

function clientFeatures(params: InitializeParams): ClientFeatures {
  const capabilities = params?.capabilities ?? {};
  return {
    pullDiagnostics: capabilities.textDocument?.diagnostic !== undefined,
    diagnosticRefresh: capabilities.workspace?.diagnostics?.refreshSupport === true,
    configuration: capabilities.workspace?.configuration === true,
    dynamicConfigurationRegistration: capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true,
    showDocument: capabilities.window?.showDocument?.support === true,
    createFiles: capabilities.workspace?.workspaceEdit?.documentChanges === true && (capabilities.workspace.workspaceEdit.resourceOperations ?? []).includes('create'),
    resolveEdits: (capabilities.textDocument?.codeAction?.resolveSupport?.properties ?? []).includes('edit'),
  };
}

function folderPaths(params: InitializeParams, workspace: WorkspaceAccess): string[] {
  const uris = params?.workspaceFolders?.map((folder) => folder.uri) ?? (params?.rootUri ? [params.rootUri] : []);
  const paths: string[] = [];
  for (const uri of uris) {
    const path = typeof uri === 'string' ? workspace.folderPath(uri) : undefined;
    if (path !== undefined) paths.push(path);
  }
  return paths;
}

function requireUri(params: unknown): string {
  const uri = isRecord(params) && isRecord(params.textDocument) ? params.textDocument.uri : undefined;
  if (typeof uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'virtlint: the request has no textDocument.uri');
  return uri;
}

function validPosition(position: Position | undefined, document: OpenDocument): position is Position {
  return (
    isRecord(position) &&
    Number.isInteger(position.line) &&
    Number.isInteger(position.character) &&
    position.line >= 0 &&
    position.character >= 0 &&
    position.line < document.lineCount
  );
}

function validRange(range: Range | undefined, document: OpenDocument): range is Range {
  return isRecord(range) && validPosition(range.start, document) && isRecord(range.end) && Number.isInteger(range.end.line) && range.end.line >= range.start.line;
}


function hypercallArguments(args: unknown[]): { dialect: Dialect; abi: HypercallAbi } {
  const first = args[0];
  const named = isRecord(first) ? first : { dialect: first, abi: args[1] };
  const dialect = (DIALECTS as readonly unknown[]).includes(named.dialect) ? (named.dialect as Dialect) : 'nasm';
  const abi = (HYPERCALL_ABIS as readonly unknown[]).includes(named.abi) ? (named.abi as HypercallAbi) : 'kvm';
  return { dialect, abi };
}

function contextArguments(args: unknown[]): { uri: string; context: number | undefined } {
  const first = args[0];
  const named = isRecord(first) ? first : { uri: first, context: args[1] };
  if (typeof named.uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'virtlint: selectContext needs { uri, context }');
  const context = Number.isInteger(named.context) && (named.context as number) >= 0 ? (named.context as number) : undefined;
  return { uri: named.uri, context };
}

function isContentChange(change: unknown): boolean {
  if (!isRecord(change) || typeof change.text !== 'string') return false;
  if (change.range === undefined) return true;
  const range = change.range;
  const isPosition = (p: unknown) => isRecord(p) && Number.isInteger(p.line) && Number.isInteger(p.character) && (p.line as number) >= 0 && (p.character as number) >= 0;
  return isRecord(range) && isPosition(range.start) && isPosition(range.end);
}

function throwIfCancelled(token: CancellationToken | undefined): void {
  if (token?.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'virtlint: request cancelled');
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
