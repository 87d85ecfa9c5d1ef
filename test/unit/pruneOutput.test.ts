import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pruneOrphanedOutput } from '../../scripts/pruneOutput';

describe('build: compiled files whose source is gone', () => {
  let root: string;
  const write = (relative: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), '');
  };
  const exists = (relative: string): boolean => fs.existsSync(path.join(root, relative));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtlint-prune-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('deletes a compiled test and its map once the test source is deleted, and keeps the rest', () => {
    for (const file of ['test/unit/kept.test.ts', 'server/src/a.ts', 'client/src/view.tsx', 'scripts/tool.mts']) write(file);
    for (const file of [
      'out/test/unit/kept.test.js', 'out/test/unit/kept.test.js.map', 'out/test/unit/gone.test.js', 'out/test/unit/gone.test.js.map',
      'out/server/src/a.js', 'out/server/src/removed.js', 'out/client/src/view.js', 'out/scripts/tool.js', 'out/test-reports/report.txt',
    ]) write(file);

    const deleted = pruneOrphanedOutput(root).sort();

    assert.deepEqual(deleted, [path.join('out', 'server', 'src', 'removed.js'), path.join('out', 'test', 'unit', 'gone.test.js'), path.join('out', 'test', 'unit', 'gone.test.js.map')]);
    for (const kept of ['out/test/unit/kept.test.js', 'out/test/unit/kept.test.js.map', 'out/server/src/a.js', 'out/client/src/view.js', 'out/scripts/tool.js', 'out/test-reports/report.txt']) {
      assert.ok(exists(kept), `${kept} was deleted`);
    }
    assert.ok(!exists('out/test/unit/gone.test.js') && !exists('out/server/src/removed.js'));
  });

  it('does nothing when there is no output folder yet', () => {
    write('server/src/a.ts');
    assert.deepEqual(pruneOrphanedOutput(root), []);
  });
});
