// virtlint.showDocumentation: opens docs/rules/<id>.md, shipped inside the extension, in the Markdown preview.
import * as vscode from 'vscode';
import { summaryFromTitle } from './ruleSummary';

const RULE_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export async function showDocumentation(extensionUri: vscode.Uri, ruleId?: unknown): Promise<vscode.Uri | undefined> {
  const docsFolder = vscode.Uri.joinPath(extensionUri, 'docs', 'rules');
  const id = typeof ruleId === 'string' && ruleId.length > 0 ? ruleId : await pickRule(docsFolder);
  if (!id) return undefined;
  if (!RULE_ID.test(id)) {
    void vscode.window.showErrorMessage(`virtlint: "${id}" is not a rule id.`);
    return undefined;
  }
  const page = vscode.Uri.joinPath(docsFolder, `${id}.md`);
  try {
    await vscode.workspace.fs.stat(page);
  } catch {
    void vscode.window.showErrorMessage(`virtlint has no documentation page for "${id}".`);
    return undefined;
  }
  try {
    await vscode.commands.executeCommand('markdown.showPreview', page);
  } catch {
    // Without the built-in Markdown extension, the source is still readable.
    await vscode.window.showTextDocument(page, { preview: true });
  }
  return page;
}

async function pickRule(docsFolder: vscode.Uri): Promise<string | undefined> {
  let entries: [string, vscode.FileType][] = [];
  try {
    entries = await vscode.workspace.fs.readDirectory(docsFolder);
  } catch {
    void vscode.window.showErrorMessage('virtlint: the rule documentation is missing from the extension folder.');
    return undefined;
  }
  const ids = entries
    .filter(([name, type]) => type === vscode.FileType.File && name.endsWith('.md'))
    .map(([name]) => name.slice(0, -'.md'.length))
    .sort();
  const picks = await Promise.all(ids.map(async (id): Promise<vscode.QuickPickItem> => ({ label: id, detail: await pageSummary(vscode.Uri.joinPath(docsFolder, `${id}.md`)) })));
  const chosen = await vscode.window.showQuickPick(picks, { placeHolder: 'Rule to show the documentation of', matchOnDetail: true });
  return chosen?.label;
}

async function pageSummary(page: vscode.Uri): Promise<string | undefined> {
  try {
    return summaryFromTitle(new TextDecoder().decode(await vscode.workspace.fs.readFile(page)));
  } catch {
    return undefined;
  }
}
