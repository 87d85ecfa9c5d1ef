// The import rules of ARCHITECTURE.md, checked on the real tree so they cannot rot, and on a
// tree with one bad import added so the check itself is known to bite.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface SourceFile {
  /** Repository-relative, with `/`. */
  path: string;
  text: string;
}

interface Layer {
  name: string;
  folder: string;
  /** Layers (by name) this one may import, itself included. */
  layers: readonly string[];
  /** npm packages it may import (a prefix match: `vscode-languageserver` covers its sub-paths). */
  packages: readonly string[];
  /** Node built-ins it may import; `*` for any. Pure layers get none: no file system, no process, no transport. */
  builtins: readonly string[] | '*';
  /** Single files of other layers it may import besides whole layers. */
  files?: readonly string[];
}

/**
 * The contract between the VS Code client and the server: the notifications they exchange and
 * the settings list (which also writes package.json). Both sides import it; it imports only
 * itself and the analysis types, so the client bundle stays free of the server.
 */
const CLIENT_SERVER_CONTRACT = ['server/src/lsp/protocol.ts', 'server/src/lsp/settings.ts', 'server/src/analysis/types.ts'];

export const LAYERS: readonly Layer[] = [
  { name: 'analysis', folder: 'server/src/analysis', layers: ['analysis'], packages: ['iced-x86'], builtins: [] },
  // Decoding binaries is computation on bytes: pure like the analysis (zlib inflates compressed sections).
  { name: 'binary', folder: 'server/src/binary', layers: ['binary', 'analysis'], packages: ['iced-x86'], builtins: ['zlib'] },
  { name: 'report', folder: 'server/src/report', layers: ['report', 'analysis'], packages: [], builtins: ['path', 'url'] },
  { name: 'host', folder: 'server/src/host', layers: ['host', 'report', 'analysis'], packages: ['picomatch'], builtins: '*' },
  { name: 'cli', folder: 'server/src/cli', layers: ['cli', 'report', 'host', 'analysis'], packages: ['diff', 'picomatch'], builtins: '*' },
  { name: 'scan', folder: 'server/src/scan', layers: ['scan', 'binary', 'report', 'host', 'analysis'], packages: [], builtins: '*' },
  { name: 'lsp', folder: 'server/src/lsp', layers: ['lsp', 'host', 'analysis'], packages: ['vscode-languageserver', 'vscode-languageserver-textdocument', 'picomatch'], builtins: '*' },
  { name: 'entry', folder: 'server/src/main', layers: ['entry', 'cli', 'scan'], packages: [], builtins: '*' },
  { name: 'client', folder: 'client/src', layers: ['client'], packages: ['vscode', 'vscode-languageclient'], builtins: '*', files: CLIENT_SERVER_CONTRACT },
];

const BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/**
 * What other layers may import of the core: its public surfaces (ARCHITECTURE.md). The iced facts
 * and the rule classification are their own surface, so the scanner's worker bundle gets them
 * without the text pipeline.
 */
const ANALYSIS_SURFACES = ['index.ts', 'types.ts', 'project/index.ts', 'embedded/index.ts', 'catalogue/index.ts', 'fixes/index.ts', 'hover/index.ts', 'idioms/index.ts', 'resolve/iced.ts', 'resolve/classify.ts'].map(
  (file) => `server/src/analysis/${file}`,
);

function layerOf(file: string): Layer | undefined {
  return LAYERS.find((layer) => file === layer.folder || file.startsWith(`${layer.folder}/`));
}

/** Every module a file names: imports, re-exports, `import()` and `require()`. */
export function importedModules(text: string): string[] {
  const found = ts.preProcessFile(text, true, true).importedFiles.map((ref) => ref.fileName);
  for (const match of text.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]!);
  return found;
}

export function importViolations(files: readonly SourceFile[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const layer = layerOf(file.path);
    if (!layer) {
      violations.push(`${file.path}: belongs to no layer of ARCHITECTURE.md`);
      continue;
    }
    for (const specifier of importedModules(file.text)) {
      const problem = checkImport(file.path, layer, specifier);
      if (problem) violations.push(`${file.path}: ${problem}`);
      const target = relativeTarget(file.path, specifier);
      if (CLIENT_SERVER_CONTRACT.includes(file.path) && target && !CLIENT_SERVER_CONTRACT.includes(target)) {
        violations.push(`${file.path}: is part of the client/server contract and may import only the contract's files (${specifier})`);
      }
    }
  }
  return violations;
}

