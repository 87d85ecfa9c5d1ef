import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeAction, Diagnostic, Hover, TextEdit } from 'vscode-languageserver-protocol';
import { applyTextEdits, codesAndLines, fileUri, LspTestClient } from './client';
import { GAS_SOURCE, NASM_SOURCE } from './fixtures';

function editsOf(action: CodeAction, uri: string): TextEdit[] {
  const edits = action.edit?.changes?.[uri];
  assert.ok(edits && edits.length > 0, `action "${action.title}" carries edits`);
  return edits;
}

async function openAndPull(client: LspTestClient, uri: string, text: string): Promise<Diagnostic[]> {
  await client.open(uri, text);
  const report = await client.pull(uri);
  assert.equal(report.kind, 'full');
  return report.items ?? [];
}

async function actionsAt(client: LspTestClient, uri: string, diagnostics: Diagnostic[], line: number, only?: string[]): Promise<CodeAction[]> {
  const onLine = diagnostics.filter((d) => d.range.start.line === line);
  return client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics: onLine, ...(only ? { only } : {}) },
  });
}

describe('lsp: hover', function () {
  this.timeout(20000);
  let client: LspTestClient;
  before(async () => (client = await LspTestClient.start({ pull: true })));
  after(async () => void (await client.stop()));

  it('shows a Markdown card on a flagged instruction and a facts line on another one', async () => {
    const uri = fileUri('hover.asm');
    await openAndPull(client, uri, NASM_SOURCE);
    const card = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 4, character: 6 } });
    assert.ok(card, 'hover on sgdt');
    const cardText = (card.contents as { kind: string; value: string }).value;
    assert.equal((card.contents as { kind: string }).kind, 'markdown');
    assert.match(cardText, /SGDT/);
    assert.ok(cardText.split('\n').length > 3, 'a card, not a single line');
    assert.equal(card.range?.start.line, 4);

    const facts = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 5, character: 5 } });
    assert.ok(facts, 'hover on mov');
    const factsText = (facts.contents as { value: string }).value;
    assert.ok(factsText.length > 0 && factsText.length < cardText.length, 'a compact line');

    const nothing = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 3, character: 0 } });
    assert.ok(nothing === null || (nothing.contents as { value: string }).value.length < cardText.length);
  });

  it('summarises a rule named in a suppression comment', async () => {
    const uri = fileUri('hover-suppress.asm');
    const text = '; virtlint-disable-next-line popf -- interrupts stay off here\n    popf\n';
    await openAndPull(client, uri, text);
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 31 } });
    assert.ok(hover, 'hover on the rule id');
    assert.match((hover.contents as { value: string }).value, /POPF/i);
  });
});

