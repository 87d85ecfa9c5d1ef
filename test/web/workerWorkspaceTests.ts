// Part (b), the workspace: dist/web/server.js in a plain Worker given a workspace folder of a
// scheme that is not `file:` (`vscode-test-web:`, as in VS Code's web test host), whose files only
// the test's client can read or list (virtlint/readFile, virtlint/listFiles), next to the Node
// server given the same folder on disk. An include is opened alone; its includers stay closed, so
// what it shows comes from the listing, the configuration, the contexts and the watched changes.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient } from '../../scripts/lspClient';
import { SELECT_CONTEXT_COMMAND, type FileContextInfo, type FileInfoParams } from '../../server/src/lsp/protocol';
import { ROOT } from '../vscode/codeServer';
import type { OpenBrowser } from './browser';
import { initializeParams, type Diagnostic, type LspDriver } from './scenario';
import { failAll, runChecks, type Check, type Outcome } from './tier';
import { WorkerLspClient } from './workerClient';
import { CHANGED_LISTED, CREATED, HEADER, HEADER_CHANGED, HEADER_INCLUDER, INCLUDERS, LATE_HEADER, LATE_HEADER_INCLUDER, INVOCATION_LINE, LISTED_RULES, SHARED, UNLISTED_RULES, writeWorkspace } from './workspaceFixture';

/** The folder as the worker's client names it: not a `file:` URI, so only the client can read it. */
const WEB_FOLDER = 'vscode-test-web://mount/project';
const FILE_CHANGED = { created: 1, changed: 2, deleted: 3 } as const;
const WAIT_MS = 30_000;

interface WorkspaceClient {
  folder: string;
  asked: { readFile: string[]; listFiles: unknown[] };
  readFile(params: unknown): unknown;
  listFiles(params: unknown): unknown;
}

/** What VS Code's web client does, over the test's folder: reads by URI, lists as browserWorkspaceFiles.ts does. */
function workspaceClient(folder: string): WorkspaceClient {
  const asked = { readFile: [] as string[], listFiles: [] as unknown[] };
  const fileOf = (uri: string): string | undefined => (uri.startsWith(`${WEB_FOLDER}/`) ? path.join(folder, decodeURIComponent(uri.slice(WEB_FOLDER.length + 1))) : undefined);
  return {
    folder,
    asked,
    readFile(params) {
      const uri = String((params as { uri?: unknown } | null)?.uri);
      asked.readFile.push(uri);
      const file = fileOf(uri);
      try {
        if (file === undefined || !statSync(file).isFile()) return { missing: true };
        return { text: readFileSync(file, 'utf8') };
      } catch {
        return { missing: true };
      }
    },
    listFiles(params) {
      asked.listFiles.push(params);
      const { folders, extensions, skippedFolders, maxFiles } = params as { folders: string[]; extensions: string[]; skippedFolders: string[]; maxFiles: number };
      const wanted = new Set(extensions.map((extension) => extension.toLowerCase()));
      const uris: string[] = [];
      const walk = (directory: string, uri: string): void => {
        for (const entry of readdirSync(directory, { withFileTypes: true })) {
          if (entry.isDirectory()) {
            if (!skippedFolders.includes(entry.name)) walk(path.join(directory, entry.name), `${uri}/${entry.name}`);
          } else if (wanted.has(path.extname(entry.name).toLowerCase())) uris.push(`${uri}/${entry.name}`);
        }
      };
      for (const root of folders) if (root === WEB_FOLDER) walk(folder, WEB_FOLDER);
      return { uris: uris.slice(0, maxFiles), truncated: uris.length > maxFiles };
    },
  };
}

interface Side {
  driver: LspDriver;
  /** The folder's URI on this side. */
  folderUri: string;
  forget(): Promise<void>;
}

function sharedUri(side: Side): string {
  return `${side.folderUri}/${SHARED.name}`;
}

function rulesAtInvocation(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.filter((diagnostic) => diagnostic.range.start.line === INVOCATION_LINE).map((diagnostic) => String(diagnostic.code));
}

/**
 * The diagnostics with the side's folder URI in their related information (the macro bodies)
 * written as `<folder>`, so that a side naming a body by any other URI (a `file:` link from the
 * worker) differs. There is at least one such link, or the comparison would prove nothing.
 */
