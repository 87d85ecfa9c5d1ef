// The lines of a file as written: what a preprocessor reads first.
import * as assert from 'assert';
import { linesOf, NO_MACROS, type FileInstance } from '../../server/src/analysis/project/source';

describe('project source: a file\'s lines as written', () => {
  const file: FileInstance = { id: 3, path: '/p/a.S', includedAt: undefined };
  const texts = ['start:', '\tpushf', '', '\tpopf'];

  it('gives each line its text and its own place, verbatim and without macros', () => {
    const lines = linesOf(file, texts);
    for (let index = 0; index < texts.length; index++) {
      const line = lines.at(index)!;
      assert.strictEqual(line.text, texts[index]);
      assert.strictEqual(line.at.file, file);
      assert.strictEqual(line.at.line, index);
      assert.strictEqual(line.verbatim, true);
      assert.strictEqual(line.macros, NO_MACROS);
      assert.strictEqual(line.body, undefined);
      assert.strictEqual(line.definition, undefined);
    }
    assert.strictEqual(lines.at(-1), undefined);
    assert.strictEqual(lines.at(texts.length), undefined);
  });

  it('gives the same object for an index each time, and a copy keeps the place', () => {
    const lines = linesOf(file, texts);
    assert.strictEqual(lines.madeAt(1), undefined);
    const line = lines.at(1)!;
    assert.strictEqual(lines.at(1), line);
    assert.strictEqual(lines.madeAt(1), line);
    assert.deepStrictEqual([...lines].map((l) => [l.text, l.at.line]), texts.map((text, index) => [text, index]));
    const copy = { ...line, definition: true };
    assert.strictEqual(copy.text, '\tpushf');
    assert.strictEqual(copy.at.file, file);
    assert.strictEqual(copy.at.line, 1);
    assert.strictEqual(copy.verbatim, true);
    assert.strictEqual(copy.macros, NO_MACROS);
  });
});
