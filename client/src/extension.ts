// Entry point of the virtlint VS Code extension: starts the language server (dist/server.js) in a
// Node child process (languageClient.ts) and adds what LSP has no words for (activation.ts).
// Nothing from the workspace is executed, so untrusted workspaces are supported; there the server
// ignores the workspace's values of the settings that decide inserted code (workspaceTrust.ts).
import type * as vscode from 'vscode';
import { activateVirtlint, deactivateVirtlint, type VirtlintApi } from './activation';
import { DESKTOP_SCHEMES } from './clientOptions';
import { createLanguageClient } from './languageClient';

export type { VirtlintApi };

export function activate(context: vscode.ExtensionContext): VirtlintApi {
  return activateVirtlint(context, { createClient: createLanguageClient, where: 'in a Node process', schemes: DESKTOP_SCHEMES });
}

export const deactivate = deactivateVirtlint;
