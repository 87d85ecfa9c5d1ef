// LineTable must behave exactly like an array under splice, keep no empty chunks, share the
// chunks an edit did not touch, and leave the table it was made from as it was.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { CHUNK_LINES, LineTable } from '../../server/src/analysis/text/lineTable';

function contents<T>(table: LineTable<T>): T[] {
  return table.chunks.flatMap((chunk) => [...chunk.items]);
}

describe('unit: LineTable', () => {
  it('matches an array under any sequence of replacements', () => {
    const op = fc.record({ start: fc.nat(), count: fc.nat({ max: 3 * CHUNK_LINES }), insert: fc.nat({ max: 3 * CHUNK_LINES }) });
    fc.assert(
      fc.property(fc.nat({ max: 5 * CHUNK_LINES }), fc.array(op, { maxLength: 30 }), (size, ops) => {
        let model = Array.from({ length: size + 1 }, (_, i) => i);
        let table = LineTable.from(model);
        let next = model.length;
        for (const { start: s, count, insert } of ops) {
          const start = s % model.length;
          const end = Math.min(model.length, start + count);
          const fresh = Array.from({ length: insert }, () => next++);
          const before = contents(table);
          const replaced = table.replace(start, end, fresh);
          assert.deepEqual(contents(table), before, 'the old table is unchanged');
          model = [...model.slice(0, start), ...fresh, ...model.slice(end)];
          table = replaced;
          if (model.length === 0) return;
          assert.deepEqual(contents(table), model);
          assert.equal(table.length, model.length);
          assert.ok(table.chunks.every((chunk) => chunk.items.length > 0), 'no empty chunks');
          for (const line of [0, start, Math.min(model.length - 1, start + insert), model.length - 1]) assert.equal(table.at(line), model[line]);
        }
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('shares the chunks an edit did not touch', () => {
    const table = LineTable.from(Array.from({ length: 10 * CHUNK_LINES }, (_, i) => i));
    const edited = table.replace(5 * CHUNK_LINES + 3, 5 * CHUNK_LINES + 4, [-1, -2]);
    const kept = edited.chunks.filter((chunk) => table.chunks.includes(chunk)).length;
    assert.ok(kept >= table.chunks.length - 2, `${kept} of ${table.chunks.length} chunks kept`);
    assert.equal(edited.at(5 * CHUNK_LINES + 4), -2);
    assert.equal(edited.at(10 * CHUNK_LINES), 10 * CHUNK_LINES - 1);
  });
});
