// A minimal LSP client for the protocol tests: spawns the built server over stdio, the
// way an editor does, and records what the server sends.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type {
  ClientCapabilities,
  Diagnostic,
  InitializeResult,
  PublishDiagnosticsParams,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';
import { findPackage } from '../../server/src/host/packageInfo';
import { withTimeout } from '../../server/src/lsp/timeout';

/** The folder holding virtlint's package.json (the compiled tests may live in any outDir below it). */
export const PROJECT_ROOT = projectRoot();

function projectRoot(): string {
  const found = findPackage(__dirname);
  if (!found) throw new Error(`no virtlint package.json above ${__dirname}`);
  return found.root;
}

/** The server under test: `VIRTLINT_LSP_SERVER` (e.g. dist/server.js) or the server compiled next to these tests. */
export function serverEntry(): string {
  const entry = process.env.VIRTLINT_LSP_SERVER ?? resolve(__dirname, '..', '..', 'server', 'src', 'lsp', 'main.js');
  if (!existsSync(entry)) throw new Error(`language server not built: ${entry} is missing (run \`npx tsc -p .\`)`);
  return entry;
}

export function fileUri(name: string): string {
  return pathToFileURL(resolve('/tmp/virtlint-lsp-test', name)).href;
}

export interface StartOptions {
  /** Declare `textDocument.diagnostic` (pull diagnostics). */
  pull?: boolean;
  /** Declare `workspace.configuration`; `settings` answers it. */
  configuration?: boolean;
  settings?: Record<string, unknown>;
  workspaceFolder?: string;
  extraCapabilities?: ClientCapabilities;
  initializationOptions?: unknown;
}

