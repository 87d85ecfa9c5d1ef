// One LSP conversation, run against the web worker server and against the Node server (the
// oracle for the port: the browser must give the same answers as the desktop).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../vscode/codeServer';

type Json = Record<string, unknown>;

/** What both clients (WorkerLspClient, scripts/lspClient.ts) offer. */
export interface LspDriver {
  request<T>(method: string, params: unknown, timeoutMs?: number): Promise<T>;
  notify(method: string, params: unknown): unknown;
  waitFor(method: string, match: (params: Json) => boolean, timeoutMs?: number): Promise<Json>;
}

export interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  code?: string | number;
  severity?: number;
  source?: string;
  codeDescription?: { href: string };
  relatedInformation?: { location: { uri: string; range: Diagnostic['range'] }; message: string }[];
}

export interface Hover {
  contents: { kind: string; value: string };
  range?: Diagnostic['range'];
}

export interface Document {
  name: string;
  languageId: string;
  text: string;
  uri: string;
}

const FIXTURES = path.join(ROOT, 'test', 'vscode', 'fixtures', 'workspace');

export function fixture(name: string, languageId: string): Document {
  return { name, languageId, text: readFileSync(path.join(FIXTURES, name), 'utf8'), uri: `file:///virtlint-web-test/${name}` };
}

export function initializeParams(): Json {
  return {
    processId: null,
    rootUri: null,
    workspaceFolders: null,
    capabilities: { textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] }, codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source'] } } } } },
  };
}

export async function initialize(driver: LspDriver): Promise<Json> {
  const result = await driver.request<Json>('initialize', initializeParams());
  driver.notify('initialized', {});
  return result;
}

/** Opens the document and returns its first published diagnostics. */
export async function open(driver: LspDriver, document: Document): Promise<Diagnostic[]> {
  const published = driver.waitFor('textDocument/publishDiagnostics', (params) => params.uri === document.uri);
  driver.notify('textDocument/didOpen', { textDocument: { uri: document.uri, languageId: document.languageId, version: 1, text: document.text } });
  return (await published).diagnostics as Diagnostic[];
}

/** Opens the document and returns the first diagnostics published for it that `match` accepts. */
export async function openUntil(driver: LspDriver, document: Document, match: (diagnostics: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]> {
  const published = driver.waitFor('textDocument/publishDiagnostics', (params) => params.uri === document.uri && match(params.diagnostics as Diagnostic[]), timeoutMs);
  driver.notify('textDocument/didOpen', { textDocument: { uri: document.uri, languageId: document.languageId, version: 1, text: document.text } });
  return (await published).diagnostics as Diagnostic[];
}

export function hover(driver: LspDriver, document: Document, line: number, character: number): Promise<Hover | null> {
  return driver.request<Hover | null>('textDocument/hover', { textDocument: { uri: document.uri }, position: { line, character } });
}

export function codeActions(driver: LspDriver, document: Document, diagnostic: Diagnostic): Promise<{ title: string; kind?: string; diagnostics?: Diagnostic[] }[]> {
  return driver.request('textDocument/codeAction', { textDocument: { uri: document.uri }, range: diagnostic.range, context: { diagnostics: [diagnostic], only: ['quickfix'] } });
}

/** The 0-based line and column of the first `word` in the text (the test's own fixture). */
export function locate(document: Document, word: string): { line: number; character: number } {
  const lines = document.text.split('\n');
  for (let line = 0; line < lines.length; line++) {
    const character = lines[line]!.indexOf(word);
    if (character >= 0) return { line, character };
  }
  throw new Error(`"${word}" is not in ${document.name}`);
}