function comparable(diagnostics: readonly Diagnostic[], side: Side): unknown {
  const links = diagnostics.flatMap((diagnostic) => diagnostic.relatedInformation ?? []);
  assert.ok(links.length > 0, `no related information in ${side.folderUri}'s diagnostics`);
  const inFolder = (uri: string): string => (uri.startsWith(`${side.folderUri}/`) ? `<folder>${uri.slice(side.folderUri.length)}` : uri);
  return diagnostics
    .map(({ codeDescription: _link, relatedInformation, ...rest }) => ({ ...rest, related: relatedInformation?.map(({ location, message }) => ({ uri: inFolder(location.uri), range: location.range, message })) }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function initializeIn(side: Side): Promise<void> {
  await side.driver.request('initialize', { ...initializeParams(), rootUri: side.folderUri, workspaceFolders: [{ uri: side.folderUri, name: 'project' }] });
  side.driver.notify('initialized', {});
}

/** The first diagnostics published for the include that `match` accepts (from now on, or already received by the worker). */
async function sharedDiagnostics(side: Side, match: (rules: string[]) => boolean): Promise<Diagnostic[]> {
  const params = await side.driver.waitFor('textDocument/publishDiagnostics', (published) => published.uri === sharedUri(side) && match(rulesAtInvocation(published.diagnostics as Diagnostic[])), WAIT_MS);
  return params.diagnostics as Diagnostic[];
}

/** Tells the server of a change on disk, as VS Code's watcher does through the client. */
function notifyChanged(side: Side, name: string, type: number): void {
  side.driver.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: `${side.folderUri}/${name}`, type }] });
}

function includesAll(rules: string[], wanted: readonly string[]): boolean {
  return wanted.every((rule) => rules.includes(rule));
}

