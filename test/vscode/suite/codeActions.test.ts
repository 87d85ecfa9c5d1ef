// Code actions in a real editor, on fixtures/workspace/fixes.asm: the list and its order, and
// applying a trap fix, a hypercall fix and "Disable <id> for this line"; and a hypercall fix on
// a new file, which creates the definitions file it includes so that nasm assembles the result.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codeActionsAt as unresolvedActionsAt, openInEditor, revert, ruleOf, virtlint, virtlintDiagnostics, waitFor, waitForSummary, workspaceFile } from './helpers';

/**
 * The actions at a range with their edits: VS Code's client resolves a code action's edit
 * (codeAction/resolve), so the server sends quick fixes without one; VS Code resolves them
 * before applying, as this asks it to.
 */
async function codeActionsAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const actions = (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, range, undefined, 100)) ?? [];
  return actions.filter((action): action is vscode.CodeAction => 'title' in action && !('command' in action && typeof action.command === 'string'));
}

const FIXES_FINDINGS = ['4:smsw', '5:sidt', '6:pushf', '7:popf'];

function diagnosticFor(uri: vscode.Uri, rule: string): vscode.Diagnostic {
  const diagnostic = virtlintDiagnostics(uri).find((d) => ruleOf(d) === rule);
  if (!diagnostic) throw new Error(`no ${rule} diagnostic`);
  return diagnostic;
}

function isQuickFix(action: vscode.CodeAction): boolean {
  return action.kind !== undefined && vscode.CodeActionKind.QuickFix.contains(action.kind);
}

/** The instruction quick fixes: everything before the "Disable …" / "Show documentation …" entries. */
function instructionFixes(actions: vscode.CodeAction[]): vscode.CodeAction[] {
  return actions.filter((action) => isQuickFix(action) && !/^(Disable |Show documentation )/.test(action.title));
}

async function apply(action: vscode.CodeAction): Promise<void> {
  assert.ok(action.edit, `"${action.title}" carries an edit`);
  assert.equal(await vscode.workspace.applyEdit(action.edit), true, `"${action.title}" applied`);
}

