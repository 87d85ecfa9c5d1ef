// GNU as itself is the oracle for the macro stage: the stage's output, assembled by `as`, must give
// the same `.text` bytes as the original, and each line's bytes must land on the line `as`'s own
// listing puts them on (a macro's on its invocation, a repeat block's on its `.endr`).
import * as assert from 'assert';
import * as path from 'node:path';
import { linesOf } from '../../server/src/analysis/project/source';
import { assembledLines, readFixtureDir, runGas, splitLines, type StageRun } from '../helpers/memoryEnv';
import { assembleWithAs, cppAndGcc, expandedSource } from './gasOracle';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/project/gas');

/** Top-level `.rept`/`.irp`/`.irpc` … `.endr` blocks outside macro definitions, as 0-based [header, end] lines. */
function repeatBlocks(text: string): [number, number][] {
  const blocks: [number, number][] = [];
  let macroDepth = 0;
  let repeatDepth = 0;
  let start = 0;
  splitLines(text).forEach((line, index) => {
    // A block may open in any statement of a line (`.byte 1 ; .rept 2`); `as` looks for its end only at a line's start.
    const words = line.split(';').map((statement) => /^\s*(?:[\w.$]+:\s*)?(\.\w+)/.exec(statement)?.[1]?.toLowerCase());
    const first = words[0];
    if (first === '.macro') macroDepth++;
    else if (first === '.endm') macroDepth--;
    else if (macroDepth === 0 && first === '.endr' && --repeatDepth === 0) blocks.push([start, index]);
    else if (macroDepth === 0 && words.some((word) => word === '.rept' || word === '.irp' || word === '.irpc')) {
      if (repeatDepth++ === 0) start = index;
    }
  });
  return blocks;
}

/** The stage's output lines assembled one per listing line, their bytes put on the 1-based line `as` would list them on. */
function bytesByLineThroughStage(run: StageRun, outputListing: Map<number, string>, blocks: [number, number][]): Map<number, string> {
  const byLine = new Map<number, string>();
  assembledLines(run.lines).forEach((line, index) => {
    const bytes = outputListing.get(index + 1);
    if (!bytes) return;
    let target = line.at.line;
    if (line.macros.some((use) => use.kind === 'repeat')) {
      const block = blocks.find(([header, end]) => header <= target && target <= end);
      if (block) target = block[1];
    }
    byLine.set(target + 1, (byLine.get(target + 1) ?? '') + bytes);
  });
  return byLine;
}

function sorted(map: Map<number, string>): [number, string][] {
  return [...map.entries()].sort((a, b) => a[0] - b[0]);
}

describe('GNU as macro stage against as', () => {
  const singleFiles = ['macros.s', 'repeat.s', 'conditions.s', 'intel.s'];
  const files = readFixtureDir(FIXTURES, 'relative');

  for (const name of singleFiles) {
    describe(name, () => {
      const source = files[name]!;
      const run = runGas({ [name]: source }, name);

      it('reports nothing it could not decide', () => {
        assert.deepStrictEqual(run.problems.map((p) => `${p.at.line + 1}: ${p.message}`), []);
      });

      it('assembles to the same .text bytes as the original', () => {
        const original = assembleWithAs({ [name]: source }, name, { bits: 32 });
        const expanded = assembleWithAs({ 'expanded.s': expandedSource(run) }, 'expanded.s', { bits: 32 });
        assert.ok(original.text.length > 0);
        assert.strictEqual(expanded.text.toString('hex'), original.text.toString('hex'));
      });

      it('puts each line\'s bytes on the line the listing of as puts them', () => {
        const original = assembleWithAs({ [name]: source }, name, { bits: 32 });
        const expanded = assembleWithAs({ 'expanded.s': expandedSource(run) }, 'expanded.s', { bits: 32 });
        const throughStage = bytesByLineThroughStage(run, expanded.listing, repeatBlocks(source));
        assert.deepStrictEqual(sorted(throughStage), sorted(original.listing));
      });
    });
  }

  describe('include/main.s: .include two levels deep, the second through -I', () => {
    const project: Record<string, string> = {};
    for (const [file, text] of Object.entries(files)) if (file.startsWith('include/')) project[file.slice('include/'.length)] = text;
    const run = runGas(project, 'main.s', { includePaths: ['inc/'] });

    it('assembles to the same .text bytes as the original with as -I inc', () => {
      const original = assembleWithAs(project, 'main.s', { bits: 32, includePaths: ['inc'] });
      const expanded = assembleWithAs({ 'expanded.s': expandedSource(run) }, 'expanded.s', { bits: 32 });
      assert.strictEqual(expanded.text.toString('hex'), original.text.toString('hex'));
      assert.deepStrictEqual(run.problems, []);
    });

    it('opens the includes through the env, the nested one from the first include', () => {
      assert.deepStrictEqual(
        run.includes.map((i) => [i.spec, run.files.get(i.from.file.id)!.path, i.from.line]),
        [['first.inc', 'main.s', 2], ['second.inc', 'first.inc', 4], ['second.inc', 'main.s', 5]],
      );
    });

    it('keeps included lines where they are written and macro lines at the invocation', () => {
      const sgdt = assembledLines(run.lines).filter((l) => l.text.includes('sgdt'));
      assert.deepStrictEqual(sgdt.map((l) => [l.at.file.path, l.at.line, l.verbatim]), [['inc/second.inc', 8, true], ['inc/second.inc', 8, true]]);
      const pushf = assembledLines(run.lines).filter((l) => l.text.includes('pushf'));
      assert.deepStrictEqual(
        pushf.map((l) => [l.at.file.path, l.at.line, l.body?.file.path, l.body?.line, l.macros.map((m) => `${m.kind}:${m.name}`).join('>')]),
        [
          ['main.s', 3, 'first.inc', 1, 'macro:ENTER_KERNEL'],
          ['main.s', 6, 'inc/second.inc', 4, 'macro:REPEAT_PUSHF>repeat:.rept'],
          ['main.s', 6, 'inc/second.inc', 4, 'macro:REPEAT_PUSHF>repeat:.rept'],
        ],
      );
    });
  });

  describe('cpp/boot.S: the output of the real cpp, macros from a header under __ASSEMBLY__', () => {
    const project: Record<string, string> = {};
    for (const [file, text] of Object.entries(files)) if (file.startsWith('cpp/')) project[file.slice('cpp/'.length)] = text;
    const { preprocessed, text } = cppAndGcc(project, 'boot.S', { bits: 32, defines: ['__ASSEMBLY__'] });
    const run = runGas({}, 'boot.S', { input: (root) => [...linesOf(root, splitLines(preprocessed))] });

    it('assembles to the same .text bytes as gcc -c', () => {
      const expanded = assembleWithAs({ 'expanded.s': expandedSource(run) }, 'expanded.s', { bits: 32 });
      assert.ok(text.length > 0);
      assert.strictEqual(expanded.text.toString('hex'), text.toString('hex'));
      assert.deepStrictEqual(run.problems, []);
    });

    it('builds the register name with \\() in each .irp iteration', () => {
      assert.deepStrictEqual(assembledLines(run.lines).filter((l) => /\bmov\b/.test(l.text)).map((l) => l.text.trim()), ['mov %ax, %ax', 'mov %eax, %eax', 'mov %ebx, %ebx']);
    });
  });
});
