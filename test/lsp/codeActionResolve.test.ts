// Quick fixes computed lazily: a client that resolves a code action's edit (codeAction/resolve)
// gets the fixes without their edits, and resolving one gives exactly the edit a client without
// that capability gets inline; an action made for an older version of the document resolves to
// no edit at all.
import * as assert from 'node:assert/strict';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { fileUri, LspTestClient } from './client';

const TEXT = ['; virtlint: dialect=nasm bits=64', 'start:', '    sidt [rax]   ; the IDT', '    popfq', '    ret'].join('\n');
const RESOLVES_EDITS = { textDocument: { codeAction: { resolveSupport: { properties: ['edit'] }, dataSupport: true } } };

function isFix(action: CodeAction): boolean {
  return !/^Disable |^Show documentation /.test(action.title);
}

async function quickFixes(client: LspTestClient, uri: string, line: number): Promise<CodeAction[]> {
  const report = await client.pull(uri);
  const onLine = ((report.items ?? []) as Diagnostic[]).filter((diagnostic) => diagnostic.range.start.line === line);
  assert.equal(onLine.length, 1, `one finding on line ${line}`);
  return client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics: onLine, only: ['quickfix'] },
  });
}

describe('lsp: quick fixes resolved lazily (codeAction/resolve)', function () {
  this.timeout(30000);
  let lazy: LspTestClient;
  let eager: LspTestClient;

  before(async () => {
    lazy = await LspTestClient.start({ pull: true, extraCapabilities: RESOLVES_EDITS });
    eager = await LspTestClient.start({ pull: true });
  });
  after(async () => {
    await lazy.stop();
    await eager.stop();
  });

  it('says it resolves code actions', () => {
    const provider = lazy.initializeResult?.capabilities.codeActionProvider;
    assert.ok(typeof provider === 'object' && provider.resolveProvider === true);
  });

  it('sends the fixes without edits, and resolving each gives the edit a client without resolve support gets', async () => {
    const uri = fileUri('lazy-fixes.asm');
    await lazy.open(uri, TEXT);
    await eager.open(uri, TEXT);
    for (const line of [2, 3]) {
      const lazyActions = await quickFixes(lazy, uri, line);
      const eagerActions = await quickFixes(eager, uri, line);
      assert.deepEqual(lazyActions.map((a) => a.title), eagerActions.map((a) => a.title), 'the same menu');
      const fixes = lazyActions.filter(isFix);
      assert.ok(fixes.length >= 2, `fixes on line ${line}: ${fixes.map((a) => a.title).join(' | ')}`);
      for (const action of fixes) {
        assert.equal(action.edit, undefined, `"${action.title}" came with its edit`);
        assert.ok(action.data, `"${action.title}" carries no data to resolve it with`);
        const resolved = await lazy.request<CodeAction>('codeAction/resolve', action);
        const twin = eagerActions.find((a) => a.title === action.title)!;
        assert.ok(twin.edit, `the eager client's "${twin.title}" has an edit`);
        assert.deepEqual(resolved.edit, twin.edit, `resolved edit of "${action.title}"`);
        assert.equal(resolved.title, action.title);
      }
      // The disable actions are cheap: they keep their edits.
      assert.ok(lazyActions.filter((a) => !isFix(a) && a.title.startsWith('Disable ')).every((a) => a.edit !== undefined));
    }
  });

  it('resolves an action made for an older version of the document to no edit', async () => {
    const uri = fileUri('lazy-stale.asm');
    await lazy.open(uri, TEXT);
    const [action] = (await quickFixes(lazy, uri, 2)).filter(isFix);
    assert.ok(action);
    await lazy.change(uri, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '    nop\n' }]);
    const resolved = await lazy.request<CodeAction>('codeAction/resolve', action);
    assert.equal(resolved.edit, undefined, 'a stale action must not edit the changed text');
  });
});
