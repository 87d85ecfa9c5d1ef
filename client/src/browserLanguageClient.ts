// Builds the LanguageClient of the web extension: the server (dist/web/server.js) in a Web Worker,
// given iced-x86's WASM as its first message (the worker has no file system to read it from),
// answering the worker's requests for workspace files and listings, and telling it of files changed
// outside the editor (browserWorkspaceFiles.ts).
// The worker starts from a blob of the script's text: VS Code's web extension host refuses a
// worker from a vscode-remote: URI (code-server, remote extensions), and a blob works everywhere.
import * as vscode from 'vscode';
import { BrowserMessageReader, BrowserMessageWriter, LanguageClient, State, type MessageTransports } from 'vscode-languageclient/browser';
import { ICED_WASM_MESSAGE, LIST_FILES_REQUEST, READ_FILE_REQUEST, type IcedWasmMessage } from '../../server/src/lsp/protocol';
import { BROWSER_SCHEMES, languageClientOptions } from './clientOptions';
import { listWorkspaceFiles, readWorkspaceFile, watchWorkspace } from './browserWorkspaceFiles';

/** The parts of the browser's Worker used here (the project compiles without the DOM library). */
interface WebWorker {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
}
declare const Worker: new (scriptUrl: string) => WebWorker;
declare function fetch(url: string): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
declare const Blob: new (parts: ArrayBuffer[], options: { type: string }) => object;
declare const URL: { createObjectURL(blob: object): string };

export function createBrowserLanguageClient(context: vscode.ExtensionContext, outputChannel: vscode.LogOutputChannel): LanguageClient {
  let worker: WebWorker | undefined;
  // A function, so that a restart starts a fresh worker. It returns the transports, not the worker:
  // the client's `instanceof Worker` fails for the worker of VS Code's patched constructor.
  const startWorker = async (): Promise<MessageTransports> => {
    const [script, bytes] = await Promise.all([readExtensionFile(context.extensionUri, 'dist/web/server.js'), readExtensionFile(context.extensionUri, 'dist/iced_x86_bg.wasm')]);
    worker?.terminate();
    // Not revoked: the worker loads the script after the constructor returns.
    worker = new Worker(URL.createObjectURL(new Blob([script], { type: 'text/javascript' })));
    const message: IcedWasmMessage = { kind: ICED_WASM_MESSAGE, bytes };
    worker.postMessage(message, [bytes]);
    return { reader: new BrowserMessageReader(worker), writer: new BrowserMessageWriter(worker) };
  };
  const watcher = watchWorkspace();
  const client = new LanguageClient('virtlint', 'virtlint', startWorker, { ...languageClientOptions(outputChannel, BROWSER_SCHEMES), synchronize: { fileEvents: watcher } });
  client.onRequest(READ_FILE_REQUEST, readWorkspaceFile);
  client.onRequest(LIST_FILES_REQUEST, listWorkspaceFiles);
  // The client ends the server's LSP session but leaves its worker running; a stopped worker has nothing left to do.
  client.onDidChangeState((event) => {
    if (event.newState !== State.Stopped) return;
    worker?.terminate();
    worker = undefined;
    watcher.dispose();
  });
  return client;
}

/**
 * A file of the extension through its URI: the workspace file system knows the schemes VS Code
 * serves extensions from (vscode-remote in code-server); a plain https location (a CDN on
 * vscode.dev) is fetched.
 */
async function readExtensionFile(extensionUri: vscode.Uri, file: string): Promise<ArrayBuffer> {
  const uri = vscode.Uri.joinPath(extensionUri, file);
  try {
    return ownBuffer(await vscode.workspace.fs.readFile(uri));
  } catch (fsError) {
    const response = await fetch(uri.toString(true));
    if (!response.ok) throw new Error(`cannot read ${uri.toString(true)}: HTTP ${response.status} (and ${fsError instanceof Error ? fsError.message : String(fsError)})`);
    return response.arrayBuffer();
  }
}

/** The bytes in an ArrayBuffer of their own, so it can be transferred to the worker. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
