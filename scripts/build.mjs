// Bundles the three entry points with esbuild and puts iced-x86's WASM next to them; then the web
// extension's two bundles (dist/web/), which must not contain a Node built-in.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

// tsc (run just before this script by `npm run build`) never deletes: drop what a deleted or
// reverted source left in out/. `npm run package` bundles without tsc, possibly before out/ exists.
const pruner = join(root, 'out', 'scripts', 'pruneOutput.js');
if (existsSync(pruner)) {
  for (const stale of require(pruner).pruneOrphanedOutput(root)) console.log(`build: removed ${stale} (its source is gone)`);
}

// Minified by default: what ships (npm, .vsix) is what the tests and the bench run, and a smaller
// bundle starts faster (a one-line lint 94 -> 79 ms; keeping names would cost 5 of those). Stack
// traces map back through the source maps (node --enable-source-maps); `--no-minify` gives a
// readable bundle for debugging.
const minify = !process.argv.includes('--no-minify');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', minify };
/**
 * The lint command and the language server read iced-x86's enums and the generated tables on
 * every run, but its WebAssembly only for some hovers and rare look-ups: wasm-bindgen's loader
 * compiles and instantiates the module on import (about 20 ms of CPU, a tenth of a small lint).
 * Here the loader's `wasm` starts as a stand-in that instantiates the module on first use and
 * then puts the real exports in its place, so later calls go straight to them.
 */
function icedWhenFirstUsed() {
  return icedLoaderPatched('iced-when-first-used', LAZY_ICED);
}

const LAZY_ICED = [
  [
    /const path = require\('path'\)\.join\(__dirname, 'iced_x86_bg\.wasm'\);\s*const bytes = require\('fs'\)\.readFileSync\(path\);\s*const wasmModule = new WebAssembly\.Module\(bytes\);\s*const wasmInstance = new WebAssembly\.Instance\(wasmModule, imports\);\s*wasm = wasmInstance\.exports;\s*module\.exports\.__wasm = wasm;/,
    `let instantiated;
function instantiate() {
  if (instantiated === undefined) {
    const bytes = require('fs').readFileSync(require('path').join(__dirname, 'iced_x86_bg.wasm'));
    instantiated = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports;
    wasm = instantiated;
  }
  return instantiated;
}
wasm = new Proxy({}, { get: (_, name) => instantiate()[name] });
Object.defineProperty(module.exports, '__wasm', { get: instantiate, enumerable: true });`,
  ],
];

/**
 * The scanner needs iced-x86 for a thousand instructions of a kernel, but only after its file is
 * read and its length loop has started. Here the loader starts compiling the module on V8's
 * background threads as the bundle loads (`WebAssembly.compile`) and instantiates it at first use;
 * `__wasmReady` resolves when the compile is done, and the scanner awaits it before it decodes.
 * Used before that, the module is compiled again here, synchronously (correct, only slower; the
 * scan tests count such compiles: test/scan/icedInBackground.test.ts).
 */
function icedCompiledInBackground() {
  return icedLoaderPatched('iced-compiled-in-background', BACKGROUND_ICED);
}

const BACKGROUND_ICED = [
  [
    LAZY_ICED[0][0],
    `const bytes = require('fs').readFileSync(require('path').join(__dirname, 'iced_x86_bg.wasm'));
let compiled;
const ready = WebAssembly.compile(bytes).then((made) => {
  compiled = made;
}, () => undefined);
let instantiated;
function instantiate() {
  if (instantiated === undefined) {
    instantiated = new WebAssembly.Instance(compiled ?? new WebAssembly.Module(bytes), imports).exports;
    wasm = instantiated;
  }
  return instantiated;
}
wasm = new Proxy({}, { get: (_, name) => instantiate()[name] });
Object.defineProperty(module.exports, '__wasm', { get: instantiate, enumerable: true });
module.exports.__wasmReady = ready;`,
  ],
];

/** wasm-bindgen's loader of iced-x86, the file each patch below replaces parts of. */
const ICED_LOADER = /iced-x86[\\/]iced_x86\.js$/;

/** An esbuild plugin that loads iced's loader with `replacements` applied. */
function icedLoaderPatched(name, replacements) {
  return {
    name,
    setup(bundle) {
      bundle.onLoad({ filter: ICED_LOADER }, (args) => ({ contents: patchIcedLoader(readFileSync(args.path, 'utf8'), replacements), loader: 'js' }));
    },
  };
}

/** Applies a loader patch; fails the build if iced's loader changed shape. */
function patchIcedLoader(source, replacements) {
  let patched = source;
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(patched)) throw new Error(`build: iced-x86's loader no longer matches ${pattern}; update scripts/build.mjs`);
    patched = patched.replace(pattern, replacement);
  }
  return patched;
}

