// Inline assembly in a C file, in a real editor: findings inside the asm string, the hover there,
// edits, and the suppression comment the editor offers in the host language.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { codeActionsAt, hoverText, openInEditor, revert, ruleOf, summary, virtlint, virtlintDiagnostics, waitFor, waitForSummary } from './helpers';

const GUEST_FINDINGS = ['4:pushf', '10:sgdt'];

describe('inline assembly in C (guest.c)', () => {
  let editor: vscode.TextEditor;

  before(async () => {
    await virtlint();
    editor = await openInEditor('guest.c');
  });

  after(async () => {
    await revert(editor);
  });

  it('opens as C and reports each sensitive instruction at its place inside the string', async () => {
    const uri = editor.document.uri;
    assert.equal(editor.document.languageId, 'c');
    await waitForSummary(uri, GUEST_FINDINGS);
    for (const diagnostic of virtlintDiagnostics(uri)) {
      const rule = ruleOf(diagnostic)!;
      const line = editor.document.lineAt(diagnostic.range.start.line).text;
      assert.equal(diagnostic.range.start.character, line.indexOf(`"${rule}`) + 1, `${rule} starts at the mnemonic in the string`);
      assert.ok(editor.document.getText(diagnostic.range).startsWith(rule), `range text: ${editor.document.getText(diagnostic.range)}`);
    }
  });

  it('shows the rule card on the instruction inside the asm string', async () => {
    const uri = editor.document.uri;
    await waitForSummary(uri, GUEST_FINDINGS);
    const sgdt = virtlintDiagnostics(uri).find((d) => ruleOf(d) === 'sgdt')!;
    const card = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, sgdt.range.start.translate(0, 1)));
    assert.match(card, /SGDT/);
  });

  it('follows an edit that adds an asm statement, and offers a C suppression comment that silences it', async () => {
    const uri = editor.document.uri;
    await waitForSummary(uri, GUEST_FINDINGS);
    await editor.edit((builder) => builder.insert(new vscode.Position(5, 0), '\tasm volatile("smsw %0" : "=r" (flags));\n'));
    await waitForSummary(uri, ['4:pushf', '5:smsw', '11:sgdt']);
    const smsw = virtlintDiagnostics(uri).find((d) => ruleOf(d) === 'smsw')!;
    const disable = (await codeActionsAt(uri, smsw.range)).find((action) => action.title === 'Disable smsw for this line');
    assert.ok(disable?.edit, 'a disable-line action with an edit');
    assert.ok(await vscode.workspace.applyEdit(disable.edit));
    await waitFor('smsw to be suppressed', () => !virtlintDiagnostics(uri).some((d) => ruleOf(d) === 'smsw'));
    assert.match(editor.document.getText(), /\/[/*] virtlint-disable-next-line smsw/);
    assert.deepEqual(summary(uri).map((s) => s.split(':')[1]), ['pushf', 'sgdt']);
  });
});
