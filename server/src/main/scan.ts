// `virtlint scan …` on its own: bin/virtlint.js loads this bundle (dist/scan.js) for a scan, so a
// scan compiles and loads neither the lint command nor the text pipeline (start-up is a large part
// of a scan's time; see BENCHMARKS.md). dist/cli.js still runs `scan` itself when started directly.
import { runScan } from '../scan/command';
import { runWithProcess } from './process';

/** `argv` is what follows `scan`. */
export function runScanFromProcess(argv: string[] = process.argv.slice(3)): void {
  runWithProcess(runScan, argv);
}

if (require.main === module) runScanFromProcess(process.argv.slice(2));
