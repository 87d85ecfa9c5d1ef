// The client's own commands: hypercall definitions in the active file's dialect, the settings
// they follow, and the output channel.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openInEditor, virtlint, waitFor } from './helpers';

describe('commands', () => {
  it('opens hypercall definitions in the dialect of the active file and the configured ABI', async () => {
    const api = await virtlint();
    const nasm = await openInEditor('fixes.asm');
    await waitFor('fileInfo for fixes.asm', () => api.fileInfo(nasm.document.uri));
    const nasmDefinitions = await vscode.commands.executeCommand<vscode.TextDocument>('virtlint.insertHypercallDefinitions');
    assert.ok(nasmDefinitions, 'a document was opened');
    assert.match(nasmDefinitions.getText(), /^%define VIRTLINT_HC_SIDT\b/m, 'NASM syntax, KVM numbers by default');
    assert.equal(nasmDefinitions.languageId, 'x86asm');

    const settings = vscode.workspace.getConfiguration('virtlint');
    await settings.update('fix.abi', 'xen', vscode.ConfigurationTarget.Workspace);
    try {
      const gas = await openInEditor('boot.S');
      await waitFor('fileInfo for boot.S', () => api.fileInfo(gas.document.uri));
      const gasDefinitions = await vscode.commands.executeCommand<vscode.TextDocument>('virtlint.insertHypercallDefinitions');
      assert.ok(gasDefinitions);
      assert.match(gasDefinitions.getText(), /^\.equ VIRTLINT_HC_SIDT,/m, 'GNU as syntax for a .S file');
      assert.match(gasDefinitions.getText(), /\(xen\)/i, 'the ABI setting is followed');
    } finally {
      await settings.update('fix.abi', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  it('shows the output channel on request', async () => {
    await virtlint();
    await vscode.commands.executeCommand('virtlint.showOutput');
    const shown = await waitFor('the virtlint output channel to show', () =>
      vscode.window.visibleTextEditors.some((editor) => editor.document.uri.scheme === 'output' && /virtlint/i.test(editor.document.uri.path)) ||
      vscode.workspace.textDocuments.some((document) => document.uri.scheme === 'output' && /virtlint/i.test(document.uri.path)),
    );
    assert.equal(shown, true);
  });

  it('restarts the language server and keeps linting', async () => {
    const api = await virtlint();
    const before = api.client;
    await vscode.commands.executeCommand('virtlint.restartServer');
    assert.notEqual(api.client, before, 'a new client was started');
    assert.ok(api.client?.isRunning());
    const editor = await openInEditor('probe.asm');
    await waitFor('diagnostics after the restart', () => vscode.languages.getDiagnostics(editor.document.uri).some((d) => d.source === 'virtlint'));
  });
});
