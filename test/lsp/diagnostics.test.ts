import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { codesAndLines, fileUri, LspTestClient, messageText } from './client';
import { GAS_EXPECTED, GAS_SOURCE, NASM_EXPECTED, NASM_SOURCE } from './fixtures';

const hasCodes = (expected: ReadonlyArray<[string, number]>) => (params: PublishDiagnosticsParams) =>
  JSON.stringify(codesAndLines(params.diagnostics)) === JSON.stringify(expected);

describe('lsp: initialize', function () {
  this.timeout(20000);

  it('offers pull diagnostics only to clients that declare them', async () => {
    const pull = await LspTestClient.start({ pull: true });
    const push = await LspTestClient.start({ pull: false });
    try {
      assert.ok(pull.initializeResult?.capabilities.diagnosticProvider, 'pull client gets a diagnosticProvider');
      assert.equal(push.initializeResult?.capabilities.diagnosticProvider, undefined);
      for (const result of [pull.initializeResult, push.initializeResult]) {
        const sync = result?.capabilities.textDocumentSync;
        assert.equal(typeof sync === 'object' ? sync.change : sync, 2, 'incremental sync');
        assert.equal(result?.capabilities.hoverProvider, true);
        assert.equal(result?.serverInfo?.name, 'virtlint');
      }
    } finally {
      await pull.stop();
      await push.stop();
    }
  });

  it('exits with code 0 after shutdown and exit', async () => {
    const client = await LspTestClient.start();
    assert.equal(await client.stop(), 0);
  });
});

