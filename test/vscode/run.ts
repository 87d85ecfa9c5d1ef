// Tier 3: the extension, as built into dist/, loaded from disk into a real VS Code (code-server's
// workbench and extension host, driven by headless Chromium) through @vscode/test-electron's
// runTests() with ./code.sh as the "VS Code executable". Last line: "vscode: N passed, N failed".
//   node out/test/vscode/run.js                 the extension folder itself (dist/ from npm run build)
//   node out/test/vscode/run.js --vsix [FILE]   the packaged extension (default dist/virtlint.vsix), installed first
import { runTests } from '@vscode/test-electron';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CACHE, ROOT, checkInstalled } from './codeServer';
import { EXPECTATIONS_FILE, RESULTS_FILE, type Expectations } from './suite/index';

const FIXTURES = path.join(ROOT, 'test', 'vscode', 'fixtures', 'workspace');
/** Fixtures other tiers own, copied into the workspace rather than kept twice. */
const SHARED_FIXTURES = [path.join(ROOT, 'test', 'fixtures', 'foreign', 'trap-riscv.S')];

function summary(passed: number, failed: number): void {
  console.log(`vscode: ${passed} passed, ${failed} failed`);
}

function vsixArgument(argv: string[]): string | undefined {
  const index = argv.indexOf('--vsix');
  if (index < 0) return undefined;
  const next = argv[index + 1];
  return path.resolve(next && !next.startsWith('-') ? next : path.join(ROOT, 'dist', 'virtlint.vsix'));
}

async function main(): Promise<number> {
  const vsix = vsixArgument(process.argv.slice(2));
  try {
    checkInstalled();
    const required = vsix ? [vsix] : [path.join(ROOT, 'dist', 'client.js'), path.join(ROOT, 'dist', 'server.js')];
    for (const file of required) {
      if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing; run: ${vsix ? 'npm run package' : 'npm run build'}`);
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
  for (const file of SHARED_FIXTURES) cpSync(file, path.join(workspace, path.basename(file)));
  rmSync(RESULTS_FILE, { force: true });
  const expectations: Expectations = vsix ? { mode: 'vsix' } : { mode: 'folder', extensionPath: ROOT };
  mkdirSync(path.dirname(EXPECTATIONS_FILE), { recursive: true });
  writeFileSync(EXPECTATIONS_FILE, JSON.stringify(expectations));
  console.log(vsix ? `vscode: testing the installed ${path.relative(ROOT, vsix)}` : 'vscode: testing the extension folder (dist/)');

  let runError: string | undefined;
  try {
    await runTests({
      vscodeExecutablePath: path.join(ROOT, 'test', 'vscode', 'code.sh'),
      extensionDevelopmentPath: vsix ? path.join(ROOT, 'test', 'vscode', 'host-extension') : ROOT,
      extensionTestsPath: path.join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js'),
      launchArgs: vsix ? [workspace, `--virtlint-install-vsix=${vsix}`] : [workspace],
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
