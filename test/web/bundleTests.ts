// Part (a): what the web bundles are made of, from esbuild's own account (the metafiles
// scripts/build.mjs writes next to them) and from their text, and what the packaged .vsix holds.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { transform } from 'esbuild';
import { ROOT } from '../vscode/codeServer';
import { runChecks, type Check, type Outcome } from './tier';
import { packedVsix } from './vsix';

interface Metafile {
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
}

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const WEB_BUNDLES = ['dist/web/server.js', 'dist/web/client.js'];
/** The one module a web extension may leave to its host. */
const ALLOWED_EXTERNAL: Record<string, string[]> = { 'dist/web/server.js': [], 'dist/web/client.js': ['vscode'] };
/** Modules written for Node that have a browser twin; the twin must be the one bundled. */
const NODE_ONLY_INPUT = /node_modules\/vscode-(?:languageclient|languageserver|languageserver-protocol|jsonrpc)\/lib\/node\//;
/** The server modules the web build replaces (scripts/build.mjs); a stand-in is there instead. */
const REPLACED_SERVER_MODULES = ['server/src/host/packageInfo.ts'];

function metafileOf(bundle: string): Metafile {
  const file = path.join(ROOT, bundle.replace(/\.js$/, '.meta.json'));
  if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing; run: npm run build`);
  return JSON.parse(readFileSync(file, 'utf8')) as Metafile;
}

function hostModules(bundle: string): string {
  const allowed = ALLOWED_EXTERNAL[bundle]!;
  return allowed.length === 0 ? 'no module' : `no module but ${allowed.join(', ')}`;
}

function isPackageName(specifier: string): boolean {
  return !specifier.startsWith('.') && !specifier.startsWith('/');
}

/**
 * `require("x")` and `import ... from "x"` left in the bundle's code: what it would ask its host
 * for. The comments go first (esbuild drops them), since iced-x86's documentation shows `require`.
 */
async function requiredByText(bundle: string): Promise<string[]> {
  const { code: text } = await transform(readFileSync(path.join(ROOT, bundle), 'utf8'), { minifyWhitespace: true, legalComments: 'none', loader: 'js' });
  const found = new Set<string>();
  for (const match of text.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)|\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    found.add((match[1] ?? match[2] ?? match[3])!);
  }
  return [...found];
}

function checks(): Check[] {
  const perBundle = WEB_BUNDLES.flatMap((bundle): Check[] => [
    {
      title: `bundle: esbuild's metafile of ${bundle} lists no Node built-in, no Node-only module and ${hostModules(bundle)} as external`,
      async run() {
        const { inputs } = metafileOf(bundle);
        const names = Object.keys(inputs);
        assert.ok(names.length > 10, `only ${names.length} inputs: not the real bundle`);
        assert.deepEqual(names.filter((input) => BUILTINS.has(input) || input.startsWith('node:')), []);
        assert.deepEqual(names.filter((input) => NODE_ONLY_INPUT.test(input)), []);
        assert.deepEqual(names.filter((input) => REPLACED_SERVER_MODULES.includes(input)), []);
        // esbuild also lists erased type-only and injected local imports as external: only packages count.
        const externals = new Set(Object.values(inputs).flatMap((input) => input.imports.filter((imported) => imported.external && isPackageName(imported.path)).map((imported) => imported.path)));
        assert.deepEqual([...externals].sort(), ALLOWED_EXTERNAL[bundle]);
      },
    },
    {
      title: `bundle: the code of ${bundle} asks its host for ${hostModules(bundle)}`,
      async run() {
        const required = await requiredByText(bundle);
        assert.deepEqual(required.filter((name) => BUILTINS.has(name)), [], 'a Node built-in');
        assert.deepEqual(required.filter((name) => !ALLOWED_EXTERNAL[bundle]!.includes(name)), []);
      },
    },
  ]);
  return [
    ...perBundle,
    {
      title: 'bundle: the packaged .vsix holds dist/web/client.js, dist/web/server.js and the WASM, and its manifest names the web entry',
      async run() {
        const { file, entries } = packedVsix();
        for (const file of [...WEB_BUNDLES, 'dist/iced_x86_bg.wasm', 'package.json']) assert.ok(entries.includes(`extension/${file}`), `extension/${file} is not in the .vsix`);
        assert.deepEqual(entries.filter((entry) => /\.(?:map|meta\.json)$/.test(entry)), [], 'source maps or metafiles are packaged');
        const manifest = spawnSync('unzip', ['-p', file, 'extension/package.json'], { encoding: 'utf8' });
        const { browser } = JSON.parse(manifest.stdout) as { browser?: string };
        assert.equal(browser, './dist/web/client.js');
        assert.ok(entries.includes(`extension/${browser.replace(/^\.\//, '')}`));
      },
    },
  ];
}

export async function runBundleTests(outcome: Outcome): Promise<void> {
  await runChecks(checks(), outcome);
}
