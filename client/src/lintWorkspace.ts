// virtlint.lintWorkspace: analyses every assembly file in the workspace and puts the results in
// the Problems panel. The server only analyses documents it was told about, so each file is
// opened as a (hidden) TextDocument, which makes the language client send didOpen, and then its
// diagnostics are requested explicitly. Pull diagnostics only cover files shown in tabs, so the
// results live in a collection of their own, dropped for a file once the editor takes it over.
import * as vscode from 'vscode';
import { DidOpenTextDocumentNotification, DocumentDiagnosticRequest, type BaseLanguageClient } from 'vscode-languageclient';
import { ALL_LANGUAGE_IDS, WORKSPACE_GLOB } from './constants';

const MAX_FILES = 10_000;
const DID_OPEN_WAIT_MS = 5_000;
/** Lets the server fetch the changed settings before the files are asked for again. */
const SETTINGS_SETTLE_MS = 500;

export interface WorkspaceLintSummary {
  files: number;
  filesWithProblems: number;
  problems: number;
  skipped: { uri: string; reason: string }[];
  cancelled: boolean;
}

export class WorkspaceLinter implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('virtlint-workspace');
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly openedInServer = new Set<string>();
  private readonly openWaiters = new Map<string, () => void>();

  constructor(
    private readonly getClient: () => BaseLanguageClient | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const editor of editors) this.collection.delete(editor.document.uri);
      }),
      vscode.workspace.onDidChangeTextDocument((event) => this.collection.delete(event.document.uri)),
      vscode.workspace.onDidCloseTextDocument((document) => this.openedInServer.delete(document.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('virtlint')) this.scheduleRefresh();
      }),
      { dispose: () => clearTimeout(this.refreshTimer) },
    );
  }

  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  /** Results of closed files were computed under the old settings: ask for them again. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), SETTINGS_SETTLE_MS);
  }

  private async refresh(): Promise<void> {
    const client = this.getClient();
    if (!client || !client.isRunning()) return;
    const uris: vscode.Uri[] = [];
    this.collection.forEach((uri) => void uris.push(uri));
    const summary: WorkspaceLintSummary = { files: 0, filesWithProblems: 0, problems: 0, skipped: [], cancelled: false };
    for (const uri of uris) {
      try {
        const diagnostics = await this.lintFile(client, uri, summary);
        if (!diagnostics || isShownInEditor(uri)) this.collection.delete(uri);
        else this.collection.set(uri, diagnostics);
      } catch (error) {
        this.collection.delete(uri);
        this.log(`lint workspace: could not refresh ${uri.toString()}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const skip of summary.skipped) this.log(`lint workspace: after the settings change, skipped ${skip.uri}: ${skip.reason}`);
  }

  /** Call after each (re)start of the language client: tracks which documents the server has been sent. */
  attach(client: BaseLanguageClient): vscode.Disposable {
    this.openedInServer.clear();
    const feature = client.getFeature(DidOpenTextDocumentNotification.method);
    for (const document of feature.openDocuments) this.openedInServer.add(document.uri.toString());
    return feature.onNotificationSent((event) => {
      const key = event.textDocument.uri.toString();
      this.openedInServer.add(key);
      this.openWaiters.get(key)?.();
    });
  }

  run(): Thenable<WorkspaceLintSummary> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'virtlint: linting the workspace', cancellable: true },
      (progress, token) => this.lintAll(progress, token),
    );
  }

  private async lintAll(progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken): Promise<WorkspaceLintSummary> {
    const summary: WorkspaceLintSummary = { files: 0, filesWithProblems: 0, problems: 0, skipped: [], cancelled: false };
    const client = this.getClient();
    if (!client || !client.isRunning()) {
      void vscode.window.showErrorMessage('virtlint: the language server is not running; try "virtlint: Restart Language Server".');
      return summary;
    }
    const uris = await vscode.workspace.findFiles(WORKSPACE_GLOB, undefined, MAX_FILES, token);
    uris.sort((a, b) => a.toString().localeCompare(b.toString()));
    this.collection.clear();
    const step = uris.length > 0 ? 100 / uris.length : 100;
    for (const uri of uris) {
      if (token.isCancellationRequested) {
        summary.cancelled = true;
        break;
      }
      progress.report({ message: vscode.workspace.asRelativePath(uri), increment: step });
      try {
        const diagnostics = await this.lintFile(client, uri, summary);
        if (!diagnostics) continue;
        summary.files++;
        if (diagnostics.length > 0) {
          summary.filesWithProblems++;
          summary.problems += diagnostics.length;
        }
        if (!isShownInEditor(uri)) this.collection.set(uri, diagnostics);
      } catch (error) {
        summary.skipped.push({ uri: uri.toString(), reason: error instanceof Error ? error.message : String(error) });
      }
    }
    if (uris.length >= MAX_FILES) summary.skipped.push({ uri: '', reason: `stopped after ${MAX_FILES} files` });
    for (const skip of summary.skipped) this.log(`lint workspace: skipped ${skip.uri || '(rest)'}: ${skip.reason}`);
    void this.announce(summary);
    return summary;
  }

  private async lintFile(client: BaseLanguageClient, uri: vscode.Uri, summary: WorkspaceLintSummary): Promise<vscode.Diagnostic[] | undefined> {
    const maxFileSize = vscode.workspace.getConfiguration('virtlint', uri).get<number>('maxFileSize', 2_000_000);
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > maxFileSize) {
      summary.skipped.push({ uri: uri.toString(), reason: `larger than virtlint.maxFileSize (${stat.size} bytes)` });
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(uri);
    if (!ALL_LANGUAGE_IDS.includes(document.languageId)) {
      summary.skipped.push({ uri: uri.toString(), reason: `language "${document.languageId}" is not assembly` });
      return undefined;
    }
    await this.serverKnows(document.uri);
    const report = await client.sendRequest(DocumentDiagnosticRequest.type, {
      textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri) },
    });
    if (report.kind !== 'full') return undefined;
    return client.protocol2CodeConverter.asDiagnostics(report.items);
  }

  private serverKnows(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    if (this.openedInServer.has(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.openWaiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, DID_OPEN_WAIT_MS);
      this.openWaiters.set(key, done);
    });
  }

  private async announce(summary: WorkspaceLintSummary): Promise<void> {
    const skipped = summary.skipped.length > 0 ? `, ${summary.skipped.length} skipped (see the output channel)` : '';
    const text = `virtlint: ${summary.problems} problem(s) in ${summary.filesWithProblems} of ${summary.files} file(s)${skipped}${summary.cancelled ? ' (cancelled)' : ''}.`;
    const choice = await vscode.window.showInformationMessage(text, 'Show Problems');
    if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function isShownInEditor(uri: vscode.Uri): boolean {
  return vscode.window.visibleTextEditors.some((editor) => editor.document.uri.toString() === uri.toString());
}
