// virtlint.insertHypercallDefinitions: asks the server for the hypercall helper definitions
// (what the hypercall quick fixes call) in the active file's dialect, and opens them beside it.
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type BaseLanguageClient } from 'vscode-languageclient';
import { WRITE_HYPERCALL_DEFINITIONS_COMMAND } from '../../server/src/lsp/protocol';
import type { FileInfoStatus } from './fileInfoStatus';

export async function openHypercallDefinitions(client: BaseLanguageClient | undefined, status: FileInfoStatus): Promise<vscode.TextDocument | undefined> {
  if (!client || !client.isRunning()) {
    void vscode.window.showErrorMessage('virtlint: the language server is not running.');
    return undefined;
  }
  const editor = vscode.window.activeTextEditor;
  const dialect = (editor && status.infoFor(editor.document.uri)?.dialect) ?? 'nasm';
  const abi = vscode.workspace.getConfiguration('virtlint', editor?.document.uri).get<string>('fix.abi', 'kvm');
  const answer: unknown = await client.sendRequest(ExecuteCommandRequest.type, { command: WRITE_HYPERCALL_DEFINITIONS_COMMAND, arguments: [{ dialect, abi }] });
  const text = typeof answer === 'object' && answer !== null && typeof (answer as { text?: unknown }).text === 'string' ? (answer as { text: string }).text : undefined;
  if (!text) {
    void vscode.window.showErrorMessage('virtlint: the server sent no hypercall definitions.');
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument({ language: editor?.document.languageId ?? 'x86asm', content: text });
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  return document;
}
