// Diagnostics, hovers and edits in a real editor, on fixtures/workspace/probe.asm.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { hoverText, openInEditor, revert, ruleOf, summary, virtlint, virtlintDiagnostics, waitFor, waitForSummary } from './helpers';

const PROBE_FINDINGS = ['6:sidt', '7:pushf', '10:popf', '11:smsw'];

describe('diagnostics, hover and edits (probe.asm)', () => {
  let editor: vscode.TextEditor;

  before(async () => {
    await virtlint();
    editor = await openInEditor('probe.asm');
  });

  after(async () => {
    await revert(editor);
  });

  it('reports each sensitive instruction once, with the rule id, the docs link and the whole instruction as range', async () => {
    const uri = editor.document.uri;
    await waitForSummary(uri, PROBE_FINDINGS);
    const sidt = virtlintDiagnostics(uri).find((diagnostic) => ruleOf(diagnostic) === 'sidt');
    assert.ok(sidt);
    assert.deepEqual([sidt.range.start.line, sidt.range.start.character, sidt.range.end.line, sidt.range.end.character], [6, 4, 6, 19]);
    assert.equal(editor.document.getText(sidt.range), 'sidt [idt_copy]');
    const code = sidt.code as { value: string; target: vscode.Uri };
    assert.equal(typeof code, 'object', 'the code carries a documentation link');
    assert.match(code.target.toString(), /docs\/rules\/sidt\.md$/);
    assert.ok(sidt.message.length > 0 && !sidt.message.includes('\n'), 'a one-line message');
    for (const diagnostic of virtlintDiagnostics(uri)) {
      assert.ok(diagnostic.severity <= vscode.DiagnosticSeverity.Warning, `${ruleOf(diagnostic)} is at least a warning under the default profile`);
    }
  });

  it('tells what the file was understood as (virtlint/fileInfo, shown in the language status)', async () => {
    const api = await virtlint();
    const info = await waitFor('fileInfo for probe.asm', () => api.fileInfo(editor.document.uri));
    assert.equal(info.dialect, 'nasm');
    assert.equal(info.bits, 32);
    assert.equal(info.profile, 'deprivileged-kernel');
    assert.deepEqual(info.modeRegions?.map((r) => r.mode), ['pm32'], 'the execution mode the status item shows at the cursor');
  });

  it('shows a card on a flagged instruction and a one-liner on an ordinary one', async () => {
    const uri = editor.document.uri;
    await waitForSummary(uri, PROBE_FINDINGS);
    const flagged = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(6, 6)));
    assert.match(flagged, /sidt/i);
    assert.ok(flagged.split('\n').filter((line) => line.trim() !== '').length >= 3, `a multi-line card, got: ${flagged}`);
    const ordinary = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(8, 5)));
    assert.match(ordinary, /cli/i, 'the CLI line gets a facts line');
    assert.ok(ordinary.length < flagged.length, 'the facts line is shorter than the card');
  });

  it('follows edits: a new sensitive line is reported, everything below moves, and the finding goes when the line goes', async () => {
    const uri = editor.document.uri;
    await waitForSummary(uri, PROBE_FINDINGS);
    await editor.edit((builder) => builder.insert(new vscode.Position(6, 0), '    str ax\n'));
    await waitForSummary(uri, ['6:str', '7:sidt', '8:pushf', '11:popf', '12:smsw']);
    await editor.edit((builder) => builder.replace(new vscode.Range(11, 4, 11, 9), 'nop'));
    await waitForSummary(uri, ['6:str', '7:sidt', '8:pushf', '12:smsw']);
    await editor.edit((builder) => builder.delete(new vscode.Range(6, 0, 7, 0)));
    await waitForSummary(uri, ['6:sidt', '7:pushf', '11:smsw']);
    assert.deepEqual(summary(uri), ['6:sidt', '7:pushf', '11:smsw']);
  });

  it('hands a file of another instruction set back to a language meant for it, and reports nothing there', async () => {
    const riscv = await openInEditor('trap-riscv.S');
    await waitFor('trap-riscv.S to leave the x86 language', () => riscv.document.languageId !== 'x86asm');
    assert.equal(riscv.document.languageId, 'plaintext', 'no RISC-V language is installed in the test instance');
    assert.deepEqual(virtlintDiagnostics(riscv.document.uri), []);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    editor = await openInEditor('probe.asm');
  });

  it('lints an untitled buffer too', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'x86asm', content: '; virtlint: dialect=nasm bits=16\n    sgdt [gdt_copy]\n' });
    await vscode.window.showTextDocument(document);
    await waitForSummary(document.uri, ['1:sgdt']);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
