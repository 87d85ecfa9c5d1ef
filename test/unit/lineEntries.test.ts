// A parsed line keeps equal positions as one object (the statement's start and the mnemonic's,
// the statement's end and its last operand's or its mnemonic's) and lines with nothing in them as
// one parsed line: moving an entry to another line must still move every position once, to
// exactly what parsing the line there gives.
import * as assert from 'node:assert/strict';
import { parseLineEntry, settleEntry } from '../../server/src/analysis/document/lineEntries';
import { initialParserState } from '../../server/src/analysis/syntax/parser';
import type { Dialect } from '../../server/src/analysis/types';

const LINES: Array<[Dialect, string]> = [
  ['gas-att', '\tpushl %eax'],
  ['gas-att', '\tmovl %eax, 4(%ebx,%ecx,2)'],
  ['gas-att', '\trep movsb'],
  ['gas-att', '\tlock incl (%eax); sgdt (%ebx)  # two statements'],
  ['gas-att', '1:\tlret'],
  ['gas-intel', '\tmov eax, dword ptr [ebx+4]'],
  ['nasm', 'start: o32 push word 5 ; comment'],
  ['nasm', '\tpushf'],
  ['masm', 'here:  cs mov ax, bx'],
];

describe('line entries: settling moves shared positions once', () => {
  for (const [dialect, text] of LINES) {
    it(`${dialect} ${JSON.stringify(text)} settled from line 3 to 11 and back reads as parsed there`, () => {
      const state = initialParserState(dialect, 32);
      const entry = parseLineEntry(text, 3, state);
      assert.ok(entry.parsed.instructions.length > 0, 'the line has an instruction');
      settleEntry(entry, 11);
      assert.deepEqual(entry.parsed.instructions, parseLineEntry(text, 11, state).parsed.instructions);
      settleEntry(entry, 0);
      assert.deepEqual(entry.parsed.instructions, parseLineEntry(text, 0, state).parsed.instructions);
    });
  }

  it('reads lines with nothing in them as one parsed line, and lines with something each as their own', () => {
    const state = initialParserState('gas-att', 64);
    const empty = ['', '   ', 'label:', '\t.text', '\t.long 1, 2'].map((text, line) => parseLineEntry(text, line, state).parsed);
    for (const parsed of empty) {
      assert.equal(parsed, empty[0]);
      assert.deepEqual(parsed, { instructions: [], comments: [], farProcedure: [], definesMacro: undefined });
    }
    const comment = parseLineEntry('# note', 9, state).parsed;
    assert.notEqual(comment, empty[0]);
    assert.equal(comment.comments.length, 1);
    assert.deepEqual(empty[0], { instructions: [], comments: [], farProcedure: [], definesMacro: undefined }, 'the shared line is left as it was');
  });

  it('keeps register operands as written, with their lower-case name', () => {
    const att = parseLineEntry('\tmovl %EAX, %ebx', 0, initialParserState('gas-att', 32)).parsed.instructions[0]!.operands;
    const intel = parseLineEntry('\tmov EAX, ebx', 0, initialParserState('nasm', 32)).parsed.instructions[0]!.operands;
    assert.deepEqual(att.map((op) => [op.text, op.kind === 'reg' ? op.reg : op.kind]), [['%EAX', 'eax'], ['%ebx', 'ebx']]);
    assert.deepEqual(intel.map((op) => [op.text, op.kind === 'reg' ? op.reg : op.kind]), [['EAX', 'eax'], ['ebx', 'ebx']]);
  });
});