export class LspTestClient {
  readonly published = new Map<string, PublishDiagnosticsParams[]>();
  readonly configurationRequests: unknown[] = [];
  /** `virtlint/fileInfo` notifications, in arrival order. */
  readonly fileInfos: Array<{ uri: string; dialect: string; bits: number; profile: string; dialectSource?: string; bitsSource?: string; bitsRegions?: { startLine: number; bits: number }[]; modeRegions?: { startLine: number; mode: string }[] }> = [];
  refreshRequests = 0;
  /** `window/logMessage` texts from the server. */
  readonly logMessages: string[] = [];
  /** `window/showMessage` texts from the server (what the user would see pop up). */
  readonly shownMessages: string[] = [];
  /** `$/progress` values (work-done progress), in arrival order. */
  readonly progress: Array<{ kind: string; title?: string; message?: string }> = [];
  settings: Record<string, unknown>;
  stderr = '';
  initializeResult: InitializeResult | undefined;
  readonly exitCode: Promise<number | null>;
  private listeners: Array<() => void> = [];
  private versions = new Map<string, number>();

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly connection: MessageConnection,
    settings: Record<string, unknown>,
  ) {
    this.settings = settings;
    this.exitCode = new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      const list = this.published.get(params.uri) ?? [];
      list.push(params);
      this.published.set(params.uri, list);
      this.notify();
    });
    connection.onRequest('workspace/configuration', (params: { items: Array<{ section?: string; scopeUri?: string }> }) => {
      this.configurationRequests.push(params);
      return params.items.map((item) => (item.section === 'virtlint' ? this.settings : null));
    });
    connection.onNotification('virtlint/fileInfo', (params: LspTestClient['fileInfos'][number]) => {
      this.fileInfos.push(params);
      this.notify();
    });
    connection.onRequest('workspace/diagnostic/refresh', () => {
      this.refreshRequests++;
      this.notify();
      return null;
    });
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/showDocument', () => ({ success: true }));
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification('$/progress', (params: { value?: { kind: string; title?: string; message?: string } }) => {
      if (params.value) this.progress.push(params.value);
      this.notify();
    });
    connection.onNotification('window/logMessage', (params: { message: string }) => {
      this.logMessages.push(params.message);
    });
    connection.onNotification('window/showMessage', (params: { message: string }) => {
      this.shownMessages.push(params.message);
    });
    connection.listen();
  }

  static async start(options: StartOptions = {}): Promise<LspTestClient> {
    const child = spawn(process.execPath, [serverEntry(), '--stdio'], { stdio: 'pipe' });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspTestClient(child, connection, options.settings ?? {});
    const capabilities: ClientCapabilities = {
      workspace: {
        configuration: options.configuration ?? true,
        didChangeConfiguration: { dynamicRegistration: true },
        ...(options.pull ? { diagnostics: { refreshSupport: true } } : {}),
      },
      textDocument: {
        synchronization: { didSave: true, dynamicRegistration: false },
        publishDiagnostics: { relatedInformation: false, versionSupport: true, codeDescriptionSupport: true },
        hover: { contentFormat: ['markdown', 'plaintext'] },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } }, isPreferredSupport: true },
        ...(options.pull ? { diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } } : {}),
      },
      ...options.extraCapabilities,
    };
    const folder = options.workspaceFolder ?? '/tmp/virtlint-lsp-test';
    const initialize = connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(folder).href,
      workspaceFolders: [{ uri: pathToFileURL(folder).href, name: 'test' }],
      capabilities,
      ...(options.initializationOptions === undefined ? {} : { initializationOptions: options.initializationOptions }),
    }) as Promise<InitializeResult>;
    // A server that dies on start must fail the test at once, with its stderr.
    const died = client.exitCode.then((code) => {
      throw new Error(`language server exited (code ${String(code)}) before answering initialize; stderr: ${client.stderr.slice(-2000)}`);
    });
    died.catch(() => undefined); // it also fires, harmlessly, when the server exits at the end
    client.initializeResult = await Promise.race([initialize, died]);
    await connection.sendNotification('initialized', {});
    return client;
  }

  async open(uri: string, text: string, languageId = 'asm'): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  async save(uri: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didSave', { textDocument: { uri } });
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  async changeSettings(settings: Record<string, unknown>): Promise<void> {
    this.settings = settings;
    await this.connection.sendNotification('workspace/didChangeConfiguration', { settings: { virtlint: settings } });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** Pulls diagnostics (`textDocument/diagnostic`). */
  pull(uri: string, previousResultId?: string): Promise<{ kind: 'full' | 'unchanged'; resultId?: string; items?: Diagnostic[] }> {
    return this.request('textDocument/diagnostic', { textDocument: { uri }, ...(previousResultId ? { previousResultId } : {}) });
  }

  lastPublished(uri: string): PublishDiagnosticsParams | undefined {
    return this.published.get(uri)?.at(-1);
  }

  /** Waits until the latest published diagnostics for `uri` satisfy `accept`. */
  async waitForPublished(uri: string, accept: (params: PublishDiagnosticsParams) => boolean, timeoutMs = 15000): Promise<PublishDiagnosticsParams> {
    return this.waitFor(() => {
      const last = this.lastPublished(uri);
      return last && accept(last) ? last : undefined;
    }, timeoutMs, `diagnostics for ${uri} (last published: ${JSON.stringify(codesAndLines(this.lastPublished(uri)?.diagnostics ?? []))})`);
  }

  async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server stderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, 50);
        this.listeners.push(() => {
          clearTimeout(timer);
          resolveWait();
        });
      });
    }
  }

  /** Writes raw bytes to the server's stdin (for malformed-message tests). */
  writeRaw(text: string): void {
    this.child.stdin.write(text);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<number | null> {
    if (this.alive) {
      try {
        await withTimeout(this.connection.sendRequest('shutdown'), 5000);
        await this.connection.sendNotification('exit');
      } catch {
        this.child.kill();
      }
    }
    const code = await withTimeout(this.exitCode, 5000).catch(() => {
      this.child.kill('SIGKILL');
      return null;
    });
    this.connection.dispose();
    return code;
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

/** Applies LSP content changes to a string (what the editor's buffer does). */
export function applyChanges(text: string, changes: readonly TextDocumentContentChangeEvent[]): string {
  let current = text;
  for (const change of changes) {
    if (!('range' in change)) {
      current = change.text;
      continue;
    }
    const start = offsetAt(current, change.range.start);
    const end = offsetAt(current, change.range.end);
    current = current.slice(0, start) + change.text + current.slice(end);
  }
  return current;
}

/** Start offsets of every line, with LSP's line breaks: \r\n, \n and a lone \r. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    if (text[i] === '\n' || text[i] === '\r') starts.push(i + 1);
  }
  return starts;
}

/** LSP position → offset; a character past the line's end means the end of its content. */
export function offsetAt(text: string, position: { line: number; character: number }): number {
  const starts = lineStarts(text);
  if (position.line >= starts.length) return text.length;
  const start = starts[Math.max(0, position.line)] ?? 0;
  let contentEnd = starts[position.line + 1] ?? text.length;
  if (contentEnd > start && text[contentEnd - 1] === '\n') contentEnd--;
  if (contentEnd > start && text[contentEnd - 1] === '\r' && position.line + 1 < starts.length) contentEnd--;
  return Math.min(start + Math.max(0, position.character), contentEnd);
}

/** Offset → LSP position (an offset inside a CRLF counts as the end of that line). */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const starts = lineStarts(text);
  let line = 0;
  while (line + 1 < starts.length && (starts[line + 1] ?? Infinity) <= offset) line++;
  return { line, character: offset - (starts[line] ?? 0) };
}

/** Applies non-overlapping text edits (from a code action) to a string. */
export function applyTextEdits(text: string, edits: ReadonlyArray<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }>): string {
  const withOffsets = edits.map((edit) => ({ start: offsetAt(text, edit.range.start), end: offsetAt(text, edit.range.end), newText: edit.newText }));
  withOffsets.sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const edit of withOffsets) result = result.slice(0, edit.start) + edit.newText + result.slice(edit.end);
  return result;
}

/** `[rule id, line]` pairs sorted by line, for comparing diagnostics. */
export function codesAndLines(diagnostics: readonly Diagnostic[]): Array<[string, number]> {
  return diagnostics.map((d): [string, number] => [String(d.code), d.range.start.line]).sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
}

/** A diagnostic's message as plain text (LSP 3.18 also allows Markdown content). */
export function messageText(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}
