// The project reader answers a path that does not exist without a failed read (an include search
// tries each include path in turn, and most of those paths are missing): what it says must be
// what the read would have said, for that path and for every other kind of path.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSourceFile } from '../../server/src/cli/files';
import { ProjectReader } from '../../server/src/cli/projectLint';
import { removeTree, tempTree } from './helpers';

const MAX_BYTES = 1024;

describe('CLI: project reader', () => {
  let dir: string;
  before(() => {
    dir = tempTree({ 'inc/a.h': '#define A 1\n', 'big.h': 'x'.repeat(MAX_BYTES + 1), 'bin.h': new Uint8Array([0x41, 0, 0x42]) });
    fs.symlinkSync(path.join(dir, 'nowhere.h'), path.join(dir, 'dangling.h'));
    fs.symlinkSync(path.join(dir, 'inc'), path.join(dir, 'folder.h'));
    fs.symlinkSync(path.join(dir, 'inc/a.h'), path.join(dir, 'link.h'));
    const fifo = spawnSync('mkfifo', [path.join(dir, 'fifo.h')]);
    assert.equal(fifo.status, 0, `mkfifo: ${fifo.stderr}`);
  });
  after(() => removeTree(dir));

  it('reads each kind of path as readSourceFile does: missing, under a file, a directory, too large, binary, links, a FIFO, a file', () => {
    const reader = new ProjectReader(MAX_BYTES);
    const names = ['inc/missing.h', 'missing/a.h', 'inc/a.h/b.h', 'inc', 'big.h', 'bin.h', 'dangling.h', 'folder.h', 'link.h', 'fifo.h', 'inc/a.h'];
    const paths = names.map((name) => path.join(dir, name));
    for (const file of paths) assert.deepEqual(reader.outcome(file), readSourceFile(file, MAX_BYTES), file);
    assert.deepEqual(reader.read(path.join(dir, 'inc/missing.h')), { error: 'cannot read the file: no such file' });
    assert.deepEqual(reader.read(path.join(dir, 'inc/a.h')), { text: '#define A 1\n' });
    assert.deepEqual(reader.read(path.join(dir, 'fifo.h')), { error: 'a FIFO (named pipe), not a regular file; not linted' });
  });
});
