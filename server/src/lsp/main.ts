// Entry point of the virtlint language server: `--stdio` (Neovim and other editors) or
// `--node-ipc` (the VS Code client); other transports are left to vscode-languageserver.
import './memoryMode';
import { format } from 'node:util';
import { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import { FrameSanitizer } from './framing';
import { startServer } from './server';

const toStderr = (message: string): void => void process.stderr.write(`${message}\n`);

// A bug in one handler must not take the editor's linter down with it.
process.on('uncaughtException', (error) => toStderr(`virtlint-lsp: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`));
process.on('unhandledRejection', (reason) => toStderr(`virtlint-lsp: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`));

if (process.argv.includes('--stdio')) {
  // stdout carries the protocol: anything printed with console must go to stderr.
  for (const method of ['log', 'info', 'debug', 'warn', 'error'] as const) console[method] = (...args: unknown[]) => toStderr(format(...args));
  const input = process.stdin.pipe(new FrameSanitizer(toStderr));
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(input), new StreamMessageWriter(process.stdout));
  const server = startServer(connection);
  // The editor closing our stdin means it is gone.
  input.on('end', () => process.exit(server.shutDown ? 0 : 1));
} else {
  startServer(createConnection(ProposedFeatures.all));
}
