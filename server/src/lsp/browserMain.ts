// Entry point of the language server in a Web Worker (vscode.dev, github.dev, code-server's web
// extension host), bundled as dist/web/server.js. The client's first message carries iced-x86's
// WASM; the server is loaded only then, because loading it instantiates iced. Everything else is
// the Node server's code: the web build swaps its Node-only modules for the browser*.ts ones.
import { BrowserMessageReader, BrowserMessageWriter, createConnection, ProposedFeatures } from 'vscode-languageserver/browser';
import { ICED_WASM_MESSAGE, type IcedWasmMessage } from './protocol';
import { provideIcedWasm } from './browserWasm';

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
  // The reader takes over `onmessage` synchronously, so the LSP messages queued behind this one reach it.
  startServer(createConnection(ProposedFeatures.all, new BrowserMessageReader(scope), new BrowserMessageWriter(scope)));
}

scope.onmessage = (event) => {
  if (!isIcedWasmMessage(event.data)) {
    console.error(`virtlint: the first message to the server worker must be ${ICED_WASM_MESSAGE}; ignored`);
    return;
  }
  startWithWasm(event.data);
};
