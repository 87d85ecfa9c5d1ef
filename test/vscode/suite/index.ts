// Loaded by the extension host as extensionTestsPath: runs every suite/*.test.js with mocha and
// writes the counts to a JSON file for run.ts (the host's console output only reaches the
// runner as unformatted text).
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';

export const RESULTS_FILE = path.resolve(__dirname, '..', '..', '..', '..', '.vscode-test', 'results', 'vscode.json');
/** Written by run.ts before the run: which copy of the extension the tests must find. */
export const EXPECTATIONS_FILE = path.resolve(__dirname, '..', '..', '..', '..', '.vscode-test', 'results', 'expectations.json');

export type Expectations = { mode: 'folder'; extensionPath: string } | { mode: 'vsix' };

interface MochaRunner {
  on(event: 'pass' | 'fail' | 'pending', handler: (test: { fullTitle(): string }, error?: Error) => void): void;
}
interface MochaInstance {
  addFile(file: string): void;
  loadFilesAsync(): Promise<void>;
  run(done: (failures: number) => void): MochaRunner;
}
type MochaConstructor = new (options: object) => MochaInstance;

// mocha 12 is an ES module; a real dynamic import (not one TypeScript rewrites to require) loads it.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<{ default: MochaConstructor }>;

export async function run(): Promise<void> {
  const { default: Mocha } = await importModule('mocha');
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  for (const file of readdirSync(__dirname).filter((name) => name.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, file));
  await mocha.loadFilesAsync();
  const passed: string[] = [];
  const failed: { title: string; error: string }[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('pass', (test) => passed.push(test.fullTitle()));
    runner.on('fail', (test, error) => failed.push({ title: test.fullTitle(), error: error?.message ?? 'failed' }));
    // A skipped test proves nothing, so it counts as a failure.
    runner.on('pending', (test) => failed.push({ title: test.fullTitle(), error: 'skipped (pending)' }));
  });
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify({ passed, failed }, null, 2));
  console.log(`vscode: ${passed.length} passed, ${failed.length} failed`);
  if (failures > 0 || failed.length > 0) throw new Error(`${Math.max(failures, failed.length)} test(s) failed`);
}
