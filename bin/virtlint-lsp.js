#!/usr/bin/env node
// virtlint language server. Usage: virtlint-lsp --stdio (or --node-ipc).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write('Usage: virtlint-lsp [--stdio | --node-ipc | --socket=PORT | --pipe=NAME]\n' +
    'The virtlint language server (defaults to --stdio). Settings come from the editor, section "virtlint".\n');
  process.exit(0);
}
const bundled = join(__dirname, '..', 'dist', 'server.js');
const compiled = join(__dirname, '..', 'out', 'server', 'src', 'lsp', 'main.js');
const entry = existsSync(bundled) ? bundled : compiled;
if (!existsSync(entry)) {
  process.stderr.write('virtlint-lsp: the server is not built; run `npm run build` first\n');
  process.exit(2);
}
if (!process.argv.slice(2).some((arg) => arg === '--stdio' || arg === '--node-ipc' || arg.startsWith('--socket') || arg.startsWith('--pipe'))) {
  process.argv.push('--stdio');
}
require('./compileCache').requireWithCompileCache(entry, { cacheWhat: 'top-level' });
