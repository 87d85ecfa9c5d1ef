// The `virtlint` executable: `virtlint scan …` goes to the scan command, everything else to the
// lint command. bin/virtlint.js and the bundle dist/cli.js start here.
// Each command is required when it runs, not imported: a scan never loads the lint command and
// its project model, and a lint never loads the scanner (start-up is most of a small run).
import { isMainThread } from 'node:worker_threads';
import { EXIT_UNUSABLE, type CommandIo } from '../cli/processBasics';
import { useLintEngineFlags } from './engineFlags';
import { runWithProcess, type RunCommand } from './process';

type RunScan = RunCommand;

export function main(argv: string[], io: CommandIo): Promise<number> {
  if (argv[0] === 'scan') return runScanCommand(argv.slice(1), io);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runLint } = require('../cli/main') as { runLint: RunCommand };
  return runLint(argv, io);
}

/** A lint worker thread (--jobs) runs this same script and serves jobs instead. */
function servedAsLintWorker(): boolean {
  if (isMainThread) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { serveIfLintWorker } = require('../cli/parallel') as { serveIfLintWorker: () => boolean };
  return serveIfLintWorker();
}

/** Loaded on demand: linting never pays for the scanner, and a build without it still lints. */
async function runScanCommand(argv: string[], io: CommandIo): Promise<number> {
  let runScan: RunScan | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    runScan = (require('../scan/command') as { runScan?: RunScan }).runScan;
  } catch (e) {
    io.stderr.write(`virtlint scan: the binary scanner could not be loaded: ${(e as Error).message}\n`);
    return EXIT_UNUSABLE;
  }
  if (typeof runScan !== 'function') {
    io.stderr.write('virtlint scan: the binary scanner is not part of this build\n');
    return EXIT_UNUSABLE;
  }
  return runScan(argv, io);
}

/** Runs against the real process (bin/virtlint.js, or this file run directly). */
export function runFromProcess(): void {
  const argv = process.argv.slice(2);
  // Process-wide, so here and not in `main`, which tests call in their own process.
  if (argv[0] !== 'scan') useLintEngineFlags();
  runWithProcess(main, argv);
}

if (!servedAsLintWorker() && require.main === module) runFromProcess();
