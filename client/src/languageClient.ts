// Builds the LanguageClient that runs dist/server.js in a Node child process over IPC.
import type * as vscode from 'vscode';
import { LanguageClient, TransportKind, type ServerOptions } from 'vscode-languageclient/node';
import { DESKTOP_SCHEMES, languageClientOptions } from './clientOptions';

export function createLanguageClient(context: vscode.ExtensionContext, outputChannel: vscode.LogOutputChannel): LanguageClient {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  return new LanguageClient('virtlint', 'virtlint', serverOptions, languageClientOptions(outputChannel, DESKTOP_SCHEMES, { extensionPath: context.extensionPath }));
}
