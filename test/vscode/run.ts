// Tier 3: the extension, as built into dist/, loaded from disk into a real VS Code (code-server's
// workbench and extension host, driven by headless Chromium) through @vscode/test-electron's
// runTests() with ./code.sh as the "VS Code executable". Last line: "vscode: N passed, N failed".
import { runTests } from '@vscode/test-electron';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { CACHE, ROOT, checkInstalled } from './codeServer';
import { RESULTS_FILE } from './suite/index';

const FIXTURES = path.join(ROOT, 'test', 'vscode', 'fixtures', 'workspace');

function summary(passed: number, failed: number): void {
  console.log(`vscode: ${passed} passed, ${failed} failed`);
}

async function main(): Promise<number> {
  try {
    checkInstalled();
    for (const built of ['dist/client.js', 'dist/server.js']) {
      if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing; run: npm run build`);
    }
  } catch (error) {
    console.error(`vscode: ${error instanceof Error ? error.message : String(error)}`);
    summary(0, 1);
    return 1;
  }
  // The tests edit documents; each run starts from a fresh copy of the fixtures.
  const workspace = path.join(CACHE, 'runs', 'workspace');
  rmSync(workspace, { recursive: true, force: true });
  cpSync(FIXTURES, workspace, { recursive: true });
  rmSync(RESULTS_FILE, { force: true });

  let runError: string | undefined;
  try {
    await runTests({
      vscodeExecutablePath: path.join(ROOT, 'test', 'vscode', 'code.sh'),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js'),
      launchArgs: [workspace],
    });
  } catch (error) {
    runError = error instanceof Error ? error.message : String(error);
  }

  if (!existsSync(RESULTS_FILE)) {
    console.error(`vscode: the test run produced no results (${runError ?? 'no error reported'})`);
    summary(0, 1);
    return 1;
  }
  const results = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as { passed: string[]; failed: { title: string; error: string }[] };
  for (const failure of results.failed) console.error(`  FAILED ${failure.title}: ${failure.error}`);
  const failed = results.failed.length + (runError && results.failed.length === 0 ? 1 : 0);
  if (runError && results.failed.length === 0) console.error(`vscode: ${runError}`);
  summary(results.passed.length, failed);
  return failed > 0 ? 1 : 0;
}

main().then((code) => process.exit(code));
