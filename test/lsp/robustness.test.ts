import * as assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { Hover } from 'vscode-languageserver-protocol';
import { applyChanges, codesAndLines, fileUri, LspTestClient, PROJECT_ROOT, serverEntry } from './client';
import { NASM_EXPECTED, NASM_SOURCE } from './fixtures';

async function stillServing(client: LspTestClient): Promise<void> {
  const uri = fileUri(`alive-${Math.random().toString(36).slice(2)}.asm`);
  await client.open(uri, NASM_SOURCE);
  const report = await client.pull(uri);
  assert.deepEqual(codesAndLines(report.items ?? []), NASM_EXPECTED, 'the server still analyses after the bad input');
  assert.ok(client.alive);
}

function codeOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? Number((error as { code: unknown }).code) : undefined;
}

describe('lsp: never dies', function () {
  this.timeout(60000);
  let client: LspTestClient;
  beforeEach(async () => (client = await LspTestClient.start({ pull: true })));
  afterEach(async () => void (await client.stop()));

  it('survives malformed JSON and a bad header', async () => {
    const body = '{"jsonrpc":"2.0","id":99,"method":"textDocument/hover","params":{';
    client.writeRaw(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const notJsonRpc = '[1,2,3]';
    client.writeRaw(`Content-Length: ${notJsonRpc.length}\r\n\r\n${notJsonRpc}`);
    // Framing garbage: a header without Content-Length, a non-numeric one, and stray bytes.
    client.writeRaw('Garbage: yes\r\n\r\n{}');
    client.writeRaw('Content-Length: lots\r\n\r\n{}');
    client.writeRaw('\x00\x01 random bytes \xff\r\n');
    await stillServing(client);
    assert.match(client.stderr, /skipped \d+ bytes of input/);
  });

  it('exits when the editor closes its stdin without shutdown (code 1)', async () => {
    client.child.stdin.end();
    assert.equal(await client.exitCode, 1);
  });

  it('answers unknown methods with MethodNotFound and ignores unknown notifications', async () => {
    await client.connection.sendNotification('virtlint/noSuchNotification', { x: 1 });
    await assert.rejects(client.request('virtlint/noSuchMethod', {}), (error: unknown) => codeOf(error) === -32601);
    await stillServing(client);
  });

  it('returns empty results for bad positions and unknown documents', async () => {
    const uri = fileUri('positions.asm');
    await client.open(uri, NASM_SOURCE);
    for (const position of [{ line: 9999, character: 0 }, { line: -1, character: 0 }, { line: 4, character: 9999 }, { line: 1.5, character: 0 }]) {
      const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
      if (position.line === 4) assert.ok(hover === null || typeof hover === 'object');
      else assert.equal(hover, null, `hover at ${JSON.stringify(position)}`);
    }
    const actions = await client.request<unknown[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 500, character: 0 }, end: { line: 900, character: 3 } },
      context: { diagnostics: [] },
    });
    assert.deepEqual(actions, []);
    const unknownHover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: fileUri('nope.asm') }, position: { line: 0, character: 0 } });
    assert.equal(unknownHover, null);
    const unknownActions = await client.request<unknown[]>('textDocument/codeAction', {
      textDocument: { uri: fileUri('nope.asm') },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    });
    assert.deepEqual(unknownActions, []);
    // Edits to unknown documents and changes with out-of-range positions are tolerated.
    await client.change(fileUri('nope.asm'), [{ text: 'popf' }]);
    await client.change(uri, [{ range: { start: { line: 400, character: 3 }, end: { line: 500, character: 0 } }, text: '\n    smsw ax\n' }]);
    const report = await client.pull(uri);
    assert.deepEqual(codesAndLines(report.items ?? []), [...NASM_EXPECTED, ['smsw', 12]]);
    assert.deepEqual(client.logMessages.filter((m) => m.includes('incremental analysis of')), [], 'clamped positions reach the analyzer already clamped');
    await stillServing(client);
  });

  it('rejects malformed params with an error response, not a crash', async () => {
    await assert.rejects(client.request('textDocument/diagnostic', {}), (error: unknown) => codeOf(error) === -32602);
    await assert.rejects(client.request('textDocument/hover', { textDocument: 42 }), (error: unknown) => codeOf(error) === -32602);
    await assert.rejects(client.request('textDocument/codeAction', null));
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: null });
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: 7 }, contentChanges: 'x' });
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { virtlint: { rules: 'nonsense', run: 12, overrides: [null, { files: 3 }] } } });
    await stillServing(client);
  });

  it('handles cancellation: a cancelled pull gets RequestCancelled', async () => {
    const uri = fileUri('cancel.asm');
    await client.open(uri, NASM_SOURCE.repeat(200));
    // Write the request and its cancellation in one go, so both are read before the handler runs.
    const request = '{"jsonrpc":"2.0","id":"cancel-me","method":"textDocument/diagnostic","params":{"textDocument":{"uri":"' + uri + '"}}}';
    const cancel = '{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"cancel-me"}}';
    const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    // The response to a raw request arrives as an unmatched response; capture it from stdout.
    const captured = new Promise<string>((resolveCapture) => {
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        if (buffer.includes('"id":"cancel-me"')) {
          client.child.stdout.off('data', onData);
          resolveCapture(buffer);
        }
      };
      client.child.stdout.on('data', onData);
    });
    client.writeRaw(frame(request) + frame(cancel));
    const raw = await captured;
    assert.match(raw, /"id":"cancel-me"/);
    // Both frames arrive in one chunk, so the cancellation is seen before the handler resumes.
    assert.match(raw, /"id":"cancel-me","error":\{"code":-32800/);
    await stillServing(client);
  });

  it('answers a code action over 40,000 findings (no spread of input-sized arrays)', async () => {
    const uri = fileUri('forty-thousand.asm');
    const findings = 40_000;
    await client.open(uri, 'bits 32\n' + '    smsw ax\n'.repeat(findings));
    const actions = await client.request<Array<{ title: string }>>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: findings + 1, character: 0 } },
      context: { diagnostics: [], only: ['quickfix'] },
    });
    // Per finding: three replacements and "disable for this line"; once: "disable for the file", documentation.
    assert.equal(actions.length, 4 * findings + 2);
    assert.equal(actions.filter((action) => action.title === 'Disable smsw for this line').length, findings);
  });

  it('stays up through a storm of 2,000 edits mixed with requests and answers a final request', async () => {
    const uri = fileUri('storm.asm');
    let text = NASM_SOURCE;
    await client.open(uri, text);
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < 2000; i++) {
      const line = 4 + (i % 6);
      const change = i % 2 === 0
        ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '    nop\n' }
        : { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' };
      await client.change(uri, [change]);
      text = applyChanges(text, [change]);
      if (i % 50 === 0) pending.push(client.pull(uri).catch((error: unknown) => error));
      if (i % 97 === 0) pending.push(client.request('textDocument/hover', { textDocument: { uri }, position: { line, character: 5 } }).catch((error: unknown) => error));
    }
    await Promise.all(pending);
    const final = await client.pull(uri);
    await client.open(fileUri('storm-fresh.asm'), text);
    const fresh = await client.pull(fileUri('storm-fresh.asm'));
    assert.deepEqual(codesAndLines(final.items ?? []), codesAndLines(fresh.items ?? []));
    assert.deepEqual(client.logMessages.filter((m) => m.includes('incremental analysis of')), []);
    assert.ok(client.alive);
  });
});

