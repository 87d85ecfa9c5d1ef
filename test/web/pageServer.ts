// A tiny HTTP server on 127.0.0.1 for the worker test: a page with nothing on it but a harness
// that starts dist/web/server.js in a plain Worker, and the bundle and iced's WASM next to it.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { ROOT } from '../vscode/codeServer';

const HARNESS = `<!doctype html><meta charset="utf-8"><title>virtlint worker test</title>
<script>
  const worker = new Worker('/server.js');
  window.fromServer = [];
  window.workerErrors = [];
  worker.onmessage = (event) => window.fromServer.push(event.data);
  worker.onerror = (event) => window.workerErrors.push(String(event.message));
  window.toServer = (message) => worker.postMessage(message);
  window.sendWasm = async () => {
    const bytes = await (await fetch('/iced_x86_bg.wasm')).arrayBuffer();
    worker.postMessage({ kind: 'virtlint/icedWasm', bytes }, [bytes]);
  };
</script>`;

const FILES: Record<string, { file: string; type: string }> = {
  '/server.js': { file: 'dist/web/server.js', type: 'text/javascript' },
  '/server.js.map': { file: 'dist/web/server.js.map', type: 'application/json' },
  '/iced_x86_bg.wasm': { file: 'dist/iced_x86_bg.wasm', type: 'application/wasm' },
};

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export async function servePage(): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(HARNESS);
      return;
    }
    if (url === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    const served = FILES[url];
    if (!served) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': served.type }).end(readFileSync(path.join(ROOT, served.file)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
