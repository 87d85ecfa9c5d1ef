// Entry point of the virtlint language server: `--stdio` (Neovim and other editors) or
// `--node-ipc` (the VS Code client); other transports are left to vscode-languageserver.
import './memoryMode';
import { format } from 'node:util';
import { isMainThread, workerData } from 'node:worker_threads';
import { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import { FrameSanitizer } from './framing';
import { PROJECT_WORKER_FLAG, setProjectWorkerScript } from './projectRunner';
import { serveProjectRuns } from './projectWorker';
import { startServer } from './server';

const toStderr = (message: string): void => void process.stderr.write(`${message}\n`);

// A bug in one handler must not take the editor's linter down with it.
process.on('uncaughtException', (error) => toStderr(`virtlint-lsp: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`));
process.on('unhandledRejection', (reason) => toStderr(`virtlint-lsp: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`));

// The same script serves the whole-program runs on a worker thread (see projectRunner.ts).
const isProjectWorker = !isMainThread && (workerData as Record<string, unknown> | null)?.[PROJECT_WORKER_FLAG] === true;

if (isProjectWorker) {
  serveProjectRuns();
} else if (process.argv.includes('--stdio')) {
  setProjectWorkerScript(__filename);
  // stdout carries the protocol: anything printed with console must go to stderr.
  for (const method of ['log', 'info', 'debug', 'warn', 'error'] as const) console[method] = (...args: unknown[]) => toStderr(format(...args));
  const input = process.stdin.pipe(new FrameSanitizer(toStderr));
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(input), new StreamMessageWriter(process.stdout));
  const server = startServer(connection);
  // The editor closing our stdin means it is gone.
  input.on('end', () => process.exit(server.shutDown ? 0 : 1));
} else {
  setProjectWorkerScript(__filename);
  startServer(createConnection(ProposedFeatures.all));
}
