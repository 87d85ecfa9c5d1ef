// Part (c): the packaged extension in code-server's web worker extension host, driven by headless
// Chromium. The extension loaded is the .vsix unpacked without its Node bundles (dist/client.js,
// dist/server.js), and the user setting `remote.extensionKind` asks for the web host: whatever
// virtlint shows can only come from dist/web/client.js and dist/web/server.js in the browser.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LspClient } from '../../scripts/lspClient';
import { CACHE, ROOT, startSession, type Page, type Session } from '../vscode/codeServer';
import { hoverWord, openFromExplorer, waitFor } from '../vscode/workbench';
import { fixture, hover, initialize, locate, open } from './scenario';
import { failAll, runChecks, type Check, type Outcome } from './tier';
import { packedTestExtension, unpackedVsix } from './vsix';
import { CHANGED_LISTED, INCLUDERS, INVOCATION_LINE, SHARED, writeWorkspace } from './workspaceFixture';

const FIXTURE = 'probe.asm';
const HOVER_WORD = 'sidt';
export const SCREENSHOT = path.join(CACHE, 'results', 'web-hover.png');
const NODE_BUNDLES = ['dist/client.js', 'dist/server.js'];
const RESTART_TITLE = 'virtlint: Restart Language Server';

function webOnlyExtension(): string {
  const extension = unpackedVsix(path.join(CACHE, 'runs', 'web-extension'));
  for (const bundle of NODE_BUNDLES) {
    if (!existsSync(path.join(extension, bundle))) throw new Error(`the .vsix has no ${bundle}: not the package users install`);
    rmSync(path.join(extension, bundle));
  }
  return extension;
}

/**
 * The paragraphs of the desktop server's hover on `word` that only the hover has: plain prose,
 * not in the diagnostic's message (VS Code shows that in the same hover box).
 */
async function hoverOnlyProse(name: string, languageId: string, word: string): Promise<string[]> {
  const node = new LspClient(path.join(ROOT, 'dist', 'server.js'));
  try {
    await initialize(node);
    const document = fixture(name, languageId);
    const at = locate(document, word);
    const diagnostic = (await open(node, document)).find((candidate) => candidate.range.start.line === at.line);
    const answer = await hover(node, document, at.line, at.character + 1);
    if (!answer || !diagnostic) throw new Error(`the Node server gave no ${answer ? 'diagnostic' : 'hover'} on ${word}`);
    const prose = answer.contents.value.split('\n\n').filter((paragraph) => /^\w.*\w\W?$/.test(paragraph) && !/[*`_[\]|<>#\n]/.test(paragraph) && !diagnostic.message.includes(paragraph));
    if (prose.length === 0) throw new Error(`the Node server's hover on ${word} has no plain paragraph to look for`);
    return prose;
  } finally {
    await node.close();
  }
}

/** The Problems panel's rows, read in one go (rows come and go while diagnostics arrive). */
function problemsText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const document = (globalThis as unknown as { document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> } }).document;
    return Array.from(document.querySelectorAll('.markers-panel .monaco-list-row'), (row) => row.textContent ?? '').join('\n');
  });
}

interface ClearWatch {
  virtlintProblemsCleared?: boolean;
}

/** playwright's `evaluate` with an argument (the shared Page type declares only the plain form). */
type EvaluateWith = <T, A>(fn: (argument: A) => T, argument: A) => Promise<T>;

