// Headless Chromium through playwright-core, both from the vscode tier's kit (scripts/e2e-setup.sh).
import * as path from 'node:path';
import { CACHE, checkInstalled } from '../vscode/codeServer';

const PLAYWRIGHT = path.join(CACHE, 'tools', 'node_modules', 'playwright-core');

/** The slice of playwright's Page the worker test uses. */
export interface WorkerPage {
  goto(url: string, options?: { waitUntil?: string; timeout?: number }): Promise<unknown>;
  evaluate<T, A>(fn: (argument: A) => T | Promise<T>, argument: A): Promise<T>;
  on(event: 'console', handler: (message: { type(): string; text(): string }) => void): void;
}

export interface OpenBrowser {
  page: WorkerPage;
  /** Another page of the same browser (a second test page: its own worker, its own server). */
  newPage(): Promise<WorkerPage>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<OpenBrowser> {
  checkInstalled();
  const playwright = require(PLAYWRIGHT) as {
    chromium: { launch(options: object): Promise<{ newPage(): Promise<WorkerPage>; close(): Promise<void> }> };
  };
  const browser = await playwright.chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { page: await browser.newPage(), newPage: () => browser.newPage(), close: () => browser.close() };
}
