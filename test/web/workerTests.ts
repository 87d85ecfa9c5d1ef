// Part (a): dist/web/server.js alone in a plain Worker on a page served from 127.0.0.1, driven by
// headless Chromium. Each answer is compared with the Node server's (dist/server.js) for the
// same conversation, and checked against what the fixtures are known to hold.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LspClient } from '../../scripts/lspClient';
import { ROOT } from '../vscode/codeServer';
import { openBrowser, type OpenBrowser } from './browser';
import { servePage, type PageServer } from './pageServer';
import { codeActions, fixture, hover, initialize, locate, open, type Diagnostic, type Document, type Hover, type LspDriver } from './scenario';
import { failAll, runChecks, type Check, type Outcome } from './tier';
import { WorkerLspClient } from './workerClient';

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

/** The worker's answer and the Node server's, side by side. */
interface Pair {
  worker: LspDriver;
  node: LspDriver;
}

async function both<T>(pair: Pair, ask: (driver: LspDriver) => Promise<T>): Promise<{ worker: T; node: T }> {
  return { worker: await ask(pair.worker), node: await ask(pair.node) };
}

function checks(pair: Pair): Check[] {
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
  const pending: Check[] = checks({ worker: undefined as never, node: undefined as never });
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
    const worker = new WorkerLspClient(browser.page);
    await runChecks(checks({ worker, node }), outcome);
    if (consoleErrors.length > 0) console.log(`  (the page's console reported: ${consoleErrors.join(' | ')})`);
  } catch (error) {
    failAll(pending, `setup failed: ${error instanceof Error ? error.message : String(error)}`, outcome);
  } finally {
    await node?.close();
    await browser?.close();
    await page?.close();
  }
}