/** Notes in the page the moment the Problems panel stops listing virtlint's finding of `rule`. */
async function watchProblemsClear(page: Page, rule: string): Promise<void> {
  const evaluate = (page.evaluate as unknown as EvaluateWith).bind(page);
  await evaluate((watched: string) => {
    const scope = globalThis as unknown as ClearWatch & {
      document: { querySelector(selector: string): object | null; querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
      MutationObserver: new (callback: () => void) => { observe(target: object, options: object): void };
    };
    scope.virtlintProblemsCleared = false;
    const panel = scope.document.querySelector('.markers-panel');
    if (!panel) throw new Error('the Problems panel is not open');
    const finding = new RegExp(`virtlint\\(?${watched}\\)?\\[Ln`);
    new scope.MutationObserver(() => {
      const text = Array.from(scope.document.querySelectorAll('.markers-panel .monaco-list-row'), (row) => row.textContent ?? '').join('\n');
      if (!finding.test(text)) scope.virtlintProblemsCleared = true;
    }).observe(panel, { subtree: true, childList: true, characterData: true });
  }, rule);
}

/** Waits until the Problems panel lists virtlint's finding of each rule: its source, its code, then the position. */
async function waitForProblems(page: Page, rules: readonly string[]): Promise<void> {
  let text = '';
  const listed = async (): Promise<boolean> => {
    text = await problemsText(page);
    return rules.every((rule) => new RegExp(`virtlint\\(?${rule}\\)?\\[Ln \\d+`).test(text));
  };
  try {
    await waitFor(`virtlint problems of ${rules.join(', ')}`, listed);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; the Problems panel lists: ${JSON.stringify(text.slice(0, 600))}`);
  }
}

/** Written into the test's copy of the workspace: an includer to open, and an include nobody opens. */
const INCLUDER = { name: 'boot16.asm', text: 'bits 16\n%include "segs16.inc"\nstart:\n    load_segments\n    hlt\n' };
const INCLUDED = { name: 'segs16.inc', text: '%macro load_segments 0\n    push cs\n    pushf\n%endmacro\n' };

function checks(session: () => Session, requested: string[], expectedHover: () => string[]): Check[] {
  return [
    {
      title: 'code-server web worker host: virtlint diagnostics on probe.asm (squiggles, Problems panel)',
      async run() {
        const { page } = session();
        await openFromExplorer(page, FIXTURE);
        await waitFor('squiggles', async () => (await page.locator('.editor-instance .squiggly-warning, .editor-instance .squiggly-error').count()) > 0);
        await page.keyboard.press('Control+Shift+M');
        await waitForProblems(page, ['sidt', 'smsw']);
      },
    },
    {
      // The extension activates with the first assembly file, so this comes after the diagnostics.
      title: "code-server web worker host: the extension host fetched the .vsix's dist/web/client.js (the Node bundles are not there)",
      async run() {
        const extension = path.join(CACHE, 'runs', 'web-extension', 'extension');
        await waitFor('dist/web/client.js to be requested', async () => requested.some((url) => url.includes(`path=${extension}/dist/web/client.js`)), 10_000);
        for (const bundle of NODE_BUNDLES) assert.ok(!existsSync(path.join(extension, bundle)), `${bundle} is in the loaded extension`);
      },
    },
    {
      title: 'code-server web worker host: hover on sidt explains it (screenshot saved)',
      async run() {
        const { page } = session();
        await hoverWord(page, HOVER_WORD);
        const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents').first();
        try {
          await hover.waitFor({ state: 'visible', timeout: 15_000 });
        } catch {
          await hoverWord(page, HOVER_WORD);
          await hover.waitFor({ state: 'visible', timeout: 15_000 });
        }
        let shown = '';
        const complete = async (): Promise<boolean> => {
          shown = (await hover.textContent()) ?? '';
          return expectedHover().every((paragraph) => shown.includes(paragraph));
        };
        await waitFor('the hover text', complete, 20_000).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}: wanted ${JSON.stringify(expectedHover())}, shown ${JSON.stringify(shown.slice(0, 400))}`);
        });
        await page.waitForTimeout(500);
        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });
        assert.ok(existsSync(SCREENSHOT));
        console.log(`  (screenshot: ${path.relative(ROOT, SCREENSHOT)})`);
      },
    },
    {
      title: 'code-server web worker host: C inline asm in guest.c is linted (pushf, sgdt in the Problems panel)',
      async run() {
        const { page } = session();
        await openFromExplorer(page, 'guest.c');
        await waitForProblems(page, ['pushf', 'sgdt']);
      },
    },
    {
      title: `code-server web worker host: ${INCLUDER.name} gets the findings of a macro from ${INCLUDED.name}, a workspace file that is not open (read through vscode.workspace.fs), in 16-bit mode`,
      async run() {
        const { page } = session();
        await openFromExplorer(page, INCLUDER.name);
        // One row per problem: the message, then virtlint(rule) and the position.
        let rows: string[] = [];
        const fromMacro = (rule: string) => rows.find((row) => row.includes(`via load_segments, defined at ${INCLUDED.name}:1`) && new RegExp(`virtlint\\(?${rule}\\)?\\[Ln 4,`).test(row));
        await waitFor('the macro findings from the include', async () => {
          rows = (await problemsText(page)).split('\n');
          return ['push-sreg', 'pushf'].every((rule) => fromMacro(rule) !== undefined);
        }).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}; the Problems panel lists: ${JSON.stringify(rows.join('\n').slice(0, 800))}`);
        });
        for (const rule of ['push-sreg', 'pushf']) assert.match(fromMacro(rule)!, /this 16-bit code/, `the ${rule} finding is not read in 16-bit mode`);
        const text = rows.join('\n');
        assert.doesNotMatch(text, /unresolved-include/, 'the include is reported unresolved');
      },
    },
    ...workspaceChecks(session),
    {
      title: `code-server web worker host: documents of the browser's own file systems reach the server (the web client's selector): ${SCHEME_DOCUMENTS.map((document) => `${document.rule} in ${document.scheme}: ${document.name}`).join(', ')}`,
      async run() {
        const { page } = session();
        await runCommand(page, 'View: Close All Editors');
        await runCommand(page, SCHEME_COMMAND);
        await waitForProblems(page, SCHEME_DOCUMENTS.map((document) => document.rule));
        const text = await problemsText(page);
        for (const document of SCHEME_DOCUMENTS) assert.ok(text.includes(document.name), `the Problems panel names no ${document.name}: ${JSON.stringify(text.slice(0, 600))}`);
      },
    },
    {
      title: 'code-server web worker host: after "virtlint: Restart Language Server" the new worker lints an edit (sldt typed into probe.asm)',
      async run() {
        const { page } = session();
        await openFromExplorer(page, FIXTURE);
        await page.keyboard.press('F1');
        await page.keyboard.type(RESTART_TITLE);
        await page.locator(`.quick-input-widget .monaco-list-row[aria-label*="${RESTART_TITLE}"]`).first().waitFor({ timeout: 10_000 });
        await watchProblemsClear(page, 'sidt');
        await page.keyboard.press('Enter');
        // The old client takes its diagnostics with it; only a working new server brings them back.
        await waitFor("the old server's problems to go", () => page.evaluate(() => (globalThis as unknown as ClearWatch).virtlintProblemsCleared === true), 20_000);
        await waitForProblems(page, ['sidt']);
        await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+End');
        await page.keyboard.type('    sldt ax');
        await waitForProblems(page, ['sldt']);
      },
    },
  ];
}

/** Runs a command from the palette by its title. */
async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.keyboard.type(title);
  await page.locator(`.quick-input-widget .monaco-list-row[aria-label*="${title}"]`).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** The Problems panel's rows for findings of `rule` that the macro of `includer` brings to the include's invocation (line 2). */
function macroRows(text: string, rule: string, includer: string): string[] {
  return text.split('\n').filter((row) => row.includes(`via enter_guest, defined at ${includer}:`) && new RegExp(`virtlint\\(?${rule}\\)?\\[Ln ${INVOCATION_LINE + 1},`).test(row));
}

/** Waits until the Problems panel shows each includer's macro finding on the include. */
async function waitForMacroRows(page: Page, wanted: readonly { rule: string; name: string }[]): Promise<string> {
  let text = '';
  await waitFor(`the include's findings from ${wanted.map((includer) => includer.name).join(', ')}`, async () => {
    text = await problemsText(page);
    return wanted.every((includer) => macroRows(text, includer.rule, includer.name).length > 0);
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; the Problems panel lists: ${JSON.stringify(text.slice(0, 800))}`);
  });
  return text;
}

/**
 * The web extension's workspace (workspaceFixture.ts): shared.inc opened alone, its includers
 * closed. Listed through vscode.workspace.findFiles, configured by the workspace's
 * virtlint.config.json, named by the workspace's own URIs, and watched for changes on disk.
 */
function workspaceChecks(session: () => Session): Check[] {
  return [
    {
      title: `code-server web worker host: ${SHARED.name} opened alone shows the findings its closed includers' macros bring (${INCLUDERS.listed.rule} from ${INCLUDERS.listed.name}, ${INCLUDERS.upperCase.rule} from ${INCLUDERS.upperCase.name}): the workspace is listed`,
      async run() {
        const { page } = session();
        // Closed editors take their problems with them: the panel then lists the include's alone.
        await runCommand(page, 'View: Close All Editors');
        await openFromExplorer(page, SHARED.name);
        await waitForMacroRows(page, [INCLUDERS.listed, INCLUDERS.upperCase]);
      },
    },
    {
      title: `code-server web worker host: the workspace's virtlint.config.json applies (${INCLUDERS.configuredExtension.name} listed by its extension, ${INCLUDERS.ignored.name} ignored, node_modules skipped)`,
      async run() {
        const { page } = session();
        const text = await waitForMacroRows(page, [INCLUDERS.configuredExtension]);
        for (const includer of [INCLUDERS.ignored, INCLUDERS.skipped]) assert.deepEqual(macroRows(text, includer.rule, includer.name.slice(includer.name.lastIndexOf('/') + 1)), [], `${includer.name} was read`);
      },
    },
    {
      title: `code-server web worker host: "Choose the Include Context" names each context's root relative to the workspace (its URI has the workspace's scheme)`,
      async run() {
        const { page } = session();
        await openFromExplorer(page, SHARED.name);
        await runCommand(page, 'virtlint: Choose the Include Context of This File');
        const rows = page.locator('.quick-input-widget .monaco-list-row');
        await rows.first().waitFor({ timeout: 10_000 });
        // Each row: the context's label (`included from main.asm:5, NASM 16-bit`), then its root as a description.
        let shown: string[] = [];
        try {
          await waitFor('the contexts\' roots', async () => {
            shown = await page.evaluate(() => {
              const document = (globalThis as unknown as { document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> } }).document;
              return Array.from(document.querySelectorAll('.quick-input-widget .monaco-list-row .label-description'), (element) => element.textContent ?? '');
            });
            return [INCLUDERS.listed, INCLUDERS.upperCase].every((includer) => shown.includes(includer.name));
          }, 15_000);
        } catch (error) {
          throw new Error(`${error instanceof Error ? error.message : String(error)}; the quick pick's descriptions are ${JSON.stringify(shown)}`);
        } finally {
          await page.keyboard.press('Escape');
        }
      },
    },
    {
      title: `code-server web worker host: ${INCLUDERS.listed.name} changed on disk while closed gives the open include the new macro's sidt (the file watcher reaches the worker)`,
      async run() {
        const { page } = session();
        writeFileSync(path.join(WORKSPACE, INCLUDERS.listed.name), CHANGED_LISTED);
        await waitForMacroRows(page, [{ rule: 'sidt', name: INCLUDERS.listed.name }]);
      },
    },
  ];
}

