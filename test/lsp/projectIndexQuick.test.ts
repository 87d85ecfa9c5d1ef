// A header many files include ties them into one component; an edit to it re-analyses the open
// includers from their own roots first, and the whole component only after that.
import * as assert from 'node:assert/strict';
import { analyzeProject, type ProjectResult } from '../../server/src/analysis/project/index';
import { ProjectIndex } from '../../server/src/lsp/projectIndex';

function workspace(header: string): Record<string, string> {
  const files: Record<string, string> = { '/w/common.inc': header };
  for (let i = 0; i < 6; i++) files[`/w/k${i}.asm`] = `bits 32\n%include "common.inc"\nSAVE\n`;
  return files;
}

function analyzer(files: Record<string, string>, asked: string[][]): (roots: string[]) => Promise<ProjectResult> {
  return (roots) => {
    asked.push(roots);
    return Promise.resolve(analyzeProject({ files: roots, reader: { read: (p) => (p in files ? { text: files[p]! } : { error: 'not found' }) }, options: { analysis: {} } }));
  };
}

const rulesAt = (index: ProjectIndex, path: string): string[] => index.fileAnalysis(path)!.result.findings.map((f) => `${f.range.start.line}:${f.ruleId}`);

describe('lsp project index: the quick refresh of open includers', () => {
  it('re-reads only the open includer, then the full component replaces the rest', async () => {
    const before = workspace('%macro SAVE 0\n  nop\n%endmacro\n');
    const index = new ProjectIndex();
    index.replaceAll(analyzeProject({ files: Object.keys(before), reader: { read: (p) => ({ text: before[p]! }) }, options: { analysis: {} } }));
    assert.deepEqual(rulesAt(index, '/w/k0.asm'), []);

    const after = workspace('%macro SAVE 0\n  pushf\n%endmacro\n');
    const asked: string[][] = [];
    const exists = (path: string): boolean => path in after;
    const quick = await index.refreshOpen(['/w/common.inc'], ['/w/common.inc', '/w/k0.asm'], analyzer(after, asked), exists);
    assert.deepEqual(asked, [['/w/k0.asm']], 'the quick run reads the open includer\'s walk only');
    assert.deepEqual([...quick!], ['/w/k0.asm']);
    assert.deepEqual(rulesAt(index, '/w/k0.asm'), ['2:pushf']);
    assert.deepEqual(rulesAt(index, '/w/k5.asm'), [], 'a closed includer waits for the full refresh');

    await index.refresh(['/w/common.inc'], analyzer(after, asked), exists);
    assert.equal(asked[1]!.length, 7, 'the full refresh reads the whole component');
    assert.deepEqual(rulesAt(index, '/w/k5.asm'), ['2:pushf']);
  });

  it('falls back to the full refresh when the open files need most of the component', async () => {
    const files = workspace('%macro SAVE 0\n  nop\n%endmacro\n');
    const index = new ProjectIndex();
    index.replaceAll(analyzeProject({ files: Object.keys(files), reader: { read: (p) => ({ text: files[p]! }) }, options: { analysis: {} } }));
    const asked: string[][] = [];
    const open = ['/w/k0.asm', '/w/k1.asm', '/w/k2.asm', '/w/k3.asm'];
    assert.equal(await index.refreshOpen(['/w/common.inc'], open, analyzer(files, asked), (p) => p in files), undefined);
    assert.deepEqual(asked, []);
  });
});
