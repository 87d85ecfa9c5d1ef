// The GNU as stage replays a macro use it recorded when the same macro is used again with the same
// arguments and the symbols and macro names it looked up say the same. Whatever it replays must be
// what reading the body again gives: each check compares the stage's whole output (lines, where
// they come from, the uses that made them, the problems) with the same run without the memo.
import * as assert from 'node:assert/strict';
import { expansionMemoCounters, setExpansionMemo } from '../../server/src/analysis/project/gas/memo';
import type { ExpandedLine } from '../../server/src/analysis/project/source';
import { runGasText } from '../helpers/memoryEnv';
import { seededRandom } from '../helpers/seededRandom';

function describeLine(line: ExpandedLine): string {
  const uses = line.macros.map((use) => `${use.kind}:${use.name}@${use.invokedAt.line}${use.columns ? `[${use.columns.start}-${use.columns.end}]` : ''}<${use.definedAt?.line ?? '-'}`).join(',');
  return `${line.at.line}|${line.body?.line ?? '-'}|${line.verbatim ? 'v' : ''}${line.definition ? 'd' : ''}|${uses}|${line.text}`;
}

function output(text: string, memo: boolean): string[] {
  setExpansionMemo(memo);
  try {
    const run = runGasText(text);
    return [...run.lines.map(describeLine), ...run.problems.map((p) => `problem ${p.at.line}${p.columns ? `[${p.columns.start}-${p.columns.end}]` : ''}: ${p.message}`)];
  } finally {
    setExpansionMemo(true);
  }
}

/** The output with the memo, which must equal the output without it; and how many replays it made. */
function sameWithAndWithoutMemo(text: string): { lines: string[]; replays: number } {
  const before = expansionMemoCounters.replays;
  const lines = output(text, true);
  const replays = expansionMemoCounters.replays - before;
  assert.deepEqual(lines, output(text, false));
  return { lines, replays };
}

/** The texts of the lines the assembler reads (not the definitions passed on). */
const texts = (lines: string[]): string[] => lines.filter((l) => !l.startsWith('problem') && !l.split('|')[2]!.includes('d')).map((l) => l.slice(l.lastIndexOf('|') + 1).trim());