const WORKSPACE = path.join(CACHE, 'runs', 'web-workspace');

/** A second web extension (fixtures/scheme-extension, installed) serves these files on in-browser file systems and opens them with SCHEME_COMMAND. */
const SCHEME_EXTENSION = path.join(ROOT, 'test', 'web', 'fixtures', 'scheme-extension');
const SCHEME_COMMAND = 'virtlint test: Open Documents of Browser File Systems';
const SCHEME_DOCUMENTS = [
  { scheme: 'memfs', name: 'memfs-probe.asm', rule: 'str' },
  { scheme: 'vscode-test-web', name: 'test-web-probe.asm', rule: 'verr' },
];

export async function runCodeServerTests(outcome: Outcome): Promise<void> {
  let session: Session | undefined;
  const requested: string[] = [];
  let expectedHover: string[] = [];
  const all = checks(() => session!, requested, () => expectedHover);
  try {
    expectedHover = await hoverOnlyProse(FIXTURE, 'nasm', HOVER_WORD);
    const extension = webOnlyExtension();
    const workspace = WORKSPACE;
    rmSync(workspace, { recursive: true, force: true });
    cpSync(path.join(ROOT, 'test', 'vscode', 'fixtures', 'workspace'), workspace, { recursive: true });
    for (const file of [INCLUDER, INCLUDED]) writeFileSync(path.join(workspace, file.name), file.text);
    writeWorkspace(workspace);
    session = await startSession({
      name: 'web',
      log: (line) => console.log(line),
      // Installed, not a second development path: the workbench keeps one extensionDevelopmentPath.
      installVsix: packedTestExtension(SCHEME_EXTENSION),
      viewport: { width: 1280, height: 900 },
      extraSettings: { 'remote.extensionKind': { 'virtlint.virtlint': ['web'] }, 'workbench.colorTheme': 'Default Dark Modern', 'editor.fontSize': 15, 'editor.minimap.enabled': false, 'editor.hover.above': false },
    });
    (session.page as unknown as { on(event: 'request', handler: (request: { url(): string }) => void): void }).on('request', (request) => requested.push(decodeURIComponent(request.url())));
    await session.page.goto(session.url(workspace, [['extensionDevelopmentPath', session.remoteUri(extension)]]), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await session.page.locator('.monaco-workbench').first().waitFor({ timeout: 60_000 });
    await runChecks(all, outcome);
    if (outcome.failed.length > 0) await session.page.screenshot({ path: path.join(session.runDir, 'failure.png') }).catch(() => undefined);
  } catch (error) {
    failAll(all, `setup failed: ${error instanceof Error ? error.message : String(error)}`, outcome);
  } finally {
    await session?.close();
  }
}
