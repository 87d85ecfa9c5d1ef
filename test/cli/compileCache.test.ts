// The launchers (bin/virtlint.js, bin/virtlint-lsp.js) load their bundle through V8's code cache
// (bin/compileCache.js). The cache must never change an answer: the first run writes it, later
// runs use it, a corrupt or foreign cache is rejected and rewritten, an unwritable cache folder
// only costs time, and the switch turns it off.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LAUNCHER = path.join(ROOT, 'bin', 'virtlint.js');
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

  it('a corrupt cache is rejected and rewritten; stale files of the bundle are removed', () => {
    const cacheDir = path.join(dir, 'corrupt');
    const expected = lint({ VIRTLINT_NO_COMPILE_CACHE: '1' });
    lint({ VIRTLINT_CACHE_DIR: cacheDir });
    if (hasNativeCache) return; // Node's own cache checks its own files
    const [name] = cacheFiles(cacheDir);
    fs.writeFileSync(path.join(cacheDir, name!), Buffer.from('not a V8 code cache at all'));
    fs.writeFileSync(path.join(cacheDir, 'cli.js-1-2-v0.0.0-x64.v8cache'), 'from an older build');
    assert.equal(lint({ VIRTLINT_CACHE_DIR: cacheDir }), expected);
    assert.deepEqual(cacheFiles(cacheDir), [name]);
    assert.ok(fs.statSync(path.join(cacheDir, name!)).size > 10_000, 'rewritten with real code');
  });

  it('a cache folder that cannot be created changes nothing but the time', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const expected = lint({ VIRTLINT_NO_COMPILE_CACHE: '1' });
    assert.equal(lint({ VIRTLINT_CACHE_DIR: path.join(blocker, 'cache') }), expected);
  });
});
