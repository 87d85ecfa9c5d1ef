import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { unifiedDiff } from '../../server/src/cli/diff';
import { removeTree, tempTree } from './helpers';

/** Applies a unified diff with GNU patch and returns the patched text. */
function patchText(original: string, diff: string): string {
  const dir = tempTree({ 'f.txt': original });
  try {
    const run = spawnSync('patch', ['--quiet', '--force', 'f.txt'], { cwd: dir, input: diff, encoding: 'utf8' });
    if (run.error) throw new Error(`patch is required by this test (apt-get install -y patch): ${run.error.message}`);
    assert.equal(run.status, 0, `patch failed:\n${run.stdout}${run.stderr}\n${diff}`);
    return fs.readFileSync(path.join(dir, 'f.txt'), 'utf8');
  } finally {
    removeTree(dir);
  }
}

describe('cli unified diff', function () {
  this.timeout(120_000);

  it('is empty for equal texts', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y'), '');
  });

  it('writes hunks with three lines of context and correct ranges', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n') + '\n';
    const after = before.replace('5\n', 'five\nFIVE\n');
    assert.equal(
      unifiedDiff(before, after, 'a/f', 'b/f'),
      ['--- a/f', '+++ b/f', '@@ -2,7 +2,8 @@', ' 2', ' 3', ' 4', '-5', '+five', '+FIVE', ' 6', ' 7', ' 8', ''].join('\n'),
    );
  });

  it('splits distant changes into separate hunks and marks a missing final newline', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const before = lines.join('\n');
    const after = lines.map((l, i) => (i === 1 || i === 28 ? l.toUpperCase() : l)).join('\n');
    const diff = unifiedDiff(before, after, 'a', 'b');
    assert.equal(diff.match(/^@@ /gm)?.length, 2, diff);
    assert.ok(diff.includes('\\ No newline at end of file'));
    assert.equal(patchText(before, diff), after);
  });

  it('falls back to one replaced block when the texts differ everywhere, and stays correct', () => {
    const before = Array.from({ length: 9000 }, (_, i) => `a${i}`).join('\n') + '\n';
    const after = Array.from({ length: 9000 }, (_, i) => `b${i}`).join('\n') + '\n';
    const diff = unifiedDiff(before, after, 'a/f.txt', 'b/f.txt');
    assert.equal(diff.match(/^@@ /gm)?.length, 1);
    assert.equal(patchText(before, diff), after);
  });

  it('round-trips through GNU patch for random edits', () => {
    const line = fc.constantFrom('mov eax, 1', 'popf', 'pushf', 'ret', '', '; comment', 'sidt [x]', '  cli');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.array(line, { maxLength: 4 })), { maxLength: 5 }), fc.boolean(), (base, edits, finalNewline) => {
        const next = [...base];
        for (const [at, remove, insert] of edits) next.splice(at % (next.length + 1), remove, ...insert);
        const join = (ls: string[]) => (ls.length === 0 ? '' : ls.join('\n') + (finalNewline ? '\n' : ''));
        const before = join(base);
        const after = join(next);
        const diff = unifiedDiff(before, after, 'a/f.txt', 'b/f.txt');
        if (before === after) return diff === '';
        // patch cannot create an empty file from a diff, nor start from one without a final newline
        if (before === '' || after === '') return diff.startsWith('--- a/f.txt');
        return patchText(before, diff) === after;
      }),
      { numRuns: 40, seed: 20261123 },
    );
  });
});
