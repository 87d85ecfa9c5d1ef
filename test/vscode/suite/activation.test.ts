// The extension is the one under test (loaded from this folder's dist/) and it activates on an
// assembly file.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VirtlintApi } from '../../../client/src/extension';
import { EXPECTATIONS_FILE, type Expectations } from './index';

const EXTENSION_ID = 'virtlint.virtlint';

describe('activation', () => {
  it('activates on an .asm file and starts the language server', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'probe.asm'));
    await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, 'x86asm');
    const extension = vscode.extensions.getExtension<VirtlintApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    const api = await extension.activate();
    const expected = JSON.parse(readFileSync(EXPECTATIONS_FILE, 'utf8')) as Expectations;
    if (expected.mode === 'folder') {
      assert.equal(path.resolve(extension.extensionPath), path.resolve(expected.extensionPath), 'loaded from the project folder');
    } else {
      assert.match(path.basename(extension.extensionPath), /^virtlint\.virtlint-\d+\.\d+\.\d+$/, 'the installed .vsix, not the project folder');
      assert.equal(extension.packageJSON.main, './dist/client.js');
    }
    await api.ready;
    assert.ok(api.client?.isRunning(), 'the language client is running');
  });

  it('registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['virtlint.restartServer', 'virtlint.showOutput', 'virtlint.lintWorkspace', 'virtlint.showDocumentation']) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
  });
});
