// The parse cache's lines as written: one line read in several parser states keeps an entry per
// state, and each later read in a state gets that state's entry back (the very object), never
// another state's.
import * as assert from 'node:assert/strict';
import { ParseCache } from '../../server/src/analysis/project/parseCache';
import { initialParserState } from '../../server/src/analysis/syntax/parser';

describe('parse cache: lines as written', () => {
  it('keeps one entry per parser state for the same line and hands each back for its state', () => {
    const cache = new ParseCache();
    const in32 = initialParserState('gas-att', 32);
    const in64 = initialParserState('gas-att', 64);
    const text = '\tpushl %eax';
    const first32 = cache.lineAsWritten('/p/a.S', 3, text, in32, 0, false);
    const first64 = cache.lineAsWritten('/p/a.S', 3, text, in64, 0, false);
    assert.notEqual(first32, first64);
    assert.equal(cache.lineAsWritten('/p/a.S', 3, text, initialParserState('gas-att', 32), 9, false), first32);
    assert.equal(cache.lineAsWritten('/p/a.S', 3, text, initialParserState('gas-att', 64), 9, false), first64);
    assert.notEqual(cache.lineAsWritten('/p/a.S', 3, '\tpopl %eax', in32, 0, false), first32, 'another text on the line is parsed');
    assert.notEqual(cache.lineAsWritten('/p/b.S', 3, text, in32, 0, false), first32, 'the same text in another file is its own line');
  });

  it('keeps a line read as a macro definition apart from the same line read as code, in the same state object', () => {
    const cache = new ParseCache();
    const state = initialParserState('gas-att', 32);
    const asCode = cache.lineAsWritten('/p/a.S', 1, '\tpushl %eax', state, 0, false);
    const asDefinition = cache.lineAsWritten('/p/a.S', 1, '\tpushl %eax', state, 0, true);
    assert.notEqual(asDefinition, asCode);
    assert.equal(cache.lineAsWritten('/p/a.S', 1, '\tpushl %eax', state, 0, false), asCode);
    assert.equal(cache.lineAsWritten('/p/a.S', 1, '\tpushl %eax', state, 0, true), asDefinition);
  });

  it('finds lines read earlier and later in a file whatever their order, past the first lines kept', () => {
    const cache = new ParseCache();
    const state = initialParserState('gas-att', 64);
    const lines = [3, 40_000, 0, 17, 1_000, 39_999];
    const entries = lines.map((line) => cache.lineAsWritten('/p/big.S', line, `\tpushq %r${8 + (line % 8)}`, state, line, false));
    lines.forEach((line, i) => {
      assert.equal(cache.lineAsWritten('/p/big.S', line, `\tpushq %r${8 + (line % 8)}`, initialParserState('gas-att', 64), 0, false), entries[i], `line ${line}`);
      assert.equal(entries[i]!.parsed.instructions[0]!.range.start.line, line, `line ${line} is settled on its own line`);
    });
  });
});

describe('parse cache: lines a macro produced', () => {
  it('hands back the entry of the state asked about, as states alternate', () => {
    const cache = new ParseCache();
    const in32 = initialParserState('gas-att', 32);
    const in64 = initialParserState('gas-att', 64);
    const first32 = cache.producedLine('\tpushl %eax', in32, 0);
    const first64 = cache.producedLine('\tpushl %eax', in64, 1);
    assert.notEqual(first32, first64);
    assert.deepEqual([first32.before.bits, first64.before.bits], [32, 64]);
    assert.equal(cache.producedLine('\tpushl %eax', in32, 2), first32);
    assert.equal(cache.producedLine('\tpushl %eax', initialParserState('gas-att', 64), 3), first64);
  });

  it('keeps a line put together from its statements under the state it was read in, not a statement\'s', () => {
    const cache = new ParseCache();
    const in32 = initialParserState('gas-att', 32);
    const in16 = initialParserState('gas-att', 16);
    const from32 = cache.producedLine('.code16; pushf', in32, 0);
    assert.deepEqual([from32.before.bits, from32.after.bits], [32, 16]);
    const from16 = cache.producedLine('.code16; pushf', in16, 1);
    assert.equal(from16.before.bits, 16);
    assert.equal(cache.producedLine('.code16; pushf', in32, 2), from32);
  });
});