function checks(sides: () => { worker: Side; node: Side }, files: WorkspaceClient): Check[] {
  let withConfiguration: Promise<[Diagnostic[], Diagnostic[]]> | undefined;
  const both = async <T>(ask: (side: Side) => Promise<T>): Promise<[T, T]> => settled([ask(sides().worker), ask(sides().node)]);
  /** Starts waiting on both sides, runs `change` on disk and tells both servers, then returns what each published. */
  const afterChange = async (change: () => void, name: string, type: number, match: (rules: string[]) => boolean): Promise<{ worker: Diagnostic[]; node: Diagnostic[] }> => {
    const { worker, node } = sides();
    await worker.forget();
    const waits = [sharedDiagnostics(worker, match), sharedDiagnostics(node, match)] as const;
    change();
    for (const side of [worker, node]) notifyChanged(side, name, type);
    const [fromWorker, fromNode] = await settled(waits);
    return { worker: fromWorker, node: fromNode };
  };
  return [
    {
      title: `worker workspace: ${SHARED.name} opened alone gets the findings of its closed includers listed through virtlint/listFiles (${INCLUDERS.listed.rule} from ${INCLUDERS.listed.name}, ${INCLUDERS.upperCase.rule} from ${INCLUDERS.upperCase.name})`,
      async run() {
        const { worker, node } = sides();
        await both(initializeIn);
        // The Node client sees only what comes after it starts waiting: both waits start before the include opens.
        const listed = (rules: string[]) => includesAll(rules, [INCLUDERS.listed.rule, INCLUDERS.upperCase.rule]);
        const configured = (rules: string[]) => includesAll(rules, LISTED_RULES);
        const nodeWaits = [sharedDiagnostics(node, listed), sharedDiagnostics(node, configured)] as const;
        withConfiguration = settled([sharedDiagnostics(worker, configured), nodeWaits[1]]);
        withConfiguration.catch(() => undefined);
        for (const side of [worker, node]) side.driver.notify('textDocument/didOpen', { textDocument: { uri: sharedUri(side), languageId: 'nasm', version: 1, text: SHARED.text } });
        await settled([sharedDiagnostics(worker, listed), nodeWaits[0]]);
        const listing = files.asked.listFiles.at(-1) as { folders: string[]; extensions: string[]; skippedFolders: string[]; maxFiles: number } | undefined;
        assert.ok(listing, 'the worker never asked for a listing');
        assert.deepEqual(listing.folders, [WEB_FOLDER]);
        assert.ok(listing.skippedFolders.includes('node_modules') && listing.extensions.includes('.asm') && listing.maxFiles > 0, `the listing asked for ${JSON.stringify(listing)}`);
      },
    },
    {
      title: `worker workspace: ${CONFIG_NAME} of the vscode-test-web: folder, read through virtlint/readFile, adds ${INCLUDERS.configuredExtension.name} (its extension) and leaves out ${INCLUDERS.ignored.name} (its ignore); the findings, with their links to the macro bodies (related information), equal the Node server's`,
      async run() {
        assert.ok(withConfiguration, 'the include was not opened');
        const [fromWorker, fromNode] = await withConfiguration;
        const rules = rulesAtInvocation(fromWorker);
        assert.ok(rules.includes(INCLUDERS.configuredExtension.rule), `no ${INCLUDERS.configuredExtension.rule} from ${INCLUDERS.configuredExtension.name}: ${rules.join(', ')}`);
        for (const rule of UNLISTED_RULES) assert.ok(!rules.includes(rule), `${rule} comes from a file the listing should leave out`);
        assert.ok(files.asked.readFile.includes(`${WEB_FOLDER}/${CONFIG_NAME}`), `${CONFIG_NAME} was never asked for`);
        assert.deepEqual(comparable(fromWorker, sides().worker), comparable(fromNode, sides().node));
      },
    },
    {
      title: `worker workspace: the contexts of ${SHARED.name} name their includers by vscode-test-web: URIs, as the Node server names them by file: URIs`,
      async run() {
        const worker = await currentContexts(sides().worker);
        for (const includer of [INCLUDERS.listed, INCLUDERS.upperCase]) assert.ok(worker.some((context) => context.rootUri === `${WEB_FOLDER}/${includer.name}`), `no context from ${includer.name}: ${JSON.stringify(worker)}`);
        for (const context of worker) {
          assert.ok(context.rootUri.startsWith(`${WEB_FOLDER}/`), `a context's root is ${context.rootUri}`);
          assert.ok(context.includedFrom?.uri.startsWith(`${WEB_FOLDER}/`), `a context is included from ${context.includedFrom?.uri}`);
        }
        const node = sides().node;
        // The Node server's contexts, its folder's URI swapped for the worker's.
        const renamed = JSON.parse(JSON.stringify(await currentContexts(node)).split(node.folderUri).join(WEB_FOLDER)) as FileContextInfo[];
        assert.deepEqual(byRoot(worker), byRoot(renamed));
      },
    },
    {
      title: `worker workspace: ${INCLUDERS.listed.name} changed on disk (workspace/didChangeWatchedFiles) gives the open include the new macro's sidt, as on the Node server`,
      async run() {
        const answers = await afterChange(() => writeFileSync(path.join(files.folder, INCLUDERS.listed.name), CHANGED_LISTED), INCLUDERS.listed.name, FILE_CHANGED.changed, (rules) => rules.includes('sidt'));
        assert.deepEqual(comparable(answers.worker, sides().worker), comparable(answers.node, sides().node));
      },
    },
    {
      title: `worker workspace: ${CREATED.name} created on disk and then deleted (workspace/didChangeWatchedFiles) brings its ${CREATED.rule} to the include and takes it away, as on the Node server`,
      async run() {
        const created = await afterChange(() => writeFileSync(path.join(files.folder, CREATED.name), CREATED.text), CREATED.name, FILE_CHANGED.created, (rules) => rules.includes(CREATED.rule));
        assert.deepEqual(comparable(created.worker, sides().worker), comparable(created.node, sides().node));
        const deleted = await afterChange(() => rmSync(path.join(files.folder, CREATED.name)), CREATED.name, FILE_CHANGED.deleted, (rules) => !rules.includes(CREATED.rule) && rules.includes('sidt'));
        assert.deepEqual(comparable(deleted.worker, sides().worker), comparable(deleted.node, sides().node));
      },
    },
    {
      title: `worker workspace: ${LATE_HEADER.name}, a header ${LATE_HEADER_INCLUDER.name} includes but that is not there yet, created on disk (workspace/didChangeWatchedFiles) resolves the include and brings its macro's ${LATE_HEADER.rule}, as on the Node server`,
      async run() {
        const { worker, node } = sides();
        const includerUri = (side: Side): string => `${side.folderUri}/${LATE_HEADER_INCLUDER.name}`;
        const published = (side: Side, match: (rules: string[]) => boolean): Promise<Diagnostic[]> =>
          side.driver.waitFor('textDocument/publishDiagnostics', (params) => params.uri === includerUri(side) && match((params.diagnostics as Diagnostic[]).map((diagnostic) => String(diagnostic.code))), WAIT_MS).then((params) => params.diagnostics as Diagnostic[]);
        const unresolved = (rules: string[]): boolean => rules.includes('unresolved-include');
        const resolved = (rules: string[]): boolean => rules.includes(LATE_HEADER.rule) && !unresolved(rules);
        await worker.forget();
        const opened = settled([published(worker, unresolved), published(node, unresolved)]);
        for (const side of [worker, node]) side.driver.notify('textDocument/didOpen', { textDocument: { uri: includerUri(side), languageId: 'nasm', version: 1, text: LATE_HEADER_INCLUDER.text } });
        await opened;
        await worker.forget();
        const created = settled([published(worker, resolved), published(node, resolved)]);
        writeFileSync(path.join(files.folder, LATE_HEADER.name), LATE_HEADER.text);
        for (const side of [worker, node]) notifyChanged(side, LATE_HEADER.name, FILE_CHANGED.created);
        const [fromWorker, fromNode] = await created;
        assert.deepEqual(comparable(fromWorker, worker), comparable(fromNode, node));
      },
    },
    {
      title: `worker workspace: ${HEADER.name}, a header neither listed nor read by a C file, changed on disk (workspace/didChangeWatchedFiles) gives its open includer ${HEADER_INCLUDER.name} the new macro's ${HEADER_CHANGED.rule}, as on the Node server`,
      async run() {
        const { worker, node } = sides();
        const includerUri = (side: Side): string => `${side.folderUri}/${HEADER_INCLUDER.name}`;
        const published = (side: Side, rule: string): Promise<Diagnostic[]> =>
          side.driver.waitFor('textDocument/publishDiagnostics', (params) => params.uri === includerUri(side) && (params.diagnostics as Diagnostic[]).some((diagnostic) => diagnostic.code === rule), WAIT_MS).then((params) => params.diagnostics as Diagnostic[]);
        await worker.forget();
        const opened = settled([published(worker, 'pushf'), published(node, 'pushf')]);
        for (const side of [worker, node]) side.driver.notify('textDocument/didOpen', { textDocument: { uri: includerUri(side), languageId: 'nasm', version: 1, text: HEADER_INCLUDER.text } });
        await opened;
        assert.ok(files.asked.readFile.includes(`${WEB_FOLDER}/${HEADER.name}`), `${HEADER.name} was never asked for`);
        await worker.forget();
        const changed = settled([published(worker, HEADER_CHANGED.rule), published(node, HEADER_CHANGED.rule)]);
        writeFileSync(path.join(files.folder, HEADER.name), HEADER_CHANGED.text);
        for (const side of [worker, node]) notifyChanged(side, HEADER.name, FILE_CHANGED.changed);
        const [fromWorker, fromNode] = await changed;
        assert.deepEqual(comparable(fromWorker, worker), comparable(fromNode, node));
      },
    },
  ];
}

