// Part (a): dist/web/server.js alone in a plain Worker on a page served from 127.0.0.1, driven by
// headless Chromium. Each answer is compared with the Node server's (dist/server.js) for the
// same conversation, and checked against what the fixtures are known to hold.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LspClient } from '../../scripts/lspClient';
import { ROOT } from '../vscode/codeServer';
import { openBrowser, type OpenBrowser } from './browser';
import { servePage, type PageServer } from './pageServer';
import { codeActions, fixture, hover, initialize, locate, open, openUntil, type Diagnostic, type Document, type Hover, type LspDriver } from './scenario';
import { failAll, runChecks, type Check, type Outcome } from './tier';
import { WorkerLspClient } from './workerClient';
import { runWorkerWorkspaceTests } from './workerWorkspaceTests';

const NASM = fixture('probe.asm', 'nasm');
const C = fixture('guest.c', 'c');

function linesOf(diagnostics: readonly Diagnostic[]): number[] {
  return Array.from(new Set(diagnostics.map((diagnostic) => diagnostic.range.start.line))).sort((a, b) => a - b);
}

/** The desktop server links rule pages as files of the installed package; the worker has none. */
function withoutPackageLinks(text: string): string {
  return text.replace(/file:\/\/\/[^)\s"]*?\/(docs\/rules\/[\w-]+\.md)/g, '$1');
}

/** A code action with its diagnostics as `comparable` leaves them. */
function withoutRuleLinks(action: { title: string; diagnostics?: Diagnostic[] }): unknown {
  return { ...action, diagnostics: action.diagnostics && comparable(action.diagnostics) };
}

function comparable(diagnostics: readonly Diagnostic[]): unknown {
  return diagnostics.map(({ codeDescription: _link, ...rest }) => rest);
}

function hoverText(answer: Hover | null): string {
  assert.ok(answer, 'no hover');
  return withoutPackageLinks(answer.contents.value);
}

/**
 * A folder on disk that only the Node server reads directly: the worker gets its files from the
 * test's client, which answers virtlint/readFile from it as the web client answers from
 * vscode.workspace.fs, and notes every URI asked for.
 */
interface ClientFolder {
  folder: string;
  asked: string[];
  document(name: string): Document;
  readFile(params: unknown): unknown;
}

const INCLUDER = `; the macro comes from segs.inc, which the worker can only get from its client
bits 16
%include "segs.inc"
start:
    load_segments
    hlt
`;
const INCLUDED = `%macro load_segments 0
    push cs
    pop ds
    pushf
    smsw ax
%endmacro
`;
const MISSING_INCLUDE = `bits 16
%include "absent.inc"
    pushf
`;

const HEADER = `#define READ_IDT(p) __asm__ volatile("sidt %0" : "=m"(*(p)))
`;
const HEADER_USER = `#include "idt.h"
void store_idt(void *p) {
  READ_IDT(p);
}
`;

function clientFolder(): ClientFolder {
  const folder = mkdtempSync(path.join(tmpdir(), 'virtlint-web-files-'));
  writeFileSync(path.join(folder, 'boot.asm'), INCLUDER);
  writeFileSync(path.join(folder, 'segs.inc'), INCLUDED);
  writeFileSync(path.join(folder, 'missing.asm'), MISSING_INCLUDE);
  writeFileSync(path.join(folder, 'idt.h'), HEADER);
  writeFileSync(path.join(folder, 'header-user.c'), HEADER_USER);
  const asked: string[] = [];
  return {
    folder,
    asked,
    document: (name) => ({ name, languageId: name.endsWith('.c') ? 'c' : 'nasm', uri: pathToFileURL(path.join(folder, name)).href, text: readFileSync(path.join(folder, name), 'utf8') }),
    readFile(params) {
      const uri = String((params as { uri?: unknown } | null)?.uri);
      asked.push(uri);
      try {
        const file = fileURLToPath(uri);
        if (path.relative(folder, file).startsWith('..') || !statSync(file).isFile()) return { missing: true };
        return { text: readFileSync(file, 'utf8') };
      } catch {
        return { missing: true };
      }
    },
  };
}

function timesAsked(files: ClientFolder, name: string): number {
  const uri = pathToFileURL(path.join(files.folder, name)).href;
  return files.asked.filter((asked) => asked === uri).length;
}

/** The worker's answer and the Node server's, side by side. */
interface Pair {
  worker: LspDriver;
  node: LspDriver;
}

async function both<T>(pair: Pair, ask: (driver: LspDriver) => Promise<T>): Promise<{ worker: T; node: T }> {
  return { worker: await ask(pair.worker), node: await ask(pair.node) };
}

function checks(pair: Pair, files: ClientFolder): Check[] {
  const state: { nasm?: { worker: Diagnostic[]; node: Diagnostic[] } } = {};
  return [
    {
      title: 'worker: initialize answers with the same capabilities as the Node server',
      async run() {
        const answers = await both(pair, initialize);
        const capabilities = answers.worker.capabilities as Record<string, unknown>;
        assert.equal(capabilities.hoverProvider, true);
        assert.ok(capabilities.codeActionProvider, 'no code actions');
        assert.deepEqual(capabilities, answers.node.capabilities);
      },
    },
    {
      title: 'worker: NASM diagnostics (sidt, smsw flagged; mov not) equal the Node server\'s',
      async run() {
        const answers = await both(pair, (driver) => open(driver, NASM));
        state.nasm = answers;
        const flagged = linesOf(answers.worker);
        for (const word of ['sidt', 'smsw']) assert.ok(flagged.includes(locate(NASM, word).line), `${word} is not flagged`);
        assert.ok(!flagged.includes(locate(NASM, 'mov eax').line), 'a plain mov is flagged');
        assert.deepEqual(comparable(answers.worker), comparable(answers.node));
      },
    },
    {
      title: 'worker: hover on sidt equals the Node server\'s',
      async run() {
        const at = locate(NASM, 'sidt');
        const answers = await both(pair, (driver) => hover(driver, NASM, at.line, at.character + 1));
        assert.match(hoverText(answers.worker), /sidt/i);
        assert.equal(hoverText(answers.worker), hoverText(answers.node));
        assert.deepEqual(answers.worker?.range, answers.node?.range);
      },
    },
    {
      title: 'worker: quick fixes for the sidt diagnostic equal the Node server\'s',
      async run() {
        assert.ok(state.nasm, 'the NASM document did not open');
        const line = locate(NASM, 'sidt').line;
        const onLine = (diagnostics: Diagnostic[]) => diagnostics.find((diagnostic) => diagnostic.range.start.line === line)!;
        const worker = await codeActions(pair.worker, NASM, onLine(state.nasm.worker));
        const node = await codeActions(pair.node, NASM, onLine(state.nasm.node));
        assert.ok(worker.length > 0, 'no quick fix');
        assert.deepEqual(worker.map(withoutRuleLinks), node.map(withoutRuleLinks));
      },
    },
    {
      title: 'worker: C inline asm diagnostics (pushf, sgdt) and hover equal the Node server\'s',
      async run() {
        const answers = await both(pair, (driver) => open(driver, C));
        const flagged = linesOf(answers.worker);
        for (const word of ['pushf', 'sgdt']) assert.ok(flagged.includes(locate(C, word).line), `${word} is not flagged`);
        assert.deepEqual(comparable(answers.worker), comparable(answers.node));
        const at = locate(C, 'sgdt');
        const hovers = await both(pair, (driver) => hover(driver, C, at.line, at.character + 1));
        assert.match(hoverText(hovers.worker), /sgdt/i);
        assert.equal(hoverText(hovers.worker), hoverText(hovers.node));
      },
    },
    {
      title: 'worker: bad input (binary garbage, unterminated string and comment) is answered and the worker keeps serving',
      async run() {
        const garbage: Document = { name: 'garbage.asm', languageId: 'nasm', uri: 'file:///virtlint-web-test/garbage.asm', text: badInput() };
        const answers = await both(pair, (driver) => open(driver, garbage));
        assert.deepEqual(comparable(answers.worker), comparable(answers.node));
        const at = locate(NASM, 'smsw');
        const after = await hover(pair.worker, NASM, at.line, at.character + 1);
        assert.match(hoverText(after), /smsw/i);
      },
    },
    {
      title: "worker: a NASM %include reached only through virtlint/readFile gives the includer the macro's findings in its 16-bit mode, equal to the Node server's",
      async run() {
        const includer = files.document('boot.asm');
        const fromMacro = (diagnostics: Diagnostic[]) => diagnostics.some((diagnostic) => diagnostic.message.includes('via load_segments'));
        const worker = await openUntil(pair.worker, includer, fromMacro, 20_000);
        const node = await openUntil(pair.node, includer, fromMacro, 20_000);
        const invocation = locate(includer, '    load_segments').line;
        const atInvocation = worker.filter((diagnostic) => diagnostic.range.start.line === invocation);
        for (const rule of ['push-sreg', 'pushf', 'smsw']) assert.ok(atInvocation.some((diagnostic) => diagnostic.code === rule), `no ${rule} finding at the invocation`);
        assert.ok(atInvocation.every((diagnostic) => diagnostic.message.includes('16-bit code')), 'the macro is not read in the includer\'s 16-bit mode');
        assert.ok(!worker.some((diagnostic) => diagnostic.code === 'unresolved-include'), 'the include is reported unresolved');
        assert.deepEqual(comparable(worker), comparable(node));
        assert.equal(timesAsked(files, 'segs.inc'), 1, `segs.inc was asked for ${timesAsked(files, 'segs.inc')} times`);
        assert.equal(timesAsked(files, 'boot.asm'), 0, 'the open document was asked for');
      },
    },
    {
      title: 'worker: a C macro holding sidt, from a header reached only through virtlint/readFile, is flagged where it is used, as on the Node server',
      async run() {
        const user = files.document('header-user.c');
        const use = locate(user, 'READ_IDT').line;
        const flagged = (diagnostics: Diagnostic[]) => diagnostics.some((diagnostic) => diagnostic.code === 'sidt' && diagnostic.range.start.line === use);
        const worker = await openUntil(pair.worker, user, flagged, 20_000);
        const node = await openUntil(pair.node, user, flagged, 20_000);
        assert.deepEqual(comparable(worker), comparable(node));
        assert.equal(timesAsked(files, 'idt.h'), 1, `idt.h was asked for ${timesAsked(files, 'idt.h')} times`);
      },
    },
    {
      title: 'worker: an include the client does not have stays unresolved, asked for once (no loop), as on the Node server',
      async run() {
        const document = files.document('missing.asm');
        const unresolved = (diagnostics: Diagnostic[]) => diagnostics.some((diagnostic) => diagnostic.code === 'unresolved-include');
        const worker = await openUntil(pair.worker, document, unresolved, 20_000);
        const node = await openUntil(pair.node, document, unresolved, 20_000);
        assert.deepEqual(comparable(worker), comparable(node));
        // Long enough for a loop to show: the worker asks within a turn of its event loop.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await pair.worker.request('textDocument/hover', { textDocument: { uri: document.uri }, position: { line: 0, character: 0 } });
        assert.equal(timesAsked(files, 'absent.inc'), 1, `absent.inc was asked for ${timesAsked(files, 'absent.inc')} times`);
        const repeated = files.asked.filter((uri, index) => files.asked.indexOf(uri) !== index);
        assert.deepEqual(repeated, [], 'some files were asked for twice');
      },
    },
    {
      title: 'worker: an include opened, changed on disk and closed is asked for again, and the includer gets the new text\'s findings (sgdt), as on the Node server',
      async run() {
        const includer = files.document('boot.asm');
        const include = files.document('segs.inc');
        const invocation = locate(includer, '    load_segments').line;
        const withSgdt = (diagnostics: Diagnostic[]) => diagnostics.some((diagnostic) => diagnostic.code === 'sgdt' && diagnostic.range.start.line === invocation);
        const waitForSgdt = (driver: LspDriver) => driver.waitFor('textDocument/publishDiagnostics', (params) => params.uri === includer.uri && withSgdt(params.diagnostics as Diagnostic[]), 20_000);
        for (const driver of [pair.worker, pair.node]) driver.notify('textDocument/didOpen', { textDocument: { uri: include.uri, languageId: 'nasm', version: 1, text: include.text } });
        writeFileSync(path.join(files.folder, 'segs.inc'), INCLUDED.replace('%endmacro', '    sgdt [0]\n%endmacro'));
        const node = waitForSgdt(pair.node);
        for (const driver of [pair.worker, pair.node]) driver.notify('textDocument/didClose', { textDocument: { uri: include.uri } });
        const worker = (await waitForSgdt(pair.worker)).diagnostics as Diagnostic[];
        assert.deepEqual(comparable(worker), comparable((await node).diagnostics as Diagnostic[]));
        assert.equal(timesAsked(files, 'segs.inc'), 2, `segs.inc was asked for ${timesAsked(files, 'segs.inc')} times`);
      },
    },
  ];
}

function badInput(): string {
  let bytes = '';
  for (let index = 0; index < 4096; index++) bytes += String.fromCharCode((index * 7919) % 0xd7ff);
  return `db "unterminated\n/* open comment\n%macro m 1\n${bytes}\nsgdt [eax]\n(((((\n`;
}

export async function runWorkerTests(outcome: Outcome): Promise<void> {
  let browser: OpenBrowser | undefined;
  let page: PageServer | undefined;
  let node: LspClient | undefined;
  const files = clientFolder();
  const pending: Check[] = checks({ worker: undefined as never, node: undefined as never }, files);
  try {
    page = await servePage();
    browser = await openBrowser();
    const consoleErrors: string[] = [];
    browser.page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await browser.page.goto(page.url, { waitUntil: 'load', timeout: 30_000 });
    await browser.page.evaluate(() => (globalThis as unknown as { sendWasm(): Promise<void> }).sendWasm(), undefined);
    node = new LspClient(path.join(ROOT, 'dist', 'server.js'));
    const worker = new WorkerLspClient(browser.page, (params) => files.readFile(params));
    await runChecks(checks({ worker, node }, files), outcome);
    if (consoleErrors.length > 0) console.log(`  (the page's console reported: ${consoleErrors.join(' | ')})`);
  } catch (error) {
    failAll(pending, `setup failed: ${error instanceof Error ? error.message : String(error)}`, outcome);
  }
  try {
    await runWorkerWorkspaceTests(browser, page?.url, outcome);
  } finally {
    await node?.close();
    await browser?.close();
    await page?.close();
    rmSync(files.folder, { recursive: true, force: true });
  }
}
