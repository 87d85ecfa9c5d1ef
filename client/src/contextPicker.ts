// virtlint.chooseContext: a file included from several places is read in each includer's mode;
// the user picks the one whose diagnostics the editor shows (or all of them merged).
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type BaseLanguageClient } from 'vscode-languageclient';
import { SELECT_CONTEXT_COMMAND, type FileContextInfo, type FileInfoParams } from '../../server/src/lsp/protocol';
import type { FileInfoStatus } from './fileInfoStatus';

interface ContextPick extends vscode.QuickPickItem {
  context: number | undefined;
}

export async function chooseContext(client: BaseLanguageClient | undefined, status: FileInfoStatus): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  const info = document ? status.infoFor(document.uri) : undefined;
  if (!client || !client.isRunning() || !document) {
    void vscode.window.showErrorMessage('virtlint: open an assembly file while the language server runs.');
    return;
  }
  const contexts = info?.contexts ?? [];
  if (contexts.length === 0) {
    void vscode.window.showInformationMessage('virtlint: no other file includes this one; it is read on its own.');
    return;
  }
  const picks: ContextPick[] = [
    { label: 'All contexts', description: `${contexts.length} merged`, context: undefined, picked: info?.selectedContext === undefined },
    ...contexts.map((context, index): ContextPick => ({ label: context.label, description: rootOf(context), context: index, picked: info?.selectedContext === index })),
  ];
  const chosen = await vscode.window.showQuickPick(picks, { title: 'virtlint: show diagnostics in which context?' });
  if (!chosen) return;
  const uri = client.code2ProtocolConverter.asUri(document.uri);
  const answer: unknown = await client.sendRequest(ExecuteCommandRequest.type, { command: SELECT_CONTEXT_COMMAND, arguments: [{ uri, context: chosen.context ?? -1 }] });
  if (isFileInfo(answer)) status.update(answer);
}

/** The file the context's walk starts from, relative to its workspace folder when it is in one. */
function rootOf(context: FileContextInfo): string {
  try {
    return vscode.workspace.asRelativePath(vscode.Uri.parse(context.rootUri, true), false);
  } catch {
    return '';
  }
}

function isFileInfo(value: unknown): value is FileInfoParams {
  return typeof value === 'object' && value !== null && typeof (value as { uri?: unknown }).uri === 'string';
}