const entries = [
  { entry: 'server/src/lsp/main.ts', out: 'server.js', plugins: [icedWhenFirstUsed()] },
  { entry: 'client/src/extension.ts', out: 'client.js', external: ['vscode'] },
  { entry: 'server/src/main/virtlint.ts', out: 'cli.js', plugins: [icedWhenFirstUsed()] },
  // What bin/virtlint.js loads for `virtlint scan`: the scanner without the lint command.
  { entry: 'server/src/main/scan.ts', out: 'scan.js', plugins: [icedCompiledInBackground()] },
  { entry: 'server/src/scan/worker.ts', out: 'scan-worker.js', plugins: [icedCompiledInBackground()] },
];
for (const { entry, out, external = [], plugins = [] } of entries) {
  if (!existsSync(join(root, entry))) {
    console.error(`build: missing entry point ${entry}`);
    process.exit(1);
  }
  await build({ ...common, entryPoints: [join(root, entry)], outfile: join(dist, out), external, plugins });
}
copyFileSync(join(dirname(require.resolve('iced-x86')), 'iced_x86_bg.wasm'), join(dist, 'iced_x86_bg.wasm'));

// --- The web extension (vscode.dev, github.dev): client and server for a browser's workers. ---
const lsp = join(root, 'server/src/lsp');
// The server's Node-only modules and what the web server uses instead (server/src/lsp/browser*.ts).
const WEB_STAND_INS = new Map([
  ['url', join(lsp, 'browserUrl.ts')],
  ['path', join(lsp, 'browserPath.ts')],
  ['fs', join(lsp, 'browserFs.ts')],
  ['worker_threads', join(lsp, 'browserNoThreads.ts')],
]);
const PACKAGE_INFO = join(root, 'server/src/host/packageInfo.ts');
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Fails the build when a web bundle would need a Node built-in; `standIns` may replace some. */
function noNodeBuiltins(standIns) {
  return {
    name: 'no-node-builtins',
    setup(bundle) {
      bundle.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
        if (!BUILTINS.has(args.path)) return undefined;
        const standIn = standIns.get(args.path.replace(/^node:/, ''));
        if (standIn) return { path: standIn };
        return { errors: [{ text: `the web bundle may not use the Node built-in "${args.path}" (imported by ${args.importer.slice(root.length + 1)})` }] };
      });
    },
  };
}

/** The web server's own seams: the package lookup, and iced-x86 reading its WASM with fs. */
const webServerSeams = {
  name: 'web-server-seams',
  setup(bundle) {
    bundle.onResolve({ filter: /\/packageInfo$/ }, (args) => (join(args.resolveDir, `${args.path}.ts`) === PACKAGE_INFO ? { path: join(lsp, 'browserPackageInfo.ts') } : undefined));
    bundle.onLoad({ filter: ICED_LOADER }, (args) => ({ contents: icedForTheWeb(readFileSync(args.path, 'utf8')), loader: 'js' }));
  },
};

/** wasm-bindgen's Node loader with its three Node uses replaced; fails if iced's loader changed shape. */
function icedForTheWeb(source) {
  return patchIcedLoader(source, [
    [/require\(`util`\)/, 'globalThis'],
    [/const path = require\('path'\)\.join\(__dirname, 'iced_x86_bg\.wasm'\);\s*const bytes = require\('fs'\)\.readFileSync\(path\);/, `const bytes = require(${JSON.stringify(join(lsp, 'browserWasm.ts'))}).icedWasmBytes();`],
  ]);
}

// Each web bundle's esbuild metafile goes next to it (not packaged): test/web checks from it that
// no Node built-in and no Node-only module went in.
const web = { bundle: true, platform: 'browser', target: 'es2022', sourcemap: true, metafile: true, logLevel: 'warning', minify };
mkdirSync(join(dist, 'web'), { recursive: true });
const webBundles = [
  {
    entryPoints: [join(lsp, 'browserMain.ts')],
    outfile: join(dist, 'web/server.js'),
    format: 'iife',
    plugins: [noNodeBuiltins(WEB_STAND_INS), webServerSeams],
    define: { 'process.pid': '0', setImmediate: 'webSetImmediate', 'Buffer.byteLength': 'webUtf8ByteLength', 'Buffer.allocUnsafe': 'webAllocBytes', 'Buffer.concat': 'webConcatBytes' },
    inject: [join(lsp, 'browserGlobals.ts')],
  },
  {
    entryPoints: [join(root, 'client/src/browserExtension.ts')],
    outfile: join(dist, 'web/client.js'),
    format: 'cjs',
    external: ['vscode'],
    plugins: [noNodeBuiltins(new Map())],
  },
];
for (const options of webBundles) {
  const { metafile } = await build({ ...web, ...options });
  writeFileSync(options.outfile.replace(/\.js$/, '.meta.json'), JSON.stringify(metafile));
}
console.log('build: dist/ ready');
