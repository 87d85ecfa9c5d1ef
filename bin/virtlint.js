#!/usr/bin/env node
// virtlint command-line tool. Runs the bundled build if present, else the tsc output.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundled = join(__dirname, '..', 'dist', 'cli.js');
const compiled = join(__dirname, '..', 'out', 'server', 'src', 'main', 'virtlint.js');
const entry = existsSync(bundled) ? bundled : compiled;
if (!existsSync(entry)) {
  process.stderr.write('virtlint: the command-line tool is not built; run `npm run build` first\n');
  process.exit(2);
}
require('./compileCache').requireWithCompileCache(entry).runFromProcess();
