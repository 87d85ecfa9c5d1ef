// What the desktop and the web language clients are given alike: the documents the server sees
// and how its output and diagnostics show. Imports no transport, so both bundles can take it.
import type * as vscode from 'vscode';
import { RevealOutputChannelOn, type DocumentSelector, type LanguageClientOptions } from 'vscode-languageclient';
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

/** `initializationOptions` beyond workspace trust: the desktop server's extension path. */
export function languageClientOptions(outputChannel: vscode.LogOutputChannel, initializationOptions: Record<string, unknown> = {}): LanguageClientOptions {
  return {
    documentSelector: documentSelector(),
    outputChannel,
    traceOutputChannel: outputChannel,
    // The channel is there when the user asks for it; errors never pop it open.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    diagnosticCollectionName: 'virtlint',
    initializationOptions: { ...initializationOptions, workspaceTrust: currentWorkspaceTrust() },
  };
}