describe('code actions (fixes.asm)', () => {
  let editor: vscode.TextEditor;

  before(async () => {
    await virtlint();
    editor = await openInEditor('fixes.asm');
    await waitForSummary(editor.document.uri, FIXES_FINDINGS);
  });

  after(async () => {
    await revert(editor);
    // The hypercall fix below created the definitions file next to fixes.asm: leave the workspace as it was.
    const cleanup = new vscode.WorkspaceEdit();
    cleanup.deleteFile(workspaceFile('virtlint-hypercalls.inc'), { ignoreIfNotExists: true });
    await vscode.workspace.applyEdit(cleanup);
  });

  it('lists the fixes first, then disable-line, disable-file and documentation, like vscode-eslint', async () => {
    const uri = editor.document.uri;
    const popf = diagnosticFor(uri, 'popf');
    const titles = (await codeActionsAt(uri, popf.range)).filter(isQuickFix).map((action) => action.title);
    const disableLine = titles.indexOf('Disable popf for this line');
    const disableFile = titles.indexOf('Disable popf for the entire file');
    const docs = titles.indexOf('Show documentation for popf');
    assert.ok(disableLine > 0, `at least one fix comes before "Disable popf for this line": ${JSON.stringify(titles)}`);
    assert.ok(disableLine < disableFile && disableFile < docs, `order: ${JSON.stringify(titles)}`);
  });

  it('sends the fixes without their edits and resolves them on demand (codeAction/resolve)', async () => {
    const uri = editor.document.uri;
    const popf = diagnosticFor(uri, 'popf');
    const lazy = instructionFixes(await unresolvedActionsAt(uri, popf.range));
    assert.ok(lazy.length > 0, 'fixes for popf');
    for (const action of lazy) assert.equal(action.edit, undefined, `"${action.title}" came with its edit`);
    const resolved = instructionFixes(await codeActionsAt(uri, popf.range));
    assert.deepEqual(resolved.map((a) => a.title), lazy.map((a) => a.title));
    for (const action of resolved) assert.ok(action.edit && action.edit.size > 0, `"${action.title}" resolved to an edit`);
  });

  it('applies a trapping fix (trap strategy) and the finding goes away', async () => {
    const uri = editor.document.uri;
    const smsw = diagnosticFor(uri, 'smsw');
    const fixes = instructionFixes(await codeActionsAt(uri, smsw.range));
    const trap = fixes.find((action) => !/hypercall/i.test(action.title));
    assert.ok(trap, `a non-hypercall fix for smsw: ${JSON.stringify(fixes.map((a) => a.title))}`);
    await apply(trap);
    await waitFor('smsw to be fixed', () => !virtlintDiagnostics(uri).some((d) => ruleOf(d) === 'smsw'));
    assert.doesNotMatch(editor.document.getText(), /^\s*smsw\b/m);
    assert.match(editor.document.getText(), /\bmov\s+\w+\s*,\s*cr0\b/i, 'SMSW became a read of CR0, which traps at CPL>0');
    assert.ok(virtlintDiagnostics(uri).some((d) => ruleOf(d) === 'sidt'), 'the other findings stay');
  });

  it('applies a hypercall fix and the finding goes away', async () => {
    const uri = editor.document.uri;
    const sidt = diagnosticFor(uri, 'sidt');
    const fixes = instructionFixes(await codeActionsAt(uri, sidt.range));
    const hypercall = fixes.find((action) => /hypercall/i.test(action.title));
    assert.ok(hypercall, `a hypercall fix for sidt: ${JSON.stringify(fixes.map((a) => a.title))}`);
    await apply(hypercall);
    await waitFor('sidt to be fixed', () => !virtlintDiagnostics(uri).some((d) => ruleOf(d) === 'sidt'));
    assert.doesNotMatch(editor.document.getText(), /^\s*sidt\b/m);
    assert.match(editor.document.getText(), /VIRTLINT_HC_SIDT/, 'the replacement calls the SIDT hypercall');
    assert.match(editor.document.getText(), /^%include "virtlint-hypercalls\.inc"$/m, 'the numbers are included');
  });

  it('disables a rule for one line with a comment the analyzer honours', async () => {
    const uri = editor.document.uri;
    const pushf = diagnosticFor(uri, 'pushf');
    const line = pushf.range.start.line;
    const disable = (await codeActionsAt(uri, pushf.range)).find((action) => action.title === 'Disable pushf for this line');
    assert.ok(disable);
    await apply(disable);
    await waitFor('pushf to be suppressed', () => !virtlintDiagnostics(uri).some((d) => ruleOf(d) === 'pushf'));
    const around = [line - 1, line, line + 1].filter((n) => n >= 0 && n < editor.document.lineCount).map((n) => editor.document.lineAt(n).text).join('\n');
    assert.match(around, /virtlint-disable(-next)?-line\s+pushf/);
    assert.ok(virtlintDiagnostics(uri).some((d) => ruleOf(d) === 'popf'), 'popf is still reported');
  });

  it('opens the rule documentation from "Show documentation for <id>"', async () => {
    const uri = editor.document.uri;
    const popf = diagnosticFor(uri, 'popf');
    const docs = (await codeActionsAt(uri, popf.range)).find((action) => action.title === 'Show documentation for popf');
    assert.ok(docs?.command, 'the action runs a command');
    assert.equal(docs.command.command, 'virtlint.showDocumentation');
    const opened = await vscode.commands.executeCommand<vscode.Uri | undefined>(docs.command.command, ...(docs.command.arguments ?? []));
    assert.ok(opened, 'a page was opened');
    assert.match(opened.path, /\/docs\/rules\/popf\.md$/);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(opened));
    assert.match(text, /popf/i);
    const previewTab = await waitFor('the Markdown preview tab', () =>
      vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((tab) => /^Preview popf\.md$/.test(tab.label)),
    );
    assert.ok(previewTab.input instanceof vscode.TabInputWebview, 'shown in the Markdown preview, not as source');
  });

  describe('a hypercall fix on a new file', () => {
    const folder = 'self-contained';
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const cleanup = new vscode.WorkspaceEdit();
      cleanup.deleteFile(workspaceFile(folder), { recursive: true, ignoreIfNotExists: true });
      await vscode.workspace.applyEdit(cleanup);
    });

    it('creates virtlint-hypercalls.inc beside it and includes it: nasm assembles the saved file', async () => {
      const uri = workspaceFile(`${folder}/guest.asm`);
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('; virtlint: dialect=nasm bits=64\nsection .text\nentry:\n    sgdt [rsp+8]   ; read the GDTR\n    ret\n'));
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
      await waitForSummary(uri, ['3:sgdt']);
      const fixes = instructionFixes(await codeActionsAt(uri, diagnosticFor(uri, 'sgdt').range));
      const hypercall = fixes.find((action) => action.title === 'Replace SGDT with a KVM hypercall (VIRTLINT_HC_SGDT) (adds virtlint-hypercalls.inc)');
      assert.ok(hypercall, `the title says what the fix adds: ${JSON.stringify(fixes.map((a) => a.title))}`);
      await apply(hypercall);
      await waitFor('sgdt to be fixed', () => !virtlintDiagnostics(uri).some((d) => ruleOf(d) === 'sgdt'));
      const definitions = workspaceFile(`${folder}/virtlint-hypercalls.inc`);
      const created = vscode.workspace.textDocuments.find((d) => d.uri.toString() === definitions.toString());
      assert.ok(created, 'the definitions file was created');
      assert.match(created.getText(), /^%define VIRTLINT_HC_SGDT /m);
      assert.ok(await created.save(), 'the definitions file saves');
      assert.ok(await document.save(), 'the fixed file saves');
      const dir = path.dirname(uri.fsPath);
      const nasm = spawnSync('nasm', ['-f', 'elf64', '-o', 'guest.o', 'guest.asm'], { cwd: dir, encoding: 'utf8' });
      assert.equal(nasm.error, undefined, 'nasm runs');
      assert.equal(nasm.status, 0, `${nasm.stderr}\n${document.getText()}`);
      assert.equal(document.getText().split('%include "virtlint-hypercalls.inc"').length, 2, 'included once');
      assert.match(document.getText(), /; read the GDTR$/m, "the user's comment stays on the fix's last line");
    });
  });
});
