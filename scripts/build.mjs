// Bundles the three entry points with esbuild and puts iced-x86's WASM next to them.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', minify: process.argv.includes('--minify') };
const entries = [
  { entry: 'server/src/lsp/main.ts', out: 'server.js' },
  { entry: 'client/src/extension.ts', out: 'client.js', external: ['vscode'] },
  { entry: 'server/src/main/virtlint.ts', out: 'cli.js' },
  { entry: 'server/src/scan/worker.ts', out: 'scan-worker.js' },
];
for (const { entry, out, external = [] } of entries) {
  if (!existsSync(join(root, entry))) {
    console.error(`build: missing entry point ${entry}`);
    process.exit(1);
  }
  await build({ ...common, entryPoints: [join(root, entry)], outfile: join(dist, out), external });
}
copyFileSync(join(dirname(require.resolve('iced-x86')), 'iced_x86_bg.wasm'), join(dist, 'iced_x86_bg.wasm'));
console.log('build: dist/ ready');
