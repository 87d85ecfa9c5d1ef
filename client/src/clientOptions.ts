// What the desktop and the web language clients are given alike: the documents the server sees
// and how its output and diagnostics show. Imports no transport, so both bundles can take it.
import type * as vscode from 'vscode';
import { RevealOutputChannelOn, type DocumentSelector, type LanguageClientOptions } from 'vscode-languageclient';
import { ALL_LANGUAGE_IDS, HOST_LANGUAGE_IDS } from './constants';
import { currentWorkspaceTrust } from './workspaceTrust';

/**
 * The schemes of the documents the desktop's server is given: files, unsaved buffers, remote and
 * virtual workspaces (the server only ever sees document text, never the disk).
 */
export const DESKTOP_SCHEMES: readonly string[] = ['file', 'untitled', 'vscode-remote', 'vscode-vfs'];

/**
 * The web's: the desktop's (`file:` is a local folder opened in vscode.dev, `vscode-remote:` a
 * code-server or Codespaces workspace, `vscode-vfs:` a GitHub or Azure Repos one on github.dev),
 * and the in-browser file systems of VS Code's web test host (`vscode-test-web:`) and of its web
 * playground (`memfs:`). Its server reads their other files through the client.
 */
export const BROWSER_SCHEMES: readonly string[] = [...DESKTOP_SCHEMES, 'vscode-test-web', 'memfs'];

/** Every document the server is given: assembly, and C, C++ and Rust for their inline assembly. */
export function documentSelector(schemes: readonly string[]): DocumentSelector {
  return selectorFor([...ALL_LANGUAGE_IDS, ...HOST_LANGUAGE_IDS], schemes);
}

/** Assembly documents only (the language status item, which describes an assembly file's dialect and mode). */
export function assemblySelector(schemes: readonly string[]): DocumentSelector {
  return selectorFor(ALL_LANGUAGE_IDS, schemes);
}

function selectorFor(languages: readonly string[], schemes: readonly string[]): DocumentSelector {
  return languages.flatMap((language) => schemes.map((scheme) => ({ scheme, language })));
}

/** `schemes`: the documents' (DESKTOP_SCHEMES or BROWSER_SCHEMES); `initializationOptions` beyond workspace trust: the desktop server's extension path. */
export function languageClientOptions(outputChannel: vscode.LogOutputChannel, schemes: readonly string[], initializationOptions: Record<string, unknown> = {}): LanguageClientOptions {
  return {
    documentSelector: documentSelector(schemes),
    outputChannel,
    traceOutputChannel: outputChannel,
    // The channel is there when the user asks for it; errors never pop it open.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    diagnosticCollectionName: 'virtlint',
    initializationOptions: { ...initializationOptions, workspaceTrust: currentWorkspaceTrust() },
  };
}
