// What the desktop and the web extension do alike once their language client exists: the
// commands, the workspace lint, the language status item, workspace trust, restarts. Each entry
// point (extension.ts, browserExtension.ts) only says how its client reaches its server.
import * as vscode from 'vscode';
import { State, type BaseLanguageClient } from 'vscode-languageclient';
import { FILE_INFO_NOTIFICATION, type FileInfoParams } from '../../server/src/lsp/protocol';
import { COMMANDS } from './constants';
import { chooseContext } from './contextPicker';
import { showDocumentation } from './documentation';
import { FileInfoStatus } from './fileInfoStatus';
import { ForeignAssemblyHandOver } from './foreignLanguage';
import { openHypercallDefinitions } from './hypercalls';
import { WorkspaceLinter, type WorkspaceLintSummary } from './lintWorkspace';
import { watchWorkspaceTrust } from './workspaceTrust';

/** What `activate` returns; the end-to-end tests use it to look inside. */
export interface VirtlintApi {
  readonly client: BaseLanguageClient | undefined;
  /** Resolves once the language server has started (or failed to). */
  readonly ready: Promise<void>;
  fileInfo(uri: vscode.Uri): FileInfoParams | undefined;
  readonly onDidReceiveFileInfo: vscode.Event<FileInfoParams>;
  lintWorkspace(): Thenable<WorkspaceLintSummary>;
}

export type CreateLanguageClient = (context: vscode.ExtensionContext, output: vscode.LogOutputChannel) => BaseLanguageClient;

/** What an entry point says of its server. */
export interface ServerHost {
  createClient: CreateLanguageClient;
  /** Names the server's home in the start-up error ("in a web worker"). */
  where: string;
  /** The URI schemes of the documents the server is given (clientOptions.ts). */
  schemes: readonly string[];
}

let client: BaseLanguageClient | undefined;

export function activateVirtlint(context: vscode.ExtensionContext, { createClient, where, schemes }: ServerHost): VirtlintApi {
  const output = vscode.window.createOutputChannel('virtlint', { log: true });
  const status = new FileInfoStatus(schemes);
  const linter = new WorkspaceLinter(() => client, (line) => output.info(line));
  const handOver = new ForeignAssemblyHandOver();
  context.subscriptions.push(output, status, linter);
  let linterAttachment: vscode.Disposable | undefined;

  const start = async (): Promise<void> => {
    client = createClient(context, output);
    client.onDidChangeState((event) => status.setServerState(event.newState === State.Running));
    // Registered before start(): the first fileInfo arrives right after the first didOpen.
    client.onNotification(FILE_INFO_NOTIFICATION, (info: FileInfoParams) => {
      status.update(info);
      if (typeof info?.architecture === 'string') void handOver.handle(vscode.Uri.parse(info.uri), info.architecture);
    });
    try {
      await client.start();
      linterAttachment?.dispose();
      linterAttachment = linter.attach(client);
    } catch (error) {
      output.error(`could not start the virtlint language server ${where}: ${messageOf(error)}`);
      void vscode.window.showErrorMessage('virtlint: the language server did not start. See "virtlint: Show Output".');
    }
  };

  const restart = async (): Promise<void> => {
    const previous = client;
    client = undefined;
    if (previous) {
      try {
        await previous.dispose(2_000);
      } catch (error) {
        output.warn(`stopping the old server failed: ${messageOf(error)}`);
      }
    }
    await start();
    output.info('language server restarted');
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.restartServer, restart),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(COMMANDS.lintWorkspace, () => linter.run()),
    vscode.commands.registerCommand(COMMANDS.showDocumentation, (ruleId?: unknown) => showDocumentation(context.extensionUri, ruleId)),
    vscode.commands.registerCommand(COMMANDS.insertHypercallDefinitions, () => openHypercallDefinitions(client, status)),
    vscode.commands.registerCommand(COMMANDS.chooseContext, () => chooseContext(client, status)),
    { dispose: () => linterAttachment?.dispose() },
    watchWorkspaceTrust(() => client),
  );

  const ready = start();
  return {
    get client() {
      return client;
    },
    ready,
    fileInfo: (uri) => status.infoFor(uri),
    onDidReceiveFileInfo: status.onDidChange,
    lintWorkspace: () => linter.run(),
  };
}

export async function deactivateVirtlint(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.stop();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
