// Entry point of the language server in a Web Worker (vscode.dev, github.dev, code-server's web
// extension host), bundled as dist/web/server.js. The client's first message carries iced-x86's
// WASM; the server is loaded only then, because loading it instantiates iced. Everything else is
// the Node server's code: the web build swaps its Node-only modules for the browser*.ts ones, and
// the server reaches the workspace through its client (browserWorkspace.ts): the listing with
// virtlint/listFiles, the files it misses (includes, headers, virtlint.config.json) with
// virtlint/readFile; when one exists, the server analyses again with it.
import { BrowserMessageReader, BrowserMessageWriter, createConnection, ProposedFeatures, type DataCallback, type Message, type MessageReader } from 'vscode-languageserver/browser';
import { ICED_WASM_MESSAGE, type IcedWasmMessage } from './protocol';
import { provideIcedWasm } from './browserWasm';
import { clientFiles, ClientUris } from './browserClientFiles';
import { ClientWorkspace } from './browserWorkspace';

/** The parts of DedicatedWorkerGlobalScope used here (the project compiles without the DOM library). */
interface WorkerScope {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  addEventListener(type: string, listener: (event: unknown) => void): void;
}

const scope = globalThis as unknown as WorkerScope;

function isIcedWasmMessage(data: unknown): data is IcedWasmMessage {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Partial<IcedWasmMessage>;
  return message.kind === ICED_WASM_MESSAGE && (message.bytes instanceof ArrayBuffer || message.bytes instanceof Uint8Array);
}

function startWithWasm(message: IcedWasmMessage): void {
  provideIcedWasm(message.bytes);
  // Required here, not imported: an import would load iced before its bytes are there.
  const { startServer } = require('./server') as typeof import('./server');
  const { documentPath } = require('./documents') as typeof import('./documents');
  const uris = new ClientUris();
  // The reader takes over `onmessage` synchronously, so the LSP messages queued behind this one reach it.
  const reader = watchingDocuments(new BrowserMessageReader(scope), uris, documentPath);
  const connection = createConnection(ProposedFeatures.all, reader, new BrowserMessageWriter(scope));
  const workspace = new ClientWorkspace(connection, uris, documentPath);
  const server = startServer(connection, undefined, workspace);
  workspace.onFilesArrived = () => server.workspaceFilesChanged();
}

/**
 * Passes the client's messages on, noting first the URIs the client names (to ask for files by
 * theirs) and which files it opens, saves or closes (their kept answers may be out of date, so
 * they are asked for again).
 */
function watchingDocuments(reader: MessageReader, uris: ClientUris, documentPath: (uri: string) => string): MessageReader {
  const note = (message: Message): void => {
    const { method, params } = message as { method?: unknown; params?: { textDocument?: { uri?: unknown }; workspaceFolders?: unknown; rootUri?: unknown } };
    if (method === 'initialize') {
      const folders = Array.isArray(params?.workspaceFolders) ? (params.workspaceFolders as Array<{ uri?: unknown }>) : [];
      for (const folder of folders) if (typeof folder?.uri === 'string') uris.learn(folder.uri);
      if (typeof params?.rootUri === 'string') uris.learn(params.rootUri);
    } else if (method === 'textDocument/didOpen' || method === 'textDocument/didSave' || method === 'textDocument/didClose') {
      const uri = params?.textDocument?.uri;
      if (typeof uri !== 'string') return;
      uris.learn(uri);
      clientFiles.askAgain(documentPath(uri));
    }
  };
  return {
    onError: reader.onError,
    onClose: reader.onClose,
    onPartialMessage: reader.onPartialMessage,
    listen: (callback: DataCallback) =>
      reader.listen((message) => {
        note(message);
        callback(message);
      }),
    dispose: () => reader.dispose(),
  };
}

scope.onmessage = (event) => {
  if (!isIcedWasmMessage(event.data)) {
    console.error(`virtlint: the first message to the server worker must be ${ICED_WASM_MESSAGE}; ignored`);
    return;
  }
  startWithWasm(event.data);
};
