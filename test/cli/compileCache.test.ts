// The launchers (bin/virtlint.js, bin/virtlint-lsp.js) load their bundle through V8's code cache
// (bin/compileCache.js). The cache must never change an answer: the first run writes it, later
// runs use it, a corrupt or foreign cache is rejected and rewritten, an unwritable cache folder
// only costs time, and the switch turns it off.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileUri, LspTestClient } from '../lsp/client';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LAUNCHER = path.join(ROOT, 'bin', 'virtlint.js');
const SERVER_LAUNCHER = path.join(ROOT, 'bin', 'virtlint-lsp.js');
const hasNativeCache = typeof (require('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe('launcher: the compile cache', function () {
  this.timeout(60_000);
  let dir: string;
  let source: string;

  before(function () {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-cache-'));
    source = path.join(dir, 'probe.asm');
    fs.writeFileSync(source, 'bits 64\nsgdt [rax]\npushf\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lint = (env: Record<string, string>) => {
    const run = spawnSync(process.execPath, [LAUNCHER, '--format', 'json', source], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(run.status, 0, run.stderr); // warnings only
    assert.match(run.stdout, /"ruleId":"sgdt"/);
    return run.stdout;
  };
  const cacheFiles = (cacheDir: string) => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((name) => name.startsWith('cli.js-')) : []);

  it('the first run writes one cache file, the next runs give the same report and keep it', () => {
    const cacheDir = path.join(dir, 'fresh');
    const uncached = lint({ VIRTLINT_NO_COMPILE_CACHE: '1', VIRTLINT_CACHE_DIR: cacheDir });
    assert.deepEqual(cacheFiles(cacheDir), [], 'the switch turns it off');
    const first = lint({ VIRTLINT_CACHE_DIR: cacheDir });
    if (hasNativeCache) return; // Node's own cache keeps its own files
    const written = cacheFiles(cacheDir);
    assert.equal(written.length, 1, `cache files: ${written.join(', ')}`);
    const stamp = fs.statSync(path.join(cacheDir, written[0]!)).mtimeMs;
    const second = lint({ VIRTLINT_CACHE_DIR: cacheDir });
    assert.equal(first, uncached);
    assert.equal(second, uncached);
    assert.equal(fs.statSync(path.join(cacheDir, written[0]!)).mtimeMs, stamp, 'an accepted cache is not rewritten');
  });

  it('a corrupt cache is rejected and rewritten; stale files of this install are removed, another install\'s are kept', () => {
    const cacheDir = path.join(dir, 'corrupt');
    const expected = lint({ VIRTLINT_NO_COMPILE_CACHE: '1' });
    lint({ VIRTLINT_CACHE_DIR: cacheDir });
    if (hasNativeCache) return; // Node's own cache checks its own files
    const [name] = cacheFiles(cacheDir);
    fs.writeFileSync(path.join(cacheDir, name!), Buffer.from('not a V8 code cache at all'));
    const install = /^cli\.js-[0-9a-f]{8}-/.exec(name!)?.[0];
    assert.ok(install, `the cache file names its install: ${name}`);
    fs.writeFileSync(path.join(cacheDir, `${install}1-2-v0.0.0-x64.v8cache`), 'from an older build');
    const otherInstall = install === 'cli.js-00000000-' ? 'cli.js-00000001-' : 'cli.js-00000000-';
    fs.writeFileSync(path.join(cacheDir, `${otherInstall}1-2-v0.0.0-x64.v8cache`), 'another install of virtlint');
    assert.equal(lint({ VIRTLINT_CACHE_DIR: cacheDir }), expected);
    assert.deepEqual(cacheFiles(cacheDir).sort(), [name, `${otherInstall}1-2-v0.0.0-x64.v8cache`].sort(), "this install's stale file goes, another install's stays");
    assert.ok(fs.statSync(path.join(cacheDir, name!)).size > 10_000, 'rewritten with real code');
  });

  it("another install's caches go when a month old, and the oldest when there are more than 24; a dead writer's partial file goes after an hour", () => {
    const cacheDir = path.join(dir, 'foreign');
    if (hasNativeCache) return; // Node's own cache keeps its own files
    fs.mkdirSync(cacheDir, { recursive: true });
    const day = 24 * 3600;
    const now = Date.now() / 1000;
    const foreign = (n: number) => `server.js-${n.toString(16).padStart(8, '0')}-1-2-v0.0.0-x64.v8cache`;
    const place = (name: string, ageSeconds: number) => {
      fs.writeFileSync(path.join(cacheDir, name), 'another install of virtlint');
      fs.utimesSync(path.join(cacheDir, name), now - ageSeconds, now - ageSeconds);
    };
    place(foreign(1), 31 * day);
    // 30 more, one day apart: the 23 newest of them stay next to this install's own.
    for (let n = 2; n <= 31; n++) place(foreign(n), (n - 2) * day + 60);
    place(`${foreign(40)}.1234.tmp`, 2 * 3600);
    place(`${foreign(41)}.1234.tmp`, 60);
    place('notes.txt', 90 * day);
    lint({ VIRTLINT_CACHE_DIR: cacheDir });
    const left = fs.readdirSync(cacheDir).sort();
    const own = left.filter((name) => name.startsWith('cli.js-'));
    assert.equal(own.length, 1, left.join(', '));
    const expected = [...own, `${foreign(41)}.1234.tmp`, 'notes.txt'];
    for (let n = 2; n <= 24; n++) expected.push(foreign(n));
    assert.deepEqual(left, expected.sort());
  });

  it('`virtlint scan` loads dist/scan.js: its cache is written once and accepted by the next run (the V8 flag the launcher sets for a scan is set before it loads), and the report is the same', () => {
    const cacheDir = path.join(dir, 'scan');
    const scan = (env: Record<string, string>) => {
      const run = spawnSync(process.execPath, [LAUNCHER, 'scan', '--format', 'json', process.execPath], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
      assert.ok(run.status === 0 || run.status === 1, run.stderr);
      assert.equal(run.stderr, '');
      return run.stdout;
    };
    const uncached = scan({ VIRTLINT_NO_COMPILE_CACHE: '1', VIRTLINT_CACHE_DIR: cacheDir });
    assert.equal(scan({ VIRTLINT_CACHE_DIR: cacheDir }), uncached);
    if (hasNativeCache) return;
    const written = fs.readdirSync(cacheDir);
    assert.equal(written.length, 1);
    assert.match(written[0]!, /^scan\.js-/, 'the scan bundle, not cli.js');
    const stamp = fs.statSync(path.join(cacheDir, written[0]!)).mtimeMs;
    assert.equal(scan({ VIRTLINT_CACHE_DIR: cacheDir }), uncached);
    assert.equal(fs.statSync(path.join(cacheDir, written[0]!)).mtimeMs, stamp, 'an accepted cache is not rewritten');
  });

  it('a cache folder that cannot be created changes nothing but the time', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const expected = lint({ VIRTLINT_NO_COMPILE_CACHE: '1' });
    assert.equal(lint({ VIRTLINT_CACHE_DIR: path.join(blocker, 'cache') }), expected);
  });

  it('the language server writes its cache as soon as it has compiled, uses it after, and answers the same', async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'server.js'))) throw new Error('dist/server.js is missing: run npm run build');
    const cacheDir = path.join(dir, 'server');
    const serverFiles = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((name) => name.startsWith('server.js-')) : []);
    const diagnose = async (env: Record<string, string | undefined>): Promise<string> => {
      const saved = { ...process.env };
      Object.assign(process.env, { VIRTLINT_LSP_SERVER: SERVER_LAUNCHER, VIRTLINT_CACHE_DIR: cacheDir }, env);
      for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
      let client: LspTestClient | undefined;
      try {
        client = await LspTestClient.start({ configuration: false });
        const uri = fileUri('cache-probe.asm');
        await client.open(uri, 'bits 64\nsgdt [rax]\npushf\n');
        const published = await client.waitForPublished(uri, (p) => p.diagnostics.length > 0);
        // Written before the first answer, not at exit: a server an editor kills still leaves it.
        if (!hasNativeCache && env.VIRTLINT_NO_COMPILE_CACHE === undefined) assert.equal(serverFiles().length, 1, 'the cache is on disk while the server runs');
        return JSON.stringify(published.diagnostics.map((d) => [d.code, d.range.start.line, d.message]));
      } finally {
        process.env = saved;
        await client?.stop();
      }
    };
    const uncached = await diagnose({ VIRTLINT_NO_COMPILE_CACHE: '1' });
    assert.match(uncached, /sgdt/);
    assert.deepEqual(serverFiles(), [], 'the switch turns it off');
    assert.equal(await diagnose({ VIRTLINT_NO_COMPILE_CACHE: undefined }), uncached);
    if (hasNativeCache) return;
    const [name] = serverFiles();
    const stamp = fs.statSync(path.join(cacheDir, name!)).mtimeMs;
    assert.equal(await diagnose({ VIRTLINT_NO_COMPILE_CACHE: undefined }), uncached);
    assert.equal(fs.statSync(path.join(cacheDir, name!)).mtimeMs, stamp, 'an accepted cache is not rewritten');
  });
});
