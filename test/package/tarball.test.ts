// One package a user installs: `npm pack` the working tree, `npm install` the tarball into an
// empty folder, and use the two commands it brings through npx. The installed tree must hold
// nothing but the package (its bundles carry every runtime dependency).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspSession } from './lspSession';
import { FIXTURES, makeTempDir, packTarball, removeDir, ROOT, run, tail } from './tools';

const REQUIRED_FILES = ['bin/virtlint.js', 'bin/virtlint-lsp.js', 'dist/cli.js', 'dist/scan.js', 'dist/server.js', 'dist/scan-worker.js', 'dist/iced_x86_bg.wasm', 'docs/rules/popf.md', 'package.json'];

describe('package: npm pack, then npm install into an empty folder', function () {
  this.timeout(300_000);
  let packDir: string | undefined;
  let userDir: string | undefined;
  let tarball: ReturnType<typeof packTarball>;
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies?: Record<string, string> };

  before(() => {
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'cli.js')), 'dist/ is not built (npm run build)');
    packDir = makeTempDir('pack');
    userDir = makeTempDir('user');
    tarball = packTarball(packDir);
    console.log(`      tarball ${path.basename(tarball.file)}: ${tarball.size} bytes packed, ${tarball.unpackedSize} unpacked, ${tarball.files.length} files`);
    const install = run('npm', ['install', '--no-audit', '--no-fund', tarball.file], { cwd: userDir, timeoutMs: 240_000 });
    console.log(`      npm install of the tarball: ${install.seconds.toFixed(1)} s`);
    assert.equal(install.status, 0, `npm install failed:\n${tail(install.output)}`);
  });
  after(() => {
    removeDir(packDir);
    removeDir(userDir);
  });

  it('packs the bundles, the launchers, the rule pages and nothing from the sources or the build', () => {
    for (const required of REQUIRED_FILES) assert.ok(tarball.files.includes(required), `${required} missing from the tarball`);
    const unwanted = tarball.files.filter((file) => /^(out|server|client|test|node_modules|scripts|proof|examples)\//.test(file) || file.endsWith('.map') || file === 'dist/client.js');
    assert.deepEqual(unwanted, []);
  });

  it('installs nothing but virtlint: no dependencies, no devDependencies', () => {
    const modules = fs.readdirSync(path.join(userDir!, 'node_modules')).filter((name) => !name.startsWith('.'));
    assert.deepEqual(modules, ['virtlint']);
    const listed = run('npm', ['ls', '--all', '--json'], { cwd: userDir!, timeoutMs: 60_000 });
    const tree = JSON.parse(listed.stdout) as { dependencies?: Record<string, { dependencies?: object }> };
    assert.deepEqual(Object.keys(tree.dependencies ?? {}), ['virtlint']);
    assert.deepEqual(Object.keys(tree.dependencies?.virtlint?.dependencies ?? {}), []);
    for (const dev of Object.keys(manifest.devDependencies ?? {})) {
      assert.ok(!fs.existsSync(path.join(userDir!, 'node_modules', dev)), `devDependency ${dev} installed`);
    }
    const installed = path.join(userDir!, 'node_modules', 'virtlint');
    assert.ok(fs.existsSync(path.join(installed, 'dist', 'cli.js')), 'the bundled dist/cli.js is installed');
    assert.ok(!fs.existsSync(path.join(installed, 'out')), 'the tsc output is not shipped, so the launchers can only run dist/');
  });

  it('npx virtlint reports the finding in a file and exits 1; a clean file exits 0', () => {
    fs.copyFileSync(path.join(FIXTURES, 'restore.asm'), path.join(userDir!, 'restore.asm'));
    fs.copyFileSync(path.join(FIXTURES, 'clean.asm'), path.join(userDir!, 'clean.asm'));
    const dirty = run('npx', ['--no', '--', 'virtlint', 'restore.asm'], { cwd: userDir!, timeoutMs: 60_000 });
    assert.equal(dirty.status, 1, dirty.output);
    assert.match(dirty.stdout, /restore\.asm/);
    assert.match(dirty.stdout, /^\s*5:5\s+error\s+POPF\b.*\bpopf\s*$/m, dirty.stdout);
    const clean = run('npx', ['--no', '--', 'virtlint', 'clean.asm'], { cwd: userDir!, timeoutMs: 60_000 });
    assert.equal(clean.status, 0, clean.output);
    assert.equal(clean.stdout, '');
  });

  it('npx virtlint --version is the package version; SARIF links the installed rule pages', () => {
    const version = run('npx', ['--no', '--', 'virtlint', '--version'], { cwd: userDir!, timeoutMs: 60_000 });
    assert.equal(version.status, 0, version.output);
    assert.equal(version.stdout.trim(), `virtlint ${manifest.version}`);
    const sarif = run('npx', ['--no', '--', 'virtlint', '--format', 'sarif', 'restore.asm'], { cwd: userDir!, timeoutMs: 60_000 });
    assert.equal(sarif.status, 1, sarif.output);
    const rules = (JSON.parse(sarif.stdout) as { runs: Array<{ tool: { driver: { rules?: Array<{ id: string; helpUri?: string }> } } }> }).runs[0]!.tool.driver.rules ?? [];
    const popf = rules.find((rule) => rule.id === 'popf');
    const page = pathToFileURL(path.join(fs.realpathSync(userDir!), 'node_modules', 'virtlint', 'docs', 'rules', 'popf.md')).href;
    assert.equal(popf?.helpUri, page);
  });

  it('npx virtlint-lsp --help prints its usage', () => {
    const help = run('npx', ['--no', '--', 'virtlint-lsp', '--help'], { cwd: userDir!, timeoutMs: 60_000 });
    assert.equal(help.status, 0, help.output);
    assert.match(help.stdout, /^Usage: virtlint-lsp /);
  });

  it('the installed virtlint-lsp answers initialize and publishes the finding of an opened file', async () => {
    const launcher = path.join(userDir!, 'node_modules', '.bin', 'virtlint-lsp');
    const session = new LspSession(launcher, ['--stdio'], userDir!);
    try {
      const id = session.request('initialize', { processId: process.pid, rootUri: pathToFileURL(userDir!).href, capabilities: {} });
      const initialized = await session.waitFor((m) => m.id === id, 30_000, 'initialize response');
      assert.equal((initialized.result as { serverInfo?: { name?: string; version?: string } }).serverInfo?.version, manifest.version);
      session.notify('initialized', {});
      const uri = pathToFileURL(path.join(userDir!, 'restore.asm')).href;
      const text = fs.readFileSync(path.join(FIXTURES, 'restore.asm'), 'utf8');
      session.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'x86asm', version: 1, text } });
      const published = await session.waitFor(
        (m) => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === uri && (m.params as { diagnostics: unknown[] }).diagnostics.length > 0,
        30_000,
        'diagnostics for restore.asm',
      );
      const found = (published.params as { diagnostics: Array<{ code?: string; range: { start: { line: number; character: number } } }> }).diagnostics
        .map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`);
      assert.deepEqual(found, ['popf@4:4']);
    } finally {
      session.kill();
    }
  });
});
