#!/usr/bin/env node
// virtlint command-line tool. Runs the bundled build if present, else the tsc output. A scan loads
// its own smaller bundle (dist/scan.js): it never needs the lint command.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const scanning = process.argv[2] === 'scan';
const bundled = join(__dirname, '..', 'dist', scanning ? 'scan.js' : 'cli.js');
const compiled = join(__dirname, '..', 'out', 'server', 'src', 'main', scanning ? 'scan.js' : 'virtlint.js');
const entry = existsSync(bundled) ? bundled : compiled;
if (!existsSync(entry)) {
  process.stderr.write('virtlint: the command-line tool is not built; run `npm run build` first\n');
  process.exit(2);
}
// A scan is over in a fraction of a second: V8's optimizing tier for iced-x86's WebAssembly would
// compile hot decoder and formatter functions on other threads for about a fifth of a kernel scan's
// CPU time, and the run ends before it pays off. Liftoff (the baseline tier) alone is enough.
// Set before the bundle loads, so that its compile cache always sees the same flags. V8 has had
// the flag since 8.x; on an engine without it nothing is set (an unknown flag is reported on stderr).
if (scanning && /^(9|1[0-3])\./.test(process.versions.v8)) require('node:v8').setFlagsFromString('--liftoff-only');
// A lint run is over in seconds too: with TurboFan's inlining, and with functions optimized early,
// its optimizing compiles cost more than the faster code gains back (server/src/main/engineFlags.ts,
// which sets the same flags again when the bundle runs without this launcher, says by how much).
if (!scanning && /^(9|1[0-4])\./.test(process.versions.v8)) {
  for (const flag of ['--no-turbo-inlining', '--interrupt-budget=200000']) require('node:v8').setFlagsFromString(flag);
}
const loaded = require('./compileCache').requireWithCompileCache(entry);
if (scanning) loaded.runScanFromProcess(process.argv.slice(3));
else loaded.runFromProcess();