describe('lsp: lifecycle', function () {
  this.timeout(60000);

  it('after shutdown refuses every request with InvalidRequest, a second initialize included, and exits 0 on exit', async () => {
    const client = await LspTestClient.start({ pull: true });
    const uri = fileUri('lifecycle.asm');
    await client.open(uri, NASM_SOURCE);
    await client.pull(uri);
    await client.request('shutdown', null);
    const invalidRequest = (error: unknown) => codeOf(error) === -32600;
    await assert.rejects(client.pull(uri), invalidRequest, 'diagnostics');
    await assert.rejects(client.request('textDocument/hover', { textDocument: { uri }, position: { line: 6, character: 5 } }), invalidRequest, 'hover');
    await assert.rejects(client.request('workspace/executeCommand', { command: 'virtlint.writeHypercallDefinitions', arguments: ['nasm', 'kvm'] }), invalidRequest, 'executeCommand');
    await assert.rejects(client.request('virtlint/noSuchMethod', {}), invalidRequest, 'an unknown method');
    await assert.rejects(client.request('initialize', { processId: null, rootUri: null, capabilities: {} }), invalidRequest, 'initialize');
    await assert.rejects(client.request('shutdown', null), invalidRequest, 'a second shutdown');
    await client.connection.sendNotification('exit');
    assert.equal(await client.exitCode, 0);
    client.connection.dispose();
  });

  it('refuses a second initialize while running, and keeps serving', async () => {
    const client = await LspTestClient.start({ pull: true });
    try {
      await assert.rejects(client.request('initialize', { processId: null, rootUri: null, capabilities: {} }), (error: unknown) => codeOf(error) === -32600);
      await stillServing(client);
    } finally {
      await client.stop();
    }
  });
});

describe('lsp: transports and launcher', function () {
  this.timeout(20000);

  it('serves over --node-ipc', async () => {
    const child = fork(serverEntry(), ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.listen();
    try {
      const result = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as { serverInfo?: { name: string } };
      assert.equal(result.serverInfo?.name, 'virtlint');
      await connection.sendRequest('shutdown');
      void connection.sendNotification('exit');
    } finally {
      connection.dispose();
      child.kill();
    }
  });

  it('starts from the bin/virtlint-lsp.js launcher', async () => {
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'bin', 'virtlint-lsp.js'), '--stdio'], { stdio: 'pipe' });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    connection.listen();
    try {
      const result = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as { serverInfo?: { name: string } };
      assert.equal(result.serverInfo?.name, 'virtlint');
    } finally {
      connection.dispose();
      child.kill();
    }
  });
});
