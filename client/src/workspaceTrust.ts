// Workspace trust, told to the server (server/src/lsp/protocol.ts): whether the user trusts
// the workspace and, while not, the user's own values of the settings that decide the code
// virtlint writes into files. The server then ignores the workspace's values of those.
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { WORKSPACE_TRUST_NOTIFICATION, type WorkspaceTrustParams } from '../../server/src/lsp/protocol';
import { SETTINGS } from '../../server/src/lsp/settings';

/** Restricted setting keys below `virtlint.`, e.g. `fix.customTemplate`. */
const RESTRICTED_KEYS: readonly string[] = SETTINGS.filter((setting) => setting.restricted).map((setting) => setting.key.slice('virtlint.'.length));

export function currentWorkspaceTrust(): WorkspaceTrustParams {
  if (vscode.workspace.isTrusted) return { trusted: true };
  const configuration = vscode.workspace.getConfiguration('virtlint');
  // Flat keys (`fix.abi`): the server reads them like nested ones.
  const userSettings: Record<string, unknown> = {};
  for (const key of RESTRICTED_KEYS) {
    const value = configuration.inspect(key)?.globalValue;
    if (value !== undefined) userSettings[key] = value;
  }
  return { trusted: false, userSettings };
}

/** Tells the running server when trust is granted, and when a user value it relies on changes. */
export function watchWorkspaceTrust(client: () => BaseLanguageClient | undefined): vscode.Disposable {
  const send = (): void => {
    const running = client();
    if (running?.isRunning()) void running.sendNotification(WORKSPACE_TRUST_NOTIFICATION, currentWorkspaceTrust()).catch(() => undefined);
  };
  return vscode.Disposable.from(
    vscode.workspace.onDidGrantWorkspaceTrust(send),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!vscode.workspace.isTrusted && RESTRICTED_KEYS.some((key) => event.affectsConfiguration(`virtlint.${key}`))) send();
    }),
  );
}
