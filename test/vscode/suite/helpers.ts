// Small helpers for the tests that run inside the extension host.
import * as vscode from 'vscode';
import type { VirtlintApi } from '../../../client/src/extension';

export const EXTENSION_ID = 'virtlint.virtlint';
const WAIT_MS = 20_000;

export async function virtlint(): Promise<VirtlintApi> {
  const extension = vscode.extensions.getExtension<VirtlintApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in the test instance`);
  const api = await extension.activate();
  await api.ready;
  return api;
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function openInEditor(name: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(name));
  return vscode.window.showTextDocument(document);
}

export function virtlintDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'virtlint');
}

export function ruleOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (typeof code === 'string') return code;
  if (typeof code === 'object' && code !== null && typeof code.value === 'string') return code.value;
  return undefined;
}

/** "line:rule" for each virtlint diagnostic, sorted: compact to compare. */
export function summary(uri: vscode.Uri): string[] {
  return virtlintDiagnostics(uri)
    .map((diagnostic) => `${diagnostic.range.start.line}:${ruleOf(diagnostic)}`)
    .sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]) || a.localeCompare(b));
}

/** Resolves when `check` holds, re-checking on every diagnostics change; rejects with `what` after a while. */
export function waitFor<T>(what: string, check: () => T | undefined | false): Promise<T> {
  return new Promise((resolve, reject) => {
    const attempt = (): boolean => {
      const value = check();
      if (value === undefined || value === false) return false;
      cleanup();
      resolve(value);
      return true;
    };
    const subscription = vscode.languages.onDidChangeDiagnostics(() => void attempt());
    const poll = setInterval(() => void attempt(), 250);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    function cleanup(): void {
      subscription.dispose();
      clearInterval(poll);
      clearTimeout(timer);
    }
    attempt();
  });
}

/** Waits until the virtlint diagnostics of `uri` read exactly `expected` (see summary()). */
export async function waitForSummary(uri: vscode.Uri, expected: string[]): Promise<void> {
  try {
    await waitFor(`diagnostics ${JSON.stringify(expected)}`, () => JSON.stringify(summary(uri)) === JSON.stringify(expected));
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(summary(uri))}`);
  }
}

export function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

export async function codeActionsAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const actions = (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, range)) ?? [];
  return actions.filter((action): action is vscode.CodeAction => 'title' in action && !('command' in action && typeof action.command === 'string'));
}

export async function revert(editor: vscode.TextEditor): Promise<void> {
  await vscode.window.showTextDocument(editor.document);
  await vscode.commands.executeCommand('workbench.action.files.revert');
}
