// Entry point of the virtlint web extension (vscode.dev, github.dev, code-server's web worker
// host), bundled as dist/web/client.js: the desktop extension's commands and status item
// (activation.ts) over a server that runs in a Web Worker (browserLanguageClient.ts). The server
// has no file system there: it asks the client for the workspace's listing and files
// (virtlint/listFiles, virtlint/readFile, answered from vscode.workspace), and the client tells it
// of files changed outside the editor (browserWorkspaceFiles.ts).
import type * as vscode from 'vscode';
import { activateVirtlint, deactivateVirtlint, type VirtlintApi } from './activation';
import { createBrowserLanguageClient } from './browserLanguageClient';
import { BROWSER_SCHEMES } from './clientOptions';

export function activate(context: vscode.ExtensionContext): VirtlintApi {
  return activateVirtlint(context, { createClient: createBrowserLanguageClient, where: 'in a web worker', schemes: BROWSER_SCHEMES });
}

export const deactivate = deactivateVirtlint;
