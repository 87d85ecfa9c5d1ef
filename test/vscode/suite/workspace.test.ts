// "virtlint: Lint All Assembly Files in the Workspace": files that are not open get their
// problems in the Problems panel too.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { WorkspaceLintSummary } from '../../../client/src/lintWorkspace';
import { ruleOf, virtlint, waitFor, workspaceFile } from './helpers';

describe('workspace lint', () => {
  it('analyses every assembly file, including ones never opened in an editor', async () => {
    await virtlint();
    const boot = workspaceFile('boot.S');
    assert.equal(vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === boot.toString()), false, 'boot.S is not shown');
    const result = await vscode.commands.executeCommand<WorkspaceLintSummary>('virtlint.lintWorkspace');
    assert.ok(result, 'the command returns a summary');
    assert.ok(result.files >= 5, `all fixture files were linted: ${JSON.stringify(result)}`);
    assert.ok(result.problems > 0);
    const rules = vscode.languages
      .getDiagnostics(boot)
      .filter((d) => d.source === 'virtlint')
      .map((d) => `${d.range.start.line}:${ruleOf(d)}`)
      .sort();
    assert.deepEqual(rules, ['4:pushf', '5:popf', '6:far-ret']);
    const legacy = vscode.languages
      .getDiagnostics(workspaceFile('LEGACY.ASM'))
      .filter((d) => d.source === 'virtlint')
      .map((d) => `${d.range.start.line}:${ruleOf(d)}`)
      .sort();
    assert.deepEqual(legacy, ['5:str', '6:int'], 'upper-case DOS-style names are found too');
    const clean = vscode.languages.getDiagnostics(workspaceFile('clean.asm')).filter((d) => d.source === 'virtlint');
    assert.deepEqual(clean, []);
    const blob = result.skipped.find((skip) => skip.uri.endsWith('/blob.inc'));
    assert.ok(blob, `the binary blob.inc is skipped with a reason, not linted: ${JSON.stringify(result.skipped)}`);
    assert.ok(blob.reason.length > 0);
  });

  it('refreshes the results of files that are not open when the settings change', async () => {
    await virtlint();
    const boot = workspaceFile('boot.S');
    const rulesOf = () => vscode.languages.getDiagnostics(boot).filter((d) => d.source === 'virtlint').map((d) => `${d.range.start.line}:${ruleOf(d)}`).sort();
    await vscode.commands.executeCommand<WorkspaceLintSummary>('virtlint.lintWorkspace');
    assert.deepEqual(rulesOf(), ['4:pushf', '5:popf', '6:far-ret']);
    const settings = vscode.workspace.getConfiguration('virtlint');
    await settings.update('rules', { popf: 'off' }, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('boot.S without popf', () => JSON.stringify(rulesOf()) === JSON.stringify(['4:pushf', '6:far-ret']));
    } finally {
      await settings.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('boot.S with popf again', () => JSON.stringify(rulesOf()) === JSON.stringify(['4:pushf', '5:popf', '6:far-ret']));
  });

  it('skips files over virtlint.maxFileSize and says why', async () => {
    await virtlint();
    const settings = vscode.workspace.getConfiguration('virtlint');
    // LEGACY.ASM is 110 bytes and never opened in an editor, so only the workspace lint reports it.
    await settings.update('maxFileSize', 105, vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<WorkspaceLintSummary>('virtlint.lintWorkspace');
      const legacy = result.skipped.find((skip) => skip.uri.endsWith('/LEGACY.ASM'));
      assert.ok(legacy, `LEGACY.ASM (over 105 bytes) is skipped: ${JSON.stringify(result.skipped)}`);
      assert.match(legacy.reason, /maxFileSize/);
      assert.ok(result.files >= 2, 'the small files are still linted');
      assert.equal(
        vscode.languages.getDiagnostics(workspaceFile('LEGACY.ASM')).filter((d) => d.source === 'virtlint').length,
        0,
        'no stale results are left for a skipped file',
      );
    } finally {
      await settings.update('maxFileSize', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
