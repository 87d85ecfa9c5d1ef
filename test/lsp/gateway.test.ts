// The server in-process with its outbound interface (ClientGateway) replaced by a recorder:
// what the server sends never has to go through a real connection to be checked.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import type { ClientGateway } from '../../server/src/lsp/gateway';
import type { FileInfoParams } from '../../server/src/lsp/protocol';
import { startServer } from '../../server/src/lsp/server';
import { codesAndLines, fileUri } from './client';
import { NASM_SOURCE } from './fixtures';

class RecordingGateway implements ClientGateway {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly fileInfos: FileInfoParams[] = [];
  readonly settingsAsked: Array<string | undefined> = [];
  refreshes = 0;
  constructor(private readonly settings: unknown) {}
  publishDiagnostics(params: PublishDiagnosticsParams): void {
    this.published.push(params);
  }
  refreshDiagnostics(): void {
    this.refreshes++;
  }
  fetchSettings(scopeUri: string | undefined): Promise<unknown> {
    this.settingsAsked.push(scopeUri);
    return Promise.resolve([this.settings]);
  }
  showDocument(): Promise<boolean> {
    return Promise.resolve(true);
  }
  sendFileInfo(params: FileInfoParams): void {
    this.fileInfos.push(params);
  }
  log(): void {
    // Logs are not under test here.
  }
  showWarning(): void {
    // Nor are warnings.
  }
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lsp: the outbound interface can be swapped (in-process server)', function () {
  this.timeout(20000);

  it('sends diagnostics, file info and settings requests through the given gateway', async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const serverConnection = createConnection(ProposedFeatures.all, new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    const gateway = new RecordingGateway({ rules: { popf: 'off', cpuid: 'hint' } });
    startServer(serverConnection, gateway);
    const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    client.listen();
    try {
      await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: { workspace: { configuration: true } } });
      await client.sendNotification('initialized', {});
      const uri = fileUri('gateway.asm');
      await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'asm', version: 1, text: NASM_SOURCE } });
      const published = await until(() => gateway.published.find((p) => p.uri === uri), 'publishDiagnostics through the gateway');
      assert.deepEqual(codesAndLines(published.diagnostics), [['sgdt', 4], ['pushf', 6], ['cpuid', 8]]);
      assert.deepEqual(gateway.settingsAsked, [uri]);
      assert.equal(gateway.fileInfos[0]?.dialect, 'nasm');
    } finally {
      client.dispose();
      serverConnection.dispose();
    }
  });
});