const CONFIG_NAME = 'virtlint.config.json';

/** Both answers; a failure of either is thrown once both have settled (no rejection is left unhandled). */
async function settled<A, B>(promises: readonly [Promise<A>, Promise<B>]): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled(promises);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}

function byRoot(contexts: readonly FileContextInfo[]): FileContextInfo[] {
  return contexts.slice().sort((a, b) => a.rootUri.localeCompare(b.rootUri));
}

/** The include's contexts now: a server announces its file info only when it changes, and answers a context selection with it. */
async function currentContexts(side: Side): Promise<FileContextInfo[]> {
  const info = await side.driver.request<FileInfoParams | null>('workspace/executeCommand', { command: SELECT_CONTEXT_COMMAND, arguments: [{ uri: sharedUri(side), context: -1 }] });
  return info?.contexts ?? [];
}

/** `browser` and `pageUrl` undefined: the worker page could not be set up, and every check fails. */
export async function runWorkerWorkspaceTests(browser: OpenBrowser | undefined, pageUrl: string | undefined, outcome: Outcome): Promise<void> {
  if (!browser || pageUrl === undefined) {
    failAll(checks(() => undefined as never, workspaceClient('')), 'setup failed: no browser page', outcome);
    return;
  }
  const folder = mkdtempSync(path.join(tmpdir(), 'virtlint-web-workspace-'));
  writeWorkspace(folder);
  const files = workspaceClient(folder);
  let node: LspClient | undefined;
  let current: { worker: Side; node: Side } | undefined;
  const all = checks(() => current!, files);
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl, { waitUntil: 'load', timeout: 30_000 });
    await page.evaluate(() => (globalThis as unknown as { sendWasm(): Promise<void> }).sendWasm(), undefined);
    const worker = new WorkerLspClient(page, (params) => files.readFile(params), (params) => files.listFiles(params));
    node = new LspClient(path.join(ROOT, 'dist', 'server.js'));
    current = {
      worker: { driver: worker, folderUri: WEB_FOLDER, forget: () => worker.forgetNotifications() },
      node: { driver: node, folderUri: pathToFileURL(folder).href, forget: () => Promise.resolve() },
    };
    await runChecks(all, outcome);
  } catch (error) {
    failAll(all, `setup failed: ${error instanceof Error ? error.message : String(error)}`, outcome);
  } finally {
    await node?.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
