// Settings a workspace brings with it (.vscode/settings.json of a cloned repository) must not
// disable or hang the server, nor put their own code into the user's files unless trusted.
import * as assert from 'node:assert/strict';
import type { CodeAction } from 'vscode-languageserver-protocol';
import { codesAndLines, fileUri, LspTestClient } from './client';
import { NASM_EXPECTED, NASM_SOURCE } from './fixtures';

const SGDT_LINE = 4;

function insertedTexts(actions: readonly CodeAction[]): string[] {
  const texts: string[] = [];
  for (const action of actions) {
    for (const edits of Object.values(action.edit?.changes ?? {})) {
      for (const edit of edits) texts.push(edit.newText);
    }
  }
  return texts;
}

function actionsAt(client: LspTestClient, uri: string, line: number, only?: string[]): Promise<CodeAction[]> {
  return client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics: [], ...(only ? { only } : {}) },
  });
}

describe('lsp: override globs from the workspace', function () {
  this.timeout(60000);
  let client: LspTestClient | undefined;
  afterEach(async () => void (await client?.stop()));

  it('reports an invalid glob once, ignores it, and keeps answering every request', async () => {
    client = await LspTestClient.start({ pull: true, settings: { overrides: [{ files: '[z-a].asm', bits: 16 }, { files: '*.asm', dialect: 'nasm' }] } });
    for (const name of ['first.asm', 'second.asm']) {
      const uri = fileUri(name);
      await client.open(uri, NASM_SOURCE);
      const report = await client.pull(uri);
      assert.deepEqual(codesAndLines(report.items ?? []), NASM_EXPECTED, name);
      assert.ok((await actionsAt(client, uri, SGDT_LINE)).length > 0);
      assert.notEqual(await client.request('textDocument/hover', { textDocument: { uri }, position: { line: SGDT_LINE, character: 5 } }), null);
    }
    const aboutGlob = (messages: readonly string[]) => messages.filter((message) => message.includes('[z-a].asm'));
    assert.equal(aboutGlob(client.shownMessages).length, 1, client.shownMessages.join('\n'));
    assert.match(aboutGlob(client.shownMessages)[0] ?? '', /ignoring the glob "\[z-a\]\.asm": .*Invalid regular expression/);
    assert.equal(aboutGlob(client.logMessages).length, 1);
  });

  it('does not hang on a glob that would backtrack for hours, and says so', async () => {
    client = await LspTestClient.start({ pull: true, settings: { overrides: [{ files: '*a'.repeat(14) + 'b', bits: 16 }] } });
    const uri = fileUri('a'.repeat(200) + '.asm');
    await client.open(uri, NASM_SOURCE);
    const report = await client.pull(uri);
    assert.deepEqual(codesAndLines(report.items ?? []), NASM_EXPECTED);
    assert.ok(client.shownMessages.some((message) => /too costly to match/.test(message)), client.shownMessages.join('\n'));
  });
});

describe('lsp: untrusted workspaces', function () {
  this.timeout(60000);
  let client: LspTestClient;
  afterEach(async () => void (await client.stop()));

  const workspaceValues = { fix: { abi: 'custom', customTemplate: 'call evil_payload', fixAllStrategy: 'hypercall' } };

  it('takes the settings that insert code only from the user while the workspace is untrusted, and from the workspace once trusted', async () => {
    client = await LspTestClient.start({
      pull: true,
      settings: workspaceValues,
      initializationOptions: { workspaceTrust: { trusted: false, userSettings: { fix: { abi: 'custom', customTemplate: 'vmcall ; from the user' } } } },
    });
    const uri = fileUri('untrusted.asm');
    await client.open(uri, NASM_SOURCE);
    const untrusted = insertedTexts(await actionsAt(client, uri, SGDT_LINE));
    assert.ok(!untrusted.some((text) => text.includes('evil_payload')), untrusted.join('\n---\n'));
    assert.ok(untrusted.some((text) => text.includes('from the user')), 'the user value applies');
    assert.deepEqual(await actionsAt(client, uri, 0, ['source.fixAll']), [], 'fix-all on save stays off (the user did not turn it on)');
    assert.ok(client.logMessages.some((message) => /not trusted, so its value of virtlint\.fix\.customTemplate is ignored/.test(message)), client.logMessages.join('\n'));

    await client.connection.sendNotification('virtlint/didChangeWorkspaceTrust', { trusted: true });
    const trusted = insertedTexts(await actionsAt(client, uri, SGDT_LINE));
    assert.ok(trusted.some((text) => text.includes('evil_payload')), 'once trusted, the workspace value applies');
    assert.equal((await actionsAt(client, uri, 0, ['source.fixAll'])).length, 1);
  });

  it('leaves a client that says nothing about trust as it was (every setting applies)', async () => {
    client = await LspTestClient.start({ pull: true, settings: workspaceValues });
    const uri = fileUri('no-trust-info.asm');
    await client.open(uri, NASM_SOURCE);
    assert.ok(insertedTexts(await actionsAt(client, uri, SGDT_LINE)).some((text) => text.includes('evil_payload')));
  });
});
