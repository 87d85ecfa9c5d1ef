// Everything the server sends to the client goes through this interface, so tests (or
// another transport) can replace the connection.
import { MessageType, ShowMessageNotification, type Connection, type PublishDiagnosticsParams } from 'vscode-languageserver';
import { FILE_INFO_NOTIFICATION, type FileInfoParams } from './protocol';
import type { ProgressHandle } from './projectService';

export interface ClientGateway {
  publishDiagnostics(params: PublishDiagnosticsParams): void;
  /** Asks a pull-model client to pull diagnostics again (settings changed). */
  refreshDiagnostics(): void;
  /** The raw `virtlint` section for a document (or globally when `scopeUri` is undefined). */
  fetchSettings(scopeUri: string | undefined): Promise<unknown>;
  /** Asks the client to open a document; false when it could not. */
  showDocument(uri: string): Promise<boolean>;
  /** `virtlint/fileInfo`: what a file was understood as (dialect, bits, profile). */
  sendFileInfo(params: FileInfoParams): void;
  log(message: string): void;
  /** A warning the user should see (window/showMessage). */
  showWarning(message: string): void;
  /** `window/workDoneProgress` when the client supports it (undefined otherwise). */
  beginProgress?(title: string): Promise<ProgressHandle | undefined>;
}

export function connectionGateway(connection: Connection): ClientGateway {
  return {
    publishDiagnostics: (params) => void connection.sendDiagnostics(params).catch(() => undefined),
    refreshDiagnostics: () => void connection.languages.diagnostics.refresh().catch(() => undefined),
    fetchSettings: (scopeUri) => connection.workspace.getConfiguration(scopeUri === undefined ? { section: 'virtlint' } : { scopeUri, section: 'virtlint' }),
    showDocument: async (uri) => {
      const result = await connection.window.showDocument({ uri, external: false, takeFocus: true });
      return result.success;
    },
    sendFileInfo: (params) => void connection.sendNotification(FILE_INFO_NOTIFICATION, params).catch(() => undefined),
    log: (message) => connection.console.log(message),
    // A notification, not window/showMessageRequest: nothing to answer, and every client knows it.
    showWarning: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message }).catch(() => undefined),
    beginProgress: async (title) => {
      // A client without window.workDoneProgress gets a reporter that sends nothing.
      const reporter = await connection.window.createWorkDoneProgress();
      reporter.begin(title, 0, undefined, false);
      return {
        report: (message, percentage) => (percentage === undefined ? reporter.report(message) : reporter.report(percentage, message)),
        done: () => reporter.done(),
      };
    },
  };
}