describe('GNU as macro stage: the expansion memo', () => {
  it('replays a use with the same arguments, with the new use\'s line, uses and columns', () => {
    const { lines, replays } = sameWithAndWithoutMemo('.macro SAVE reg\n\tpush %\\reg\n\tpushf\n.endm\n\tSAVE eax\n\tSAVE ebx\nx:\tSAVE eax # again\n\tSAVE eax\n');
    assert.equal(replays, 1, 'a use is recorded when its arguments come again, and replayed from then on');
    assert.deepEqual(texts(lines).filter((t) => t.startsWith('push')), ['push %eax', 'pushf', 'push %ebx', 'pushf', 'push %eax', 'pushf', 'push %eax', 'pushf']);
  });

  it('reads the body again where a symbol it tests has another value', () => {
    const { lines, replays } = sameWithAndWithoutMemo(
      '.macro PICK\n.if use_far\n\tljmp $8, $0\n.else\n\tcpuid\n.endif\n.endm\nuse_far = 0\n\tPICK\n\tPICK\nuse_far = 1\n\tPICK\nuse_far = 0\n\tPICK\n',
    );
    assert.deepEqual(texts(lines).filter((t) => t !== '' && !t.startsWith('.') && !t.startsWith('use_far') && !t.startsWith('PICK')), ['cpuid', 'cpuid', 'ljmp $8, $0', 'cpuid']);
    assert.equal(replays, 1, 'the fourth use replays the second');
  });

  it('replays what a use sets, so later conditions see it', () => {
    const { lines, replays } = sameWithAndWithoutMemo('.macro MARK\n\t.set marked, 1\n\tnop\n.endm\nmarked = 0\n\tMARK\nmarked = 0\n\tMARK\nmarked = 0\n\tMARK\n.if marked\n\trdtsc\n.endif\n');
    assert.equal(replays, 1);
    assert.ok(texts(lines).includes('rdtsc'));
  });

  it('never replays a use that counts (its lines depend on how many uses came before)', () => {
    const { lines, replays } = sameWithAndWithoutMemo('.macro L\n.Lhere_\\@: nop\n.endm\n.macro OUTER\n\tL\n\tpushf\n.endm\n\tOUTER\n\tOUTER\n\tL\n');
    assert.equal(replays, 0);
    assert.deepEqual(texts(lines).filter((t) => t.startsWith('.Lhere')), ['.Lhere_1: nop', '.Lhere_3: nop', '.Lhere_4: nop']);
  });

  it('counts the uses a replay stands for, so `\\@` after it is what reading again gives', () => {
    const { lines, replays } = sameWithAndWithoutMemo('.macro IN\n\tnop\n.endm\n.macro TWO\n\tIN\n\tIN\n.endm\n\tTWO\n\tTWO\n.macro C\n.Lc_\\@: nop\n.endm\n\tC\n');
    assert.equal(replays, 2, 'the two uses of IN in the second TWO');
    assert.ok(texts(lines).includes('.Lc_6: nop'), texts(lines).join(' / '));
  });

  it('reads the body again where a macro it uses was purged and defined anew', () => {
    const { lines, replays } = sameWithAndWithoutMemo('.macro IN\n\tcpuid\n.endm\n.macro OUT\n\tIN\n.endm\n\tOUT\n.purgem IN\n.macro IN\n\tsgdt (%eax)\n.endm\n\tOUT\n\tOUT\n');
    assert.deepEqual(texts(lines).filter((t) => t === 'cpuid' || t.startsWith('sgdt')), ['cpuid', 'sgdt (%eax)', 'sgdt (%eax)']);
    assert.equal(replays, 1, 'only the third use replays the second');
  });

  it('replays the problems of a use on the new use\'s line', () => {
    const { lines, replays } = sameWithAndWithoutMemo('.macro U\n.if unknown_symbol\n\tcpuid\n.endif\n.endm\n\tU\n\tU\n\tU\n');
    assert.equal(replays, 1);
    assert.deepEqual(lines.filter((l) => l.startsWith('problem')).map((l) => l.slice(0, l.indexOf(':'))), ['problem 5', 'problem 6', 'problem 7']);
  });

  it('keeps the statements around a use on its line in order', () => {
    const { lines, replays } = sameWithAndWithoutMemo('.macro M a\n\tpush \\a\n.endm\n\tnop; M %eax; pushf\n\tnop; M %eax; popf\n\tnop; M %eax; pushf\n');
    assert.equal(replays, 1);
    assert.deepEqual(texts(lines).filter((t) => t !== ''), ['nop', 'push %eax', 'pushf', 'nop', 'push %eax', 'popf', 'nop', 'push %eax', 'pushf']);
  });

  it('never keeps a use that switches a conditional opened before it', () => {
    const { lines } = sameWithAndWithoutMemo('.macro FLIP\n.else\n\tcpuid\n.endm\n.if 1\n\tFLIP\n.endif\n.if 1\n\tFLIP\n.endif\n\tFLIP\n');
    assert.deepEqual(texts(lines).filter((t) => t === 'cpuid'), ['cpuid'], 'the last use, outside any .if, reads its body');
  });

  it('never keeps a use that gave a report made once per file (`.altmacro`)', () => {
    const { lines } = sameWithAndWithoutMemo('.macro AM\n.altmacro\n\tnop\n.noaltmacro\n.endm\n.macro OUTER\n.if go\n\tAM\n.endif\n.endm\ngo = 0\n\tOUTER\ngo = 1\n\tOUTER\n\tOUTER\n');
    assert.equal(lines.filter((l) => l.includes('.altmacro` is not expanded')).length, 1);
  });

  it('matches the output without the memo on random programs of macros, symbols and conditions', () => {
    const pieces = [
      '.macro A x\n.if \\x\n\tpushf\n.else\n\tpopf\n.endif\n\tB \\x\n.endm\n',
      '.macro B y\n\t.set last, \\y\n\tnop\n.endm\n',
      '.macro C\n.ifdef seen\n\tcpuid\n.endif\nseen:\n.endm\n',
      '.macro D\n.rept count\n\trdtsc\n.endr\n.endm\n',
      '.macro E\n.Le_\\@: sidt (%eax)\n.endm\n',
      '\tA 0\n', '\tA 1\n', '\tB 2\n', '\tC\n', '\tD\n', '\tE\n', 'count = 2\n', 'count = last + 1\n',
      '.if last\n\tA 1\n.endif\n', '.purgem B\n.macro B y\n\tsgdt (%eax)\n.endm\n', '\tnop; A 0; nop\n', '.if undecided_name\n\tC\n.endif\n',
    ];
    let replays = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const random = seededRandom(seed);
      let text = pieces[0]! + pieces[1]! + pieces[2]! + pieces[3]! + pieces[4]! + 'count = 1\n';
      for (let i = 0; i < 14; i++) text += pieces[5 + random(pieces.length - 5)]!;
      replays += sameWithAndWithoutMemo(text).replays;
    }
    assert.ok(replays > 60, `the programs replayed uses (${replays})`);
  });
});
