// Entry point of the virtlint language server (`--stdio` or `--node-ipc`; the transport
// is picked from the command line by vscode-languageserver).
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

// A bug in one handler must not take the editor's linter down with it.
process.on('uncaughtException', (error) => {
  process.stderr.write(`virtlint-lsp: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`virtlint-lsp: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}\n`);
});

startServer(createConnection(ProposedFeatures.all));
