// The language status item ("{} NASM · 32-bit" next to the language mode) for the active file,
// fed by the server's virtlint/fileInfo notification.
import * as vscode from 'vscode';
import type { FileInfoParams } from '../../server/src/lsp/protocol';
import { COMMANDS } from './constants';
import { assemblySelector } from './clientOptions';

const MODE_NAMES: Record<string, string> = {
  real: 'real mode',
  v86: 'virtual-8086',
  pm16: '16-bit protected',
  pm32: 'protected mode',
  long: 'long mode',
  unknown: 'mode unknown',
};

/** The entry of `regions` (sorted by startLine, first at line 0) that covers `line`. */
export function regionAt<T extends { startLine: number }>(regions: readonly T[] | undefined, line: number): T | undefined {
  if (!regions || regions.length === 0) return undefined;
  let found = regions[0];
  for (const region of regions) {
    if (region.startLine > line) break;
    found = region;
  }
  return found;
}

const DIALECT_NAMES: Record<string, string> = {
  nasm: 'NASM',
  'gas-att': 'GNU as (AT&T)',
  'gas-intel': 'GNU as (Intel)',
  masm: 'MASM',
  fasm: 'FASM',
};

export class FileInfoStatus implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private readonly infoByUri = new Map<string, FileInfoParams>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<FileInfoParams>();
  /** Fires whenever the server reports a file's dialect, bits and profile. */
  readonly onDidChange = this.changeEmitter.event;

  /** `schemes`: the documents' the server is given. */
  constructor(schemes: readonly string[]) {
    this.item = vscode.languages.createLanguageStatusItem('virtlint.fileInfo', assemblySelector(schemes) as vscode.DocumentSelector);
    this.item.name = 'virtlint';
    this.item.command = { title: 'Show Output', command: COMMANDS.showOutput };
    this.disposables.push(
      this.item,
      this.changeEmitter,
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === vscode.window.activeTextEditor) this.render();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('virtlint')) this.render();
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.infoByUri.delete(document.uri.toString())),
    );
    this.render();
  }

  /** What the server last said about the document, if anything. */
  infoFor(uri: vscode.Uri): FileInfoParams | undefined {
    return this.infoByUri.get(uri.toString());
  }

  update(info: FileInfoParams): void {
    if (typeof info?.uri !== 'string') return;
    const key = vscode.Uri.parse(info.uri).toString();
    this.infoByUri.set(key, info);
    this.changeEmitter.fire(info);
    this.render();
  }

  /** Shown while the server is down. */
  setServerState(running: boolean): void {
    this.item.severity = running ? vscode.LanguageStatusSeverity.Information : vscode.LanguageStatusSeverity.Warning;
    this.render(running ? undefined : 'virtlint server is not running');
  }

  private render(problem?: string): void {
    const document = vscode.window.activeTextEditor?.document;
    const info = document ? this.infoByUri.get(document.uri.toString()) : undefined;
    const configuredProfile = vscode.workspace.getConfiguration('virtlint', document?.uri).get<string>('profile', 'deprivileged-kernel');
    if (problem) {
      this.item.text = '$(warning) virtlint';
      this.item.detail = problem;
      return;
    }
    if (!info) {
      this.item.text = 'virtlint';
      this.item.detail = `profile ${configuredProfile} · waiting for analysis`;
      return;
    }
    if (info.architecture) {
      this.item.text = `${info.architecture} assembly · not linted`;
      this.item.detail = 'virtlint checks x86 code only; this file reads as another instruction set';
      return;
    }
    const dialect = DIALECT_NAMES[info.dialect] ?? info.dialect;
    const line = vscode.window.activeTextEditor?.selection.active.line ?? 0;
    const bits = regionAt(info.bitsRegions, line)?.bits ?? info.bits;
    const mode = regionAt(info.modeRegions, line)?.mode;
    const atCursor = `${bits}-bit${mode ? ` · ${MODE_NAMES[mode] ?? mode}` : ''}`;
    const sources = [info.dialectSource && `dialect from ${info.dialectSource}`, info.bitsSource && `bits from ${info.bitsSource}`]
      .filter(Boolean)
      .join(', ');
    const profile = `virtlint profile ${info.profile}${sources ? ` (${sources})` : ''}`;
    const contexts = info.contexts ?? [];
    if (contexts.length === 0) {
      this.item.text = `${dialect} · ${atCursor}`;
      this.item.detail = profile;
      this.item.command = { title: 'Show Output', command: COMMANDS.showOutput };
      return;
    }
    const selected = info.selectedContext !== undefined ? contexts[info.selectedContext] : undefined;
    const shown = selected ?? contexts[0]!;
    this.item.text = selected || contexts.length === 1 ? shown.label : `${shown.label} (+${contexts.length - 1} more)`;
    this.item.detail = `${selected || contexts.length === 1 ? '' : 'diagnostics of all contexts merged · '}${profile}`;
    this.item.command = contexts.length > 1 ? { title: 'Choose Context', command: COMMANDS.chooseContext } : { title: 'Show Output', command: COMMANDS.showOutput };
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
