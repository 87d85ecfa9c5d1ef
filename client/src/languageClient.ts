// Builds the LanguageClient that runs dist/server.js in a Node child process over IPC.
import * as vscode from 'vscode';
import {
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type DocumentSelector,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { ALL_LANGUAGE_IDS, HOST_LANGUAGE_IDS } from './constants';
import { currentWorkspaceTrust } from './workspaceTrust';

/** Every document the server is given: assembly, and C, C++ and Rust for their inline assembly. */
export function documentSelector(): DocumentSelector {
  return selectorFor([...ALL_LANGUAGE_IDS, ...HOST_LANGUAGE_IDS]);
}

/** Assembly documents only (the language status item, which describes an assembly file's dialect and mode). */
export function assemblySelector(): DocumentSelector {
  return selectorFor(ALL_LANGUAGE_IDS);
}

function selectorFor(languages: readonly string[]): DocumentSelector {
  return languages.flatMap((language) => [
    { scheme: 'file', language },
    { scheme: 'untitled', language },
    // Remote and virtual workspaces: the server only ever sees document text, never the disk.
    { scheme: 'vscode-remote', language },
    { scheme: 'vscode-vfs', language },
  ]);
}

export function createLanguageClient(context: vscode.ExtensionContext, outputChannel: vscode.LogOutputChannel): LanguageClient {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    outputChannel,
    traceOutputChannel: outputChannel,
    // The channel is there when the user asks for it; errors never pop it open.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    diagnosticCollectionName: 'virtlint',
    initializationOptions: { extensionPath: context.extensionPath, workspaceTrust: currentWorkspaceTrust() },
  };
  return new LanguageClient('virtlint', 'virtlint', serverOptions, clientOptions);
}