describe('lsp: push diagnostics (clients without pull, like Neovim 0.7)', function () {
  this.timeout(30000);
  let client: LspTestClient;
  beforeEach(async () => (client = await LspTestClient.start({ pull: false })));
  afterEach(async () => void (await client.stop()));

  it('publishes one diagnostic per sensitive instruction in a NASM file', async () => {
    const uri = fileUri('push.asm');
    await client.open(uri, NASM_SOURCE);
    const published = await client.waitForPublished(uri, (p) => p.diagnostics.length > 0);
    assert.deepEqual(codesAndLines(published.diagnostics), NASM_EXPECTED);
    assert.equal(published.version, 1);
    for (const diagnostic of published.diagnostics) {
      assert.equal(diagnostic.source, 'virtlint');
      assert.ok(!messageText(diagnostic).includes('\n'), 'one-line message');
      assert.ok(messageText(diagnostic).length > 0);
      const href = diagnostic.codeDescription?.href;
      assert.ok(href !== undefined && href.startsWith('file://'), `docs link for ${String(diagnostic.code)}: ${String(href)}`);
      assert.ok(href.endsWith(`/docs/rules/${String(diagnostic.code)}.md`));
      assert.ok(existsSync(fileURLToPath(href)), `docs page exists: ${href}`);
    }
    const sgdt = published.diagnostics.find((d) => d.code === 'sgdt');
    assert.deepEqual(sgdt?.range, { start: { line: 4, character: 4 }, end: { line: 4, character: 15 } }, 'range covers the whole instruction');
    assert.equal(published.diagnostics.find((d) => d.code === 'popf')?.severity, 1, 'popf is an error in deprivileged-kernel');
    assert.equal(sgdt?.severity, 2, 'sgdt is a warning in deprivileged-kernel');
  });

  it('tells the client what the file was understood as (virtlint/fileInfo), once per change', async () => {
    const uri = fileUri('info.asm');
    await client.open(uri, NASM_SOURCE);
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
    const info = await client.waitFor(() => client.fileInfos.find((i) => i.uri === uri), 5000, 'virtlint/fileInfo');
    // One mode region even when the mode never changes: it is the only place the client learns the mode.
    const protectedMode = [{ startLine: 0, mode: 'pm32' }];
    assert.deepEqual(info, { uri, dialect: 'nasm', bits: 32, profile: 'deprivileged-kernel', dialectSource: 'modeline', bitsSource: 'modeline', modeRegions: protectedMode });
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '; virtlint: dialect=nasm bits=16\n' }]);
    const after = await client.waitFor(() => client.fileInfos.filter((i) => i.uri === uri).at(1), 5000, 'second fileInfo');
    assert.equal(after.bits, 16);
    // 16-bit until `bits 32` (line 1) takes effect, with nothing that tells that code's mode; protected mode after.
    assert.deepEqual(after.bitsRegions, [{ startLine: 0, bits: 16 }, { startLine: 2, bits: 32 }]);
    assert.deepEqual(after.modeRegions, [{ startLine: 0, mode: 'unknown' }, { startLine: 2, mode: 'pm32' }]);
    await client.change(uri, [{ range: { start: { line: 5, character: 0 }, end: { line: 5, character: 0 } }, text: '    nop\n' }]);
    await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(client.fileInfos.filter((i) => i.uri === uri).length, 2, 'no repeat while nothing changed');
  });

  it('publishes diagnostics for a GNU as (AT&T) file', async () => {
    const uri = fileUri('push.s');
    await client.open(uri, GAS_SOURCE, 'gas');
    const published = await client.waitForPublished(uri, (p) => p.diagnostics.length > 0);
    assert.deepEqual(codesAndLines(published.diagnostics), GAS_EXPECTED);
  });

  it('follows edits and clears diagnostics on close', async () => {
    const uri = fileUri('edit.asm');
    await client.open(uri, NASM_SOURCE);
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
    // Delete the `pushf` line (line 6) and turn `mov eax, 1` into `str ax`.
    await client.change(uri, [{ range: { start: { line: 6, character: 0 }, end: { line: 7, character: 0 } }, text: '' }]);
    await client.change(uri, [{ range: { start: { line: 5, character: 4 }, end: { line: 5, character: 14 } }, text: 'str ax' }]);
    const after = await client.waitForPublished(uri, hasCodes([['sgdt', 4], ['str', 5], ['popf', 6]]));
    assert.equal(after.version, 3);
    await client.close(uri);
    await client.waitForPublished(uri, (p) => p.diagnostics.length === 0);
  });

  it('re-reads settings on didChangeConfiguration: per-rule severity and off', async () => {
    const uri = fileUri('config.asm');
    await client.open(uri, NASM_SOURCE);
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
    await client.changeSettings({ rules: { cpuid: 'error', popf: 'off', sgdt: 'hint' } });
    const after = await client.waitForPublished(uri, hasCodes([['sgdt', 4], ['pushf', 6], ['cpuid', 8]]));
    assert.equal(after.diagnostics.find((d) => d.code === 'cpuid')?.severity, 1);
    assert.equal(after.diagnostics.find((d) => d.code === 'sgdt')?.severity, 4);
    assert.ok(client.configurationRequests.length >= 2, 'settings were fetched with workspace/configuration');
  });

  it('switches profile and rule selection from settings', async () => {
    const uri = fileUri('profile.asm');
    await client.open(uri, NASM_SOURCE);
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
    await client.changeSettings({ profile: 'vm-detection-audit' });
    await client.waitForPublished(uri, (p) => codesAndLines(p.diagnostics).some(([code]) => code === 'cpuid'));
    await client.changeSettings({ ruleSelection: ['popf'] });
    await client.waitForPublished(uri, hasCodes([['popf', 7]]));
  });

  it('reports nothing when disabled, and again when re-enabled', async () => {
    const uri = fileUri('enable.asm');
    await client.open(uri, NASM_SOURCE);
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
    await client.changeSettings({ enable: false });
    await client.waitForPublished(uri, (p) => p.diagnostics.length === 0);
    await client.changeSettings({ enable: true });
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
  });

  it('with run: onSave, waits for didSave before reporting edits', async () => {
    client.settings = { run: 'onSave' };
    const uri = fileUri('onsave.asm');
    await client.open(uri, NASM_SOURCE);
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
    const countBefore = client.published.get(uri)?.length ?? 0;
    await client.change(uri, [{ range: { start: { line: 4, character: 0 }, end: { line: 5, character: 0 } }, text: '' }]);
    // A request round-trip guarantees the change was processed before we look.
    await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(client.published.get(uri)?.length ?? 0, countBefore, 'nothing published before save');
    await client.save(uri);
    await client.waitForPublished(uri, hasCodes([['pushf', 5], ['popf', 6]]));
  });

  it('reports INT3 only with includeInt3, and unknown mnemonics only with reportUnknownMnemonics', async () => {
    const text = '; virtlint: dialect=nasm bits=32\n    int3\n    int 0x80\n    frobnicate eax\n    cpuid\n';
    const uri = fileUri('int3.asm');
    await client.open(uri, text);
    await client.waitForPublished(uri, hasCodes([['int', 2]]));
    await client.changeSettings({ includeInt3: true });
    await client.waitForPublished(uri, hasCodes([['int', 1], ['int', 2]]));
    await client.changeSettings({ includeInt3: true, reportUnknownMnemonics: true });
    const withUnknown = await client.waitForPublished(uri, hasCodes([['int', 1], ['int', 2], ['unknown-mnemonic', 3]]));
    assert.equal(withUnknown.diagnostics.find((d) => d.code === 'unknown-mnemonic')?.severity, 4);
    await client.changeSettings({ reportUnknownMnemonics: true, ruleSelection: ['cpuid'] });
    await client.waitForPublished(uri, hasCodes([['unknown-mnemonic', 3], ['cpuid', 4]]));
  });

  it('applies dialect/bits overrides by file glob', async () => {
    const source = 'push cs\n';
    client.settings = { overrides: [{ files: '**/*64.asm', bits: 64 }, { files: 'legacy/*.asm', bits: 32 }] };
    const in64 = fileUri('mode64.asm');
    const in32 = fileUri('legacy/mode32.asm');
    await client.open(in64, source);
    await client.open(in32, source);
    const p64 = await client.waitForPublished(in64, (p) => p.diagnostics.length > 0);
    const p32 = await client.waitForPublished(in32, (p) => p.diagnostics.length > 0);
    assert.deepEqual(codesAndLines(p64.diagnostics), [['invalid-in-mode', 0]]);
    assert.deepEqual(codesAndLines(p32.diagnostics), [['push-sreg', 0]]);
  });

  it('takes settings from didChangeConfiguration when the client has no workspace/configuration', async () => {
    const plain = await LspTestClient.start({ pull: false, configuration: false });
    try {
      const uri = fileUri('noconfig.asm');
      await plain.open(uri, NASM_SOURCE);
      await plain.waitForPublished(uri, hasCodes(NASM_EXPECTED));
      await plain.changeSettings({ rules: { popf: 'off' } });
      await plain.waitForPublished(uri, hasCodes([['sgdt', 4], ['pushf', 6]]));
      assert.equal(plain.configurationRequests.length, 0);
    } finally {
      await plain.stop();
    }
  });

  it('skips binary files and files over maxFileSize with one notice and no analysis', async () => {
    const binary = fileUri('binary.asm');
    await client.open(binary, `sgdt [x]\n\0\0\x7fELF\npopf\n`);
    const skipped = await client.waitForPublished(binary, (p) => p.diagnostics.length > 0);
    assert.equal(skipped.diagnostics.length, 1);
    assert.equal(skipped.diagnostics[0]?.range.start.line, 0);
    assert.match(skipped.diagnostics[0] ? messageText(skipped.diagnostics[0]) : '', /^virtlint skipped this file: .*NUL/);
    const actions = await client.request<unknown[]>('textDocument/codeAction', {
      textDocument: { uri: binary },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      context: { diagnostics: skipped.diagnostics },
    });
    assert.deepEqual(actions, [], 'no edits offered on a skipped file');

    client.settings = { maxFileSize: 100 };
    const big = fileUri('big.asm');
    await client.open(big, NASM_SOURCE.repeat(3));
    const tooBig = await client.waitForPublished(big, (p) => p.diagnostics.length > 0);
    assert.equal(tooBig.diagnostics.length, 1);
    assert.match(tooBig.diagnostics[0] ? messageText(tooBig.diagnostics[0]) : '', /^virtlint skipped this file: .*maxFileSize/);
    // Removing the NUL bytes brings the analysis back.
    await client.change(binary, [{ text: NASM_SOURCE }]);
    await client.waitForPublished(binary, hasCodes(NASM_EXPECTED));
  });
  it('publishes again only when the diagnostics change', async () => {
    const uri = fileUri('push-same.asm');
    await client.open(uri, NASM_SOURCE);
    await client.waitForPublished(uri, hasCodes(NASM_EXPECTED));
    const before = client.published.get(uri)?.length ?? 0;
    await client.change(uri, [{ range: { start: { line: 3, character: 5 }, end: { line: 3, character: 5 } }, text: '_here' }]);
    // The server answers a code action only after a turn of its event loop, so by the answer it
    // has handled the change, and a publish for it would have arrived first.
    await client.request('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 4, character: 4 }, end: { line: 4, character: 4 } }, context: { diagnostics: [] } });
    assert.equal(client.published.get(uri)?.length, before, 'no publish for an edit that changed no diagnostic');
    await client.change(uri, [{ range: { start: { line: 6, character: 4 }, end: { line: 6, character: 9 } }, text: 'nop' }]);
    const after = await client.waitForPublished(uri, hasCodes([['sgdt', 4], ['popf', 7]]));
    const list = client.published.get(uri) ?? [];
    assert.equal(list.length, before + 1, `versions published: ${JSON.stringify(list.map((p) => p.version))}`);
    assert.equal(after.version, list.at(-1)?.version);
  });
});