/** The repository path of a relative import's file (`x` → `x.ts` or `x/index.ts`), else undefined. */
function relativeTarget(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  return fs.existsSync(path.join(ROOT, `${base}.ts`)) ? `${base}.ts` : `${base}/index.ts`;
}

function checkImport(file: string, layer: Layer, specifier: string): string | undefined {
  const target = relativeTarget(file, specifier);
  if (target) {
    const targetLayer = layerOf(target);
    if (!targetLayer) return `imports ${specifier}, outside every layer`;
    if (layer.files?.includes(target)) return undefined;
    if (targetLayer.name === 'analysis' && layer.name !== 'analysis' && layer.layers.includes('analysis') && !ANALYSIS_SURFACES.includes(target)) {
      return `reaches into the analysis core (${specifier}); import its public surface instead (analysis, catalogue, fixes or hover)`;
    }
    if (layer.layers.includes(targetLayer.name)) return undefined;
    return `the ${layer.name} layer may not import the ${targetLayer.name} layer (${specifier})`;
  }
  const bare = specifier.replace(/^node:/, '');
  if (specifier.startsWith('node:') || BUILTINS.has(bare.split('/')[0]!)) {
    if (layer.builtins === '*' || layer.builtins.includes(bare)) return undefined;
    return `the ${layer.name} layer is pure and may not import the Node built-in ${specifier}`;
  }
  const allowed = layer.packages.some((name) => specifier === name || specifier.startsWith(`${name}/`));
  return allowed ? undefined : `the ${layer.name} layer may not import the package ${specifier}`;
}

function sourceFiles(): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push({ path: relative, text: fs.readFileSync(path.join(ROOT, relative), 'utf8') });
    }
  };
  walk('server/src');
  walk('client/src');
  return files;
}

describe('architecture: import rules', () => {
  const files = sourceFiles();

  it('reads the whole tree (the check is not vacuous)', () => {
    for (const layer of LAYERS) assert.ok(files.some((f) => layerOf(f.path) === layer), `no source file in ${layer.folder}`);
  });

  it('the tree keeps every rule', () => {
    assert.deepEqual(importViolations(files), []);
  });

  const withLine = (file: string, line: string): SourceFile[] => {
    const target = files.find((f) => f.path === file);
    assert.ok(target, `${file} is missing`);
    return files.map((f) => (f === target ? { path: f.path, text: `${line}\n${f.text}` } : f));
  };

  it('catches the file system in the analysis core', () => {
    const violations = importViolations(withLine('server/src/analysis/index.ts', "import * as fs from 'fs';"));
    assert.deepEqual(violations, ['server/src/analysis/index.ts: the analysis layer is pure and may not import the Node built-in fs']);
  });

  it('catches the scanner importing the CLI, and the CLI importing the scanner', () => {
    const scanFile = files.find((f) => f.path.startsWith('server/src/scan/'))!.path;
    const depth = scanFile.split('/').length - 3;
    const up = '../'.repeat(depth);
    assert.match(importViolations(withLine(scanFile, `import { main } from '${up}cli/main';`)).join('\n'), /the scan layer may not import the cli layer/);
    assert.match(importViolations(withLine('server/src/cli/main.ts', "const scan = require('../scan/command');")).join('\n'), /the cli layer may not import the scan layer/);
  });

  it('keeps other layers to the core\'s public surfaces', () => {
    assert.match(importViolations(withLine('server/src/cli/main.ts', "import { parseLine } from '../analysis/syntax/parser';")).join('\n'), /reaches into the analysis core/);
  });

  it('lets the client import the contract only, and the contract only itself', () => {
    assert.match(importViolations(withLine('client/src/extension.ts', "import { startServer } from '../../server/src/lsp/server';")).join('\n'), /client layer may not import the lsp layer/);
    assert.match(importViolations(withLine('server/src/lsp/protocol.ts', "import { analyzeText } from '../analysis';")).join('\n'), /contract and may import only the contract's files/);
  });

  it('catches the server in the VS Code client and a transport in the core', () => {
    assert.match(importViolations(withLine('client/src/extension.ts', "import { analyzeText } from '../../server/src/analysis';")).join('\n'), /client layer may not import the analysis layer/);
    assert.match(importViolations(withLine('server/src/analysis/index.ts', "export * from 'vscode-languageserver';")).join('\n'), /analysis layer may not import the package vscode-languageserver/);
  });
});
