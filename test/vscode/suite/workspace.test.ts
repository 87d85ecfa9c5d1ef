// "virtlint: Lint All Assembly Files in the Workspace": files that are not open get their
// problems in the Problems panel too.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { WorkspaceLintSummary } from '../../../client/src/lintWorkspace';
import { ruleOf, virtlint, workspaceFile } from './helpers';

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
  });
});