describe('lsp: pull diagnostics (textDocument/diagnostic)', function () {
  this.timeout(30000);
  let client: LspTestClient;
  beforeEach(async () => (client = await LspTestClient.start({ pull: true })));
  afterEach(async () => void (await client.stop()));

  it('answers full reports with result ids, then unchanged until the text changes', async () => {
    const uri = fileUri('pull.asm');
    await client.open(uri, NASM_SOURCE);
    const first = await client.pull(uri);
    assert.equal(first.kind, 'full');
    assert.deepEqual(codesAndLines(first.items ?? []), NASM_EXPECTED);
    assert.ok(first.resultId);
    const again = await client.pull(uri, first.resultId);
    assert.deepEqual(again, { kind: 'unchanged', resultId: first.resultId });
    await client.change(uri, [{ range: { start: { line: 7, character: 4 }, end: { line: 7, character: 8 } }, text: 'nop' }]);
    const changed = await client.pull(uri, first.resultId);
    assert.equal(changed.kind, 'full');
    assert.notEqual(changed.resultId, first.resultId);
    assert.deepEqual(codesAndLines(changed.items ?? []), [['sgdt', 4], ['pushf', 6]]);
    assert.equal(client.published.size, 0, 'a pull client gets no pushed diagnostics');
  });

  it('asks the client to refresh after a settings change, and the next pull reflects it', async () => {
    const uri = fileUri('refresh.asm');
    await client.open(uri, NASM_SOURCE);
    const first = await client.pull(uri);
    await client.changeSettings({ rules: { pushf: 'off' } });
    await client.waitFor(() => (client.refreshRequests > 0 ? true : undefined), 10000, 'workspace/diagnostic/refresh');
    const after = await client.pull(uri, first.resultId);
    assert.equal(after.kind, 'full');
    assert.deepEqual(codesAndLines(after.items ?? []), [['sgdt', 4], ['popf', 7]]);
  });

  it('with run: onSave, keeps the saved report until didSave, then asks for a refresh', async () => {
    client.settings = { run: 'onSave' };
    const uri = fileUri('pull-onsave.asm');
    await client.open(uri, NASM_SOURCE);
    const first = await client.pull(uri);
    assert.deepEqual(codesAndLines(first.items ?? []), NASM_EXPECTED);
    await client.change(uri, [{ range: { start: { line: 4, character: 0 }, end: { line: 5, character: 0 } }, text: '' }]);
    assert.deepEqual(await client.pull(uri, first.resultId), { kind: 'unchanged', resultId: first.resultId });
    const refreshesBefore = client.refreshRequests;
    await client.save(uri);
    await client.waitFor(() => (client.refreshRequests > refreshesBefore ? true : undefined), 10000, 'refresh after save');
    const saved = await client.pull(uri, first.resultId);
    assert.equal(saved.kind, 'full');
    assert.deepEqual(codesAndLines(saved.items ?? []), [['pushf', 5], ['popf', 6]]);
  });

  it('keeps the result id when an edit leaves the diagnostics as they were', async () => {
    const uri = fileUri('pull-same.asm');
    await client.open(uri, NASM_SOURCE);
    const first = await client.pull(uri);
    // Typing in the label line and then in the comment on line 0: nothing reported moves.
    await client.change(uri, [{ range: { start: { line: 3, character: 5 }, end: { line: 3, character: 5 } }, text: '_here' }]);
    assert.deepEqual(await client.pull(uri, first.resultId), { kind: 'unchanged', resultId: first.resultId });
    // A line break above the findings moves them all: a full report with a new id.
    await client.change(uri, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '\n' }]);
    const moved = await client.pull(uri, first.resultId);
    assert.equal(moved.kind, 'full');
    assert.notEqual(moved.resultId, first.resultId);
    assert.deepEqual(codesAndLines(moved.items ?? []), NASM_EXPECTED.map(([code, line]) => [code, line + 1]));
    // Taking it out again restores the same diagnostics, but the client last saw the moved ones.
    await client.change(uri, [{ range: { start: { line: 2, character: 0 }, end: { line: 3, character: 0 } }, text: '' }]);
    const back = await client.pull(uri, moved.resultId);
    assert.equal(back.kind, 'full');
    assert.deepEqual(codesAndLines(back.items ?? []), NASM_EXPECTED);
  });

  it('caps a file at 1,000 diagnostics plus one notice by default', async () => {
    const uri = fileUri('many.asm');
    await client.open(uri, '; virtlint: dialect=nasm bits=32\n' + '    popf\n'.repeat(1200));
    const report = await client.pull(uri);
    const items = report.items ?? [];
    assert.equal(items.length, 1001);
    assert.ok(items.slice(0, 1000).every((d) => d.code === 'popf'));
    assert.deepEqual(items.slice(0, 1000).map((d) => d.range.start.line), Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.match(messageText(items[1000] as Diagnostic), /first 1000 of 1200 findings/);
  });

  it('virtlint.maxDiagnostics sets the cap, and the most severe findings are the ones kept', async () => {
    client.settings = { maxDiagnostics: 4 };
    const uri = fileUri('capped.asm');
    // pushf is a warning and popf an error in the default profile.
    await client.open(uri, '; virtlint: dialect=nasm bits=32\n' + '    pushf\n'.repeat(5) + '    popf\n' + '    pushf\n'.repeat(3) + '    popf\n');
    const items = (await client.pull(uri)).items ?? [];
    assert.deepEqual(codesAndLines(items.slice(0, 4)), [['pushf', 1], ['pushf', 2], ['popf', 6], ['popf', 10]]);
    assert.equal(items.length, 5);
    assert.match(messageText(items[4] as Diagnostic), /first 4 of 10 findings/);
  });

  it('returns an empty report for a document that is not open', async () => {
    const report = await client.pull(fileUri('never-opened.asm'));
    assert.deepEqual(report, { kind: 'full', items: [] });
  });
});