describe('lsp: code actions', function () {
  this.timeout(30000);
  let client: LspTestClient;
  beforeEach(async () => (client = await LspTestClient.start({ pull: true })));
  afterEach(async () => void (await client.stop()));

  it('lists quick fixes, then disable-line, disable-file and documentation, in that order', async () => {
    const uri = fileUri('actions.asm');
    const diagnostics = await openAndPull(client, uri, NASM_SOURCE);
    const actions = await actionsAt(client, uri, diagnostics, 7);
    const titles = actions.map((a) => a.title);
    assert.deepEqual(titles.slice(-3), ['Disable popf for this line', 'Disable popf for the entire file', 'Show documentation for popf']);
    const fixes = actions.slice(0, -3);
    assert.ok(fixes.length >= 1, `quick fixes offered for popf: ${JSON.stringify(titles)}`);
    for (const fix of fixes) {
      assert.equal(fix.kind, 'quickfix');
      editsOf(fix, uri);
    }
    assert.equal(fixes.filter((f) => f.isPreferred).length, 1, 'exactly one preferred fix');
    const docs = actions.at(-1);
    assert.deepEqual(docs?.command, { title: 'Show documentation for popf', command: 'virtlint.showDocumentation', arguments: ['popf'] });
  });

  it('a cursor-only request (no context diagnostics, as Neovim sends) gets the same actions', async () => {
    const uri = fileUri('cursor.asm');
    const diagnostics = await openAndPull(client, uri, NASM_SOURCE);
    const withContext = await actionsAt(client, uri, diagnostics, 7);
    const cursorOnly = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 7, character: 1 }, end: { line: 7, character: 1 } },
      context: { diagnostics: [] },
    });
    assert.deepEqual(cursorOnly.map((a) => a.title), withContext.map((a) => a.title));
  });

  it('"Disable for this line" silences exactly that finding (NASM, and the result still assembles)', async () => {
    const uri = fileUri('disable.asm');
    const diagnostics = await openAndPull(client, uri, NASM_SOURCE);
    const disable = (await actionsAt(client, uri, diagnostics, 7)).find((a) => a.title === 'Disable popf for this line');
    assert.ok(disable);
    const edited = applyTextEdits(NASM_SOURCE, editsOf(disable, uri));
    assert.match(edited.split('\n')[7] ?? '', /^    ; virtlint-disable-next-line popf -- /, 'comment indented like the instruction');
    const fresh = await openAndPull(client, fileUri('disable-after.asm'), edited);
    assert.deepEqual(codesAndLines(fresh), [['sgdt', 4], ['pushf', 6]]);
    assembleWith('nasm', edited, 'asm');
  });

  it('"Disable for this line" in a GNU as file uses a C comment that both as and cpp accept', async () => {
    const uri = fileUri('disable.S');
    const diagnostics = await openAndPull(client, uri, GAS_SOURCE);
    const disable = (await actionsAt(client, uri, diagnostics, 6)).find((a) => a.title === 'Disable popf for this line');
    assert.ok(disable);
    const edited = applyTextEdits(GAS_SOURCE, editsOf(disable, uri));
    assert.equal(edited.split('\n')[6], '    /* virtlint-disable-next-line popf -- why this is safe here */');
    const fresh = await openAndPull(client, fileUri('disable-after.S'), edited);
    assert.deepEqual(codesAndLines(fresh), [['sidt', 4], ['pushf', 5], ['smsw', 9]]);
    assembleWith('as', edited, 's');
    assembleWith('gcc', edited, 'S');
  });

  it('"Disable for this line" extends an existing disable-next-line comment, and the analyzer honours both ids', async () => {
    const text = '; virtlint: dialect=nasm bits=32\n    ; virtlint-disable-next-line sgdt -- probe\n    popf\n';
    const uri = fileUri('disable-merge.asm');
    const diagnostics = await openAndPull(client, uri, text);
    assert.deepEqual(codesAndLines(diagnostics), [['popf', 2]]);
    const disable = (await actionsAt(client, uri, diagnostics, 2)).find((a) => a.title === 'Disable popf for this line');
    assert.ok(disable);
    const edited = applyTextEdits(text, editsOf(disable, uri));
    assert.equal(edited.split('\n')[1], '    ; virtlint-disable-next-line sgdt, popf -- probe');
    assert.deepEqual(await openAndPull(client, fileUri('disable-merge-after.asm'), edited), []);
  });

  it('"Disable for the entire file" keeps the modeline first and silences the rule everywhere', async () => {
    const uri = fileUri('disable-file.asm');
    const text = NASM_SOURCE.replace('    cpuid', '    popf');
    const diagnostics = await openAndPull(client, uri, text);
    const disable = (await actionsAt(client, uri, diagnostics, 7)).find((a) => a.title === 'Disable popf for the entire file');
    assert.ok(disable);
    const edited = applyTextEdits(text, editsOf(disable, uri));
    assert.equal(edited.split('\n')[0], '; virtlint: dialect=nasm bits=32');
    assert.equal(edited.split('\n')[1], '; virtlint-disable-file popf');
    const fresh = await openAndPull(client, fileUri('disable-file-after.asm'), edited);
    assert.deepEqual(codesAndLines(fresh), [['sgdt', 5], ['pushf', 7]]);
  });

  it('every quick fix offered for SGDT, once applied, leaves no sgdt finding', async () => {
    const uri = fileUri('quickfix.asm');
    const diagnostics = await openAndPull(client, uri, NASM_SOURCE);
    const fixes = (await actionsAt(client, uri, diagnostics, 4)).filter((a) => a.edit);
    const quickFixes = fixes.filter((a) => !a.title.startsWith('Disable '));
    assert.ok(quickFixes.length > 0, 'quick fixes for sgdt');
    for (const [index, fix] of quickFixes.entries()) {
      const edited = applyTextEdits(NASM_SOURCE, editsOf(fix, uri));
      const fresh = await openAndPull(client, fileUri(`quickfix-after-${index}.asm`), edited);
      assert.ok(!codesAndLines(fresh).some(([code]) => code === 'sgdt'), `"${fix.title}" leaves sgdt:\n${edited}`);
    }
  });

  it('source.fixAll.virtlint: nothing without a strategy, non-overlapping edits with one', async () => {
    const uri = fileUri('fixall.asm');
    const diagnostics = await openAndPull(client, uri, NASM_SOURCE);
    const none = await actionsAt(client, uri, diagnostics, 0, ['source.fixAll']);
    assert.deepEqual(none, []);
    await client.changeSettings({ fix: { fixAllStrategy: 'hypercall', abi: 'kvm' } });
    const actions = await actionsAt(client, uri, diagnostics, 0, ['source.fixAll']);
    assert.equal(actions.length, 1);
    assert.equal(actions[0]?.kind, 'source.fixAll.virtlint');
    const edits = editsOf(actions[0] as CodeAction, uri);
    const sorted = [...edits].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    for (let i = 1; i < sorted.length; i++) {
      const prev = (sorted[i - 1] as TextEdit).range.end;
      const next = (sorted[i] as TextEdit).range.start;
      assert.ok(prev.line < next.line || (prev.line === next.line && prev.character <= next.character), 'edits do not overlap');
    }
    const fixed = applyTextEdits(NASM_SOURCE, edits);
    const fresh = await openAndPull(client, fileUri('fixall-after.asm'), fixed);
    assert.ok(fresh.length < diagnostics.length, `fewer findings after fix-all:\n${fixed}`);
    const quickfixOnly = await actionsAt(client, uri, diagnostics, 7, ['quickfix']);
    assert.ok(quickfixOnly.every((a) => a.kind === 'quickfix'));
  });

  it('the fix.abi setting reaches the quick fixes', async () => {
    const uri = fileUri('abi.asm');
    const diagnostics = await openAndPull(client, uri, NASM_SOURCE);
    const kvm = (await actionsAt(client, uri, diagnostics, 4)).map((a) => a.title);
    assert.ok(kvm.some((t) => /KVM/.test(t)), JSON.stringify(kvm));
    await client.changeSettings({ fix: { abi: 'xen' } });
    const xen = (await actionsAt(client, uri, diagnostics, 4)).map((a) => a.title);
    assert.ok(xen.some((t) => /Xen/.test(t)) && !xen.some((t) => /KVM/.test(t)), JSON.stringify(xen));
  });

  it('workspace/executeCommand writes hypercall definitions and rejects unknown commands', async () => {
    const result = await client.request<{ text: string; abi: string; dialect: string }>('workspace/executeCommand', {
      command: 'virtlint.writeHypercallDefinitions',
      arguments: [{ dialect: 'nasm', abi: 'xen' }],
    });
    assert.equal(result.abi, 'xen');
    assert.ok(result.text.trim().length > 0);
    await assert.rejects(client.request('workspace/executeCommand', { command: 'virtlint.noSuchCommand', arguments: [] }), /noSuchCommand/);
  });
});

/** Assembles `text` with a real tool; a missing tool fails the test loudly. */
function assembleWith(tool: 'nasm' | 'as' | 'gcc', text: string, extension: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'virtlint-asm-'));
  try {
    const source = join(dir, `input.${extension}`);
    writeFileSync(source, text);
    const output = join(dir, 'out.o');
    const args = tool === 'nasm' ? ['-f', 'elf32', '-o', output, source] : tool === 'as' ? ['--64', '-o', output, source] : ['-c', '-o', output, source];
    execFileSync(tool, args, { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
